// Q5_0: 32 5-bit values (offset 16): low 4 bits as Q4_0, the 5th bits in a 32-bit little-endian qh.
#include <cstring>
#include "quant.h"
#include "../runtime/fp16.h"
namespace lg {
void dequantize_row_q5_0(const void* vx, float* y, int64_t n) {
  const block_q5_0* x = (const block_q5_0*)vx;
  for (int64_t i = 0; i < n / QK5_0; i++) {
    const float d = fp16_to_fp32(x[i].d);
    uint32_t qh;
    std::memcpy(&qh, x[i].qh, 4);
    for (int j = 0; j < QK5_0 / 2; j++) {
      const uint8_t xh0 = ((qh >> j) << 4) & 0x10;
      const uint8_t xh1 = (qh >> (j + 12)) & 0x10;
      y[i * QK5_0 + j] = (((x[i].qs[j] & 0x0F) | xh0) - 16) * d;
      y[i * QK5_0 + j + QK5_0 / 2] = (((x[i].qs[j] >> 4) | xh1) - 16) * d;
    }
  }
}
float vec_dot_q5_0_scalar(int64_t n, const void* vx, const void* vy) {
  const block_q5_0* x = (const block_q5_0*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK5_0; i++) {
    uint32_t qh;
    std::memcpy(&qh, x[i].qh, 4);
    int sumi = 0;
    for (int j = 0; j < QK5_0 / 2; j++) {
      const uint8_t xh0 = ((qh >> j) << 4) & 0x10;
      const uint8_t xh1 = (qh >> (j + 12)) & 0x10;
      sumi += (((x[i].qs[j] & 0x0F) | xh0) - 16) * y[i].qs[j] +
              (((x[i].qs[j] >> 4) | xh1) - 16) * y[i].qs[j + QK5_0 / 2];
    }
    sumf += sumi * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d));
  }
  return sumf;
}
}  // namespace lg
