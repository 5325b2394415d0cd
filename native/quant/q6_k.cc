// Q6_K: 256 6-bit values (offset 32): low 4 bits in ql, high 2 bits in qh, an int8 scale per 16
// values, one f16 d. Dot product against Q8_K activations.
#include "quant.h"
#include "../runtime/fp16.h"
namespace lg {
// Unpacks one super-block to the signed 6-bit values (-32..31) in natural order.
static inline void unpack_q6_K(const block_q6_K* b, int8_t* out) {
  const uint8_t* ql = b->ql;
  const uint8_t* qh = b->qh;
  for (int n = 0; n < QK_K; n += 128) {
    for (int l = 0; l < 32; ++l) {
      out[n + l + 0] = (int8_t)((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      out[n + l + 32] = (int8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      out[n + l + 64] = (int8_t)((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      out[n + l + 96] = (int8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
    }
    ql += 64;
    qh += 32;
  }
}
void dequantize_row_q6_K(const void* vx, float* y, int64_t n) {
  const block_q6_K* x = (const block_q6_K*)vx;
  int8_t q[QK_K];
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = fp16_to_fp32(x[i].d);
    unpack_q6_K(&x[i], q);
    // Element e uses scale (e/128)*8 + ((e%32)/16) + 2*((e%128)/32), i.e. scales[e/16].
    for (int e = 0; e < QK_K; e++) y[i * QK_K + e] = d * x[i].scales[e / 16] * q[e];
  }
}
float vec_dot_q6_K_scalar(int64_t n, const void* vx, const void* vy) {
  const block_q6_K* x = (const block_q6_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  int8_t q[QK_K];
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    unpack_q6_K(&x[i], q);
    int sumi = 0;
    for (int g = 0; g < QK_K / 16; g++) {
      int s = 0;
      for (int l = 0; l < 16; l++) s += q[g * 16 + l] * y[i].qs[g * 16 + l];
      sumi += s * x[i].scales[g];
    }
    sumf += fp16_to_fp32(x[i].d) * y[i].d * sumi;
  }
  return sumf;
}
}  // namespace lg
