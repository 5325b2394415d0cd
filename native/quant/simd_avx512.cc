// AVX-512 (F, BW, VL, DQ, VNNI) dot products: what llama.cpp's AVX-512 builds compute. Compiled
// with those flags (plus AVX2/FMA/F16C) in this translation unit only, and called only when
// runtime/cpu.cc finds all of those features (see simd_avx512.h for the SIMDe emulation build).
#include <vector>
#include "simd_avx512.h"
#include "kqv_tree.h"
#include "tile_drive.h"
namespace lg {

static inline __m256i nibbles_32(const uint8_t* p) {
  const __m128i tmp = _mm_loadu_si128((const __m128i*)p);
  const __m256i bytes = _mm256_inserti128_si256(_mm256_castsi128_si256(tmp), _mm_srli_epi16(tmp, 4), 1);
  return _mm256_and_si256(_mm256_set1_epi8(0x0F), bytes);
}
static inline __m512i join256(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}
static inline float hsum256(__m256 x) {
  __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
}

// F32 and F16: ggml_vec_dot_f32/_f16 as its AVX-512 builds compile them (GGML_F32_STEP 64, EPR 16):
// four 16-lane FMA accumulators over 64-value steps, folded pairwise (0+2, 1+3, then 0+1) and
// reduced by _mm512_reduce_add_ps; the leftover values then one by one (f32: products added to the
// float sum; f16: float products added in double).
static inline float reduce4_ggml512(__m512 a0, __m512 a1, __m512 a2, __m512 a3) {
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a2), _mm512_add_ps(a1, a3)));
}

float LG_AVX512_NAME(vec_dot_f32)(int64_t n, const void* vx, const void* vy) {
  const float* x = (const float*)vx;
  const float* y = (const float*)vy;
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
    a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), a1);
    a2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 32), _mm512_loadu_ps(y + i + 32), a2);
    a3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 48), _mm512_loadu_ps(y + i + 48), a3);
  }
  float s = reduce4_ggml512(a0, a1, a2, a3);
  // Product and sum rounded separately: llama.cpp's build does not fuse this loop (checked against
  // it, test/conformance/kernels.test.ts), and this file's -std=c++17 does not contract either.
  for (; i < n; i++) s += x[i] * y[i];
  return s;
}

// vec_dot_f16 of R rows (x + k xs) with one activation row, their steps interleaved and each
// activation vector widened once for all: out[k] = row k's. R = 1 is the dot product itself; decode
// takes R = 4 to read four long streams (gemm_f16_avx512), with the hardware prefetcher alone: on a
// Zen 4 host prefetching 1.5 KB ahead in software cost 500M F16 decode 15-18% (1.18x without it at
// one thread, 1.15x at two; it had gained 1.1x on Zen 5: bench/native-notes.md sections 14, 22).
template <int R>
static inline void dot_f16_rows(int64_t n, const uint8_t* x, int64_t xs, const uint16_t* y, float* out) {
  __m512 a[R][4];
  for (int k = 0; k < R; k++)
    for (int q = 0; q < 4; q++) a[k][q] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m512 yv[4];
    for (int q = 0; q < 4; q++) yv[q] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(y + i + 16 * q)));
    for (int k = 0; k < R; k++) {
      const uint16_t* w = (const uint16_t*)(x + k * xs) + i;
      for (int q = 0; q < 4; q++) a[k][q] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(w + 16 * q))), yv[q], a[k][q]);
    }
  }
  for (int k = 0; k < R; k++) {
    const uint16_t* w = (const uint16_t*)(x + k * xs);
    double s = reduce4_ggml512(a[k][0], a[k][1], a[k][2], a[k][3]);
    for (int64_t j = i; j < n; j++) s += (double)(h2f(w[j]) * h2f(y[j]));
    out[k] = (float)s;
  }
}

float LG_AVX512_NAME(vec_dot_f16)(int64_t n, const void* vx, const void* vy) {
  float s;
  dot_f16_rows<1>(n, (const uint8_t*)vx, 0, (const uint16_t*)vy, &s);
  return s;
}

// Q8_0, Q4_0, Q4_K and Q6_K have no entry here: llama.cpp's AVX-512 builds run its AVX2 loops for
// them (VNNI only replaces maddubs + madd, with the same integer sums), so the AVX-512 path takes
// our AVX2 kernels and tiles, which compute exactly that.

// ---- Q4_1, Q5_0, Q5_K: the AVX2 kernels' arithmetic (ggml's, see simd_avx2_q.cc / simd_avx2_k.cc)
// with the integer work of two 32-value blocks in one 512-bit VNNI step. The integer lane sums are
// exact and land in the same lanes (lane k: bytes 4k..4k+3), and the float FMAs run in the same
// order, so these return exactly what the AVX2 kernels return, which is what llama.cpp's AVX-512
// builds compute too (they run the same AVX2 loops there).

static inline __m256 lo256(__m512 v) { return _mm512_castps512_ps256(v); }
static inline __m256 hi256(__m512 v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }
static inline __m512i load2x32(const int8_t* a, const int8_t* b) {
  return join256(_mm256_loadu_si256((const __m256i*)a), _mm256_loadu_si256((const __m256i*)b));
}

float LG_AVX512_NAME(vec_dot_q4_1)(int64_t n, const void* vx, const void* vy) {
  const block_q4_1* x = (const block_q4_1*)vx;
  const block_q8_1* y = (const block_q8_1*)vy;
  const int64_t nb = n / QK4_1;
  __m256 acc = _mm256_setzero_ps();
  float summs = 0.0f;
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    summs = fmadd_ss(h2f(x[i].m), h2f(y[i].s), summs);
    summs = fmadd_ss(h2f(x[i + 1].m), h2f(y[i + 1].s), summs);
    const __m512i qx = join256(nibbles_32(x[i].qs), nibbles_32(x[i + 1].qs));
    const __m512 p = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), qx, load2x32(y[i].qs, y[i + 1].qs)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)), lo256(p), acc);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[i + 1].d) * h2f(y[i + 1].d)), hi256(p), acc);
  }
  if (i < nb) {
    summs = fmadd_ss(h2f(x[i].m), h2f(y[i].s), summs);
    const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), nibbles_32(x[i].qs), _mm256_loadu_si256((const __m256i*)y[i].qs));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)), _mm256_cvtepi32_ps(p), acc);
  }
  return hsum256(acc) + summs;
}

// Q5_0 values biased to unsigned (q + 16 in 0..31: the nibble plus 16 where the 5th bit is set);
// the dot is then sum(u*y) - 16*sum(y), the same integer per lane as the signed product.
static inline __m256i q5_0_unsigned(const block_q5_0* b) {
  uint32_t w;
  std::memcpy(&w, b->qh, 4);
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32((int)w), _mm256_setr_epi64x(0, 0x0101010101010101LL, 0x0202020202020202LL, 0x0303030303030303LL));
  const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
  return _mm256_or_si256(nibbles_32(b->qs), _mm256_and_si256(set, _mm256_set1_epi8(16)));
}

float LG_AVX512_NAME(vec_dot_q5_0)(int64_t n, const void* vx, const void* vy) {
  const block_q5_0* x = (const block_q5_0*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  const int64_t nb = n / QK5_0;
  const __m512i sixteen = _mm512_set1_epi8(16);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    const __m512i qy = load2x32(y[i].qs, y[i + 1].qs);
    const __m512i u = join256(q5_0_unsigned(x + i), q5_0_unsigned(x + i + 1));
    const __m512i dot = _mm512_sub_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u, qy),
                                         _mm512_dpbusd_epi32(_mm512_setzero_si512(), sixteen, qy));
    const __m512 p = _mm512_cvtepi32_ps(dot);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)), lo256(p), acc);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[i + 1].d) * h2f(y[i + 1].d)), hi256(p), acc);
  }
  if (i < nb) {
    const __m256i qy = _mm256_loadu_si256((const __m256i*)y[i].qs);
    const __m256i dot = _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), q5_0_unsigned(x + i), qy),
                                         _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(16), qy));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)), _mm256_cvtepi32_ps(dot), acc);
  }
  return hsum256(acc);
}

// One 64-value chunk j of a Q5_K super-block: both nibble planes (sub-blocks 2j, 2j+1) in one
// 512-bit vector, their 5th bits (qh bits 2j, 2j+1) shifted in per half.
float LG_AVX512_NAME(vec_dot_q5_K)(int64_t n, const void* vx, const void* vy) {
  const block_q5_K* x = (const block_q5_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  const int64_t nb = n / QK_K;
  const __m512i m4 = _mm512_set1_epi8(0xF);
  const __m512i one = _mm512_set1_epi8(1);
  __m256 acc = _mm256_setzero_ps();
  float summs = 0.0f;
  for (int64_t i = 0; i < nb; i++) {
    uint8_t sc[8], mn[8];
    unpack_scales_mins_k4(x[i].scales, sc, mn);
    int mins = 0;
    for (int j = 0; j < QK_K / 16; j++) mins += y[i].bsums[j] * mn[j / 2];
    const float d = y[i].d * h2f(x[i].d);
    const float dmin = -y[i].d * h2f(x[i].dmin);
    summs = fmadd_ss(dmin, (float)mins, summs);
    const __m256i qh256 = _mm256_loadu_si256((const __m256i*)x[i].qh);
    const __m512i qh = join256(qh256, qh256);
    __m512i sumi = _mm512_setzero_si512();
    for (int j = 0; j < QK_K / 64; j++) {
      const __m256i bits = _mm256_loadu_si256((const __m256i*)(x[i].qs + 32 * j));
      const __m512i lohi = _mm512_and_si512(join256(bits, _mm256_srli_epi16(bits, 4)), m4);
      const __m512i shift = join256(_mm256_set1_epi16((short)(2 * j)), _mm256_set1_epi16((short)(2 * j + 1)));
      const __m512i h = _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shift), one), 4);
      const __m512i q = _mm512_or_si512(lohi, h);
      const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, _mm512_loadu_si512((const void*)(y[i].qs + 64 * j)));
      const __m512i scale = join256(_mm256_set1_epi32(sc[2 * j]), _mm256_set1_epi32(sc[2 * j + 1]));
      sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(p, scale));
    }
    const __m256i s8 = _mm256_add_epi32(_mm512_castsi512_si256(sumi), _mm512_extracti64x4_epi64(sumi, 1));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(s8), acc);
  }
  return hsum256(acc) + summs;
}

// ggml_vec_dot_bf16's AVX512F path as GCC builds it: two 16-lane FMA accumulators over 32-element
// steps (the products of two bf16 values are exact, so fused or not is the same), each reduced
// (_mm512_reduce_add_ps) and added in double, leftovers as float products in double. On CPUs with
// AVX512_BF16 llama.cpp runs its variant built for them, whose dot product is vdpbf16ps; so does
// ours (simd_avx512_bf16.cc).
float LG_AVX512_NAME(vec_dot_bf16)(int64_t n, const void* vx, const void* vy) {
#ifndef LG_SIMDE_EMULATE
  static const bool dpbf16 = cpu_features().avx512bf16;
  if (dpbf16) return vec_dot_bf16_avx512bf16(n, vx, vy);
#endif
  const uint16_t* x = (const uint16_t*)vx;
  const uint16_t* y = (const uint16_t*)vy;
#define LD(p) _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)(p))), 16))
  __m512 c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    c1 = _mm512_fmadd_ps(LD(x + i), LD(y + i), c1);
    c2 = _mm512_fmadd_ps(LD(x + i + 16), LD(y + i + 16), c2);
  }
#undef LD
  double s = (double)_mm512_reduce_add_ps(c1);
  s += (double)_mm512_reduce_add_ps(c2);
  for (; i < n; i++) s += (double)(bf16_to_fp32(x[i]) * bf16_to_fp32(y[i]));
  return (float)s;
}

// F16 rows against activation rows (gemm_fn): each output is vec_dot_f16_avx512's, bit for bit. Rows
// of up to 256 values (attention's keys against a query, small matrices) take the activation row
// widened once and kept in registers for all rows; longer ones go four rows at a time, from four
// stretches of the matrix where those are long enough (decode_streams), else one by one.
// (Not in the emulated build: checked on hardware by the native kernel tests.)
#ifndef LG_SIMDE_EMULATE
// gemm_f16_avx512 for rows of S whole steps of 64 and less (attention's keys: many rows of one to four
// steps), C columns at a time (the query heads of one kv head): each row is widened once for all
// of them, and each column's products, sums and reductions are those it would get alone,
// vec_dot_f16's.
template <int S, int C>
static inline void f16_short_cols(int64_t n, const uint8_t* x, size_t bx, int64_t nr, const uint16_t* const* y, float* const* out) {
  constexpr int SS = S > 0 ? S : 1;
  __m512 q[C][SS][4];  // the widened activations
  for (int c = 0; c < C; c++)
    for (int i = 0; i < S; i++)
      for (int m = 0; m < 4; m++) q[c][i][m] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(y[c] + 64 * i + 16 * m)));
  // Row w's products with column c, in vec_dot_f16's four accumulators. (Always inlined: a call
  // would spill the widened row.)
  auto products = [&](const __m512 (&w)[SS][4], int c, __m512* a) __attribute__((always_inline)) {
    for (int m = 0; m < 4; m++) a[m] = _mm512_setzero_ps();
    for (int i = 0; i < S; i++)
      for (int m = 0; m < 4; m++) a[m] = _mm512_fmadd_ps(w[i][m], q[c][i][m], a[m]);
  };
  auto widen = [&](const uint16_t* p, __m512 (&w)[SS][4]) __attribute__((always_inline)) {
    for (int i = 0; i < S; i++)
      for (int m = 0; m < 4; m++) w[i][m] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(p + 64 * i + 16 * m)));
  };
  int64_t r = 0;
  if (S > 0 && n == 64 * S) {
    // Sixteen rows' reductions at once per column (one reduction per row cost as much as the row's
    // products).
    for (; r + 16 <= nr; r += 16) {
      __m512 f[C][16];
      for (int k = 0; k < 16; k++) {
        __m512 w[SS][4];
        widen((const uint16_t*)(x + (r + k) * bx), w);
        for (int c = 0; c < C; c++) {
          __m512 a[4];
          products(w, c, a);
          f[c][k] = _mm512_add_ps(_mm512_add_ps(a[0], a[2]), _mm512_add_ps(a[1], a[3]));
        }
      }
      for (int c = 0; c < C; c++) _mm512_storeu_ps(out[c] + r, reduce_add_x16(f[c]));
    }
  }
  for (; r < nr; r++) {
    const uint16_t* p = (const uint16_t*)(x + r * bx);
    __m512 w[SS][4];
    widen(p, w);
    for (int c = 0; c < C; c++) {
      __m512 a[4];
      products(w, c, a);
      double sum = reduce4_ggml512(a[0], a[1], a[2], a[3]);
      for (int64_t j = 64 * S; j < n; j++) sum += (double)(h2f(p[j]) * h2f(y[c][j]));
      out[c][r] = (float)sum;
    }
  }
}

template <int S>
static void f16_short_rows(int64_t n, const uint8_t* x, size_t bx, int64_t nr, const void* vy, size_t by, int64_t nc, float* s, size_t bs) {
  for (int64_t c0 = 0; c0 < nc; c0 += 4) {
    const uint16_t* y[4];
    float* out[4];
    const int C = (int)std::min<int64_t>(4, nc - c0);
    for (int c = 0; c < C; c++) {
      y[c] = (const uint16_t*)((const uint8_t*)vy + (c0 + c) * by);
      out[c] = s + (c0 + c) * bs;
    }
    switch (C) {
      case 1: f16_short_cols<S, 1>(n, x, bx, nr, y, out); break;
      case 2: f16_short_cols<S, 2>(n, x, bx, nr, y, out); break;
      case 3: f16_short_cols<S, 3>(n, x, bx, nr, y, out); break;
      default: f16_short_cols<S, 4>(n, x, bx, nr, y, out); break;
    }
  }
}
#endif

#ifndef LG_SIMDE_EMULATE
void gemm_f16_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, int64_t nc, float* s, size_t bs) {
  const uint8_t* x = (const uint8_t*)vx;
  const int64_t steps = n / 64;
  if (steps > 4) {
    for (int64_t c = 0; c < nc; c++) {
      const uint16_t* y = (const uint16_t*)((const uint8_t*)vy + c * by);
      float* out = s + c * bs;
      // Four rows a pass, each from its own quarter of the rows: four long read streams, which the
      // prefetcher follows faster than one (bench/native-notes.md sections 11-12); each row's sum
      // is still vec_dot_f16's.
      const int64_t done = decode_streams<4>(x, bx, nr, out, [&](const uint8_t* rows, size_t rs, float* o) { dot_f16_rows<4>(n, rows, (int64_t)rs, y, o); });
      for (int64_t r = done; r < nr; r++) out[r] = vec_dot_f16_avx512(n, x + r * bx, y);
    }
    return;
  }
  switch (steps) {
    case 0: return f16_short_rows<0>(n, x, bx, nr, vy, by, nc, s, bs);
    case 1: return f16_short_rows<1>(n, x, bx, nr, vy, by, nc, s, bs);
    case 2: return f16_short_rows<2>(n, x, bx, nr, vy, by, nc, s, bs);
    case 3: return f16_short_rows<3>(n, x, bx, nr, vy, by, nc, s, bs);
    default: return f16_short_rows<4>(n, x, bx, nr, vy, by, nc, s, bs);
  }
}
#endif

// BF16 rows against activation rows (gemm_fn): each output is vec_dot_bf16_avx512's. On AVX512_BF16
// CPUs four rows go side by side where each quarter of the rows runs 16 KiB or more, as F16's do.
#ifndef LG_SIMDE_EMULATE
void gemm_bf16_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, int64_t nc, float* s, size_t bs) {
  static const bool dpbf16 = cpu_features().avx512bf16;
  const uint8_t* x = (const uint8_t*)vx;
  for (int64_t c = 0; c < nc; c++) {
    const void* y = (const uint8_t*)vy + c * by;
    float* out = s + c * bs;
    const int64_t done = dpbf16 ? decode_streams<4>(x, bx, nr, out, [&](const uint8_t* rows, size_t rs, float* o) {
      dot_bf16_x4_avx512bf16(n, rows, (int64_t)rs, y, o);
    }) : 0;
    for (int64_t r = done; r < nr; r++) out[r] = vec_dot_bf16_avx512(n, x + r * bx, y);
  }
}
#endif

// Attention's value sums (kqv_tree.h): zmm accumulators of C x 16 values; a position's row
// widened from f16 by vcvtph2ps where the cache is f16. (Not in the emulated build: attention is
// checked on hardware.)
#ifndef LG_SIMDE_EMULATE
template <class E>
static inline __m512 load16_as_f32(const E* v) {
  if constexpr (sizeof(E) == 2) return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)v));
  else return _mm512_loadu_ps((const float*)v);
}
template <class E, int C>
struct KqvZmm {
  struct Acc {
    __m512 r[C];
  };
  static constexpr int width = 16 * C;
  static constexpr int group = 2;
  static Acc zero() {
    Acc a;
    for (int q = 0; q < C; q++) a.r[q] = _mm512_setzero_ps();
    return a;
  }
  static Acc fma(float p, const uint8_t* row, Acc a) { return fma_row(p, load(row), a); }
  // A row widened once for several heads (kqv_group_chunk), or for one (fma).
  using Row = Acc;
  static Row load(const uint8_t* row) {
    Row r;
    for (int q = 0; q < C; q++) r.r[q] = load16_as_f32((const E*)row + 16 * q);
    return r;
  }
  static Acc fma_row(float p, const Row& r, Acc a) {
    const __m512 pk = _mm512_set1_ps(p);
    for (int q = 0; q < C; q++) a.r[q] = _mm512_fmadd_ps(pk, r.r[q], a.r[q]);
    return a;
  }
  static Acc add(Acc a, Acc b) {
    for (int q = 0; q < C; q++) a.r[q] = _mm512_add_ps(a.r[q], b.r[q]);
    return a;
  }
  static void store(float* o, Acc a) {
    for (int q = 0; q < C; q++) _mm512_storeu_ps(o + 16 * q, a.r[q]);
  }
};
// Four vectors a chunk (a 64-value head's whole row, two cache lines, in one pass) and two lanes
// side by side: eight fma chains in flight. Measured on Zen 5 against one lane of four vectors at a
// time with the accumulators in memory: 1.2-1.4x at 300-900 positions; four lanes were no faster.
template <class E>
static bool kqv_head_avx512(int lanes, bool adjacent, const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d,
                            float* out) {
  return kqv_tree_head<KqvZmm<E, 4>, KqvZmm<E, 1>, KqvScalar<E>>(lanes, adjacent, p, v, vs, n, d, sizeof(E), out);
}
// Up to four heads of a GQA group at once (kqv_group_chunk): each 64-value chunk's row widened
// once for all of them; 4 x 4 accumulators and the row fit the 32 registers.
int kqv_group_heads_avx512(int64_t d) { return d % KqvZmm<float, 4>::width == 0 ? 4 : 1; }
template <class E>
static bool kqv_group_avx512(int lanes, bool adjacent, int heads, const float* const* p, const uint8_t* v, size_t vs, int64_t n,
                             int64_t d, float* const* out) {
  using V = KqvZmm<E, 4>;
  if (heads < 2 || heads > kqv_group_heads_avx512(d)) return false;
  thread_local std::vector<typename V::Acc> buf;
  if (buf.size() < (size_t)(4 * 64)) buf.resize(4 * 64);
  auto chunks = [&](auto l, auto h) {
    constexpr int L = decltype(l)::value, H = decltype(h)::value;
    for (int64_t i = 0; i < d; i += V::width) kqv_group_chunk<L, H, V>(p, v + i * sizeof(E), vs, n, adjacent, buf.data(), out, i);
    return true;
  };
  auto by_heads = [&](auto l) {
    switch (heads) {
      case 2: return chunks(l, std::integral_constant<int, 2>{});
      case 3: return chunks(l, std::integral_constant<int, 3>{});
      default: return chunks(l, std::integral_constant<int, 4>{});
    }
  };
  switch (lanes) {
    case 64: return by_heads(std::integral_constant<int, 64>{});
    case 16: return by_heads(std::integral_constant<int, 16>{});
    default: return false;
  }
}
bool kqv_group_f16_avx512(int lanes, bool adjacent, int heads, const float* const* p, const uint8_t* v, size_t vs, int64_t n,
                          int64_t d, float* const* out) {
  return kqv_group_avx512<uint16_t>(lanes, adjacent, heads, p, v, vs, n, d, out);
}
bool kqv_group_f32_avx512(int lanes, bool adjacent, int heads, const float* const* p, const uint8_t* v, size_t vs, int64_t n,
                          int64_t d, float* const* out) {
  return kqv_group_avx512<float>(lanes, adjacent, heads, p, v, vs, n, d, out);
}
bool kqv_head_f32_avx512(int lanes, bool adjacent, const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d,
                         float* out) {
  return kqv_head_avx512<float>(lanes, adjacent, p, v, vs, n, d, out);
}
bool kqv_head_f16_avx512(int lanes, bool adjacent, const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d,
                         float* out) {
  return kqv_head_avx512<uint16_t>(lanes, adjacent, p, v, vs, n, d, out);
}
#endif

}  // namespace lg
