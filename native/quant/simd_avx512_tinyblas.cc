// AVX-512 kernels in llama.cpp's tinyBLAS order for float weights in batches: what its AVX-512 builds
// compute (tinyBLAS<16, __m512, ...>): per output one 16-lane float accumulator,
// acc = fma(w[i..i+16], a[i..i+16], acc) for i = 0, 16, 32, ..., then _mm512_reduce_add_ps. It applies
// where the rows come in fours and n in sixteens (quant_tinyblas_step). BF16 on CPUs with AVX512_BF16
// takes vdpbf16ps instead (simd_avx512_bf16.cc). y holds the activations rounded to the type's
// vec_dot_type and widened back to f32, as for the AVX2 kernels (quant.h).
//
// Tiles of 4 weight rows x 4 activation rows: sixteen accumulators and four weight vectors of the
// 32 registers, each weight vector widened once per step and used four times.
#include <algorithm>
#include "simd_avx512.h"
#include "tile_drive.h"
namespace lg {

namespace {
struct F32W { static inline __m512 load16(const uint8_t* row, int64_t i) { return _mm512_loadu_ps((const float*)row + i); } };
struct F16W {
  static inline __m512 load16(const uint8_t* row, int64_t i) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)((const uint16_t*)row + i))); }
};
struct BF16W {  // bf16 -> f32 is a 16-bit shift into the high half
  static inline __m512 load16(const uint8_t* row, int64_t i) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)((const uint16_t*)row + i))), 16));
  }
};

template <class W>
struct TileTB16 {
  template <int R, int C>
  struct K {
    static void run(int64_t n, const uint8_t* x, size_t bx, const uint8_t* y, size_t by, float* s, size_t bs) {
      __m512 acc[R][C];
      for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_ps();
      for (int64_t i = 0; i < n; i += 16) {
        __m512 w[R];
        for (int r = 0; r < R; r++) w[r] = W::load16(x + r * bx, i);
        for (int c = 0; c < C; c++) {
          const __m512 a = _mm512_loadu_ps((const float*)(y + c * by) + i);
          for (int r = 0; r < R; r++) acc[r][c] = _mm512_fmadd_ps(w[r], a, acc[r][c]);
        }
      }
      for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) s[c * bs + r] = _mm512_reduce_add_ps(acc[r][c]);
    }
  };
};
template <int R, int C> using TileF32 = TileTB16<F32W>::K<R, C>;
template <int R, int C> using TileF16 = TileTB16<F16W>::K<R, C>;
template <int R, int C> using TileBF16 = TileTB16<BF16W>::K<R, C>;

#ifndef LG_SIMDE_EMULATE
// Short f16 rows (attention's keys against a block of queries: head_dim of one to sixteen steps)
// in the same order: each output one accumulator over the steps. With so few steps the reduction
// cost more than the products in the 4 x 4 tiles (one _mm512_reduce_add_ps per output); here
// sixteen rows' reductions go at once (reduce_add_x16, the same tree), each key row is widened once
// for up to C columns, and the columns stay widened in registers (S x C of them, at most 16).
template <int S, int C>
static void f16_short_tb_cols(const uint8_t* x, size_t bx, int64_t nr, const float* const* y, float* const* out) {
  __m512 q[C][S];
  for (int c = 0; c < C; c++)
    for (int i = 0; i < S; i++) q[c][i] = _mm512_loadu_ps(y[c] + 16 * i);
  auto widen = [&](const uint8_t* row, __m512 (&w)[S]) __attribute__((always_inline)) {
    for (int i = 0; i < S; i++) w[i] = F16W::load16(row, 16 * i);
  };
  auto chain = [&](const __m512 (&w)[S], int c) __attribute__((always_inline)) {
    __m512 a = _mm512_setzero_ps();
    for (int i = 0; i < S; i++) a = _mm512_fmadd_ps(w[i], q[c][i], a);
    return a;
  };
  int64_t r = 0;
  for (; r + 16 <= nr; r += 16) {
    __m512 f[C][16];
    for (int k = 0; k < 16; k++) {
      __m512 w[S];
      widen(x + (r + k) * bx, w);
      for (int c = 0; c < C; c++) f[c][k] = chain(w, c);
    }
    for (int c = 0; c < C; c++) _mm512_storeu_ps(out[c] + r, reduce_add_x16(f[c]));
  }
  for (; r < nr; r++) {
    __m512 w[S];
    widen(x + r * bx, w);
    for (int c = 0; c < C; c++) out[c][r] = _mm512_reduce_add_ps(chain(w, c));
  }
}

template <int S>
static void f16_short_tb_steps(const uint8_t* x, size_t bx, int64_t nr, const uint8_t* y, size_t by, int64_t nc, float* s, size_t bs) {
  constexpr int C = S >= 16 ? 1 : S >= 8 ? 2 : 4;
  for (int64_t c0 = 0; c0 < nc; c0 += C) {
    const float* ys[C];
    float* outs[C];
    const int n = (int)std::min<int64_t>(C, nc - c0);
    for (int c = 0; c < n; c++) ys[c] = (const float*)(y + (c0 + c) * by), outs[c] = s + (c0 + c) * bs;
    if (n == C) f16_short_tb_cols<S, C>(x, bx, nr, ys, outs);
    else
      for (int c = 0; c < n; c++) f16_short_tb_cols<S, 1>(x, bx, nr, ys + c, outs + c);
  }
}

// False where n is not one of the short lengths (the 4 x 4 tiles take those).
static bool f16_short_tb(int64_t n, const uint8_t* x, size_t bx, int64_t nr, const uint8_t* y, size_t by, int64_t nc, float* s, size_t bs) {
  switch (n) {
    case 16: f16_short_tb_steps<1>(x, bx, nr, y, by, nc, s, bs); return true;
    case 32: f16_short_tb_steps<2>(x, bx, nr, y, by, nc, s, bs); return true;
    case 64: f16_short_tb_steps<4>(x, bx, nr, y, by, nc, s, bs); return true;
    case 128: f16_short_tb_steps<8>(x, bx, nr, y, by, nc, s, bs); return true;
    case 256: f16_short_tb_steps<16>(x, bx, nr, y, by, nc, s, bs); return true;
    default: return false;
  }
}
#endif
}  // namespace

void LG_AVX512_NAME(gemm_tinyblas_f32)(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  gemm_drive<4, 4, TileF32>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}
void LG_AVX512_NAME(gemm_tinyblas_f16)(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
#ifndef LG_SIMDE_EMULATE
  if (f16_short_tb(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs)) return;
#endif
  gemm_drive<4, 4, TileF16>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}
void LG_AVX512_NAME(gemm_tinyblas_bf16)(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
#ifndef LG_SIMDE_EMULATE
  static const bool dpbf16 = cpu_features().avx512bf16;
  if (dpbf16) return gemm_tinyblas_bf16_avx512bf16(n, x, bx, nr, y, by, nc, s, bs);
#endif
  gemm_drive<4, 4, TileBF16>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}

}  // namespace lg
