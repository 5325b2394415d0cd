// BF16 products with vdpbf16ps (AVX512_BF16): what llama.cpp's variants for such CPUs (zen4,
// cooperlake, sapphirerapids) compute, and its AVX-512 BF16 kernels call these only on such CPUs
// (simd_avx512.cc, simd_avx512_tinyblas.cc). Compiled with -mavx512bf16 on top of the AVX-512 flags.
//
// vdpbf16ps, per 32-bit lane: acc += a[2i+1] * b[2i+1], rounded, then acc += a[2i] * b[2i], rounded
// (the products of two bf16 values are exact in float), denormal inputs and results flushed to zero.
// That is the instruction's definition, and measured so on Zen 5: bf16_dot_lane in the tests.
#include "simd_avx512.h"
#include "tile_drive.h"
namespace lg {

// ggml_vec_dot_bf16 (AVX512BF16): two accumulators over 64-value steps, each reduced and added in
// double, the leftover values as float products in double. Here for R rows (x + k xs) with one
// activation row, their steps interleaved: out[k] = row k's. Decode takes R = 4 to read four long
// streams (gemm_bf16_avx512), with the hardware prefetcher alone, as F16's: on a Zen 4 host the
// software prefetch cost 500M BF16 decode ~15% (1.17x / 1.08x without it, one / two threads).
template <int R>
static inline void dot_bf16_rows(int64_t n, const uint8_t* x, int64_t xs, const uint16_t* y, float* out) {
  __m512 c[R][2];
  for (int k = 0; k < R; k++) c[k][0] = c[k][1] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512bh y0 = (__m512bh)_mm512_loadu_si512((const void*)(y + i)), y1 = (__m512bh)_mm512_loadu_si512((const void*)(y + i + 32));
    for (int k = 0; k < R; k++) {
      const uint16_t* w = (const uint16_t*)(x + k * xs) + i;
      c[k][0] = _mm512_dpbf16_ps(c[k][0], (__m512bh)_mm512_loadu_si512((const void*)w), y0);
      c[k][1] = _mm512_dpbf16_ps(c[k][1], (__m512bh)_mm512_loadu_si512((const void*)(w + 32)), y1);
    }
  }
  for (int k = 0; k < R; k++) {
    const uint16_t* w = (const uint16_t*)(x + k * xs);
    double s = (double)_mm512_reduce_add_ps(c[k][0]);
    s += (double)_mm512_reduce_add_ps(c[k][1]);
    for (int64_t j = i; j < n; j++) s += (double)(bf16_to_fp32(w[j]) * bf16_to_fp32(y[j]));
    out[k] = (float)s;
  }
}

float vec_dot_bf16_avx512bf16(int64_t n, const void* vx, const void* vy) {
  float s;
  dot_bf16_rows<1>(n, (const uint8_t*)vx, 0, (const uint16_t*)vy, &s);
  return s;
}

void dot_bf16_x4_avx512bf16(int64_t n, const uint8_t* x, int64_t xs, const void* y, float* out) {
  dot_bf16_rows<4>(n, x, xs, (const uint16_t*)y, out);
}

namespace {
// tinyBLAS<32, __m512, __m512bh, ...>: per output one accumulator, acc = dpbf16(acc, w[i..i+32],
// a[i..i+32]) for i = 0, 32, ..., then _mm512_reduce_add_ps. The activations arrive widened to f32
// (bf16 values, so narrowing them again is exact).
template <int R, int C>
struct TileDp {
  static void run(int64_t n, const uint8_t* x, size_t bx, const uint8_t* y, size_t by, float* s, size_t bs) {
    __m512 acc[R][C];
    for (int r = 0; r < R; r++)
      for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 32) {
      __m512bh w[R];
      for (int r = 0; r < R; r++) w[r] = (__m512bh)_mm512_loadu_si512((const void*)((const uint16_t*)(x + r * bx) + i));
      for (int c = 0; c < C; c++) {
        const float* a = (const float*)(y + c * by) + i;
        const __m512bh ab = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(a + 16), _mm512_loadu_ps(a));
        for (int r = 0; r < R; r++) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], w[r], ab);
      }
    }
    for (int r = 0; r < R; r++)
      for (int c = 0; c < C; c++) s[c * bs + r] = _mm512_reduce_add_ps(acc[r][c]);
  }
};
}  // namespace

void gemm_tinyblas_bf16_avx512bf16(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  gemm_drive<4, 4, TileDp>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}

}  // namespace lg
