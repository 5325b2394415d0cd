// Rotary embedding eight values at a time (AVX2 + FMA; AVX-512 machines take it too: a token's
// rope is a few thousand values, and the scalar loop's fmaf calls were ~5 us of each layer's step).
// The same operations per value as the scalar loop in elementwise.cc: one product rounded, negated
// exactly where the formula subtracts it, one fma; so the same results.
#include <immintrin.h>
#include <cmath>
#include "ops.h"
namespace lg {

void rope_avx2(float* x, int n_heads, int head_dim, const RopeAngles& a, bool neox) {
  const int np = a.npair;
  for (int h = 0; h < n_heads; h++) {
    float* v = x + (int64_t)h * head_dim;
    int i = 0;
    if (neox) {  // x0 = v[i], x1 = v[i + np]
      for (; i + 8 <= np; i += 8) {
        const __m256 x0 = _mm256_loadu_ps(v + i), x1 = _mm256_loadu_ps(v + np + i);
        const __m256 c = _mm256_loadu_ps(a.cs + i), s = _mm256_loadu_ps(a.sn + i);
        const __m256 ns = _mm256_xor_ps(s, _mm256_set1_ps(-0.0f));  // exactly -s, -0 for +0
        _mm256_storeu_ps(v + i, _mm256_fmadd_ps(x0, c, _mm256_mul_ps(x1, ns)));
        _mm256_storeu_ps(v + np + i, _mm256_fmadd_ps(x0, s, _mm256_mul_ps(x1, c)));
      }
    } else {  // four adjacent pairs a vector: even lanes x0 -> fma(x0, c, x1 * -s), odd x1 -> fma(x0, s, x1 * c)
      const __m256 neg_even = _mm256_setr_ps(-0.0f, 0.0f, -0.0f, 0.0f, -0.0f, 0.0f, -0.0f, 0.0f);
      for (; i + 4 <= np; i += 4) {
        const __m128 c = _mm_loadu_ps(a.cs + i), s = _mm_loadu_ps(a.sn + i);
        const __m256 cs = _mm256_set_m128(_mm_unpackhi_ps(c, s), _mm_unpacklo_ps(c, s));  // c0 s0 c1 s1 ...
        const __m256 nsc = _mm256_xor_ps(_mm256_permute_ps(cs, 0xB1), neg_even);         // -s0 c0 -s1 c1 ...
        const __m256 xv = _mm256_loadu_ps(v + 2 * i);
        const __m256 x0 = _mm256_moveldup_ps(xv), x1 = _mm256_movehdup_ps(xv);
        _mm256_storeu_ps(v + 2 * i, _mm256_fmadd_ps(x0, cs, _mm256_mul_ps(x1, nsc)));
      }
    }
    for (; i < np; i++) {
      const int p = neox ? i : 2 * i, q = neox ? i + np : 2 * i + 1;
      const float x0 = v[p], x1 = v[q];
      v[p] = std::fma(x0, a.cs[i], -(x1 * a.sn[i]));
      v[q] = std::fma(x0, a.sn[i], x1 * a.cs[i]);
    }
  }
}

}  // namespace lg
