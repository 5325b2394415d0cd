// F16: IEEE half; activations converted to f16 (ggml's vec_dot_type for F16).
#include "quant.h"
#include "../runtime/fp16.h"
namespace lg {
void dequantize_row_f16(const void* vx, float* y, int64_t n) {
  const uint16_t* x = (const uint16_t*)vx;
  for (int64_t i = 0; i < n; i++) y[i] = fp16_to_fp32(x[i]);
}
void quantize_row_f16(const float* x, void* vy, int64_t n) {
  uint16_t* y = (uint16_t*)vy;
  for (int64_t i = 0; i < n; i++) y[i] = fp32_to_fp16(x[i]);
}
float vec_dot_f16_scalar(int64_t n, const void* vx, const void* vy) {
  const uint16_t* x = (const uint16_t*)vx;
  const uint16_t* y = (const uint16_t*)vy;
  double s = 0.0;
  for (int64_t i = 0; i < n; i++) s += (double)fp16_to_fp32(x[i]) * (double)fp16_to_fp32(y[i]);
  return (float)s;
}
}  // namespace lg
