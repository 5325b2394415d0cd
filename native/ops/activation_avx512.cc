// AVX-512 activations: SwiGLU as llama.cpp's AVX-512 builds compute it (ggml_vec_swiglu_f32 with
// AVX512F and AVX512DQ): silu(g) * u sixteen lanes at a time with the 16-lane form of ggml's vector
// expf, the rest with libm's expf. That form differs from the 8-lane one (activation_avx2.cc): e^b
// itself from the polynomial (not e^b - 1), then scaled by 2^n with vscalefps, and only |n| > 192
// takes the limits (0 or inf). Compiled with the AVX-512 flags in this translation unit only,
// called after run-time detection (elementwise.cc dispatches).
#include <immintrin.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include "ops.h"
namespace lg {

static inline __m512 expf16(__m512 x) {
  const __m512 r = _mm512_set1_ps(0x1.8p23f);
  const __m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), r);  // x / ln 2 + shift
  const __m512 n = _mm512_sub_ps(z, r);                                      // round(x / ln 2)
  const __m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f), _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
  const __mmask16 d = _mm512_cmp_ps_mask(_mm512_abs_ps(n), _mm512_set1_ps(192), _CMP_GT_OQ);
  const __m512 u = _mm512_mul_ps(b, b);
  const __m512 j = _mm512_fmadd_ps(
      _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
                      _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
      u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f)));  // e^b
  const __m512 res = _mm512_scalef_ps(j, n);
  if (_mm512_kortestz(d, d)) return res;
  const __m512 limit = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(n, _mm512_setzero_ps(), _CMP_LE_OQ), _mm512_set1_ps(INFINITY),
                                            _mm512_setzero_ps());
  return _mm512_mask_blend_ps(d, res, limit);
}

void silu_mul_avx512(float* g, const float* u, int64_t n) {
  const __m512 one = _mm512_set1_ps(1);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 x = _mm512_loadu_ps(g + i);
    const __m512 silu = _mm512_div_ps(x, _mm512_add_ps(one, expf16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
    _mm512_storeu_ps(g + i, _mm512_mul_ps(silu, _mm512_loadu_ps(u + i)));
  }
  for (; i < n; i++) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

static double exp_sum(const float* s, float max, float* p, int64_t n) {
  const __m512 m = _mm512_set1_ps(max);
  double sum = 0;
  for (int64_t i = 0; i < n; i += 16) {
    const __m512 v = expf16(_mm512_sub_ps(_mm512_loadu_ps(s + i), m));
    _mm512_storeu_ps(p + i, v);
    sum += (double)_mm512_reduce_add_ps(v);
  }
  return sum;
}

static float scale_max(float* s, int64_t n, float scale) {
  const __m512 k = _mm512_set1_ps(scale);
  __m512 mx = _mm512_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(s + i), k);
    _mm512_storeu_ps(s + i, v);
    mx = _mm512_max_ps(mx, v);
  }
  float m = _mm512_reduce_max_ps(mx);
  for (; i < n; i++) m = std::max(m, s[i] *= scale);
  return m;
}

static void scale_round(float* p, int64_t n, float inv, bool f16) {
  const __m512 k = _mm512_set1_ps(inv);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 v = _mm512_mul_ps(_mm512_loadu_ps(p + i), k);
    if (f16) v = _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    _mm512_storeu_ps(p + i, v);
  }
  for (; i < n; i++) {
    p[i] *= inv;
    if (f16) p[i] = _cvtsh_ss(_cvtss_sh(p[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
}

void softmax_row_avx512(float* s, float* p, int64_t n, int64_t n_pad, float scale, bool f16) {
  const float mx = scale_max(s, n, scale);
  std::fill(s + n, s + n_pad, -INFINITY);
  scale_round(p, n, (float)(1.0 / exp_sum(s, mx, p, n_pad)), f16);
}

}  // namespace lg
