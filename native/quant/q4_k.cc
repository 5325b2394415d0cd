// Q4_K: super-blocks of 256 = 8 sub-blocks of 32 4-bit values, each with a 6-bit scale and min,
// scaled by the f16 d and dmin: x = d*sc*q - dmin*m. Dot product against Q8_K activations.
#include "quant.h"
#include "kquant_common.h"
#include "../runtime/fp16.h"
namespace lg {
void dequantize_row_q4_K(const void* vx, float* y, int64_t n) {
  const block_q4_K* x = (const block_q4_K*)vx;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const uint8_t* q = x[i].qs;
    const float d = fp16_to_fp32(x[i].d), min = fp16_to_fp32(x[i].dmin);
    int is = 0;
    uint8_t sc, m;
    for (int j = 0; j < QK_K; j += 64) {
      get_scale_min_k4(is + 0, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      get_scale_min_k4(is + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
      q += 32;
      is += 2;
    }
  }
}
float vec_dot_q4_K_scalar(int64_t n, const void* vx, const void* vy) {
  const block_q4_K* x = (const block_q4_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    uint8_t sc[8], mn[8];
    for (int j = 0; j < 8; j++) get_scale_min_k4(j, x[i].scales, &sc[j], &mn[j]);
    int summins = 0;
    for (int j = 0; j < QK_K / 16; j++) summins += y[i].bsums[j] * mn[j / 2];
    const uint8_t* q4 = x[i].qs;
    const int8_t* q8 = y[i].qs;
    int sumi = 0;
    for (int j = 0; j < QK_K / 64; j++) {
      int s1 = 0, s2 = 0;
      for (int l = 0; l < 32; l++) {
        s1 += (q4[l] & 0xF) * q8[l];
        s2 += (q4[l] >> 4) * q8[l + 32];
      }
      sumi += s1 * sc[2 * j] + s2 * sc[2 * j + 1];
      q4 += 32;
      q8 += 64;
    }
    sumf += fp16_to_fp32(x[i].d) * y[i].d * sumi - fp16_to_fp32(x[i].dmin) * y[i].d * summins;
  }
  return sumf;
}
}  // namespace lg
