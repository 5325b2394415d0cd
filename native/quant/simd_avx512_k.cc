// AVX-512 Q6_K, Q5_K, Q3_K and Q2_K x Q8_K products (decode and batches): the arithmetic of their
// AVX2 dot products (llama.cpp's AVX2 loops, which its AVX-512 builds run too). Q6_K and Q5_K take
// two weight rows per 512-bit vector, Q3_K and Q2_K two chunks of one row (below). The same instructions as the AVX2 kernels at twice the width
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
struct PairQ6K : PairType<block_q6_K, block_q8_K, QK_K, vec_dot_q6_K_avx2> {
  static constexpr bool kChains = false;
  __m512i q[2][4], sc[2][4];
  __m512i scales;  // words 0-15: row a's 16 scales, 16-31: row b's
  __m512 dw;       // d of row a x8 | row b x8
  void load(const block_q6_K& a, const block_q6_K& b) {
    const __m512i m4 = _mm512_set1_epi8(0xF), m2 = _mm512_set1_epi8(0x30);
    // Both rows' scale bytes widened in one step, both d in one conversion (the same values as
    // q6_K_scales16 and halves, in fewer instructions: Q6_K decode is bound by them).
    const __m128i sa = _mm_loadu_si128((const __m128i*)a.scales), sb = _mm_loadu_si128((const __m128i*)b.scales);
    scales = _mm512_cvtepi8_epi16(_mm256_inserti128_si256(_mm256_castsi128_si256(sa), sb, 1));
    const __m128 d = _mm_cvtph_ps(_mm_insert_epi16(_mm_cvtsi32_si128(a.d), (short)b.d, 1));
    dw = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1), _mm512_castps128_ps512(d));
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
  __m512 dd(const block_q8_K& y) const { return _mm512_mul_ps(dw, _mm512_set1_ps(y.d)); }
  // Both rows' int32 lanes against one activation superblock, the offset (32 * scale * bsum per
  // lane pair) taken off as vec_dot_q6_K_avx2 does.
  // (VNNI's dpwssd is madd and the add in one: the same int32 sums, which wrap alike.)
  __m512i sumi(const block_q8_K& y) const {
    __m512i acc[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};  // a chain a half
    for (int h = 0; h < 2; h++)
      for (int k = 0; k < 4; k++) {
        const __m512i yv = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y.qs + 128 * h + 32 * k)));
        acc[h] = _mm512_dpwssd_epi32(acc[h], _mm512_maddubs_epi16(q[h][k], yv), sc[h][k]);
      }
    const __m512i bs = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)y.bsums));
    return _mm512_sub_epi32(_mm512_add_epi32(acc[0], acc[1]), _mm512_slli_epi32(_mm512_madd_epi16(bs, scales), 5));
  }
};

// ---- Q5_K: vec_dot_q5_K_avx2's arithmetic (simd_avx2_k.cc), two rows per 512-bit vector. The
// same maddubs / madd steps at twice the width give each row's half the AVX2 lanes' integers, and
// the float steps (one fma per superblock; the mins as an fma chain per row, added at the end, both
// rows' chains in two lanes of a vector) are the AVX2 kernel's: each output equals
// vec_dot_q5_K_avx2 bit for bit. dpwssd takes each madd and its add in one, in two chains (the same
// int32 sums, which wrap alike).

// 0x10 in each byte whose bit b of qh is set (both rows' halves): simd_avx2_k.cc's q5k_high.
inline __m512i q5k_high512(__m512i qh, int b) {
  const __m512i sh = b <= 4 ? _mm512_sll_epi16(qh, _mm_cvtsi32_si128(4 - b)) : _mm512_srl_epi16(qh, _mm_cvtsi32_si128(b - 4));
  return _mm512_and_si512(sh, _mm512_set1_epi8(0x10));
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

// A Q5_K row pair's superblock head: each row's twelve packed bytes unpacked as
// scales_mins_k4_words does, both rows in one 256-bit vector, widened to int16. 128-bit lanes of sm:
// [a's 8 scales, a's 8 mins, b's 8 scales, b's 8 mins]; hd: [d, dmin] of a, then of b.
struct Q5KHead {
  __m512i sm;
  __m128 hd;
  Q5KHead() = default;
  Q5KHead(const block_q5_K& a, const block_q5_K& b) {
    // 32-bit lanes per row: A = packed bytes 0-3, B = 4-7, C = 8-11 (then four bytes of qh, unused)
    const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i*)a.scales)),
                                              _mm_loadu_si128((const __m128i*)b.scales), 1);
    const __m256i m6 = _mm256_set1_epi32(0x3f3f3f3f), m4 = _mm256_set1_epi32(0x0f0f0f0f), m2 = _mm256_set1_epi32(0x03030303);
    // lanes A, B: scales 0-3, mins 0-3 | scales 4-7, mins 4-7 (low bits from C, the top two from A, B)
    const __m256i lo = _mm256_and_si256(v, m6);
    const __m256i top = _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(v, 6), m2), 4);
    const __m256i cs = _mm256_srlv_epi32(_mm256_shuffle_epi32(v, _MM_SHUFFLE(2, 2, 2, 2)), _mm256_setr_epi32(0, 4, 0, 0, 0, 4, 0, 0));
    const __m256i hi = _mm256_or_si256(_mm256_and_si256(cs, m4), top);
    sm = _mm512_cvtepu8_epi16(_mm256_unpacklo_epi32(lo, hi));
    uint32_t ha, hb;
    std::memcpy(&ha, &a.d, 4);
    std::memcpy(&hb, &b.d, 4);
    hd = _mm_cvtph_ps(_mm_setr_epi32((int)ha, (int)hb, 0, 0));
  }
  // Each row's scales as int16 in both 128-bit lanes of its half: one byte shuffle spreads scale k
  // over the half (word_spread).
  __m512i scales() const { return _mm512_shuffle_i64x2(sm, sm, _MM_SHUFFLE(2, 2, 0, 0)); }
  // Both rows' mins chains (lanes 0 and 1 of chain), as vec_dot_q5_K_avx2 keeps each:
  // fma(-d_a * dmin_w, sum of mins x activation sums, chain). bp: q5k_act_pairs.
  void chains(const __m512i& bp, float d_a, __m128& chain) const {
    __m512i ms = _mm512_madd_epi16(sm, bp);  // lanes 1, 3: four int32 partial sums per row, exact
    ms = _mm512_add_epi32(ms, _mm512_shuffle_epi32(ms, _MM_PERM_BADC));
    ms = _mm512_add_epi32(ms, _mm512_shuffle_epi32(ms, _MM_PERM_CDAB));
    const __m128 sums = _mm512_castps512_ps128(_mm512_permutexvar_ps(_mm512_set1_epi64(12LL << 32 | 4), _mm512_cvtepi32_ps(ms)));
    const __m128 ndmin = _mm_mul_ps(_mm_set1_ps(-d_a), _mm_shuffle_ps(hd, hd, _MM_SHUFFLE(3, 1, 3, 1)));
    chain = _mm_fmadd_ps(ndmin, sums, chain);
  }
  // d_w * d_a of row a x8 | row b x8
  __m512 dd(float d_a) const {
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2),
                                 _mm512_castps128_ps512(_mm_mul_ps(_mm_set1_ps(d_a), hd)));
  }
};

// The activation sums a Q5_K superblock's mins meet: bsums[2j] + bsums[2j + 1] for sub-block j as
// int16 (|sum| <= 4096), in the 128-bit lanes of Q5KHead::sm that hold the mins, zero elsewhere.
inline __m512i q5k_act_pairs(const block_q8_K& y) {
  const __m256i s = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i*)y.bsums), _mm256_set1_epi16(1));
  return _mm512_maskz_broadcast_i32x4(0xF0F0, _mm256_cvtepi32_epi16(s));
}

// One superblock of a Q5_K row pair: chunk k's values with their fifth bit and its scale spread
// over the chunk's int16 lanes, unpacked once for every activation row of a tile.
using Q5KType = PairType<block_q5_K, block_q8_K, QK_K, vec_dot_q5_K_avx2>;

struct PairQ5K : Q5KType {
  static constexpr bool kChains = true;
  __m512i q[8], sc[8];
  Q5KHead head;
  void load(const block_q5_K& a, const block_q5_K& b) {
    head = Q5KHead(a, b);
    const __m512i scw = head.scales();
    const __m512i qh = load_pair(a.qh, b.qh);
    for (int j = 0; j < QK_K / 64; j++) {
      q5k_values(a, b, qh, j, q[2 * j], q[2 * j + 1]);
      sc[2 * j] = _mm512_shuffle_epi8(scw, word_spread(2 * j));
      sc[2 * j + 1] = _mm512_shuffle_epi8(scw, word_spread(2 * j + 1));
    }
  }
  __m512 dd(const block_q8_K& y) const { return head.dd(y.d); }
  __m512i sumi(const block_q8_K& y) const {
    __m512i acc[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};  // a chain for each chunk of a step
    for (int j = 0; j < 4; j++) {
      const __m512i y0 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y.qs + 64 * j)));
      const __m512i y1 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y.qs + 64 * j + 32)));
      acc[0] = _mm512_dpwssd_epi32(acc[0], _mm512_maddubs_epi16(q[2 * j], y0), sc[2 * j]);
      acc[1] = _mm512_dpwssd_epi32(acc[1], _mm512_maddubs_epi16(q[2 * j + 1], y1), sc[2 * j + 1]);
    }
    return _mm512_add_epi32(acc[0], acc[1]);
  }
  void chains(const block_q8_K& y, __m128& chain) const { head.chains(q5k_act_pairs(y), y.d, chain); }
};

// Q5_K decode (PairDecode): a row pair's superblock against the one activation row.
struct Q5K : Q5KType {
  struct Act {
    const block_q8_K& y;
    __m512i bp;  // q5k_act_pairs
    explicit Act(const block_q8_K& b) : y(b), bp(q5k_act_pairs(b)) {}
  };
  // PairQ5K's steps chunk by chunk (unpacking the whole superblock first, as the batch tiles do,
  // ran 0.9x here).
  static void pair(const Block& a, const Block& b, const Act& act, __m512& acc, __m128& chain) {
    const block_q8_K& y = act.y;
    const Q5KHead h(a, b);
    h.chains(act.bp, y.d, chain);
    const __m512i sc = h.scales();
    const __m512i qh = load_pair(a.qh, b.qh);
    __m512i sumi[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};  // a chain for each chunk of a step
    for (int j = 0; j < QK_K / 64; j++) {
      __m512i q0, q1;
      q5k_values(a, b, qh, j, q0, q1);
      const __m512i p0 = _mm512_maddubs_epi16(q0, _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y.qs + 64 * j))));
      const __m512i p1 = _mm512_maddubs_epi16(q1, _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y.qs + 64 * j + 32))));
      sumi[0] = _mm512_dpwssd_epi32(sumi[0], p0, _mm512_shuffle_epi8(sc, word_spread(2 * j)));
      sumi[1] = _mm512_dpwssd_epi32(sumi[1], p1, _mm512_shuffle_epi8(sc, word_spread(2 * j + 1)));
    }
    acc = _mm512_fmadd_ps(h.dd(y.d), _mm512_cvtepi32_ps(_mm512_add_epi32(sumi[0], sumi[1])), acc);
  }
};

}  // namespace

// Q5_K: decode in row pairs with four streams (pair_tiles_avx512.h), batches in tiles of two rows
// x eight activation rows.
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

// Q2_K and Q3_K with two 32-value chunks per 512-bit step: chunk s of half 0 in the low 256 bits,
// chunk s of half 1 in the high, so a step is two of the AVX2 kernel's. The two halves' int32 lanes
// add at the end of the super-block: the same integers as the AVX2 kernel's eight lanes, so the
// float steps (and outputs) are its own. A row's super-block is decoded once (Row::load) for every
// activation row it meets: the dot products take one, the batch tiles several.
namespace {
inline __m256i fold_halves(const __m512i& v) { return _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1)); }
inline __m512i chunk_q8(const block_q8_K& y, int s) { return load_pair((const uint8_t*)y.qs + 32 * s, (const uint8_t*)y.qs + 128 + 32 * s); }

// The scales of chunk s of both halves, for the madd (chunk_pick's bytes in each 256-bit half).
inline void chunk_scale_set(const __m256i* half, __m512i* sc) {
  const __m512i both = join(half[0], half[1]);
  each_chunk([&](auto c) {
    constexpr int S = decltype(c)::value;
    sc[S] = _mm512_shuffle_epi8(both, _mm512_broadcast_i64x4(chunk_pick<S>()));
  }, std::make_integer_sequence<int, 4>{});
}

// The 512-bit steps of the rows below (TwoHalvesTiles, simd_avx2.h).
struct Steps512 {
  using Vec = __m512i;
  static constexpr int kSteps = 4;
  static Vec q8(const block_q8_K& y, int s) { return chunk_q8(y, s); }
  static Vec add(const Vec& a, const Vec& b) { return _mm512_add_epi32(a, b); }
  static __m256i fold(const Vec& v) { return fold_halves(v); }
};

struct RowQ2K : Steps512, Q2KFloat {
  __m512i q[4], sc[4];
  void load(const block_q2_K& b) {
    head(b);
    __m256i half[2];
    scale_halves(_mm_and_si128(_mm_loadu_si128((const __m128i*)b.scales), _mm_set1_epi8(0xF)), half);
    chunk_scale_set(half, sc);
    const __m512i bits = _mm512_loadu_si512(b.qs), m3 = _mm512_set1_epi8(3);
    each_chunk([&](auto c) { q[decltype(c)::value] = _mm512_and_si512(_mm512_srli_epi16(bits, 2 * decltype(c)::value), m3); },
               std::make_integer_sequence<int, 4>{});
  }
  __m512i chunk(int s, const __m512i& q8) const { return _mm512_madd_epi16(sc[s], _mm512_maddubs_epi16(q[s], q8)); }
};

struct RowQ3K : Steps512, Q3KFloat {
  __m512i low[4], four[4], sc[4];
  void load(const block_q3_K& b) {
    head(b);
    __m256i half[2];
    scale_halves(q3_K_scales(b.scales), half);
    chunk_scale_set(half, sc);
    const __m256i clear256 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)b.hmask), _mm256_set1_epi8(-1));
    const __m512i clear = join(clear256, clear256), bits = _mm512_loadu_si512(b.qs);
    const __m512i m3 = _mm512_set1_epi8(3), one = _mm512_set1_epi8(1);
    each_chunk([&](auto c) {
      constexpr int S = decltype(c)::value;
      // chunk S of half 0 takes hmask bit S, of half 1 bit 4 + S
      const __m512i shift = _mm512_inserti64x4(_mm512_set1_epi16(S), _mm256_set1_epi16(4 + S), 1);
      low[S] = _mm512_and_si512(_mm512_srli_epi16(bits, 2 * S), m3);
      four[S] = _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(clear, shift), one), 2);
    }, std::make_integer_sequence<int, 4>{});
  }
  __m512i chunk(int s, const __m512i& q8) const {
    return _mm512_madd_epi16(sc[s], _mm512_sub_epi16(_mm512_maddubs_epi16(low[s], q8), _mm512_maddubs_epi16(four[s], q8)));
  }
};

template <int R, int C>
using TileQ2K = TwoHalvesTiles<RowQ2K>::Tile<R, C>;
template <int R, int C>
using TileQ3K = TwoHalvesTiles<RowQ3K>::Tile<R, C>;
}  // namespace

float vec_dot_q2_K_avx512(int64_t n, const void* vx, const void* vy) {
  float s;
  TileQ2K<1, 1>::run(n, (const uint8_t*)vx, 0, (const uint8_t*)vy, 0, &s, 0);
  return s;
}
float vec_dot_q3_K_avx512(int64_t n, const void* vx, const void* vy) {
  float s;
  TileQ3K<1, 1>::run(n, (const uint8_t*)vx, 0, (const uint8_t*)vy, 0, &s, 0);
  return s;
}
// Batches in tiles (a decoded row serves four activation rows); decode one dot product a row.
void gemm_q2_K_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) return gemm_rows(vec_dot_q2_K_avx512, n, x, bx, nr, y, s);
  gemm_drive<2, 4, TileQ2K>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}
void gemm_q3_K_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) return gemm_rows(vec_dot_q3_K_avx512, n, x, bx, nr, y, s);
  gemm_drive<1, 4, TileQ3K>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}

}  // namespace lg
