// AVX2 kernels in llama.cpp's tinyBLAS order for float weights in batches (quant.h; the scalar
// definition is tinyblas.cc). Same flags and run-time gate as simd_avx2.cc.
//
// Tiles of 3 rows x 3 activation rows: nine accumulators, three weight vectors widened once per
// step and each used three times, activations read straight from their f32 rows. On Zen 2 this
// measured 84 GFLOP/s on one core where tinyBLAS's own 4x3 tile with f16 activations (one more
// widening per activation vector) gave 48 and our earlier four-accumulator tiles 27.
#include <immintrin.h>
#include "quant.h"
#include "simd_avx2.h"
namespace lg {

namespace {
struct F32W { static inline __m256 load8(const uint8_t* row, int64_t i) { return _mm256_loadu_ps((const float*)row + i); } };
struct F16W {
  static inline __m256 load8(const uint8_t* row, int64_t i) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)((const uint16_t*)row + i))); }
};
struct BF16W {  // bf16 -> f32 is a 16-bit shift into the high half
  static inline __m256 load8(const uint8_t* row, int64_t i) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)((const uint16_t*)row + i))), 16));
  }
};

template <class W>
struct TileTB {
  template <int R, int C>
  struct K {
    static void run(int64_t n, const uint8_t* x, size_t bx, const uint8_t* y, size_t by, float* s, size_t bs) {
      __m256 acc[R][C];
      for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) acc[r][c] = _mm256_setzero_ps();
      for (int64_t i = 0; i < n; i += 8) {
        __m256 w[R];
        for (int r = 0; r < R; r++) w[r] = W::load8(x + r * bx, i);
        for (int c = 0; c < C; c++) {
          const __m256 a = _mm256_loadu_ps((const float*)(y + c * by) + i);
          for (int r = 0; r < R; r++) acc[r][c] = _mm256_fmadd_ps(w[r], a, acc[r][c]);
        }
      }
      for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) s[c * bs + r] = hsum_ps(acc[r][c]);
    }
  };
};
template <int R, int C> using TileF32 = TileTB<F32W>::K<R, C>;
template <int R, int C> using TileF16 = TileTB<F16W>::K<R, C>;
template <int R, int C> using TileBF16 = TileTB<BF16W>::K<R, C>;
}  // namespace

void gemm_tinyblas_f32_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  gemm_drive<3, 3, TileF32>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}
void gemm_tinyblas_f16_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  gemm_drive<3, 3, TileF16>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}
void gemm_tinyblas_bf16_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  gemm_drive<3, 3, TileBF16>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}

}  // namespace lg
