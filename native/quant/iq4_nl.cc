// IQ4_NL: Q4_0's block (f16 d, 16 bytes of nibbles: value j low, j + 16 high) with sixteen
// non-linear levels instead of q - 8: x = d * kIq4Values[q]. Dot product against Q8_0 activations.
// Its CPU-side levels are signed bytes, so products need no offset, unlike Q4_0's.
#include "quant.h"
#include "../runtime/fp16.h"
namespace lg {

void dequantize_row_iq4_nl(const void* vx, float* y, int64_t n) {
  const block_iq4_nl* x = (const block_iq4_nl*)vx;
  for (int64_t i = 0; i < n / QK4_0; i++) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < QK4_0 / 2; j++) {
      y[i * QK4_0 + j] = d * kIq4Values[x[i].qs[j] & 0x0F];
      y[i * QK4_0 + j + QK4_0 / 2] = d * kIq4Values[x[i].qs[j] >> 4];
    }
  }
}

float vec_dot_iq4_nl_scalar(int64_t n, const void* vx, const void* vy) {
  const block_iq4_nl* x = (const block_iq4_nl*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK4_0; i++) {
    int sumi = 0;
    for (int j = 0; j < QK4_0 / 2; j++)
      sumi += y[i].qs[j] * kIq4Values[x[i].qs[j] & 0x0F] + y[i].qs[j + QK4_0 / 2] * kIq4Values[x[i].qs[j] >> 4];
    sumf += fp16_to_fp32(y[i].d) * fp16_to_fp32(x[i].d) * sumi;
  }
  return sumf;
}
}  // namespace lg
