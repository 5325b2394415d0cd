// Q4_1: 32 4-bit values with f16 scale d and f16 minimum m: x = q*d + m. Dot product against Q8_0
// activations; the m term needs the activation block's sum, which ggml precomputes in Q8_1 (s = d*sum)
// and we compute here from the int8 values (same value up to ggml's f16 rounding of s).
#include "quant.h"
#include "../runtime/fp16.h"
namespace lg {
void dequantize_row_q4_1(const void* vx, float* y, int64_t n) {
  const block_q4_1* x = (const block_q4_1*)vx;
  for (int64_t i = 0; i < n / QK4_1; i++) {
    const float d = fp16_to_fp32(x[i].d), m = fp16_to_fp32(x[i].m);
    for (int j = 0; j < QK4_1 / 2; j++) {
      y[i * QK4_1 + j] = (x[i].qs[j] & 0x0F) * d + m;
      y[i * QK4_1 + j + QK4_1 / 2] = (x[i].qs[j] >> 4) * d + m;
    }
  }
}
float vec_dot_q4_1_scalar(int64_t n, const void* vx, const void* vy) {
  const block_q4_1* x = (const block_q4_1*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK4_1; i++) {
    int sumi = 0, sumy = 0;
    for (int j = 0; j < QK4_1 / 2; j++) {
      sumi += (x[i].qs[j] & 0x0F) * y[i].qs[j] + (x[i].qs[j] >> 4) * y[i].qs[j + QK4_1 / 2];
      sumy += y[i].qs[j] + y[i].qs[j + QK4_1 / 2];
    }
    const float dy = fp16_to_fp32(y[i].d);
    sumf += (fp16_to_fp32(x[i].d) * dy) * sumi + fp16_to_fp32(x[i].m) * (dy * sumy);
  }
  return sumf;
}
}  // namespace lg
