// AVX-512 rows-of-8 kernels (quant.h): the arithmetic of simd_avx2_rows8.cc, eight rows in one
// 512-bit vector. Each row's 8-byte chunk of nibbles takes a 64-bit lane, so a broadcast activation
// chunk meets all eight rows at once and VNNI's dpbusd sums four byte products into an int32 lane
// where AVX2 needs maddubs, an int16 add and a madd; the two int32 halves of a row's lane then add
// up and narrow to eight rows in order. The integer sums are the same exact integers (nibbles times
// int8 never saturate the AVX2 path's int16 steps), and the float steps are the AVX2 kernel's, so
// every output equals it bit for bit — which is llama.cpp's repacked arithmetic.
#include "simd_avx2.h"
namespace lg {

// Q4_0, 8 rows x C columns.
template <int C>
static inline void q4_0_tile512(int64_t nb, const uint8_t* x, size_t bx, const uint8_t* y, size_t by, const int32_t* ysum,
                                float* s, size_t bs) {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m256 acc[C];
  for (int c = 0; c < C; c++) acc[c] = _mm256_setzero_ps();
  PrefetchShare pf(x + 8 * bx, 8 * bx, nb);  // the next eight rows (simd_avx2.h)
  for (int64_t b = 0; b < nb; b++) {
    pf.step();
    // Rows 0, 2, 4, 6 in a's 128-bit lanes and 1, 3, 5, 7 in o's: unpacking their 64-bit halves
    // puts chunk k of row r in 64-bit lane r.
    auto qs = [&](int r) { return _mm_loadu_si128((const __m128i*)((const block_q4_0*)(x + r * bx) + b)->qs); };
    __m512i e = _mm512_castsi128_si512(qs(0)), o = _mm512_castsi128_si512(qs(1));
    e = _mm512_inserti32x4(e, qs(2), 1);
    o = _mm512_inserti32x4(o, qs(3), 1);
    e = _mm512_inserti32x4(e, qs(4), 2);
    o = _mm512_inserti32x4(o, qs(5), 2);
    e = _mm512_inserti32x4(e, qs(6), 3);
    o = _mm512_inserti32x4(o, qs(7), 3);
    const __m512i c0 = _mm512_unpacklo_epi64(e, o), c1 = _mm512_unpackhi_epi64(e, o);
    // values 0-7, 8-15 (low nibbles of chunks 0, 1) and 16-23, 24-31 (high nibbles)
    const __m512i w0 = _mm512_and_si512(c0, m4), w1 = _mm512_and_si512(c1, m4);
    const __m512i w2 = _mm512_and_si512(_mm512_srli_epi16(c0, 4), m4), w3 = _mm512_and_si512(_mm512_srli_epi16(c1, 4), m4);
    const __m256 dw = rows_f16((const uint8_t*)((const block_q4_0*)x + b), bx);
    for (int c = 0; c < C; c++) {
      const block_q8_0* yb = (const block_q8_0*)(y + c * by) + b;
      __m512i q = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w0, _mm512_set1_epi64(load64(yb->qs)));
      q = _mm512_dpbusd_epi32(q, w1, _mm512_set1_epi64(load64(yb->qs + 8)));
      q = _mm512_dpbusd_epi32(q, w2, _mm512_set1_epi64(load64(yb->qs + 16)));
      q = _mm512_dpbusd_epi32(q, w3, _mm512_set1_epi64(load64(yb->qs + 24)));
      const __m256i rows = _mm512_cvtepi64_epi32(_mm512_add_epi32(q, _mm512_srli_epi64(q, 32)));
      const __m256i sum = _mm256_sub_epi32(rows, _mm256_set1_epi32(8 * ysum[c * nb + b]));
      const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(_cvtsh_ss(yb->d)));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), d, acc[c]);
    }
  }
  for (int c = 0; c < C; c++) _mm256_storeu_ps(s + c * bs, acc[c]);
}

void gemm_rows8_q4_0_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t* ysum,
                            int64_t nc, float* s, size_t bs) {
  const int64_t nb = n / QK4_0;
  const uint8_t* x = (const uint8_t*)vx;
  const uint8_t* y = (const uint8_t*)vy;
  for (int64_t r = 0; r < nr; r += 8) {
    int64_t c = 0;
    for (; c + 16 <= nc; c += 16) q4_0_tile512<16>(nb, x + r * bx, bx, y + c * by, by, ysum + c * nb, s + c * bs + r, bs);
    for (; c + 8 <= nc; c += 8) q4_0_tile512<8>(nb, x + r * bx, bx, y + c * by, by, ysum + c * nb, s + c * bs + r, bs);
    for (; c + 4 <= nc; c += 4) q4_0_tile512<4>(nb, x + r * bx, bx, y + c * by, by, ysum + c * nb, s + c * bs + r, bs);
    for (; c < nc; c++) q4_0_tile512<1>(nb, x + r * bx, bx, y + c * by, by, ysum + c * nb, s + c * bs + r, bs);
  }
}

}  // namespace lg
