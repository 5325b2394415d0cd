// IQ4_XS batches as llama.cpp's IQ panel computes them (iqp.cpp: rows in eights, eight or more
// activation rows): per super-block and output the exact integer sum of every sub-block's products
// times its six-bit scale, then one fma with d_w * d_a. Eight rows' super-block is decoded once into
// a panel (four values of each row side by side, 32 bytes a step) and every activation row then
// takes 64 four-byte dot products against it, each activation dword broadcast, the eight sub-block
// chains side by side, each scale once. The dot policy is the ISA's: AVX2 multiplies signed levels
// by the sign trick (as llama.cpp's haswell build), VNNI takes the levels + 128 unsigned in dpbusd and
// 128 times Q8_K's 16-value sums off. The same exact integers either way, so the scalar definition
// (rows8.cc) bit for bit. Included by simd_avx2_iq4.cc and simd_avx512_iq4.cc, under their flags.
#pragma once
#include <immintrin.h>
#include <cmath>
#include <cstddef>
#include <cstring>
#include "quant.h"
#include "simd_avx2.h"
namespace lg {
namespace iq4_panel {

// AVX2: |v| times (a with v's sign) in int16 pairs (<= 2 * 127 * 127: no saturation), then int32.
struct SignedDot {
  static constexpr int32_t kOffset = 0;
  static const int8_t* levels() { return kIq4Values; }
  static __m256i step(__m256i acc, __m256i v, __m256i a) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(v, v), _mm256_sign_epi8(a, v)), _mm256_set1_epi16(1)));
  }
};
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
// VNNI: (level + 128) times a in one dpbusd; 128 * sum(a) comes off.
struct UnsignedVnni {
  static constexpr int32_t kOffset = 128;
  static const int8_t* levels() { return (const int8_t*)kIq4LevelsU8; }
  static __m256i step(__m256i acc, __m256i u, __m256i a) { return _mm256_dpbusd_epi32(acc, u, a); }
};
#endif

// One super-block of eight rows: q[8 * ib + k] = values 32 ib + 4k .. + 3 of each row (dword r), as
// the policy's levels; scale[ib] = each row's scale (ls - 32) of 32-value sub-block ib; d = the
// rows' super-block scales.
struct Panel {
  __m256i q[64];
  __m256i scale[8];
  __m256 d;
};

template <class Dot>
inline void decode(const uint8_t* x, size_t bx, int64_t b, Panel& p) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i lut = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)Dot::levels()));
  const uint8_t* blk = x + b * sizeof(block_iq4_xs);
  alignas(32) int32_t sc[8][8];
  for (int r = 0; r < 8; r++)
    for (int ib = 0; ib < 8; ib++) sc[ib][r] = iq4_xs_scale(*(const block_iq4_xs*)(blk + r * bx), ib) - 32;
  p.d = rows_f16(blk, bx);  // d leads the block
  for (int ib = 0; ib < 8; ib++) {
    p.scale[ib] = _mm256_load_si256((const __m256i*)sc[ib]);
    __m256i t[4];  // lane r of t[g] = word g of row r's sixteen bytes of sub-block ib
    rows_head16(blk + offsetof(block_iq4_xs, qs) + 16 * ib, bx, t);
    for (int g = 0; g < 4; g++) {
      p.q[8 * ib + g] = _mm256_shuffle_epi8(lut, _mm256_and_si256(t[g], m4));                          // low nibbles: values 0-15
      p.q[8 * ib + 4 + g] = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(t[g], 4), m4));  // high: 16-31
    }
  }
}

// The panel against one activation super-block: each row's exact sum in its lane.
template <class Dot>
inline __m256i sums(const Panel& p, const block_q8_K& y) {
  __m256i acc[8];
  for (int ib = 0; ib < 8; ib++) acc[ib] = _mm256_set1_epi32(-Dot::kOffset * (y.bsums[2 * ib] + y.bsums[2 * ib + 1]));
  for (int k = 0; k < 8; k++) {
    for (int ib = 0; ib < 8; ib++) {
      int32_t a;
      std::memcpy(&a, y.qs + 32 * ib + 4 * k, 4);
      acc[ib] = Dot::step(acc[ib], p.q[8 * ib + k], _mm256_set1_epi32(a));
    }
  }
  __m256i total = _mm256_mullo_epi32(acc[0], p.scale[0]);
  for (int ib = 1; ib < 8; ib++) total = _mm256_add_epi32(total, _mm256_mullo_epi32(acc[ib], p.scale[ib]));
  return total;
}

// nr (a multiple of 8) rows x nc (>= kIq4PanelBatch) activation rows.
template <class Dot>
inline void gemm(int64_t n, const uint8_t* x, size_t bx, int64_t nr, const uint8_t* vy, size_t by, int64_t nc, float* s, size_t bs) {
  const int64_t nb = n / QK_K;
  Panel p;
  for (int64_t r = 0; r < nr; r += 8) {
    for (int64_t c = 0; c < nc; c++) _mm256_storeu_ps(s + c * bs + r, _mm256_setzero_ps());
    for (int64_t b = 0; b < nb; b++) {
      decode<Dot>(x + r * bx, bx, b, p);
      for (int64_t c = 0; c < nc; c++) {
        const block_q8_K& y = ((const block_q8_K*)(vy + c * by))[b];
        const __m256 dv = _mm256_mul_ps(p.d, _mm256_set1_ps(y.d));
        float* out = s + c * bs + r;
        _mm256_storeu_ps(out, _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums<Dot>(p, y)), dv, _mm256_loadu_ps(out)));
      }
    }
  }
}

}  // namespace iq4_panel
}  // namespace lg
