// AVX-512 Q6_K and Q5_K x Q8_K products (decode and batches): vec_dot_q6_K_avx2's and
// vec_dot_q5_K_avx2's arithmetic (llama.cpp's AVX2 loops, which its AVX-512 builds run too), two
// weight rows per 512-bit vector. The same instructions as the AVX2 kernels at twice the width
// (AVX512BW has maddubs and madd), so every int32 lane is the AVX2 lane's integer and the float
// steps are their own: bit for bit.
#include "pair_tiles_avx512.h"
namespace lg {

namespace {

inline __m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }
inline __m512i load_pair(const uint8_t* a, const uint8_t* b) {
  return join(_mm256_loadu_si256((const __m256i*)a), _mm256_loadu_si256((const __m256i*)b));
}

// One superblock of a Q6_K row pair: the 6-bit values of chunk k of half h (32 bytes per row, row
// 0 in the low 256 bits) and the int16 scales beside them, as vec_dot_q6_K_avx2 builds them.
struct PairQ6K {
  using Block = block_q6_K;
  using ActBlock = block_q8_K;
  static constexpr int64_t kValues = QK_K;
  static constexpr bool kChains = false;
  static float act_d(const block_q8_K& y) { return y.d; }
  static float dot(int64_t n, const void* x, const void* y) { return vec_dot_q6_K_avx2(n, x, y); }
  __m512i q[2][4], sc[2][4];
  __m512i scales;  // words 0-15: row a's 16 scales, 16-31: row b's
  __m512 dw;       // d of row a x8 | row b x8
  void load(const block_q6_K& a, const block_q6_K& b) {
    const __m512i m4 = _mm512_set1_epi8(0xF), m2 = _mm512_set1_epi8(0x30);
    dw = halves(_cvtsh_ss(a.d), _cvtsh_ss(b.d));
    scales = join(q6_K_scales16(a), q6_K_scales16(b));
    for (int h = 0; h < 2; h++) {
      const __m512i l0 = load_pair(a.ql + 64 * h, b.ql + 64 * h);
      const __m512i l1 = load_pair(a.ql + 64 * h + 32, b.ql + 64 * h + 32);
      const __m512i hb = load_pair(a.qh + 32 * h, b.qh + 32 * h);
      q[h][0] = _mm512_or_si512(_mm512_and_si512(l0, m4), _mm512_and_si512(_mm512_slli_epi16(hb, 4), m2));
      q[h][1] = _mm512_or_si512(_mm512_and_si512(l1, m4), _mm512_and_si512(_mm512_slli_epi16(hb, 2), m2));
      q[h][2] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l0, 4), m4), _mm512_and_si512(hb, m2));
      q[h][3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l1, 4), m4), _mm512_and_si512(_mm512_srli_epi16(hb, 2), m2));
      // Each row's words 8h..8h+7 in both of its 128-bit lanes, then one byte shuffle a chunk.
      const __m512i half = h ? _mm512_shuffle_i64x2(scales, scales, 0xF5) : _mm512_shuffle_i64x2(scales, scales, 0xA0);
      for (int k = 0; k < 4; k++) sc[h][k] = _mm512_shuffle_epi8(half, _mm512_broadcast_i64x4(q6_K_scale_spread(k)));
    }
  }
  // Both rows' int32 lanes against one activation superblock, the offset (32 * scale * bsum per
  // lane pair) taken off as vec_dot_q6_K_avx2 does.
  __m512i sumi(const block_q8_K& y) const {
    __m512i acc = _mm512_setzero_si512();
    for (int h = 0; h < 2; h++)
      for (int k = 0; k < 4; k++) {
        const __m512i yv = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y.qs + 128 * h + 32 * k)));
        acc = _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(q[h][k], yv), sc[h][k]));
      }
    const __m512i bs = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)y.bsums));
    return _mm512_sub_epi32(acc, _mm512_slli_epi32(_mm512_madd_epi16(bs, scales), 5));
  }
};

// ---- Q5_K: vec_dot_q5_K_avx2's arithmetic (simd_avx2_k.cc), two rows per 512-bit vector. The
// same maddubs / madd steps at twice the width give each row's half the AVX2 lanes' integers, and
// the float steps (one fma per superblock, the mins as a scalar fma chain added at the end) are the
// AVX2 kernel's: each output equals vec_dot_q5_K_avx2 bit for bit.

// 0x10 in each byte whose bit b of qh is set (both rows' halves): simd_avx2_k.cc's q5k_high.
inline __m512i q5k_high512(__m512i qh, int b) {
  const __m512i sh = b <= 4 ? _mm512_sll_epi16(qh, _mm_cvtsi32_si128(4 - b)) : _mm512_srl_epi16(qh, _mm_cvtsi32_si128(b - 4));
  return _mm512_and_si512(sh, _mm512_set1_epi8(0x10));
}

// A row's eight sub-block scales (bytes of sc8) as int16 in both 128-bit lanes of its 256-bit half,
// so one byte shuffle spreads scale k over the half (word_spread).
inline __m256i scales_twice(uint64_t sc8) {
  return _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)sc8)));
}
inline __m512i word_spread(int k) { return _mm512_set1_epi16((short)((2 * k + 1) << 8 | 2 * k)); }

// Chunks 2j and 2j + 1 of a Q5_K row pair's superblock as bytes 0-31 with their fifth bit (qh:
// both rows' high bits, load_pair).
inline void q5k_values(const block_q5_K& a, const block_q5_K& b, const __m512i& qh, int j, __m512i& q0, __m512i& q1) {
  const __m512i m4 = _mm512_set1_epi8(0xF);
  const __m512i bits = load_pair(a.qs + 32 * j, b.qs + 32 * j);
  q0 = _mm512_or_si512(_mm512_and_si512(bits, m4), q5k_high512(qh, 2 * j));
  q1 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(bits, 4), m4), q5k_high512(qh, 2 * j + 1));
}

// A row's mins chain, as vec_dot_q5_K_avx2 keeps it: fma(-d_a * dmin_w, sum of mins x activation
// sums, chain); mn8: the eight mins (bytes).
inline void q5k_min_step(float dmin_w, uint64_t mn8, const block_q8_K& y, float& chain) {
  chain = fmadd_ss(-y.d * dmin_w, (float)kquant_min_sum(_mm_cvtsi64_si128((long long)mn8), y.bsums), chain);
}

// One superblock of a Q5_K row pair: chunk k's values with their fifth bit and its scale spread
// over the chunk's int16 lanes, unpacked once for every activation row of a tile.
struct PairQ5K {
  using Block = block_q5_K;
  using ActBlock = block_q8_K;
  static constexpr int64_t kValues = QK_K;
  static constexpr bool kChains = true;
  static float act_d(const block_q8_K& y) { return y.d; }
  static float dot(int64_t n, const void* x, const void* y) { return vec_dot_q5_K_avx2(n, x, y); }
  __m512i q[8], sc[8];
  __m512 dw;               // d of row a x8 | row b x8
  uint64_t mna, mnb;       // each row's eight mins (bytes)
  float dmina, dminb;
  void load(const block_q5_K& a, const block_q5_K& b) {
    uint64_t sca, scb;
    scales_mins_k4_words(a.scales, sca, mna);
    scales_mins_k4_words(b.scales, scb, mnb);
    dw = halves(_cvtsh_ss(a.d), _cvtsh_ss(b.d));
    dmina = _cvtsh_ss(a.dmin);
    dminb = _cvtsh_ss(b.dmin);
    const __m512i scw = join(scales_twice(sca), scales_twice(scb));
    const __m512i qh = load_pair(a.qh, b.qh);
    for (int j = 0; j < QK_K / 64; j++) {
      q5k_values(a, b, qh, j, q[2 * j], q[2 * j + 1]);
      sc[2 * j] = _mm512_shuffle_epi8(scw, word_spread(2 * j));
      sc[2 * j + 1] = _mm512_shuffle_epi8(scw, word_spread(2 * j + 1));
    }
  }
  __m512i sumi(const block_q8_K& y) const {
    __m512i acc = _mm512_setzero_si512();
    for (int j = 0; j < 4; j++) {  // two chunks a step: shorter add chains
      const __m512i y0 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y.qs + 64 * j)));
      const __m512i y1 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y.qs + 64 * j + 32)));
      acc = _mm512_add_epi32(acc, _mm512_add_epi32(_mm512_madd_epi16(_mm512_maddubs_epi16(q[2 * j], y0), sc[2 * j]),
                                                   _mm512_madd_epi16(_mm512_maddubs_epi16(q[2 * j + 1], y1), sc[2 * j + 1])));
    }
    return acc;
  }
  void chains(const block_q8_K& y, float& ca, float& cb) const {
    q5k_min_step(dmina, mna, y, ca);
    q5k_min_step(dminb, mnb, y, cb);
  }
};

// Q5_K decode (PairDecode): a row pair's superblock against the one activation row.
struct Q5K {
  using Block = block_q5_K;
  using ActBlock = block_q8_K;
  static constexpr int64_t kValues = QK_K;
  struct Act {
    const block_q8_K& y;
    explicit Act(const block_q8_K& b) : y(b) {}
  };
  static float dot(int64_t n, const void* x, const void* y) { return vec_dot_q5_K_avx2(n, x, y); }
  // PairQ5K's steps chunk by chunk (unpacking the whole superblock first, as the batch tiles do,
  // ran 0.9x here).
  static void pair(const Block& a, const Block& b, const Act& act, __m512& acc, float& ca, float& cb) {
    const block_q8_K& y = act.y;
    uint64_t sca, mna, scb, mnb;
    scales_mins_k4_words(a.scales, sca, mna);
    scales_mins_k4_words(b.scales, scb, mnb);
    q5k_min_step(_cvtsh_ss(a.dmin), mna, y, ca);
    q5k_min_step(_cvtsh_ss(b.dmin), mnb, y, cb);
    const __m512i sc = join(scales_twice(sca), scales_twice(scb));
    const __m512i qh = load_pair(a.qh, b.qh);
    __m512i sumi = _mm512_setzero_si512();
    for (int j = 0; j < QK_K / 64; j++) {
      __m512i q0, q1;
      q5k_values(a, b, qh, j, q0, q1);
      const __m512i p0 = _mm512_maddubs_epi16(q0, _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y.qs + 64 * j))));
      const __m512i p1 = _mm512_maddubs_epi16(q1, _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y.qs + 64 * j + 32))));
      sumi = _mm512_add_epi32(sumi, _mm512_add_epi32(_mm512_madd_epi16(p0, _mm512_shuffle_epi8(sc, word_spread(2 * j))),
                                                     _mm512_madd_epi16(p1, _mm512_shuffle_epi8(sc, word_spread(2 * j + 1)))));
    }
    acc = _mm512_fmadd_ps(halves(y.d * _cvtsh_ss(a.d), y.d * _cvtsh_ss(b.d)), _mm512_cvtepi32_ps(sumi), acc);
  }
};

}  // namespace

// Q5_K: decode in row pairs with four streams (pair_tiles_avx512.h), batches in tiles of two rows
// x four activation rows.
void gemm_q5_K_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) return pair_decode<Q5K>(n, x, bx, nr, y, s);
  drive_tiles<2, 8>(nr, nc, PairTiles<PairQ5K>{{(const uint8_t*)x, bx, (const uint8_t*)y, by, s, bs}, n / QK_K});
}

void gemm_q6_K_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  const uint8_t* xb = (const uint8_t*)x;
  const int64_t nb = n / QK_K;
  if (nc == 1) {  // decode: the row pairs as two streams of rows (tile_drive.h); four streams measured slower
    drive_decode<2>(xb, bx, nr, s, [&](const uint8_t* rows, size_t rs, float* out, bool prefetch) {
      return PairTiles<PairQ6K>{{rows, rs, (const uint8_t*)y, by, out, bs}, nb, prefetch};
    });
    return;
  }
  drive_tiles<2, 4>(nr, nc, PairTiles<PairQ6K>{{xb, bx, (const uint8_t*)y, by, s, bs}, nb, true});
}

}  // namespace lg
