// Shared by the AVX-512 translation units (simd_avx512*.cc): include only from files compiled with
// the AVX-512 flags CMakeLists.txt gives them. With LG_SIMDE_EMULATE the same sources build against
// SIMDe's portable intrinsics (test/native/avx512-emu.test.ts), functions suffixed _avx512_emu, so
// the kernels are checked on machines without AVX-512 too.
#pragma once
#include <cmath>
#include <cstring>
#include "quant.h"
#include "kquant_common.h"
#include "../runtime/fp16.h"
#include "../runtime/cpu.h"
#ifdef LG_SIMDE_EMULATE
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
// The few intrinsics SIMDe 0.7.4 lacks, written plainly (test builds only), under names of their own
// so they cannot clash with the compiler's declarations of the real ones.
// GCC's order: the high 256 bits onto the low, then the high 128 onto the low, then (0+2) + (1+3).
static inline float lg_emu_reduce_add_ps(__m512 v) {
  float t[16];
  _mm512_storeu_ps(t, v);
  for (int i = 0; i < 8; i++) t[i] = t[i + 8] + t[i];
  for (int i = 0; i < 4; i++) t[i] = t[i + 4] + t[i];
  return (t[0] + t[2]) + (t[1] + t[3]);
}
#undef _mm512_reduce_add_ps
#define _mm512_reduce_add_ps lg_emu_reduce_add_ps
static inline __m512 lg_emu_cvtph_ps(__m256i h) {
  uint16_t a[16];
  float t[16];
  _mm256_storeu_si256((__m256i*)a, h);
  for (int i = 0; i < 16; i++) t[i] = lg::fp16_to_fp32(a[i]);
  return _mm512_loadu_ps(t);
}
#undef _mm512_cvtph_ps
#define _mm512_cvtph_ps lg_emu_cvtph_ps
static inline __m512 lg_emu_cvtepi32_ps(__m512i v) {
  int32_t a[16];
  float t[16];
  _mm512_storeu_si512((void*)a, v);
  for (int i = 0; i < 16; i++) t[i] = (float)a[i];
  return _mm512_loadu_ps(t);
}
#undef _mm512_cvtepi32_ps
#define _mm512_cvtepi32_ps lg_emu_cvtepi32_ps
static inline __m512i lg_emu_cvtepu16_epi32(__m256i h) {
  uint16_t a[16];
  int32_t t[16];
  _mm256_storeu_si256((__m256i*)a, h);
  for (int i = 0; i < 16; i++) t[i] = a[i];
  return _mm512_loadu_si512((const void*)t);
}
#undef _mm512_cvtepu16_epi32
#define _mm512_cvtepu16_epi32 lg_emu_cvtepu16_epi32
#else
#include <immintrin.h>
#endif
#include "fmadd_ss.h"
namespace lg {

#ifdef LG_SIMDE_EMULATE
#define LG_AVX512_NAME(f) f##_avx512_emu
#else
#define LG_AVX512_NAME(f) f##_avx512
#endif

static inline float h2f(uint16_t h) { return fp16_to_fp32(h); }

// _mm512_reduce_add_ps of v[0..15], lane r holding v[r]'s: GCC's tree (the 256-bit halves added,
// then the 128-bit halves, then lanes 0 + 2 and 1 + 3, then those two) with each step's adds done
// for two, four, eight and sixteen vectors at once. The same adds of the same operands, so each
// lane is bit for bit the scalar reduction of its vector.
static inline __m512 reduce_add_x16(const __m512 v[16]) {
  __m512 b[8], c[4], d[2];
  for (int i = 0; i < 8; i++)  // rows 2i, 2i+1: lanes 0-7 and 8-15, each lo256 + hi256
    b[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0x44), _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0xEE));
  for (int i = 0; i < 4; i++)  // rows 4i .. 4i+3: one 128-bit lane each, lo128 + hi128
    c[i] = _mm512_add_ps(_mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0x88), _mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0xDD));
  for (int i = 0; i < 2; i++)  // lane k: [row 8i+k: 0+2, 1+3 | row 8i+4+k: 0+2, 1+3]
    d[i] = _mm512_add_ps(_mm512_shuffle_ps(c[2 * i], c[2 * i + 1], 0x44), _mm512_shuffle_ps(c[2 * i], c[2 * i + 1], 0xEE));
  // lane 4k + m now holds row k + 4m
  const __m512 e = _mm512_add_ps(_mm512_shuffle_ps(d[0], d[1], 0x88), _mm512_shuffle_ps(d[0], d[1], 0xDD));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(order, e);
}

}  // namespace lg
