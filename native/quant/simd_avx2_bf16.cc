// AVX2 BF16 x BF16 dot product (batches take the tinyBLAS kernel, simd_avx2_tinyblas.cc). Same flags and run-time gate as simd_avx2.cc.
//
// Mirrors ggml_vec_dot_bf16's AVX2 path as GCC builds it for llama.cpp (ggml-cpu/vec.cpp): four
// 8-lane accumulators over 32-element steps (its mul + add contracted to one FMA), combined as
// (c1 + c3) + (c2 + c4), reduced by hsum_ps, then widened to double; the < 32 leftover elements are
// float products added in double; one rounding to float at the end.
#include "quant.h"
#include "../runtime/fp16.h"
#include "simd_avx2.h"
namespace lg {

// bf16 -> f32 is a 16-bit shift into the high half.
static inline __m256 load_bf16(const uint16_t* p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)p)), 16));
}
static inline float bf16_finish(__m256 c1, __m256 c2, __m256 c3, __m256 c4, const uint16_t* x, const uint16_t* y,
                                int64_t i, int64_t n) {
  double s = (double)hsum_ps(_mm256_add_ps(_mm256_add_ps(c1, c3), _mm256_add_ps(c2, c4)));
  for (; i < n; i++) s += (double)(bf16_to_fp32(x[i]) * bf16_to_fp32(y[i]));
  return (float)s;
}

float vec_dot_bf16_avx2(int64_t n, const void* vx, const void* vy) {
  const uint16_t* x = (const uint16_t*)vx;
  const uint16_t* y = (const uint16_t*)vy;
  __m256 c[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 4; k++) c[k] = _mm256_fmadd_ps(load_bf16(x + i + 8 * k), load_bf16(y + i + 8 * k), c[k]);
  return bf16_finish(c[0], c[1], c[2], c[3], x, y, i, n);
}

}  // namespace lg
