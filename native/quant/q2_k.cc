// Q2_K: super-blocks of 256 = 16 sub-blocks of 16 2-bit values, each with a 4-bit scale (low
// nibble of scales[j]) and a 4-bit min (high nibble), times the f16 d and dmin: x = d*sc*q -
// dmin*m. Dot product against Q8_K activations, whose 16-value block sums give the min term. Value
// 128n + 32j + l (n < 2, j < 4, l < 32) is bits 2j..2j+1 of qs[32n + l], in sub-block 8n + 2j + l/16.
#include "quant.h"
#include "../runtime/fp16.h"
namespace lg {
namespace {
inline int value_q2_K(const block_q2_K& b, int v) { return (b.qs[32 * (v / 128) + v % 32] >> (2 * (v % 128 / 32))) & 3; }
}  // namespace

void dequantize_row_q2_K(const void* vx, float* y, int64_t n) {
  const block_q2_K* x = (const block_q2_K*)vx;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = fp16_to_fp32(x[i].d), min = fp16_to_fp32(x[i].dmin);
    for (int s = 0; s < 16; s++) {
      const float dl = d * (x[i].scales[s] & 0xF), ml = min * (x[i].scales[s] >> 4);
      for (int l = 0; l < 16; l++) *y++ = dl * value_q2_K(x[i], 16 * s + l) - ml;
    }
  }
}

// The exact integer sums once scaled, the min term first: what ggml's NEON kernel computes (and,
// up to its eight float lanes, its AVX2 one).
float vec_dot_q2_K_scalar(int64_t n, const void* vx, const void* vy) {
  const block_q2_K* x = (const block_q2_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = y[i].d * fp16_to_fp32(x[i].d), dmin = -y[i].d * fp16_to_fp32(x[i].dmin);
    int summ = 0, isum = 0;
    for (int s = 0; s < 16; s++) {
      summ += (x[i].scales[s] >> 4) * y[i].bsums[s];
      int sub = 0;
      for (int l = 0; l < 16; l++) sub += value_q2_K(x[i], 16 * s + l) * y[i].qs[16 * s + l];
      isum += (x[i].scales[s] & 0xF) * sub;
    }
    sumf += dmin * (float)summ;
    sumf += d * (float)isum;
  }
  return sumf;
}
}  // namespace lg
