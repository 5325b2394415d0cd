// AVX2 kernels of the 32-element block types that are not hot enough to live in simd_avx2.cc: Q4_1 and
// Q5_1 x Q8_1, Q5_0 x Q8_0, and the Q8_1 activation quantiser. Same flags and run-time gate as simd_avx2.cc.
//
// Numerics follow ggml's x86 AVX2 dot products (ggml-cpu/arch/x86/quants.c as built by GCC, which is
// what llama.cpp decodes with on this kind of CPU): ONE 8-lane accumulator per output updated with an
// FMA per block, lane k holding bytes 4k..4k+3 of the block, reduced by hsum_ps; Q4_1's and Q5_1's
// min term a scalar FMA chain added at the end. The tiled kernels keep exactly that per output.
#include <cstring>
#include "quant.h"
#include "../runtime/fp16.h"
#include "simd_avx2.h"
namespace lg {

namespace {
// The types with a min (x = q*d + m) against Q8_1: a block's 32 values as unsigned bytes. ggml's
// loops for Q4_1 and Q5_1 differ only there.
struct Q41Values {
  using block = block_q4_1;
  static __m256i of(const block_q4_1* b) { return bytes_from_nibbles_32(b->qs); }
};
struct Q51Values {
  using block = block_q5_1;
  static __m256i of(const block_q5_1* b) { return q5_1_values(b); }
};

template <class V>
float vec_dot_min_avx2(int64_t n, const void* vx, const void* vy) {
  const typename V::block* x = (const typename V::block*)vx;
  const block_q8_1* y = (const block_q8_1*)vy;
  __m256 acc = _mm256_setzero_ps();
  float summs = 0.0f;
  for (int64_t i = 0; i < n / QK8_0; i++) {
    summs = fmadd_ss(_cvtsh_ss(x[i].m), _cvtsh_ss(y[i].s), summs);
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(x[i].d) * _cvtsh_ss(y[i].d));
    const __m256i qy = _mm256_loadu_si256((const __m256i*)y[i].qs);
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_us8_i32(V::of(x + i), qy)), acc);
  }
  return hsum_ps(acc) + summs;
}
}  // namespace

float vec_dot_q4_1_avx2(int64_t n, const void* vx, const void* vy) { return vec_dot_min_avx2<Q41Values>(n, vx, vy); }
float vec_dot_q5_1_avx2(int64_t n, const void* vx, const void* vy) { return vec_dot_min_avx2<Q51Values>(n, vx, vy); }

float vec_dot_q5_0_avx2(int64_t n, const void* vx, const void* vy) {
  const block_q5_0* x = (const block_q5_0*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / QK5_0; i++) {
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(x[i].d) * _cvtsh_ss(y[i].d));
    const __m256i qy = _mm256_loadu_si256((const __m256i*)y[i].qs);
    acc = _mm256_fmadd_ps(d, mul_sum_i8_pairs_float(q5_0_values(x + i), qy), acc);
  }
  return hsum_ps(acc);
}

// ---- tiled kernels: each decoded weight block serves C tokens, each activation block R rows ----

template <class V, int R, int C>
struct TileMin {
  static void run(int64_t n, const uint8_t* x, size_t bx, const uint8_t* y, size_t by, float* s, size_t bs) {
    __m256 acc[R][C];
    float summs[R][C];
    for (int r = 0; r < R; r++)
      for (int c = 0; c < C; c++) acc[r][c] = _mm256_setzero_ps(), summs[r][c] = 0.0f;
    for (int64_t i = 0; i < n / QK8_0; i++) {
      __m256i qy[C];
      float dy[C], sy[C];
      for (int c = 0; c < C; c++) {
        const block_q8_1* b = (const block_q8_1*)(y + c * by) + i;
        qy[c] = _mm256_loadu_si256((const __m256i*)b->qs);
        dy[c] = _cvtsh_ss(b->d);
        sy[c] = _cvtsh_ss(b->s);
      }
      for (int r = 0; r < R; r++) {
        const typename V::block* b = (const typename V::block*)(x + r * bx) + i;
        const __m256i qx = V::of(b);
        const float dx = _cvtsh_ss(b->d), mx = _cvtsh_ss(b->m);
        for (int c = 0; c < C; c++) {
          summs[r][c] = fmadd_ss(mx, sy[c], summs[r][c]);
          const __m256 q = _mm256_cvtepi32_ps(dot_us8_i32(qx, qy[c]));
          acc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(dx * dy[c]), q, acc[r][c]);
        }
      }
    }
    for (int r = 0; r < R; r++)
      for (int c = 0; c < C; c++) s[c * bs + r] = hsum_ps(acc[r][c]) + summs[r][c];
  }
};

template <int R, int C>
using TileQ41 = TileMin<Q41Values, R, C>;
template <int R, int C>
using TileQ51 = TileMin<Q51Values, R, C>;

// Decode in tiles of 8 rows, batches in 4 rows x 3 activation rows.
template <template <int, int> class Tile>
static void gemm_min_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) return gemm_drive<8, 1, Tile>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
  gemm_drive<4, 3, Tile>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}
void gemm_q4_1_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  gemm_min_avx2<TileQ41>(n, x, bx, nr, y, by, nc, s, bs);
}
void gemm_q5_1_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  gemm_min_avx2<TileQ51>(n, x, bx, nr, y, by, nc, s, bs);
}
void gemm_q5_0_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) return decode_q0<Q5Blk, 4>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, s);
  gemm_q0_batch<Q5Blk, 3, 2>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}

// ---- Q8_1 activations ----

// ggml's x86 quantize_row_q8_1, byte-identical to the scalar quantize_row_q8_1: amax is exact (max
// is order-free), the multiplier is 127/amax as there, products round to nearest even, |q| <= 127
// so the packs never saturate, and the integer sum is exact.
void quantize_row_q8_1_avx2(const float* x, void* vy, int64_t n) {
  block_q8_1* y = (block_q8_1*)vy;
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const int rnd = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
    __m256 v[4];
    for (int k = 0; k < 4; k++) v[k] = _mm256_loadu_ps(x + 8 * k);
    const __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v[0]), _mm256_andnot_ps(sign, v[1])),
                                   _mm256_max_ps(_mm256_andnot_ps(sign, v[2]), _mm256_andnot_ps(sign, v[3])));
    __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    const float d = amax / 127.0f;
    const __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    __m256i q[4];
    for (int k = 0; k < 4; k++) q[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[k], id), rnd));
    const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    s4 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 1));
    y[i].d = fp32_to_fp16(d);
    y[i].s = fp32_to_fp16(d * (float)_mm_cvtsi128_si32(s4));
    // packs work per 128-bit half: 0-3 8-11 16-19 24-27 | 4-7 12-15 20-23 28-31; the permute restores order
    const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    _mm256_storeu_si256((__m256i*)y[i].qs, _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
  }
}

}  // namespace lg
