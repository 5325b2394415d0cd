// AVX2 dot products of IQ4_NL (against Q8_0) and IQ4_XS (against Q8_K) in ggml's AVX2 order, which
// llama.cpp's AVX-512 builds run too: the levels looked up by pshufb, products summed exactly into
// eight int32 lanes (lane k: values 4k..4k+3 of each 32), then float steps as ggml takes them.
// Batches take llama.cpp's batch arithmetic: for IQ4_NL (rows not in eights; those take the
// rows-of-8 kernels, as llama.cpp repacks them) tinyBLAS's from two activation rows on, for IQ4_XS
// (rows in eights) its IQ panel's from eight on.
#include <immintrin.h>
#include "quant.h"
#include "simd_avx2.h"
#include "iq4_panel.h"
namespace lg {
namespace {
// 32 values of a 16-byte nibble block as signed levels (low nibbles in bytes 0..15, high in 16..31).
inline __m256i iq4_levels(const uint8_t* qs) {
  const __m256i lut = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)kIq4Values));
  return _mm256_shuffle_epi8(lut, bytes_from_nibbles_32(qs));
}
// Signed levels times signed activations, int16 pair sums (|level| <= 127, |a| <= 127: no saturation).
inline __m256i iq4_pairs(__m256i v, const int8_t* a) {
  return _mm256_maddubs_epi16(_mm256_sign_epi8(v, v), _mm256_sign_epi8(_mm256_loadu_si256((const __m256i*)a), v));
}
}  // namespace

// Blocks in pairs, even and odd into two accumulators added before the reduction; an odd last
// block joins the reduced sum by one scalar fma (ggml's scalar tail, contracted on FMA builds).
float vec_dot_iq4_nl_avx2(int64_t n, const void* vx, const void* vy) {
  const block_iq4_nl* x = (const block_iq4_nl*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  const int64_t nb = n / QK4_0;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    for (int k = 0; k < 2; k++) {
      const __m256i p = _mm256_madd_epi16(iq4_pairs(iq4_levels(x[i + k].qs), y[i + k].qs), ones);
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(y[i + k].d) * _cvtsh_ss(x[i + k].d)), _mm256_cvtepi32_ps(p), acc[k]);
    }
  }
  float sumf = hsum_ps(_mm256_add_ps(acc[0], acc[1]));
  for (; i < nb; i++) {
    int sumi = 0;
    for (int j = 0; j < QK4_0 / 2; j++)
      sumi += y[i].qs[j] * kIq4Values[x[i].qs[j] & 0x0F] + y[i].qs[j + QK4_0 / 2] * kIq4Values[x[i].qs[j] >> 4];
    sumf = fmadd_ss(_cvtsh_ss(y[i].d) * _cvtsh_ss(x[i].d), (float)sumi, sumf);
  }
  return sumf;
}

// A super-block's eight sub-blocks summed as integers (each pair sum times its six-bit scale), one
// fma per super-block.
float vec_dot_iq4_xs_avx2(int64_t n, const void* vx, const void* vy) {
  const block_iq4_xs* x = (const block_iq4_xs*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  const int64_t nb = n / QK_K;
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; i++) {
    __m256i sumi = _mm256_setzero_si256();
    for (int ib = 0; ib < QK_K / 32; ib++) {
      const int ls = iq4_xs_scale(x[i], ib) - 32;
      const __m256i p16 = iq4_pairs(iq4_levels(x[i].qs + 16 * ib), y[i].qs + 32 * ib);
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p16, _mm256_set1_epi16((int16_t)ls)));
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(x[i].d) * y[i].d), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum_ps(acc);
}
// Plain IQ4_NL against a batch: llamafile's tinyBLAS (which declines a single activation row)
// keeps one vector accumulator per output over all blocks, then one reduction.
void gemm_iq4_nl_avx2(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, int64_t nc, float* s,
                      size_t bs) {
  const int64_t nb = n / QK4_0;
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t r = 0; r < nr; r++) {
    const block_iq4_nl* x = (const block_iq4_nl*)((const uint8_t*)vx + r * bx);
    if (nc == 1) {
      s[r] = vec_dot_iq4_nl_avx2(n, x, vy);
      continue;
    }
    for (int64_t c = 0; c < nc; c++) {
      const block_q8_0* y = (const block_q8_0*)((const uint8_t*)vy + c * by);
      __m256 acc = _mm256_setzero_ps();
      for (int64_t i = 0; i < nb; i++) {
        const __m256i p = _mm256_madd_epi16(iq4_pairs(iq4_levels(x[i].qs), y[i].qs), ones);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(x[i].d) * _cvtsh_ss(y[i].d)), _mm256_cvtepi32_ps(p), acc);
      }
      s[c * bs + r] = hsum_ps(acc);
    }
  }
}

// IQ4_XS rows in eights: fewer than eight activation rows take llama.cpp's dot product per
// output, more its IQ panel (iq4_panel.h, the sign-trick products of its haswell build).
void gemm_rows8_iq4_xs_avx2(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t*,
                            int64_t nc, float* s, size_t bs) {
  if (nc >= kIq4PanelBatch) return iq4_panel::gemm<iq4_panel::SignedDot>(n, (const uint8_t*)vx, bx, nr, (const uint8_t*)vy, by, nc, s, bs);
  for (int64_t r = 0; r < nr; r++)
    for (int64_t c = 0; c < nc; c++) s[c * bs + r] = vec_dot_iq4_xs_avx2(n, (const uint8_t*)vx + r * bx, (const uint8_t*)vy + c * by);
}
}  // namespace lg
