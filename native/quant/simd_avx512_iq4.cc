// AVX-512 (VNNI) IQ4_XS: llama.cpp's IQ panel (iq4_panel.h) with dpbusd on the levels + 128 for
// batches of eight activation rows and more; below that its dot product, ggml's AVX2 arithmetic
// in 512-bit steps (dot_iq4_xs below).
#include <cstring>
#include <vector>
#include "iq4_panel.h"
namespace lg {
namespace {
float dot_iq4_xs(int64_t nb, const block_iq4_xs* x, const block_q8_K* y);
void nibble_order(int64_t nb, const block_q8_K* y, block_q8_K* out);
}  // namespace

void gemm_rows8_iq4_xs_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t*,
                              int64_t nc, float* s, size_t bs) {
  if (nc >= kIq4PanelBatch) return iq4_panel::gemm<iq4_panel::UnsignedVnni>(n, (const uint8_t*)vx, bx, nr, (const uint8_t*)vy, by, nc, s, bs);
  const int64_t nb = n / QK_K;
  thread_local std::vector<block_q8_K> ys;
  if ((int64_t)ys.size() < nb) ys.resize((size_t)nb);
  for (int64_t c = 0; c < nc; c++) {
    nibble_order(nb, (const block_q8_K*)((const uint8_t*)vy + c * by), ys.data());
    for (int64_t r = 0; r < nr; r++) s[c * bs + r] = dot_iq4_xs(nb, (const block_iq4_xs*)((const uint8_t*)vx + r * bx), ys.data());
  }
}

namespace {
// Two sub-blocks' 64 nibbles as the bytes hold them: [first's low | second's low | first's high |
// second's high] (nibble_order puts the activations in that order).
inline __m512i two_subblocks(const uint8_t* qs) {
  const __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)qs));
  return _mm512_and_si512(_mm512_mask_srli_epi16(q, 0xFFFF0000u, q, 4), _mm512_set1_epi8(0x0F));
}
// The eight sub-blocks' scales less 32 (iq4_xs_scale), as int32 lanes.
inline __m256i subblock_scales(const block_iq4_xs& b) {
  uint32_t lo;
  std::memcpy(&lo, b.scales_l, sizeof lo);
  const __m256i l = _mm256_srlv_epi32(_mm256_set1_epi32((int)lo), _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28));
  const __m256i h = _mm256_srlv_epi32(_mm256_set1_epi32(b.scales_h), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14));
  const __m256i ls = _mm256_or_si256(_mm256_and_si256(l, _mm256_set1_epi32(0x0F)), _mm256_slli_epi32(_mm256_and_si256(h, _mm256_set1_epi32(3)), 4));
  return _mm256_sub_epi32(ls, _mm256_set1_epi32(32));
}

// An activation row's values reordered per pair of sub-blocks to the order two_subblocks gives
// the weights' nibbles, once per call (a thread's piece of a matrix: one activation row copied
// against the piece's many weight rows), so the weights need no lane shuffle. bsums are not read.
void nibble_order(int64_t nb, const block_q8_K* y, block_q8_K* out) {
  for (int64_t i = 0; i < nb; i++) {
    out[i].d = y[i].d;
    for (int j = 0; j < 4; j++) {
      const int8_t* a = y[i].qs + 64 * j;
      int8_t* o = out[i].qs + 64 * j;
      std::memcpy(o, a, 16);            // first sub-block's values 0-15
      std::memcpy(o + 16, a + 32, 16);  // second's 0-15
      std::memcpy(o + 32, a + 16, 16);  // first's 16-31
      std::memcpy(o + 48, a + 48, 16);  // second's 16-31
    }
  }
}

// vec_dot_iq4_xs_avx2's integers two sub-blocks a step (activations in nibble_order): ggml's sign
// trick (|level| times the activation with the level's sign, wrapping as psignb does) summed in
// pairs by maddubs, then the pairs times the sub-block's scale summed into int32 lanes by dpwssd
// (its madd and add); lanes that hold the same values of the two sub-blocks added give its eight
// lanes per super-block, then its float steps. The AVX2 loop (~160 instructions a super-block)
// bound decode at ~13 GB/s a core; this reads ~15 (1.2x whole-model decode; the activations in
// nibble order added 1.06x / 1.03x, 1.15x in cache). Two rows in lockstep or four streams ran
// 0.5-0.65x; dpbusd and a multiply by the scale in place of maddubs and dpwssd ran no faster.
float dot_iq4_xs(int64_t nb, const block_iq4_xs* x, const block_q8_K* y) {
  const __m512i abs_levels = _mm512_broadcast_i32x4(_mm_setr_epi8(127, 104, 83, 65, 49, 35, 22, 10, 1, 13, 25, 38, 53, 69, 89, 113));
  const __m512i eight = _mm512_set1_epi8(8), zero = _mm512_setzero_si512();
  // Lanes 0-3 and 8-11 are sub-block 2j's, 4-7 and 12-15 sub-block 2j + 1's.
  const __m512i pick0 = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1);
  const __m512i firsts = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i seconds = _mm512_setr_epi32(4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; i++) {
    // Each scale in both int16 halves of its lane.
    const __m256i ls = subblock_scales(x[i]);
    const __m512i ls16 = _mm512_castsi256_si512(_mm256_or_si256(_mm256_and_si256(ls, _mm256_set1_epi32(0xFFFF)), _mm256_slli_epi32(ls, 16)));
    __m512i sumi = zero;
    for (int j = 0; j < 4; j++) {
      const __m512i nib = two_subblocks(x[i].qs + 32 * j);
      const __mmask64 negative = _mm512_cmplt_epu8_mask(nib, eight);
      const __m512i a = _mm512_loadu_si512((const void*)(y[i].qs + 64 * j));
      const __m512i p16 = _mm512_maddubs_epi16(_mm512_shuffle_epi8(abs_levels, nib), _mm512_mask_sub_epi8(a, negative, zero, a));
      sumi = _mm512_dpwssd_epi32(sumi, p16, _mm512_permutexvar_epi32(_mm512_add_epi32(pick0, _mm512_set1_epi32(2 * j)), ls16));
    }
    // Lanes k and 4 + k hold the AVX2 kernel's lane k (k < 4), lanes 8 + k and 12 + k its 4 + k.
    const __m256i l8 = _mm256_add_epi32(_mm512_castsi512_si256(_mm512_permutexvar_epi32(firsts, sumi)),
                                        _mm512_castsi512_si256(_mm512_permutexvar_epi32(seconds, sumi)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(x[i].d) * y[i].d), _mm256_cvtepi32_ps(l8), acc);
  }
  return hsum_ps(acc);
}
}  // namespace
}  // namespace lg
