// AVX2 + FMA + F16C kernels for the hot types. Compiled with -mavx2 -mfma -mf16c in this
// translation unit only; called only after run-time detection (runtime/cpu.cc).
#include <immintrin.h>
#include <cmath>
#include "quant.h"
#include "../runtime/fp16.h"
#include "simd_avx2.h"
#include "kquant_common.h"
#include "kqv_tree.h"
#include "tile_drive.h"
namespace lg {

// F32 and F16 as ggml_vec_dot_f32 / ggml_vec_dot_f16 compute them on AVX2 machines: four 8-lane
// accumulators over 32-value steps (GGML_F32x8_FMA), reduced by GGML_F32x8_REDUCE, then the < 32
// leftovers one by one: F32 in float (GCC contracts ggml's `sumf += x*y` to an fma), F16 as float
// products added in double (its ggml_float).
static inline float reduce_ggml(__m256 v) {
  const __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t1 = _mm_hadd_ps(t0, t0);
  return _mm_cvtss_f32(_mm_hadd_ps(t1, t1));
}
static inline float reduce4_ggml(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  return reduce_ggml(_mm256_add_ps(_mm256_add_ps(a0, a2), _mm256_add_ps(a1, a3)));
}

float vec_dot_f32_avx2(int64_t n, const void* vx, const void* vy) {
  const float* x = (const float*)vx;
  const float* y = (const float*)vy;
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), a3);
  }
  float s = reduce4_ggml(a0, a1, a2, a3);
  // Product and sum rounded separately: llama.cpp's build does not fuse this loop (checked against
  // it, test/conformance/kernels.test.ts), and this file's -std=c++17 does not contract either.
  for (; i < n; i++) s += x[i] * y[i];
  return s;
}

// vec_dot_f16 of R rows (x + k xs) with one activation row, their steps interleaved and each
// activation vector widened once for all: out[k] = row k's. R = 1 is the dot product itself, which
// prefetches the same line of the next row (attention's keys; decode where rows are too few for
// streams); decode takes R = 2 to read two long streams (gemm_f16_avx2).
template <int R>
static inline void dot_f16_rows(int64_t n, const uint8_t* x, int64_t xs, const uint16_t* y, float* out) {
  __m256 a[R][4];
  for (int k = 0; k < R; k++)
    for (int q = 0; q < 4; q++) a[k][q] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    if constexpr (R == 1) _mm_prefetch((const char*)((const uint16_t*)x + n + i), _MM_HINT_T0);
    __m256 yv[4];
    for (int q = 0; q < 4; q++) yv[q] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(y + i + 8 * q)));
    for (int k = 0; k < R; k++) {
      const uint16_t* w = (const uint16_t*)(x + k * xs) + i;
      for (int q = 0; q < 4; q++) a[k][q] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(w + 8 * q))), yv[q], a[k][q]);
    }
  }
  for (int k = 0; k < R; k++) {
    const uint16_t* w = (const uint16_t*)(x + k * xs);
    double s = reduce4_ggml(a[k][0], a[k][1], a[k][2], a[k][3]);
    for (int64_t j = i; j < n; j++) s += (double)(fp16_to_fp32(w[j]) * fp16_to_fp32(y[j]));
    out[k] = (float)s;
  }
}

// reduce_ggml of eight rows' combined accumulators at once: lane r of the result is row r's. The
// same adds of the same operands (the 128-bit halves, then hadd's pairs twice), done for eight rows
// together: one reduction per row cost about as much as a short row's products.
static inline __m256 reduce_ggml_x8(const __m256 v[8]) {
  __m256 b[4];
  for (int i = 0; i < 4; i++)  // [row 2i: lo128 + hi128 | row 2i+1: the same]
    b[i] = _mm256_add_ps(_mm256_permute2f128_ps(v[2 * i], v[2 * i + 1], 0x20), _mm256_permute2f128_ps(v[2 * i], v[2 * i + 1], 0x31));
  // hadd within 128-bit lanes: [r0 01, r0 23, r2 01, r2 23 | r1 01, r1 23, r3 01, r3 23]
  const __m256 c0 = _mm256_hadd_ps(b[0], b[1]), c1 = _mm256_hadd_ps(b[2], b[3]);
  // [r0, r2, r4, r6 | r1, r3, r5, r7]
  const __m256 d = _mm256_hadd_ps(c0, c1);
  return _mm256_permutevar8x32_ps(d, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// vec_dot_f16_avx2 of each row of S whole steps of 32 (attention's keys at head_dim 32-128): the
// activations widened once, eight rows' reductions at once.
template <int S>
static void f16_short_rows(const uint8_t* x, size_t bx, int64_t nr, const uint16_t* y, float* out) {
  __m256 q[S][4];
  for (int i = 0; i < S; i++)
    for (int m = 0; m < 4; m++) q[i][m] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(y + 32 * i + 8 * m)));
  auto sum = [&](int64_t r) __attribute__((always_inline)) {
    const uint16_t* w = (const uint16_t*)(x + r * bx);
    __m256 a[4];
    for (int m = 0; m < 4; m++) a[m] = _mm256_setzero_ps();
    for (int i = 0; i < S; i++)
      for (int m = 0; m < 4; m++) a[m] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(w + 32 * i + 8 * m))), q[i][m], a[m]);
    return _mm256_add_ps(_mm256_add_ps(a[0], a[2]), _mm256_add_ps(a[1], a[3]));
  };
  int64_t r = 0;
  for (; r + 8 <= nr; r += 8) {
    __m256 v[8];
    for (int k = 0; k < 8; k++) v[k] = sum(r + k);
    _mm256_storeu_ps(out + r, reduce_ggml_x8(v));
  }
  for (; r < nr; r++) out[r] = reduce_ggml(sum(r));
}

float vec_dot_f16_avx2(int64_t n, const void* vx, const void* vy) {
  float s;
  dot_f16_rows<1>(n, (const uint8_t*)vx, 0, (const uint16_t*)vy, &s);
  return s;
}

// F16 rows against activation rows (gemm_fn): each output is vec_dot_f16_avx2's. Where each half
// of the rows runs 16 KiB or more, rows j and j + nr/2 go side by side: two long read streams,
// which the prefetcher follows faster than one (bench/native-notes.md section 12; AVX2 has
// registers for two rows' four accumulators, not four rows'). Rows of one to four whole steps
// (attention's keys) take f16_short_rows.
void gemm_f16_avx2(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, int64_t nc, float* s, size_t bs) {
  const uint8_t* x = (const uint8_t*)vx;
  for (int64_t c = 0; c < nc; c++) {
    const uint16_t* y = (const uint16_t*)((const uint8_t*)vy + c * by);
    float* out = s + c * bs;
    switch (n % 32 == 0 ? n / 32 : 0) {
      case 1: f16_short_rows<1>(x, bx, nr, y, out); continue;
      case 2: f16_short_rows<2>(x, bx, nr, y, out); continue;
      case 3: f16_short_rows<3>(x, bx, nr, y, out); continue;
      case 4: f16_short_rows<4>(x, bx, nr, y, out); continue;
      default: break;
    }
    const int64_t done = decode_streams<2>(x, bx, nr, out, [&](const uint8_t* rows, size_t rs, float* o) { dot_f16_rows<2>(n, rows, (int64_t)rs, y, o); });
    for (int64_t r = done; r < nr; r++) out[r] = vec_dot_f16_avx2(n, x + r * bx, y);
  }
}

// Q8_0 and Q4_0 against Q8_0: one accumulator, fma(d_x*d_y, lane sums, acc) block after block, then
// hsum_ps: llama.cpp's AVX2 dot products (its two-accumulator loop is the AVX-only one).
float vec_dot_q8_0_avx2(int64_t n, const void* vx, const void* vy) {
  const block_q8_0* x = (const block_q8_0*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  const int64_t nb = n / QK8_0;
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; i++) {
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(x[i].d) * _cvtsh_ss(y[i].d));
    const __m256 q = mul_sum_i8_pairs_float(_mm256_loadu_si256((const __m256i*)x[i].qs), _mm256_loadu_si256((const __m256i*)y[i].qs));
    acc = _mm256_fmadd_ps(d, q, acc);
  }
  return hsum_ps(acc);
}

float vec_dot_q4_0_avx2(int64_t n, const void* vx, const void* vy) {
  const block_q4_0* x = (const block_q4_0*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  const int64_t nb = n / QK4_0;
  const __m256i off = _mm256_set1_epi8(8);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; i++) {
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(x[i].d) * _cvtsh_ss(y[i].d));
    const __m256i qx = _mm256_sub_epi8(bytes_from_nibbles_32(x[i].qs), off);
    acc = _mm256_fmadd_ps(d, mul_sum_i8_pairs_float(qx, _mm256_loadu_si256((const __m256i*)y[i].qs)), acc);
  }
  return hsum_ps(acc);
}

// Q4_K's mins term as ggml's AVX2 dot product keeps it: four float lanes (kquant_min_lanes), each
// superblock fma'd in with -d_a*dmin_w, reduced (0 + 2, 1 + 3, then the two) and added at the end.
static inline __m128 q4_K_min_step(__m128 m, float dmin_w, float d_a, const uint8_t* mn, const int16_t* bsums) {
  return _mm_fmadd_ps(_mm_set1_ps(-d_a * dmin_w), _mm_cvtepi32_ps(kquant_min_lanes(mn, bsums)), m);
}
static inline float q4_K_finish(float sum, __m128 m) {
  m = _mm_add_ps(m, _mm_movehl_ps(m, m));
  m = _mm_add_ss(m, _mm_movehdup_ps(m));
  return sum + _mm_cvtss_f32(m);
}

float vec_dot_q4_K_avx2(int64_t n, const void* vx, const void* vy) {
  const block_q4_K* x = (const block_q4_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  const int64_t nb = n / QK_K;
  const __m256i m4 = _mm256_set1_epi8(0xF);
  __m256 acc = _mm256_setzero_ps();
  __m128 acc_m = _mm_setzero_ps();
  // Decode calls this row after row of a matrix: the next row follows this one (simd_avx2.h).
  PrefetchShare pf((const uint8_t*)(x + nb), (size_t)nb * sizeof(block_q4_K), nb);
  for (int64_t i = 0; i < nb; i++) {
    pf.step();
    uint8_t sc[8], mn[8];
    unpack_scales_mins_k4(x[i].scales, sc, mn);
    acc_m = q4_K_min_step(acc_m, _cvtsh_ss(x[i].dmin), y[i].d, mn, y[i].bsums);
    const uint8_t* q4 = x[i].qs;
    const int8_t* q8 = y[i].qs;
    __m256i sumi = _mm256_setzero_si256();
    for (int j = 0; j < QK_K / 64; j++) {
      const __m256i q4bits = _mm256_loadu_si256((const __m256i*)(q4 + 32 * j));
      const __m256i q4l = _mm256_and_si256(q4bits, m4);
      const __m256i q4h = _mm256_and_si256(_mm256_srli_epi16(q4bits, 4), m4);
      const __m256i y0 = _mm256_loadu_si256((const __m256i*)(q8 + 64 * j));
      const __m256i y1 = _mm256_loadu_si256((const __m256i*)(q8 + 64 * j + 32));
      __m256i p0 = _mm256_maddubs_epi16(q4l, y0);
      __m256i p1 = _mm256_maddubs_epi16(q4h, y1);
      p0 = _mm256_madd_epi16(p0, _mm256_set1_epi16(sc[2 * j]));
      p1 = _mm256_madd_epi16(p1, _mm256_set1_epi16(sc[2 * j + 1]));
      sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p0, p1));
    }
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(x[i].d) * y[i].d);
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi), acc);
  }
  return q4_K_finish(hsum_ps(acc), acc_m);
}

// Q6_K's offset of 32, taken off as llama.cpp's AVX2 dot product does, so the eight int32 lanes
// (converted to float one by one) hold the same partial sums: lane l gets 32 * (scale * bsum) of
// its two 16-value groups, the products use the unsigned 6-bit values.
static inline __m256i q6_K_offset(const block_q6_K& x, const block_q8_K& y) {
  const __m256i sc = q6_K_scales16(x);
  return _mm256_slli_epi32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i*)y.bsums), sc), 5);
}

float vec_dot_q6_K_avx2(int64_t n, const void* vx, const void* vy) {
  const block_q6_K* x = (const block_q6_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  const int64_t nb = n / QK_K;
  const __m256i m4 = _mm256_set1_epi8(0xF);
  const __m256i m2 = _mm256_set1_epi8(0x30);
  __m256 acc = _mm256_setzero_ps();
  PrefetchShare pf((const uint8_t*)(x + nb), (size_t)nb * sizeof(block_q6_K), nb);  // the next row
  for (int64_t i = 0; i < nb; i++) {
    pf.step();
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    const int8_t* q8 = y[i].qs;
    const __m256i sc16 = q6_K_scales16(x[i]);
    __m256i sumi = _mm256_setzero_si256();
    for (int half = 0; half < 2; half++) {
      const __m256i l0 = _mm256_loadu_si256((const __m256i*)ql);
      const __m256i l1 = _mm256_loadu_si256((const __m256i*)(ql + 32));
      const __m256i h = _mm256_loadu_si256((const __m256i*)qh);
      __m256i q[4];
      q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(h, 4), m2));
      q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(h, 2), m2));
      q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(h, m2));
      q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_and_si256(_mm256_srli_epi16(h, 2), m2));
      // This half's scales in both lanes; two spelled-out calls because the imm8 must be a constant
      // even in an unoptimised (sanitizer) build.
      const __m256i sch = half ? _mm256_permute2x128_si256(sc16, sc16, 0x11) : _mm256_permute2x128_si256(sc16, sc16, 0x00);
      for (int k = 0; k < 4; k++) {
        const __m256i yv = _mm256_loadu_si256((const __m256i*)(q8 + 32 * k));
        const __m256i s = _mm256_shuffle_epi8(sch, q6_K_scale_spread(k));
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(q[k], yv), s));
      }
      ql += 64;
      qh += 32;
      q8 += 128;
    }
    sumi = _mm256_sub_epi32(sumi, q6_K_offset(x[i], y[i]));
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(x[i].d) * y[i].d);
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum_ps(acc);
}


// F16 activations as ggml converts them on F16C machines (_mm256_cvtps_ph, round to nearest even):
// byte-identical to the scalar quantize_row_f16 for every non-NaN value.
void quantize_row_f16_avx2(const float* x, void* vy, int64_t n) {
  uint16_t* y = (uint16_t*)vy;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm_storeu_si128((__m128i*)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; i++) y[i] = fp32_to_fp16(x[i]);
}

// ggml's x86 (AVX) quantize_row_q8_0, byte-identical to quantize_row_q8_0 (scalar): amax is exact,
// x * (127/amax) is the same float product, rounded to nearest even, |q| <= 127 so no saturation.
void quantize_row_q8_0_avx2(const float* x, void* vy, int64_t n) {
  block_q8_0* y = (block_q8_0*)vy;
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
    __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8), v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
    __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                             _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
    __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    y[i].d = fp32_to_fp16(amax / 127.0f);
    const __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    const int rnd = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, id), rnd));
    __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, id), rnd));
    __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, id), rnd));
    __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, id), rnd));
    i0 = _mm256_packs_epi32(i0, i1);
    i2 = _mm256_packs_epi32(i2, i3);
    i0 = _mm256_packs_epi16(i0, i2);
    i0 = _mm256_permutevar8x32_epi32(i0, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i*)y[i].qs, i0);
  }
}

// Attention's value sums (kqv_tree.h): ymm accumulators of C x 8 values; a position's row widened
// from f16 by vcvtph2ps where the cache is f16.
template <class E>
static inline __m256 load8_as_f32(const E* v) {
  if constexpr (sizeof(E) == 2) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)v));
  else return _mm256_loadu_ps((const float*)v);
}
template <class E, int C>
struct KqvYmm {
  struct Acc {
    __m256 r[C];
  };
  static constexpr int width = 8 * C;
  static constexpr int group = 1;
  static Acc zero() {
    Acc a;
    for (int q = 0; q < C; q++) a.r[q] = _mm256_setzero_ps();
    return a;
  }
  static Acc fma(float p, const uint8_t* row, Acc a) {
    const __m256 pk = _mm256_set1_ps(p);
    for (int q = 0; q < C; q++) a.r[q] = _mm256_fmadd_ps(pk, load8_as_f32((const E*)row + 8 * q), a.r[q]);
    return a;
  }
  static Acc add(Acc a, Acc b) {
    for (int q = 0; q < C; q++) a.r[q] = _mm256_add_ps(a.r[q], b.r[q]);
    return a;
  }
  static void store(float* o, Acc a) {
    for (int q = 0; q < C; q++) _mm256_storeu_ps(o + 8 * q, a.r[q]);
  }
};
// Eight vectors a chunk (a 64-value head's whole row in one pass), one lane at a time: the 16
// registers hold no second lane's chains, and narrower chunks or two lanes of four vectors, which
// walk each row twice, measured up to 1.7x slower.
template <class E>
static bool kqv_head_avx2(int lanes, bool adjacent, const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d,
                          float* out) {
  return kqv_tree_head<KqvYmm<E, 8>, KqvYmm<E, 1>, KqvScalar<E>>(lanes, adjacent, p, v, vs, n, d, sizeof(E), out);
}
bool kqv_head_f32_avx2(int lanes, bool adjacent, const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d,
                       float* out) {
  return kqv_head_avx2<float>(lanes, adjacent, p, v, vs, n, d, out);
}
bool kqv_head_f16_avx2(int lanes, bool adjacent, const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d,
                       float* out) {
  return kqv_head_avx2<uint16_t>(lanes, adjacent, p, v, vs, n, d, out);
}

// ---- tiled kernels (gemm_fn): R weight rows x C activation rows per register tile ----
// Each output keeps exactly the accumulators its vec_dot above keeps, updated in the same order
// with the same operands, so a tile's outputs are bit-identical to one vec_dot call per output.

template <int R, int C> using TileQ4 = TileQ0<Q4Blk>::K<R, C>;

void gemm_q8_0_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) return decode_q0<Q8Blk, 4>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, s);
  gemm_q0_batch<Q8Blk, 3, 2>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}
void gemm_q4_0_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) return gemm_drive<4, 1, TileQ4>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
  gemm_q0_batch<Q4Blk, 3, 2>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}

// Q4_K for TileK (simd_avx2.h): low and high nibbles; the mins in four float lanes, as
// vec_dot_q4_K_avx2 keeps them.
struct Q4KBlk {
  using Block = block_q4_K;
  static inline void chunks(const Block& b, int j, __m256i& q0, __m256i& q1) {
    const __m256i m4 = _mm256_set1_epi8(0xF);
    const __m256i bits = _mm256_loadu_si256((const __m256i*)(b.qs + 32 * j));
    q0 = _mm256_and_si256(bits, m4);
    q1 = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
  }
  using Mins = __m128;
  static inline Mins min_zero() { return _mm_setzero_ps(); }
  static inline void min_step(Mins& m, float dmin_w, float d_a, const uint8_t* mn, const int16_t* bsums) {
    m = q4_K_min_step(m, dmin_w, d_a, mn, bsums);
  }
  static inline float finish(float sum, Mins m) { return q4_K_finish(sum, m); }
};
template <int R, int C> using TileQ4K = TileK<Q4KBlk>::K<R, C>;

void gemm_q4_K_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) {  // decode: the tiles measured slower than the plain dot (register pressure)
    for (int64_t r = 0; r < nr; r++) s[r] = vec_dot_q4_K_avx2(n, (const uint8_t*)x + r * bx, y);
    return;
  }
  gemm_drive<2, 2, TileQ4K>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}

// Q6_K x Q8_K: one float accumulator per output, the offset taken off as vec_dot_q6_K_avx2 does.
template <int R, int C>
struct TileQ6K {
  static void run(int64_t n, const uint8_t* x, size_t bx, const uint8_t* y, size_t by, float* s, size_t bs) {
    const int64_t nb = n / QK_K;
    const __m256i m4 = _mm256_set1_epi8(0xF);
    const __m256i m2 = _mm256_set1_epi8(0x30);
    __m256 acc[R][C];
    for (int r = 0; r < R; r++)
      for (int c = 0; c < C; c++) acc[r][c] = _mm256_setzero_ps();
    for (int64_t i = 0; i < nb; i++) {
      const block_q8_K* yb[C];
      for (int c = 0; c < C; c++) yb[c] = (const block_q8_K*)(y + c * by) + i;
      const block_q6_K* xb[R];
      for (int r = 0; r < R; r++) xb[r] = (const block_q6_K*)(x + r * bx) + i;
      __m256i sumi[R][C];
      for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) sumi[r][c] = _mm256_setzero_si256();
      for (int half = 0; half < 2; half++) {
        __m256i sch[R];  // row r's scales of this half, in both lanes
        for (int r = 0; r < R; r++) {
          const __m256i sc16 = q6_K_scales16(*xb[r]);
          sch[r] = half ? _mm256_permute2x128_si256(sc16, sc16, 0x11) : _mm256_permute2x128_si256(sc16, sc16, 0x00);
        }
        for (int k = 0; k < 4; k++) {
          __m256i yv[C];
          for (int c = 0; c < C; c++) yv[c] = _mm256_loadu_si256((const __m256i*)(yb[c]->qs + 128 * half + 32 * k));
          for (int r = 0; r < R; r++) {
            const uint8_t* ql = xb[r]->ql + 64 * half;
            const __m256i l = _mm256_loadu_si256((const __m256i*)(ql + 32 * (k & 1)));
            const __m256i h = _mm256_loadu_si256((const __m256i*)(xb[r]->qh + 32 * half));
            __m256i lo, hi;
            switch (k) {
              case 0: lo = _mm256_and_si256(l, m4); hi = _mm256_slli_epi16(h, 4); break;
              case 1: lo = _mm256_and_si256(l, m4); hi = _mm256_slli_epi16(h, 2); break;
              case 2: lo = _mm256_and_si256(_mm256_srli_epi16(l, 4), m4); hi = h; break;
              default: lo = _mm256_and_si256(_mm256_srli_epi16(l, 4), m4); hi = _mm256_srli_epi16(h, 2); break;
            }
            const __m256i q = _mm256_or_si256(lo, _mm256_and_si256(hi, m2));
            const __m256i sv = _mm256_shuffle_epi8(sch[r], q6_K_scale_spread(k));
            for (int c = 0; c < C; c++) {
              sumi[r][c] = _mm256_add_epi32(sumi[r][c], _mm256_madd_epi16(_mm256_maddubs_epi16(q, yv[c]), sv));
            }
          }
        }
      }
      for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
          const __m256 d = _mm256_set1_ps(_cvtsh_ss(xb[r]->d) * yb[c]->d);
          acc[r][c] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_sub_epi32(sumi[r][c], q6_K_offset(*xb[r], *yb[c]))), acc[r][c]);
        }
    }
    for (int r = 0; r < R; r++)
      for (int c = 0; c < C; c++) s[c * bs + r] = hsum_ps(acc[r][c]);
  }
};
void gemm_q6_K_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) {  // decode: the tiles measured slower than the plain dot (register pressure)
    for (int64_t r = 0; r < nr; r++) s[r] = vec_dot_q6_K_avx2(n, (const uint8_t*)x + r * bx, y);
    return;
  }
  gemm_drive<2, 2, TileQ6K>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}

}  // namespace lg
