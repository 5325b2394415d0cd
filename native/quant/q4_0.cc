// Q4_0: 32 4-bit values (offset 8) with one f16 scale; element j in the low nibble of qs[j],
// element j+16 in the high nibble. Dot product against Q8_0 activations.
#include "quant.h"
#include "../runtime/fp16.h"
namespace lg {
void dequantize_row_q4_0(const void* vx, float* y, int64_t n) {
  const block_q4_0* x = (const block_q4_0*)vx;
  for (int64_t i = 0; i < n / QK4_0; i++) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < QK4_0 / 2; j++) {
      y[i * QK4_0 + j] = ((x[i].qs[j] & 0x0F) - 8) * d;
      y[i * QK4_0 + j + QK4_0 / 2] = ((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}
float vec_dot_q4_0_scalar(int64_t n, const void* vx, const void* vy) {
  const block_q4_0* x = (const block_q4_0*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK4_0; i++) {
    int sumi = 0;
    for (int j = 0; j < QK4_0 / 2; j++) {
      sumi += ((x[i].qs[j] & 0x0F) - 8) * y[i].qs[j] + ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + QK4_0 / 2];
    }
    sumf += sumi * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d));
  }
  return sumf;
}
}  // namespace lg
