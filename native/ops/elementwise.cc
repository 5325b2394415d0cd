// Norms, rope, softmax, activations: straightforward loops the compiler vectorises at -O3.
#include <algorithm>
#include <cmath>
#include <vector>
#include "ops.h"
#include "../runtime/cpu.h"
#include "../runtime/fp16.h"

namespace lg {

void rmsnorm(const float* x, const float* w, float* out, int64_t n, float eps) {
  double ss = 0.0;  // ggml adds float squares in ggml_float (double)
  for (int64_t i = 0; i < n; i++) ss += (double)(x[i] * x[i]);
  const float scale = 1.0f / std::sqrt((float)(ss / n) + eps);
  for (int64_t i = 0; i < n; i++) out[i] = x[i] * scale * (w ? w[i] : 1.0f);
}

void layernorm(const float* x, const float* w, const float* b, float* out, int64_t n, float eps, int isa) {
  // ggml_compute_forward_norm_f32: the mean from the float of a double sum, divided in float; the
  // variance as ggml_vec_cvar_f32 sums it: squares of (x - mean) a vector at a time, each vector
  // folded in float the way its ISA folds (high half onto low, then (0 + 2) + (1 + 3)) and added
  // to a double, the rest one by one.
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++) sum += x[i];
  const float mean = (float)sum / (float)n;
  const int width = ggml_float_width(isa);
  double var = 0.0;
  int64_t i = 0;
  if (width > 1) {
    for (; i + width <= n; i += width) {
      float t[16];
      for (int k = 0; k < width; k++) {
        const float d = x[i + k] - mean;
        t[k] = d * d;
      }
      for (int half = width / 2; half >= 4; half /= 2)
        for (int k = 0; k < half; k++) t[k] = t[k + half] + t[k];
      var += (double)((t[0] + t[2]) + (t[1] + t[3]));
    }
  }
  for (; i < n; i++) {
    const float d = x[i] - mean;
    var += (double)(d * d);
  }
  const float scale = 1.0f / std::sqrt((float)(var / n) + eps);
  for (int64_t j = 0; j < n; j++) out[j] = (x[j] - mean) * scale * (w ? w[j] : 1.0f) + (b ? b[j] : 0.0f);
}

void rope_angles(RopeAngles& a, int rope_dims, float pos, float freq_base, float freq_scale, const float* freq_factors) {
  const float theta_scale = std::pow(freq_base, -2.0f / (float)rope_dims);
  a.npair = std::min(rope_dims / 2, 512);
  float theta = pos;
  for (int i = 0; i < a.npair; i++) {
    const float th = theta * freq_scale / (freq_factors ? freq_factors[i] : 1.0f);
    a.cs[i] = std::cos(th);
    a.sn[i] = std::sin(th);
    theta *= theta_scale;
  }
}

void rope(float* x, int n_heads, int head_dim, const RopeAngles& a, bool neox, int isa) {
#ifdef LG_HAVE_AVX2
  if ((isa == ISA_AVX2 || isa == ISA_AVX512) && isa_available(ISA_AVX2)) return rope_avx2(x, n_heads, head_dim, a, neox);
#endif
  (void)isa;
  for (int h = 0; h < n_heads; h++) {
    float* v = x + (int64_t)h * head_dim;
    for (int i = 0; i < a.npair; i++) {
      const int p = neox ? i : 2 * i;
      const int q = neox ? i + a.npair : 2 * i + 1;
      const float x0 = v[p], x1 = v[q];
      // llama.cpp's build fuses the first product of each (x0*cos - x1*sin, x0*sin + x1*cos) into
      // an fma with the second rounded: matched by the forward conformance to 1e-6 (a plain
      // multiply-and-add, or the other product fused, leaves rope-architecture F32 models ~5e-6 off).
      v[p] = std::fma(x0, a.cs[i], -(x1 * a.sn[i]));
      v[q] = std::fma(x0, a.sn[i], x1 * a.cs[i]);
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

void silu_mul(float* g, const float* u, int64_t n, int isa) {
#ifdef LG_HAVE_AVX512
  if (isa == ISA_AVX512 && isa_available(ISA_AVX512)) return silu_mul_avx512(g, u, n);
#endif
#ifdef LG_HAVE_AVX2
  if (isa == ISA_AVX2 && isa_available(ISA_AVX2)) return silu_mul_avx2(g, u, n);
#endif
  (void)isa;
  for (int64_t i = 0; i < n; i++) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

// ggml's CPU GELU (GGML_GELU_FP16): a table over every f16 input holding f16 results of the tanh
// approximation, exact pass-through outside [-10, 10]. Matching its rounding keeps GPT-2 greedy
// continuations identical to llama.cpp's.
static const uint16_t* gelu_table() {
  static const std::vector<uint16_t> t = [] {
    std::vector<uint16_t> v(65536);
    const float c = 0.79788456080286535587989211986876f;  // sqrt(2/pi)
    for (uint32_t i = 0; i < 65536; i++) {
      const float f = fp16_to_fp32((uint16_t)i);
      // ggml_gelu_f32 as llama.cpp's C build fills its table: 1 + a*x*x contracted to fma(a*x, x, 1)
      // (test/conformance/kernels.test.ts reads its table; the unfused formula differs in one entry).
      v[i] = fp32_to_fp16(0.5f * f * (1.0f + std::tanh(c * f * std::fma(0.044715f * f, f, 1.0f))));
    }
    return v;
  }();
  return t.data();
}

void gelu(float* x, int64_t n) {
  const uint16_t* tab = gelu_table();
  for (int64_t i = 0; i < n; i++) {
    const float v = x[i];
    if (v <= -10.0f) x[i] = 0.0f;
    else if (v < 10.0f) x[i] = fp16_to_fp32(tab[fp32_to_fp16(v)]);
  }
}

void add(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) x[i] += y[i];
}

}  // namespace lg
