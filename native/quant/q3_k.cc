// Q3_K: super-blocks of 256 = 16 sub-blocks of 16 3-bit values (two bits in qs, the third in hmask,
// a clear bit meaning minus 4), each with a 6-bit signed scale, times the f16 d: x = d*sc*q. Dot
// product against Q8_K activations. Value 128n + 32j + l (n < 2, j < 4, l < 32) is bits 2j..2j+1
// of qs[32n + l] with hmask[l]'s bit 4n + j, in sub-block 8n + 2j + l / 16.
#include "quant.h"
#include "kquant_common.h"
#include "../runtime/fp16.h"
namespace lg {
namespace {
inline int value_q3_K(const block_q3_K& b, int v) {
  const int n = v / 128, j = v % 128 / 32, l = v % 32;
  const int low = (b.qs[32 * n + l] >> (2 * j)) & 3;
  return (b.hmask[l] >> (4 * n + j) & 1) ? low : low - 4;
}
}  // namespace

void dequantize_row_q3_K(const void* vx, float* y, int64_t n) {
  const block_q3_K* x = (const block_q3_K*)vx;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = fp16_to_fp32(x[i].d);
    int8_t sc[16];
    unpack_scales_q3_K(x[i].scales, sc);
    for (int s = 0; s < 16; s++) {
      const float dl = d * sc[s];
      for (int l = 0; l < 16; l++) *y++ = dl * value_q3_K(x[i], 16 * s + l);
    }
  }
}

// The exact integer sum per super-block, once scaled: the SIMD kernels split the same integers
// into lanes, so only the float steps differ from them.
float vec_dot_q3_K_scalar(int64_t n, const void* vx, const void* vy) {
  const block_q3_K* x = (const block_q3_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    int8_t sc[16];
    unpack_scales_q3_K(x[i].scales, sc);
    int sumi = 0;
    for (int s = 0; s < 16; s++) {
      int sub = 0;
      for (int l = 0; l < 16; l++) sub += value_q3_K(x[i], 16 * s + l) * y[i].qs[16 * s + l];
      sumi += sc[s] * sub;
    }
    sumf += fp16_to_fp32(x[i].d) * y[i].d * sumi;
  }
  return sumf;
}
}  // namespace lg
