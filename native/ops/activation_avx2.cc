// AVX2 activations. Compiled with -mavx2 -mfma -mf16c in this translation unit only, called only
// after run-time detection (elementwise.cc dispatches).
//
// SwiGLU as llama.cpp's CPU backend computes it (ggml_vec_swiglu_f32): silu(g) * u eight lanes at a
// time with ggml's vector expf, the rest with libm's expf. ggml's expf is the algorithm of Arm's
// optimized-routines: e^x = 2^n * e^b with n = round(x / ln 2) (the 1.5 * 2^23 shift trick),
// b = x - n ln 2 in two parts, e^b by a degree-5 polynomial, and a scaled path for |n| > 126 where
// 2^n alone would overflow or vanish. Reproducing its constants and its order of operations is what
// makes the result equal to llama.cpp's bit for bit (test/native/kernels.test.ts).
#include <immintrin.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include "ops.h"
namespace lg {

static inline __m256 expf8(__m256 x) {
  const __m256 shift = _mm256_set1_ps(0x1.8p23f);
  const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), shift);  // x / ln 2 + shift
  const __m256 n = _mm256_sub_ps(z, shift);                                      // round(x / ln 2)
  const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f), _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
  const __m256i e = _mm256_slli_epi32(_mm256_castps_si256(z), 23);  // n in the exponent field
  const __m256 k = _mm256_castsi256_ps(_mm256_add_epi32(e, _mm256_castps_si256(_mm256_set1_ps(1))));  // 2^n
  const __m256 abs_n = _mm256_andnot_ps(_mm256_set1_ps(-0.f), n);
  const __m256 big = _mm256_cmp_ps(abs_n, _mm256_set1_ps(126), _CMP_GT_OQ);
  const __m256 u = _mm256_mul_ps(b, b);
  const __m256 j = _mm256_fmadd_ps(
      _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                      _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
      u, _mm256_mul_ps(_mm256_set1_ps(0x1.ffffecp-1f), b));  // e^b - 1
  if (!_mm256_movemask_ps(big)) return _mm256_fmadd_ps(j, k, k);
  // |n| > 126: 2^n as s1 * s2 (s1 = 2^+-127), and past |n| > 192 the limit (inf or 0).
  const __m256i g = _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)), _mm256_set1_epi32((int)0x82000000u));
  const __m256 s1 = _mm256_castsi256_ps(_mm256_add_epi32(g, _mm256_set1_epi32(0x7f000000)));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_sub_epi32(e, g));
  const __m256 huge = _mm256_cmp_ps(abs_n, _mm256_set1_ps(192), _CMP_GT_OQ);
  const __m256 scaled = _mm256_mul_ps(_mm256_fmadd_ps(s2, j, s2), s1);
  return _mm256_or_ps(_mm256_and_ps(huge, _mm256_mul_ps(s1, s1)),
                      _mm256_andnot_ps(huge, _mm256_or_ps(_mm256_and_ps(big, scaled), _mm256_andnot_ps(big, _mm256_fmadd_ps(k, j, k)))));
}

void silu_mul_avx2(float* g, const float* u, int64_t n) {
  const __m256 one = _mm256_set1_ps(1);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(g + i);
    const __m256 silu = _mm256_div_ps(x, _mm256_add_ps(one, expf8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    _mm256_storeu_ps(g + i, _mm256_mul_ps(silu, _mm256_loadu_ps(u + i)));
  }
  for (; i < n; i++) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

static double exp_sum(const float* s, float max, float* p, int64_t n) {
  const __m256 m = _mm256_set1_ps(max);
  double sum = 0;
  for (int64_t i = 0; i < n; i += 8) {
    const __m256 v = expf8(_mm256_sub_ps(_mm256_loadu_ps(s + i), m));
    _mm256_storeu_ps(p + i, v);
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    sum += (double)_mm_cvtss_f32(r);
  }
  return sum;
}

static float scale_max(float* s, int64_t n, float scale) {
  const __m256 k = _mm256_set1_ps(scale);
  __m256 mx = _mm256_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(s + i), k);
    _mm256_storeu_ps(s + i, v);
    mx = _mm256_max_ps(mx, v);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, mx);
  float m = *std::max_element(lanes, lanes + 8);
  for (; i < n; i++) m = std::max(m, s[i] *= scale);
  return m;
}

static void scale_round(float* p, int64_t n, float inv, bool f16) {
  const __m256 k = _mm256_set1_ps(inv);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_mul_ps(_mm256_loadu_ps(p + i), k);
    if (f16) v = _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    _mm256_storeu_ps(p + i, v);
  }
  for (; i < n; i++) {
    p[i] *= inv;
    if (f16) p[i] = _cvtsh_ss(_cvtss_sh(p[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
}

void softmax_row_avx2(float* s, float* p, int64_t n, int64_t n_pad, float scale, bool f16) {
  const float mx = scale_max(s, n, scale);
  std::fill(s + n, s + n_pad, -INFINITY);
  scale_round(p, n, (float)(1.0 / exp_sum(s, mx, p, n_pad)), f16);
}

}  // namespace lg
