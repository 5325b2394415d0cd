// AVX2 kernels of the 32-element block types that are not hot enough to live in simd_avx2.cc: Q4_1 x
// Q8_1 and Q5_0 x Q8_0. Same flags and run-time gate as simd_avx2.cc.
//
// Numerics follow ggml's x86 AVX2 dot products (ggml-cpu/arch/x86/quants.c as built by GCC, which is
// what llama.cpp decodes with on this kind of CPU): ONE 8-lane accumulator per output updated with an
// FMA per block, lane k holding bytes 4k..4k+3 of the block, reduced by hsum_ps; Q4_1's min term a
// scalar FMA chain added at the end. The tiled kernels keep exactly that per output.
#include <cstring>
#include "quant.h"
#include "../runtime/fp16.h"
#include "simd_avx2.h"
namespace lg {

// Bit j of the 32-bit little-endian word at p -> byte j: 0xFF where set, 0 where clear.
static inline __m256i bytes_from_bits_32(const uint8_t* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32((int)w), _mm256_setr_epi64x(0, 0x0101010101010101LL, 0x0202020202020202LL, 0x0303030303030303LL));
  const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}
// Q5_0's 32 values as int8 in [-16, 15]: a clear 5th bit means the nibble minus 16, i.e. 0xF0 | nibble.
static inline __m256i q5_0_values(const block_q5_0* b) {
  const __m256i hi = _mm256_andnot_si256(bytes_from_bits_32(b->qh), _mm256_set1_epi8((char)0xF0));
  return _mm256_or_si256(bytes_from_nibbles_32(b->qs), hi);
}

float vec_dot_q4_1_avx2(int64_t n, const void* vx, const void* vy) {
  const block_q4_1* x = (const block_q4_1*)vx;
  const block_q8_1* y = (const block_q8_1*)vy;
  __m256 acc = _mm256_setzero_ps();
  float summs = 0.0f;
  for (int64_t i = 0; i < n / QK4_1; i++) {
    summs = fmadd_ss(_cvtsh_ss(x[i].m), _cvtsh_ss(y[i].s), summs);
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(x[i].d) * _cvtsh_ss(y[i].d));
    const __m256i qy = _mm256_loadu_si256((const __m256i*)y[i].qs);
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_us8_i32(bytes_from_nibbles_32(x[i].qs), qy)), acc);
  }
  return hsum_ps(acc) + summs;
}

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

template <int R, int C>
struct TileQ41 {
  static void run(int64_t n, const uint8_t* x, size_t bx, const uint8_t* y, size_t by, float* s, size_t bs) {
    __m256 acc[R][C];
    float summs[R][C];
    for (int r = 0; r < R; r++)
      for (int c = 0; c < C; c++) acc[r][c] = _mm256_setzero_ps(), summs[r][c] = 0.0f;
    for (int64_t i = 0; i < n / QK4_1; i++) {
      __m256i qy[C];
      float dy[C], sy[C];
      for (int c = 0; c < C; c++) {
        const block_q8_1* b = (const block_q8_1*)(y + c * by) + i;
        qy[c] = _mm256_loadu_si256((const __m256i*)b->qs);
        dy[c] = _cvtsh_ss(b->d);
        sy[c] = _cvtsh_ss(b->s);
      }
      for (int r = 0; r < R; r++) {
        const block_q4_1* b = (const block_q4_1*)(x + r * bx) + i;
        const __m256i qx = bytes_from_nibbles_32(b->qs);
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
struct TileQ50 {
  static void run(int64_t n, const uint8_t* x, size_t bx, const uint8_t* y, size_t by, float* s, size_t bs) {
    __m256 acc[R][C];
    for (int r = 0; r < R; r++)
      for (int c = 0; c < C; c++) acc[r][c] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK5_0; i++) {
      __m256i qy[C];
      float dy[C];
      for (int c = 0; c < C; c++) {
        const block_q8_0* b = (const block_q8_0*)(y + c * by) + i;
        qy[c] = _mm256_loadu_si256((const __m256i*)b->qs);
        dy[c] = _cvtsh_ss(b->d);
      }
      for (int r = 0; r < R; r++) {
        const block_q5_0* b = (const block_q5_0*)(x + r * bx) + i;
        const __m256i qx = q5_0_values(b);
        const __m256i ax = _mm256_sign_epi8(qx, qx);
        const float dx = _cvtsh_ss(b->d);
        for (int c = 0; c < C; c++) {
          const __m256 q = _mm256_cvtepi32_ps(dot_us8_i32(ax, _mm256_sign_epi8(qy[c], qx)));
          acc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(dx * dy[c]), q, acc[r][c]);
        }
      }
    }
    for (int r = 0; r < R; r++)
      for (int c = 0; c < C; c++) s[c * bs + r] = hsum_ps(acc[r][c]);
  }
};

void gemm_q4_1_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) return gemm_drive<4, 1, TileQ41>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
  gemm_drive<2, 2, TileQ41>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}
void gemm_q5_0_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) return gemm_drive<4, 1, TileQ50>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
  gemm_drive<2, 2, TileQ50>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}

}  // namespace lg
