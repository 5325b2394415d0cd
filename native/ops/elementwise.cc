// Norms, rope, softmax, activations: straightforward loops the compiler vectorises at -O3.
#include <cmath>
#include "ops.h"

namespace lg {

void rmsnorm(const float* x, const float* w, float* out, int64_t n, float eps) {
  double ss = 0.0;  // ggml accumulates the sum of squares in ggml_float (double)
  for (int64_t i = 0; i < n; i++) ss += (double)x[i] * x[i];
  const float scale = 1.0f / std::sqrt((float)(ss / n) + eps);
  for (int64_t i = 0; i < n; i++) out[i] = x[i] * scale * (w ? w[i] : 1.0f);
}

void layernorm(const float* x, const float* w, const float* b, float* out, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++) sum += x[i];
  const float mean = (float)(sum / n);
  double var = 0.0;
  for (int64_t i = 0; i < n; i++) {
    const float d = x[i] - mean;
    var += (double)d * d;
  }
  const float scale = 1.0f / std::sqrt((float)(var / n) + eps);
  for (int64_t i = 0; i < n; i++) out[i] = (x[i] - mean) * scale * (w ? w[i] : 1.0f) + (b ? b[i] : 0.0f);
}

void rope(float* x, int n_heads, int head_dim, int rope_dims, float pos, float freq_base, float freq_scale, bool neox) {
  // As ggml_rope_cache_init: theta_i = pos * freq_scale * base^(-2i/rope_dims), by repeated products.
  const float theta_scale = std::pow(freq_base, -2.0f / (float)rope_dims);
  const int half = rope_dims / 2;
  float cs[512], sn[512];
  const int npair = half < 512 ? half : 512;
  float theta = pos;
  for (int i = 0; i < npair; i++) {
    const float th = theta * freq_scale;
    cs[i] = std::cos(th);
    sn[i] = std::sin(th);
    theta *= theta_scale;
  }
  for (int h = 0; h < n_heads; h++) {
    float* v = x + (int64_t)h * head_dim;
    for (int i = 0; i < npair; i++) {
      const int a = neox ? i : 2 * i;
      const int b = neox ? i + half : 2 * i + 1;
      const float x0 = v[a], x1 = v[b];
      v[a] = x0 * cs[i] - x1 * sn[i];
      v[b] = x0 * sn[i] + x1 * cs[i];
    }
  }
}

void softmax(float* x, int64_t n) {
  float m = -INFINITY;
  for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  double s = 0.0;
  for (int64_t i = 0; i < n; i++) {
    x[i] = std::exp(x[i] - m);
    s += x[i];
  }
  const float inv = (float)(1.0 / s);
  for (int64_t i = 0; i < n; i++) x[i] *= inv;
}

void silu(float* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + std::exp(-x[i]));
}

void silu_mul(float* g, const float* u, int64_t n) {
  for (int64_t i = 0; i < n; i++) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

void gelu(float* x, int64_t n) {
  const float c = 0.79788456080286535587989211986876f;  // sqrt(2/pi)
  for (int64_t i = 0; i < n; i++) {
    const float v = x[i];
    x[i] = 0.5f * v * (1.0f + std::tanh(c * v * (1.0f + 0.044715f * v * v)));
  }
}

void add(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) x[i] += y[i];
}

}  // namespace lg
