// F32: plain floats; activations stay f32.
#include <cstring>
#include "quant.h"
namespace lg {
void dequantize_row_f32(const void* x, float* y, int64_t n) { std::memcpy(y, x, (size_t)n * sizeof(float)); }
void quantize_row_f32(const float* x, void* y, int64_t n) { std::memcpy(y, x, (size_t)n * sizeof(float)); }
float vec_dot_f32_scalar(int64_t n, const void* vx, const void* vy) {
  const float* x = (const float*)vx;
  const float* y = (const float*)vy;
  double s = 0.0;  // ggml_float accumulation, as ggml's scalar path
  for (int64_t i = 0; i < n; i++) s += (double)x[i] * (double)y[i];
  return (float)s;
}
}  // namespace lg
