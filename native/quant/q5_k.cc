// Q5_K: as Q4_K with a 5th bit per value in qh (bit 2j / 2j+1 of qh[l] for sub-blocks 2j / 2j+1).
#include "quant.h"
#include "kquant_common.h"
#include "../runtime/fp16.h"
namespace lg {
void dequantize_row_q5_K(const void* vx, float* y, int64_t n) {
  const block_q5_K* x = (const block_q5_K*)vx;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const uint8_t* ql = x[i].qs;
    const uint8_t* qh = x[i].qh;
    const float d = fp16_to_fp32(x[i].d), min = fp16_to_fp32(x[i].dmin);
    int is = 0;
    uint8_t sc, m, u1 = 1, u2 = 2;
    for (int j = 0; j < QK_K; j += 64) {
      get_scale_min_k4(is + 0, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      get_scale_min_k4(is + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
      ql += 32;
      is += 2;
      u1 <<= 2;
      u2 <<= 2;
    }
  }
}
float vec_dot_q5_K_scalar(int64_t n, const void* vx, const void* vy) {
  const block_q5_K* x = (const block_q5_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    uint8_t sc[8], mn[8];
    for (int j = 0; j < 8; j++) get_scale_min_k4(j, x[i].scales, &sc[j], &mn[j]);
    int summins = 0;
    for (int j = 0; j < QK_K / 16; j++) summins += y[i].bsums[j] * mn[j / 2];
    const uint8_t* ql = x[i].qs;
    const uint8_t* qh = x[i].qh;
    const int8_t* q8 = y[i].qs;
    int sumi = 0;
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0; j < QK_K / 64; j++) {
      int s1 = 0, s2 = 0;
      for (int l = 0; l < 32; l++) {
        s1 += ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) * q8[l];
        s2 += ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) * q8[l + 32];
      }
      sumi += s1 * sc[2 * j] + s2 * sc[2 * j + 1];
      ql += 32;
      q8 += 64;
      u1 <<= 2;
      u2 <<= 2;
    }
    sumf += fp16_to_fp32(x[i].d) * y[i].d * sumi - fp16_to_fp32(x[i].dmin) * y[i].d * summins;
  }
  return sumf;
}
}  // namespace lg
