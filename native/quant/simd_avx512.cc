// AVX-512 (F, BW, VL, VNNI) kernels for the hot types. Compiled with -mavx512f -mavx512bw
// -mavx512vl -mavx512vnni (plus AVX2/FMA/F16C) in this translation unit only, and called only when
// runtime/cpu.cc finds all of those features. With LG_SIMDE_EMULATE the same source builds against
// SIMDe's portable intrinsics, so the kernels can be tested on a machine without AVX-512
// (see test/native/simde-check.sh).
#include <cmath>
#include <cstring>
#include "quant.h"
#include "kquant_common.h"
#include "../runtime/fp16.h"
#ifdef LG_SIMDE_EMULATE
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
// The few intrinsics SIMDe 0.7.4 lacks, written plainly (test builds only).
typedef simde__mmask16 __mmask16;
static inline __m512 _mm512_maskz_loadu_ps(__mmask16 m, const float* p) {
  float t[16];
  for (int i = 0; i < 16; i++) t[i] = (m >> i) & 1 ? p[i] : 0.0f;
  return _mm512_loadu_ps(t);
}
static inline float _mm512_reduce_add_ps(__m512 v) {
  float t[16];
  _mm512_storeu_ps(t, v);
  float s = 0.0f;
  for (int i = 0; i < 16; i++) s += t[i];
  return s;
}
static inline __m512 _mm512_cvtph_ps(__m256i h) {
  uint16_t a[16];
  float t[16];
  _mm256_storeu_si256((__m256i*)a, h);
  for (int i = 0; i < 16; i++) t[i] = lg::fp16_to_fp32(a[i]);
  return _mm512_loadu_ps(t);
}
static inline __m512 _mm512_cvtepi32_ps(__m512i v) {
  int32_t a[16];
  float t[16];
  _mm512_storeu_si512((void*)a, v);
  for (int i = 0; i < 16; i++) t[i] = (float)a[i];
  return _mm512_loadu_ps(t);
}
static inline __m512i _mm512_cvtepu16_epi32(__m256i h) {
  uint16_t a[16];
  int32_t t[16];
  _mm256_storeu_si256((__m256i*)a, h);
  for (int i = 0; i < 16; i++) t[i] = a[i];
  return _mm512_loadu_si512((const void*)t);
}
#else
#include <immintrin.h>
#endif
namespace lg {

#ifdef LG_SIMDE_EMULATE
#define LG_AVX512_NAME(f) f##_avx512_emu
#else
#define LG_AVX512_NAME(f) f##_avx512
#endif

static inline float h2f(uint16_t h) { return fp16_to_fp32(h); }

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

float LG_AVX512_NAME(vec_dot_f32)(int64_t n, const void* vx, const void* vy) {
  const float* x = (const float*)vx;
  const float* y = (const float*)vy;
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
    a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), a1);
  }
  for (; i + 16 <= n; i += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
  if (i < n) {
    const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
    a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i), a1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

float LG_AVX512_NAME(vec_dot_f16)(int64_t n, const void* vx, const void* vy) {
  const uint16_t* x = (const uint16_t*)vx;
  const uint16_t* y = (const uint16_t*)vy;
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
#define LD(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(p)))
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm512_fmadd_ps(LD(x + i), LD(y + i), a0);
    a1 = _mm512_fmadd_ps(LD(x + i + 16), LD(y + i + 16), a1);
  }
  for (; i + 16 <= n; i += 16) a0 = _mm512_fmadd_ps(LD(x + i), LD(y + i), a0);
#undef LD
  float s = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
  for (; i < n; i++) s += h2f(x[i]) * h2f(y[i]);
  return s;
}

// Two 32-blocks per iteration: lanes 0..7 hold block i's partial sums, 8..15 block i+1's.
// Signed x signed via VNNI (unsigned x signed): sum((x+128)*y) - 128*sum(y).
float LG_AVX512_NAME(vec_dot_q8_0)(int64_t n, const void* vx, const void* vy) {
  const block_q8_0* x = (const block_q8_0*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  const int64_t nb = n / QK8_0;
  const __m512i bias = _mm512_set1_epi8((char)0x80);
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    const __m512i qx = join256(_mm256_loadu_si256((const __m256i*)x[i].qs), _mm256_loadu_si256((const __m256i*)x[i + 1].qs));
    const __m512i qy = join256(_mm256_loadu_si256((const __m256i*)y[i].qs), _mm256_loadu_si256((const __m256i*)y[i + 1].qs));
    const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(qx, bias), qy);
    const __m512i c = _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, qy);
    const __m512 d = _mm512_mask_blend_ps((__mmask16)0xFF00, _mm512_set1_ps(h2f(x[i].d) * h2f(y[i].d)),
                                          _mm512_set1_ps(h2f(x[i + 1].d) * h2f(y[i + 1].d)));
    acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(p, c)), acc);
  }
  float s = _mm512_reduce_add_ps(acc);
  for (; i < nb; i++) {
    const __m256i qx = _mm256_loadu_si256((const __m256i*)x[i].qs);
    const __m256i qy = _mm256_loadu_si256((const __m256i*)y[i].qs);
    const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(qx, qx), _mm256_sign_epi8(qy, qx));
    s += h2f(x[i].d) * h2f(y[i].d) * hsum256(_mm256_cvtepi32_ps(p));
  }
  return s;
}

// sum((q-8)*y) = sum(q*y) - 8*sum(y), q unsigned nibbles.
float LG_AVX512_NAME(vec_dot_q4_0)(int64_t n, const void* vx, const void* vy) {
  const block_q4_0* x = (const block_q4_0*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  const int64_t nb = n / QK4_0;
  const __m512i eight = _mm512_set1_epi8(8);
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    const __m512i qx = join256(nibbles_32(x[i].qs), nibbles_32(x[i + 1].qs));
    const __m512i qy = join256(_mm256_loadu_si256((const __m256i*)y[i].qs), _mm256_loadu_si256((const __m256i*)y[i + 1].qs));
    const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), qx, qy);
    const __m512i c = _mm512_dpbusd_epi32(_mm512_setzero_si512(), eight, qy);
    const __m512 d = _mm512_mask_blend_ps((__mmask16)0xFF00, _mm512_set1_ps(h2f(x[i].d) * h2f(y[i].d)),
                                          _mm512_set1_ps(h2f(x[i + 1].d) * h2f(y[i + 1].d)));
    acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(p, c)), acc);
  }
  float s = _mm512_reduce_add_ps(acc);
  for (; i < nb; i++) {
    const __m256i qx = nibbles_32(x[i].qs);
    const __m256i qy = _mm256_loadu_si256((const __m256i*)y[i].qs);
    const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), qx, qy);
    const __m256i c = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(8), qy);
    s += h2f(x[i].d) * h2f(y[i].d) * hsum256(_mm256_cvtepi32_ps(_mm256_sub_epi32(p, c)));
  }
  return s;
}

float LG_AVX512_NAME(vec_dot_q4_K)(int64_t n, const void* vx, const void* vy) {
  const block_q4_K* x = (const block_q4_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  const int64_t nb = n / QK_K;
  const __m256i m4 = _mm256_set1_epi8(0xF);
  __m256 acc = _mm256_setzero_ps();
  float summ = 0.0f;
  for (int64_t i = 0; i < nb; i++) {
    uint8_t sc[8], mn[8];
    unpack_scales_mins_k4(x[i].scales, sc, mn);
    int mins = 0;
    for (int j = 0; j < QK_K / 16; j++) mins += y[i].bsums[j] * mn[j / 2];
    summ += h2f(x[i].dmin) * y[i].d * (float)mins;
    const uint8_t* q4 = x[i].qs;
    const int8_t* q8 = y[i].qs;
    __m256i sumi = _mm256_setzero_si256();
    for (int j = 0; j < QK_K / 64; j++) {
      const __m256i bits = _mm256_loadu_si256((const __m256i*)(q4 + 32 * j));
      const __m256i lo = _mm256_and_si256(bits, m4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
      const __m256i p0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), lo, _mm256_loadu_si256((const __m256i*)(q8 + 64 * j)));
      const __m256i p1 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), hi, _mm256_loadu_si256((const __m256i*)(q8 + 64 * j + 32)));
      sumi = _mm256_add_epi32(sumi, _mm256_mullo_epi32(p0, _mm256_set1_epi32(sc[2 * j])));
      sumi = _mm256_add_epi32(sumi, _mm256_mullo_epi32(p1, _mm256_set1_epi32(sc[2 * j + 1])));
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[i].d) * y[i].d), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum256(acc) - summ;
}

float LG_AVX512_NAME(vec_dot_q6_K)(int64_t n, const void* vx, const void* vy) {
  const block_q6_K* x = (const block_q6_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  const int64_t nb = n / QK_K;
  const __m256i m4 = _mm256_set1_epi8(0xF);
  const __m256i m2 = _mm256_set1_epi8(0x30);
  const __m256i m32s = _mm256_set1_epi8(32);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; i++) {
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    const int8_t* q8 = y[i].qs;
    const int8_t* sc = x[i].scales;
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
      for (int k = 0; k < 4; k++) {
        const __m256i yv = _mm256_loadu_si256((const __m256i*)(q8 + 32 * k));
        const __m256i p = _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), q[k], yv),
                                           _mm256_dpbusd_epi32(_mm256_setzero_si256(), m32s, yv));
        const __m256i s = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi32(sc[2 * k])), _mm_set1_epi32(sc[2 * k + 1]), 1);
        sumi = _mm256_add_epi32(sumi, _mm256_mullo_epi32(p, s));
      }
      ql += 64;
      qh += 32;
      q8 += 128;
      sc += 8;
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[i].d) * y[i].d), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum256(acc);
}

// ---- Q4_1, Q5_0, Q5_K: the AVX2 kernels' arithmetic (ggml's, see simd_avx2_q.cc / simd_avx2_k.cc)
// with the integer work of two 32-value blocks in one 512-bit VNNI step. The integer lane sums are
// exact and land in the same lanes (lane k: bytes 4k..4k+3), and the float FMAs run in the same
// order, so these return exactly what the AVX2 kernels return, which is what llama.cpp's AVX-512
// builds compute too (they run the same AVX2 loops there).

static inline __m256 lo256(__m512 v) { return _mm512_castps512_ps256(v); }
static inline __m256 hi256(__m512 v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }
static inline float fmadd_ss(float a, float b, float c) {
  return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)));
}
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
// steps, each reduced (_mm512_reduce_add_ps) and added in double, leftovers as float products in
// double. (Its AVX512_BF16 path, dpbf16, is not mirrored: that ISA is not one we detect.)
float LG_AVX512_NAME(vec_dot_bf16)(int64_t n, const void* vx, const void* vy) {
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

}  // namespace lg
