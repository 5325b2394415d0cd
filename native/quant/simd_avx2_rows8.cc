// AVX2 rows-of-8 kernels (quant.h): eight weight rows at a time, one output per float lane, so each
// output keeps the single accumulator llama.cpp's repacked kernels keep, computed from the mmap'd
// row-major layout. The rows are transposed into 8-byte chunks, four rows per vector, against a
// broadcast activation chunk, so eight rows' sums reach their lanes with one hadd per column (a
// transposing hadd tree per row vector cost more than the dot products: on AMD cores a hadd is
// four uops). Q4_0 / IQ4_NL decode is the exception (b32_gemv_lanes): with one column there is no
// transposed block to reuse, and two rows per vector as loaded with a short hadd tree cost less.
#include <immintrin.h>
#include <cstring>
#include "quant.h"
#include "simd_avx2.h"
#include "kquant_common.h"
#include "tile_drive.h"
namespace lg {

// Two quads' int32 lanes (r0 r0 r1 r1 | r2 r2 r3 r3), (r4 .. r7 likewise) -> one vector, lane r = row r.
static inline __m256i quads_to_rows(const __m256i& q0, const __m256i& q1) {
  return _mm256_permute4x64_epi64(_mm256_hadd_epi32(q0, q1), 0xD8);  // (r0 r1 r4 r5 | r2 r3 r6 r7) -> in order
}

// An 8-row x C-column tile of 32-value nibble blocks: Q4_0 (levels q - 8) or, with NL, IQ4_NL
// (levels kIq4Values[q], the same block layout; llama.cpp runs one template over both). The rows go
// in quads of 8-byte chunks (vector k of quad g = chunk k of rows 4g..4g+3), so a broadcast
// activation chunk meets four rows at once and the eight rows' sums come out in lanes after one
// hadd: a transposing hadd tree per column costs more on AMD cores (four uops per hadd) than the
// dot products themselves. Q4_0 multiplies the unsigned nibbles and takes 8 * the activations' sum
// off; IQ4_NL's levels reach +-127, so its products take the sign trick and widen per chunk (two
// int16 pair sums could overflow).
template <int C, bool NL>
static inline void b32_tile(int64_t nb, const uint8_t* x, size_t bx, const uint8_t* y, size_t by, const int32_t* ysum,
                            float* s, size_t bs) {
  static_assert(sizeof(block_q4_0) == sizeof(block_iq4_nl), "one layout");
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i lut = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)kIq4Values));
  __m256 acc[C];
  for (int c = 0; c < C; c++) acc[c] = _mm256_setzero_ps();
  PrefetchShare pf(x + 8 * bx, 8 * bx, nb);  // the next eight rows (simd_avx2.h)
  for (int64_t b = 0; b < nb; b++) {
    pf.step();
    __m256i w[2][4];  // quad g: low nibbles of chunks 0, 1 (values 0-7, 8-15), high nibbles (16-23, 24-31)
    for (int g = 0; g < 2; g++) {
      __m128i raw[4];
      for (int r = 0; r < 4; r++) raw[r] = _mm_loadu_si128((const __m128i*)((const block_q4_0*)(x + (4 * g + r) * bx) + b)->qs);
      const __m256i c0 = _mm256_set_m128i(_mm_unpacklo_epi64(raw[2], raw[3]), _mm_unpacklo_epi64(raw[0], raw[1]));
      const __m256i c1 = _mm256_set_m128i(_mm_unpackhi_epi64(raw[2], raw[3]), _mm_unpackhi_epi64(raw[0], raw[1]));
      w[g][0] = _mm256_and_si256(c0, m4);
      w[g][1] = _mm256_and_si256(c1, m4);
      w[g][2] = _mm256_and_si256(_mm256_srli_epi16(c0, 4), m4);
      w[g][3] = _mm256_and_si256(_mm256_srli_epi16(c1, 4), m4);
      if constexpr (NL)
        for (int k = 0; k < 4; k++) w[g][k] = _mm256_shuffle_epi8(lut, w[g][k]);
    }
    const __m256 dw = rows_f16((const uint8_t*)((const block_q4_0*)x + b), bx);
    for (int c = 0; c < C; c++) {
      const block_q8_0* yb = (const block_q8_0*)(y + c * by) + b;
      __m256i a[4];
      for (int k = 0; k < 4; k++) a[k] = _mm256_set1_epi64x(load64(yb->qs + 8 * k));
      __m256i quad[2];
      for (int g = 0; g < 2; g++) {
        if constexpr (NL) {
          __m256i q = _mm256_setzero_si256();
          for (int k = 0; k < 4; k++)
            q = _mm256_add_epi32(q, dot_us8_i32(_mm256_sign_epi8(w[g][k], w[g][k]), _mm256_sign_epi8(a[k], w[g][k])));
          quad[g] = q;
        } else {
          const __m256i s01 = _mm256_add_epi16(_mm256_maddubs_epi16(w[g][0], a[0]), _mm256_maddubs_epi16(w[g][1], a[1]));
          const __m256i s23 = _mm256_add_epi16(_mm256_maddubs_epi16(w[g][2], a[2]), _mm256_maddubs_epi16(w[g][3], a[3]));
          quad[g] = _mm256_madd_epi16(_mm256_add_epi16(s01, s23), ones);
        }
      }
      __m256i sum = quads_to_rows(quad[0], quad[1]);
      if constexpr (!NL) sum = _mm256_sub_epi32(sum, _mm256_set1_epi32(8 * ysum[c * nb + b]));
      const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(_cvtsh_ss(yb->d)));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), d, acc[c]);
    }
  }
  for (int c = 0; c < C; c++) _mm256_storeu_ps(s + c * bs, acc[c]);
}

// Decode, 8 rows x 1 column: b32_tile<1, NL>'s integers and float steps from another layout. A
// vector holds one block of rows g and g + 4 (a 128-bit lane each, as loaded), so the rows take no
// transposing unpacks. Q4_0's int16 sums, eight a row, reach row order by three word hadds
// (|16 products| <= 30720 fits int16) and one madd; IQ4_NL's levels reach +-127, so its sign-trick
// products widen to int32 first (four a row) and take dword hadds. On Zen 4 with AVX2 forced the
// transposition's shuffles had bound the kernel (bench/native-notes.md section 23).
template <bool NL>
static inline void b32_gemv_lanes(int64_t nb, const uint8_t* x, size_t bx, const uint8_t* y, const int32_t* ysum, float* s,
                                  bool prefetch = true) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i lut = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)kIq4Values));
  __m256 acc = _mm256_setzero_ps();
  PrefetchShare pf(x + 8 * bx, prefetch ? 8 * bx : 0, nb);  // the next eight rows (simd_avx2.h)
  for (int64_t b = 0; b < nb; b++) {
    pf.step();
    const block_q8_0* yb = (const block_q8_0*)y + b;
    const __m256i alo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)yb->qs));
    const __m256i ahi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)(yb->qs + 16)));
    // IQ4_NL's sign trick moves the activations' signs onto the levels, so |a| is taken once a block
    // rather than |w| once a row: |a| <= 128 and |w| <= 127 keep maddubs's pair sums exact.
    const __m256i ulo = _mm256_sign_epi8(alo, alo), uhi = _mm256_sign_epi8(ahi, ahi);
    __m256i sg[4];  // row g's sums in the low lane, row g + 4's in the high one
    for (int g = 0; g < 4; g++) {
      auto qs = [&](int r) { return _mm_loadu_si128((const __m128i*)((const block_q4_0*)(x + r * bx) + b)->qs); };
      const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(qs(g)), qs(g + 4), 1);
      const __m256i lo = _mm256_and_si256(v, m4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
      if constexpr (NL) {
        const __m256i wl = _mm256_shuffle_epi8(lut, lo), wh = _mm256_shuffle_epi8(lut, hi);
        sg[g] = _mm256_add_epi32(dot_us8_i32(ulo, _mm256_sign_epi8(wl, alo)), dot_us8_i32(uhi, _mm256_sign_epi8(wh, ahi)));
      } else {
        sg[g] = _mm256_add_epi16(_mm256_maddubs_epi16(lo, alo), _mm256_maddubs_epi16(hi, ahi));
      }
    }
    // (0 1 | 4 5), (2 3 | 6 7) -> (0 1 2 3 | 4 5 6 7)
    __m256i sum;
    if constexpr (NL) {
      sum = _mm256_hadd_epi32(_mm256_hadd_epi32(sg[0], sg[1]), _mm256_hadd_epi32(sg[2], sg[3]));
    } else {
      const __m256i h = _mm256_hadd_epi16(_mm256_hadd_epi16(sg[0], sg[1]), _mm256_hadd_epi16(sg[2], sg[3]));
      sum = _mm256_sub_epi32(_mm256_madd_epi16(h, ones), _mm256_set1_epi32(8 * ysum[b]));
    }
    const __m256 dw = rows_f16((const uint8_t*)((const block_q4_0*)x + b), bx);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(dw, _mm256_set1_ps(_cvtsh_ss(yb->d))), acc);
  }
  _mm256_storeu_ps(s, acc);
}

template <bool NL>
static void gemm_rows8_b32_avx2(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t* ysum,
                                int64_t nc, float* s, size_t bs) {
  const int64_t nb = n / QK4_0;
  const uint8_t* x = (const uint8_t*)vx;
  const uint8_t* y = (const uint8_t*)vy;
  if (nc == 1) {
    // Decode: eight streams of rows where each runs 16 KiB or more (tile_drive.h), as Q4_K's. Once
    // the tile lost its transposition they paid: 500M Q4_0 with AVX2 forced on Zen 4 1.08x at one
    // and at two threads; a software prefetch ahead in them 0.95-0.99x (native-notes section 23).
    return decode_rows8(x, bx, nr, s, [&](const uint8_t* rows, size_t rs, float* out, bool prefetch) __attribute__((always_inline)) {
      b32_gemv_lanes<NL>(nb, rows, rs, y, ysum, out, prefetch);
    });
  }
  drive_rows8(nr, nc, nc, [&](auto cols, int64_t r, int64_t c) {
    constexpr int C = decltype(cols)::value;
    if constexpr (C == 1) b32_gemv_lanes<NL>(nb, x + r * bx, bx, y + c * by, NL ? nullptr : ysum + c * nb, s + c * bs + r);
    else b32_tile<C, NL>(nb, x + r * bx, bx, y + c * by, by, NL ? nullptr : ysum + c * nb, s + c * bs + r, bs);
  });
}

void gemm_rows8_q4_0_avx2(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t* ysum,
                          int64_t nc, float* s, size_t bs) {
  gemm_rows8_b32_avx2<false>(n, vx, bx, nr, vy, by, ysum, nc, s, bs);
}

void gemm_rows8_iq4_nl_avx2(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t* ysum,
                            int64_t nc, float* s, size_t bs) {
  gemm_rows8_b32_avx2<true>(n, vx, bx, nr, vy, by, ysum, nc, s, bs);
}

// Four rows' 32-byte vectors -> four vectors of 8-byte chunks: out[k] = chunk k of rows 0, 1, 2, 3.
static inline void transpose_chunks4(const __m256i* v, __m256i* out) {
  const __m256i t0 = _mm256_unpacklo_epi64(v[0], v[1]), t1 = _mm256_unpackhi_epi64(v[0], v[1]);
  const __m256i t2 = _mm256_unpacklo_epi64(v[2], v[3]), t3 = _mm256_unpackhi_epi64(v[2], v[3]);
  out[0] = _mm256_permute2x128_si256(t0, t2, 0x20);
  out[1] = _mm256_permute2x128_si256(t1, t3, 0x20);
  out[2] = _mm256_permute2x128_si256(t0, t2, 0x31);
  out[3] = _mm256_permute2x128_si256(t1, t3, 0x31);
}

// Q4_K, 8 rows x C columns (rows8.cc). PerPair: llama.cpp's gemm order (one fma per 64-value pair,
// for columns in whole groups of four), else its gemv order (one per superblock). One activation
// chunk broadcast serves four rows, and four maddubs sum into int16 lanes of one row and sub-block
// before the scale's madd: a quarter of the madds of a per-row kernel, which is what llama.cpp's
// interleaved layout buys, without repacking.
// prefetch: decode's software prefetch of the next eight rows (off where the rows are streams).
template <int C, bool PerPair>
static inline void q4_K_tile_quads(int64_t nb, const uint8_t* x, size_t bx, const uint8_t* y, size_t by, float* s, size_t bs, bool prefetch = true) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  // int16 lanes 4i..4i+3 <- byte 0 of dword i (rows 0, 1 of a quad from the low half, 2, 3 from the high)
  const __m256i spread = _mm256_setr_epi8(0, -1, 0, -1, 0, -1, 0, -1, 4, -1, 4, -1, 4, -1, 4, -1, 8, -1, 8, -1, 8, -1, 8, -1,
                                          12, -1, 12, -1, 12, -1, 12, -1);
  __m256 acc[C], accm[C];
  for (int c = 0; c < C; c++) acc[c] = accm[c] = _mm256_setzero_ps();
  PrefetchShare pf(x + 8 * bx, C == 1 && prefetch ? 8 * bx : 0, nb);  // decode: the next eight rows (simd_avx2.h)
  for (int64_t b = 0; b < nb; b++) {
    pf.step();
    const HeadQ4K hd((const block_q4_K*)x + b, bx);
    __m256i ib[C], imb[C];  // gemv order: integer sums over the superblock's four pairs
    for (int c = 0; c < C; c++) ib[c] = imb[c] = _mm256_setzero_si256();
    for (int p = 0; p < 4; p++) {
      const __m256i mins = hd.min_pair(p);
      __m256i quad[2][C];  // per quad g and column: int32 lanes (row 4g, 4g, 4g+1, 4g+1 | 4g+2, .., 4g+3)
      for (int g = 0; g < 2; g++) {
        __m256i raw[4], w[4];
        for (int r = 0; r < 4; r++) raw[r] = _mm256_loadu_si256((const __m256i*)(((const block_q4_K*)(x + (4 * g + r) * bx) + b)->qs + 32 * p));
        transpose_chunks4(raw, w);
        // scales of sub-blocks 2p (low nibbles) and 2p+1 (high) of rows 4g..4g+3, each four times
        const __m256i quad_sc = g == 0 ? _mm256_permute4x64_epi64(hd.sc[p / 2], 0x44) : _mm256_permute4x64_epi64(hd.sc[p / 2], 0xEE);
        const __m256i sc_lo = _mm256_shuffle_epi8(quad_sc, _mm256_add_epi8(spread, _mm256_set1_epi16((short)(2 * (p % 2)))));
        const __m256i sc_hi = _mm256_shuffle_epi8(quad_sc, _mm256_add_epi8(spread, _mm256_set1_epi16((short)(2 * (p % 2) + 1))));
        __m256i lo[4], hi[4];
        for (int k = 0; k < 4; k++) {
          lo[k] = _mm256_and_si256(w[k], m4);
          hi[k] = _mm256_and_si256(_mm256_srli_epi16(w[k], 4), m4);
        }
        for (int c = 0; c < C; c++) {
          const int8_t* a = ((const block_q8_K*)(y + c * by) + b)->qs + 64 * p;
          __m256i slo = _mm256_setzero_si256(), shi = _mm256_setzero_si256();
          for (int k = 0; k < 4; k++) {
            slo = _mm256_add_epi16(slo, _mm256_maddubs_epi16(lo[k], _mm256_set1_epi64x(load64(a + 8 * k))));
            shi = _mm256_add_epi16(shi, _mm256_maddubs_epi16(hi[k], _mm256_set1_epi64x(load64(a + 32 + 8 * k))));
          }
          quad[g][c] = _mm256_add_epi32(_mm256_madd_epi16(slo, sc_lo), _mm256_madd_epi16(shi, sc_hi));
        }
      }
      for (int c = 0; c < C; c++) {
        const block_q8_K* yb = (const block_q8_K*)(y + c * by) + b;
        const __m256i ip = quads_to_rows(quad[0][c], quad[1][c]);
        const __m256i imv = _mm256_madd_epi16(mins, act_sum_pair(yb, p));
        if (PerPair) {
          const __m256 dy = _mm256_set1_ps(yb->d);
          acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ip), _mm256_mul_ps(hd.dw, dy), acc[c]);
          accm[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(imv), _mm256_mul_ps(hd.mw, dy), accm[c]);
        } else {
          ib[c] = _mm256_add_epi32(ib[c], ip);
          imb[c] = _mm256_add_epi32(imb[c], imv);
        }
      }
    }
    if (!PerPair) {
      for (int c = 0; c < C; c++) {
        const __m256 dy = _mm256_set1_ps(((const block_q8_K*)(y + c * by) + b)->d);
        acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ib[c]), _mm256_mul_ps(hd.dw, dy), acc[c]);
        accm[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(imb[c]), _mm256_mul_ps(hd.mw, dy), accm[c]);
      }
    }
  }
  for (int c = 0; c < C; c++) _mm256_storeu_ps(s + c * bs, _mm256_sub_ps(acc[c], accm[c]));
}

void gemm_rows8_q4_K_avx2(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t*,
                          int64_t nc, float* s, size_t bs) {
  const int64_t nb = n / QK_K;
  const uint8_t* x = (const uint8_t*)vx;
  const uint8_t* y = (const uint8_t*)vy;
  if (nc == 1) {
    // Decode: eight streams of rows (tile_drive.h) where each runs 16 KiB or more, adjacent tiles
    // with their prefetch of the next eight rows for the rest. From DRAM the adjacent tiles read
    // ~10 GB/s a core on a Zen 4 host (eight short streams restarted every tile), the streams
    // ~16.5 (llama.cpp's haswell build reads its repacked tiles as one stream); 500M Q4_K_M decode
    // with AVX2 forced 1.6x at one thread and at two (bench/native-notes.md section 22). Each
    // output is the tile's whichever rows sit beside it.
    return decode_rows8(x, bx, nr, s, [&](const uint8_t* rows, size_t rs, float* out, bool prefetch) __attribute__((always_inline)) {
      q4_K_tile_quads<1, false>(nb, rows, rs, y, by, out, 0, prefetch);
    });
  }
  const int64_t grouped = nc - nc % 4;
  drive_rows8(nr, grouped, nc, [&](auto cols, int64_t r, int64_t c) {
    constexpr int C = decltype(cols)::value;
    q4_K_tile_quads<C, C != 1>(nb, x + r * bx, bx, y + c * by, by, s + c * bs + r, bs);
  });
}

}  // namespace lg
