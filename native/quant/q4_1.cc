// Q4_1: 32 4-bit values with f16 scale d and f16 minimum m: x = q*d + m. Dot product against Q8_1
// activations, whose precomputed block sum s = f16(d*sum(q)) gives the m term, exactly as ggml.
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
  const block_q8_1* y = (const block_q8_1*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK4_1; i++) {
    int sumi = 0;
    for (int j = 0; j < QK4_1 / 2; j++) {
      sumi += (x[i].qs[j] & 0x0F) * y[i].qs[j] + (x[i].qs[j] >> 4) * y[i].qs[j + QK4_1 / 2];
    }
    sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * sumi + fp16_to_fp32(x[i].m) * fp16_to_fp32(y[i].s);
  }
  return sumf;
}
}  // namespace lg
