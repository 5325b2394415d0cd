// Q8_K: the activation format of the K-quants (never stored in files): 256 int8 with an f32 scale
// and the sums of each 16 values (used for the K-quants' min terms).
#include <cmath>
#include <cstring>
#include "quant.h"
namespace lg {
// ggml quantize_row_q8_K_ref: scale from the signed value of largest magnitude, iscale = -127/max.
void quantize_row_q8_K(const float* x, void* vy, int64_t n) {
  block_q8_K* y = (block_q8_K*)vy;
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
    float max = 0.0f, amax = 0.0f;
    for (int j = 0; j < QK_K; j++) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) { amax = ax; max = x[j]; }
    }
    if (amax == 0.0f) {
      y[i].d = 0.0f;
      std::memset(y[i].qs, 0, sizeof y[i].qs);
      std::memset(y[i].bsums, 0, sizeof y[i].bsums);
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < QK_K; j++) {
      const int v = (int)std::lrintf(iscale * x[j]);
      y[i].qs[j] = (int8_t)(v < 127 ? v : 127);
    }
    for (int j = 0; j < QK_K / 16; j++) {
      int sum = 0;
      for (int k = 0; k < 16; k++) sum += y[i].qs[j * 16 + k];
      y[i].bsums[j] = (int16_t)sum;
    }
    y[i].d = 1.0f / iscale;
  }
}
void dequantize_row_q8_K(const void* vx, float* y, int64_t n) {
  const block_q8_K* x = (const block_q8_K*)vx;
  for (int64_t i = 0; i < n / QK_K; i++)
    for (int j = 0; j < QK_K; j++) y[i * QK_K + j] = x[i].d * x[i].qs[j];
}
}  // namespace lg
