// Q8_0: 32 int8 with one f16 scale. Also the activation format of the 32-element block types.
#include <cmath>
#include "quant.h"
#include "../runtime/fp16.h"
namespace lg {
void dequantize_row_q8_0(const void* vx, float* y, int64_t n) {
  const block_q8_0* x = (const block_q8_0*)vx;
  for (int64_t i = 0; i < n / QK8_0; i++) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < QK8_0; j++) y[i * QK8_0 + j] = x[i].qs[j] * d;
  }
}
// Activations only (weights are never quantised here): ggml's x86 quantize_row_q8_0, which is what
// llama.cpp runs on this kind of CPU. d = amax/127 stored as f16, but the multiplier is 127/amax
// (not 1/d) and rounding is to nearest even; the *_ref quantiser differs from it on ties.
void quantize_row_q8_0(const float* x, void* vy, int64_t n) {
  block_q8_0* y = (block_q8_0*)vy;
  for (int64_t i = 0; i < n / QK8_0; i++) {
    float amax = 0.0f;
    for (int j = 0; j < QK8_0; j++) amax = std::fmax(amax, std::fabs(x[i * QK8_0 + j]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < QK8_0; j++) y[i].qs[j] = (int8_t)std::nearbyintf(x[i * QK8_0 + j] * id);
  }
}

// Q8_1: Q8_0 plus s = f16(d * sum(q)), the activation format of the types with a min (Q4_1).
void quantize_row_q8_1(const float* x, void* vy, int64_t n) {
  block_q8_1* y = (block_q8_1*)vy;
  for (int64_t i = 0; i < n / QK8_0; i++) {
    float amax = 0.0f;
    for (int j = 0; j < QK8_0; j++) amax = std::fmax(amax, std::fabs(x[i * QK8_0 + j]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int sum = 0;
    for (int j = 0; j < QK8_0; j++) {
      y[i].qs[j] = (int8_t)std::nearbyintf(x[i * QK8_0 + j] * id);
      sum += y[i].qs[j];
    }
    y[i].d = fp32_to_fp16(d);
    y[i].s = fp32_to_fp16(d * (float)sum);
  }
}

void dequantize_row_q8_1(const void* vx, float* y, int64_t n) {
  const block_q8_1* x = (const block_q8_1*)vx;
  for (int64_t i = 0; i < n / QK8_0; i++) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < QK8_0; j++) y[i * QK8_0 + j] = x[i].qs[j] * d;
  }
}
float vec_dot_q8_0_scalar(int64_t n, const void* vx, const void* vy) {
  const block_q8_0* x = (const block_q8_0*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK8_0; i++) {
    int sumi = 0;
    for (int j = 0; j < QK8_0; j++) sumi += x[i].qs[j] * y[i].qs[j];
    sumf += sumi * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d));
  }
  return sumf;
}
}  // namespace lg
