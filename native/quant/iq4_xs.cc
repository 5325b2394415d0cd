// IQ4_XS: IQ4_NL's levels in 256-value super-blocks: f16 d, then eight six-bit sub-block scales
// (low nibbles in scales_l, two at a byte; high two bits in scales_h, two bits each), then IQ4_NL's
// nibble layout per 32 values. x = d * (ls - 32) * kIq4Values[q]. Dot product against Q8_K.
#include "quant.h"
#include "../runtime/fp16.h"
namespace lg {

void dequantize_row_iq4_xs(const void* vx, float* y, int64_t n) {
  const block_iq4_xs* x = (const block_iq4_xs*)vx;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = fp16_to_fp32(x[i].d);
    for (int ib = 0; ib < QK_K / 32; ib++) {
      const float dl = d * (iq4_xs_scale(x[i], ib) - 32);
      const uint8_t* qs = x[i].qs + 16 * ib;
      float* yb = y + i * QK_K + 32 * ib;
      for (int j = 0; j < 16; j++) {
        yb[j] = dl * kIq4Values[qs[j] & 0x0F];
        yb[j + 16] = dl * kIq4Values[qs[j] >> 4];
      }
    }
  }
}

float vec_dot_iq4_xs_scalar(int64_t n, const void* vx, const void* vy) {
  const block_iq4_xs* x = (const block_iq4_xs*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = fp16_to_fp32(x[i].d) * y[i].d;
    for (int ib = 0; ib < QK_K / 32; ib++) {
      const uint8_t* qs = x[i].qs + 16 * ib;
      const int8_t* q8 = y[i].qs + 32 * ib;
      int sumi = 0;
      for (int j = 0; j < 16; j++) sumi += q8[j] * kIq4Values[qs[j] & 0x0F] + q8[j + 16] * kIq4Values[qs[j] >> 4];
      sumf += d * (iq4_xs_scale(x[i], ib) - 32) * sumi;
    }
  }
  return sumf;
}
}  // namespace lg
