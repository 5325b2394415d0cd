// AVX-512 rows-of-8 kernels (quant.h): the arithmetic of simd_avx2_rows8.cc, eight rows in one
// 512-bit vector. Each row's 8-byte chunk of nibbles takes a 64-bit lane, so a broadcast activation
// chunk meets all eight rows at once and VNNI's dpbusd sums four byte products into an int32 lane
// where AVX2 needs maddubs, an int16 add and a madd; the two int32 halves of a row's lane then add
// up (Q4_0 keeps two columns' sums in one vector, one per half; Q4_K packs them to int16 for a
// madd with its scales). The
// integer sums are the same exact integers (nibbles times int8 never saturate the AVX2 path's int16
// steps), and the float steps are the AVX2 kernel's, so every output equals it bit for bit — which
// is llama.cpp's repacked arithmetic.
#include "simd_avx2.h"
namespace lg {

// Q4_0, 8 rows x C columns (prefill; decode has simd_avx512_q4_0_gemv.cc), the columns in twos:
// one 512-bit vector holds row r of both columns in its 64-bit lane r (column 2j in the low half),
// so the float steps take half the instructions and the two halves of each row's dpbusd lane add
// without narrowing shuffles. Every lane gets the one-column kernel's value: the same exact
// integer, the same scale product and one fma per block. A lone column (C = 1: a batch's odd last
// column) fills both halves and stores one.
// Where a Q4_0 / IQ4_NL tile's eight rows come from: ggml's rows (row r at x + r * bx), or a tile
// repacked at load (repack_tiles8_b32), which stores per block the rows' scales in row order and
// the vectors e and o below, so both are loads.
struct B32Rows {
  const uint8_t* x;
  size_t bx;
  // Rows 0, 2, 4, 6 in e's 128-bit lanes and 1, 3, 5, 7 in o's.
  void eo(int64_t b, __m512i& e, __m512i& o) const {
    auto qs = [&](int r) { return _mm_loadu_si128((const __m128i*)((const block_q4_0*)(x + r * bx) + b)->qs); };
    e = _mm512_castsi128_si512(qs(0));
    o = _mm512_castsi128_si512(qs(1));
    e = _mm512_inserti32x4(e, qs(2), 1);
    o = _mm512_inserti32x4(o, qs(3), 1);
    e = _mm512_inserti32x4(e, qs(4), 2);
    o = _mm512_inserti32x4(o, qs(5), 2);
    e = _mm512_inserti32x4(e, qs(6), 3);
    o = _mm512_inserti32x4(o, qs(7), 3);
  }
  __m256 dw(int64_t b) const { return rows_f16((const uint8_t*)((const block_q4_0*)x + b), bx); }
  const uint8_t* next_tile() const { return x + 8 * bx; }
  size_t tile_bytes() const { return 8 * bx; }
};
struct B32Tile {
  const uint8_t* t;  // the tile's blocks, kTile8B32Block bytes each
  void eo(int64_t b, __m512i& e, __m512i& o) const {
    e = _mm512_loadu_si512(t + b * kTile8B32Block + kTile8B32Even);
    o = _mm512_loadu_si512(t + b * kTile8B32Block + kTile8B32Odd);
  }
  __m256 dw(int64_t b) const { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(t + b * kTile8B32Block))); }
  const uint8_t* next_tile() const { return t; }
  size_t tile_bytes() const { return 0; }  // one stream: the hardware prefetcher's alone
};

template <int C, bool NL, class Src>
static inline void q4_0_tile512(int64_t nb, const Src& x, const uint8_t* y, size_t by, const int32_t* ysum, float* s, size_t bs) {
  constexpr int P = (C + 1) / 2;
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i pairs = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  __m512 acc[P];
  for (int j = 0; j < P; j++) acc[j] = _mm512_setzero_ps();
  PrefetchShare pf(x.next_tile(), x.tile_bytes(), nb);  // the next tile's rows (simd_avx2.h)
  for (int64_t b = 0; b < nb; b++) {
    pf.step();
    // Unpacking the 64-bit halves of e and o puts chunk k of row r in 64-bit lane r.
    __m512i e, o;
    x.eo(b, e, o);
    const __m512i c0 = _mm512_unpacklo_epi64(e, o), c1 = _mm512_unpackhi_epi64(e, o);
    // values 0-7, 8-15 (low nibbles of chunks 0, 1) and 16-23, 24-31 (high nibbles)
    const __m512i w[4] = {b32_unsigned_levels<NL>(_mm512_and_si512(c0, m4)), b32_unsigned_levels<NL>(_mm512_and_si512(c1, m4)),
                          b32_unsigned_levels<NL>(_mm512_and_si512(_mm512_srli_epi16(c0, 4), m4)),
                          b32_unsigned_levels<NL>(_mm512_and_si512(_mm512_srli_epi16(c1, 4), m4))};
    const __m512 dw = _mm512_permutexvar_ps(pairs, _mm512_castps256_ps512(x.dw(b)));
#pragma GCC unroll 8
    for (int j = 0; j < P; j++) {
      const int c1 = 2 * j + 1 < C ? 2 * j + 1 : 2 * j;
      const block_q8_0* y0 = (const block_q8_0*)(y + 2 * j * by) + b;
      const block_q8_0* y1 = (const block_q8_0*)(y + c1 * by) + b;
      __m512i q0 = _mm512_setzero_si512(), q1 = _mm512_setzero_si512();
      for (int k = 0; k < 4; k++) {
        q0 = _mm512_dpbusd_epi32(q0, w[k], _mm512_set1_epi64(load64(y0->qs + 8 * k)));
        q1 = _mm512_dpbusd_epi32(q1, w[k], _mm512_set1_epi64(load64(y1->qs + 8 * k)));
      }
      // row r's sums: column 2j in the low half of lane r, column 2j + 1 in the high half
      const __m512i rows = _mm512_mask_blend_epi32(0xAAAA, _mm512_add_epi32(q0, _mm512_srli_epi64(q0, 32)),
                                                   _mm512_add_epi32(q1, _mm512_slli_epi64(q1, 32)));
      const uint32_t o0 = (uint32_t)(kB32Offset<NL> * ysum[2 * j * nb + b]), o1 = (uint32_t)(kB32Offset<NL> * ysum[c1 * nb + b]);
      const __m512i off = _mm512_set1_epi64((long long)(o0 | (uint64_t)o1 << 32));
      const __m512 dy = _mm512_mask_mov_ps(_mm512_set1_ps(_cvtsh_ss(y0->d)), 0xAAAA, _mm512_set1_ps(_cvtsh_ss(y1->d)));
      acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(rows, off)), _mm512_mul_ps(dw, dy), acc[j]);
    }
  }
  const __m512i cols = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);  // -> column 2j | 2j + 1
  for (int j = 0; j < P; j++) {
    const __m512 v = _mm512_permutexvar_ps(cols, acc[j]);
    _mm256_storeu_ps(s + 2 * j * bs, _mm512_castps512_ps256(v));
    if (2 * j + 1 < C) _mm256_storeu_ps(s + (2 * j + 1) * bs, _mm512_extractf32x8_ps(v, 1));
  }
}

// Q4_0 / IQ4_NL from ggml's rows or (Tiles) from repacked tiles (quant.h): decode through
// simd_avx512_q4_0_gemv.cc's kernels, batches through q4_0_tile512.
template <bool NL, bool Tiles>
static void gemm_b32_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t* ysum,
                            int64_t nc, float* s, size_t bs) {
  const int64_t nb = n / QK4_0;
  const uint8_t* x = (const uint8_t*)vx;
  const uint8_t* y = (const uint8_t*)vy;
  if (nc == 1) {  // decode: a tile of its own
    if constexpr (Tiles) return NL ? gemv_tiles8_iq4_nl_avx512(n, vx, bx, nr, vy, ysum, s) : gemv_tiles8_q4_0_avx512(n, vx, bx, nr, vy, ysum, s);
    else return NL ? gemv_rows8_iq4_nl_avx512(n, vx, bx, nr, vy, ysum, s) : gemv_rows8_q4_0_avx512(n, vx, bx, nr, vy, ysum, s);
  }
  drive_rows8<true>(nr, nc, nc, [&](auto cols, int64_t r, int64_t c) {
    constexpr int C = decltype(cols)::value;
    if constexpr (Tiles) q4_0_tile512<C, NL>(nb, B32Tile{x + r * bx}, y + c * by, by, ysum + c * nb, s + c * bs + r, bs);
    else q4_0_tile512<C, NL>(nb, B32Rows{x + r * bx, bx}, y + c * by, by, ysum + c * nb, s + c * bs + r, bs);
  });
}

void gemm_tiles8_q4_0_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t* ysum,
                             int64_t nc, float* s, size_t bs) {
  gemm_b32_avx512<false, true>(n, vx, bx, nr, vy, by, ysum, nc, s, bs);
}

void gemm_tiles8_iq4_nl_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t* ysum,
                               int64_t nc, float* s, size_t bs) {
  gemm_b32_avx512<true, true>(n, vx, bx, nr, vy, by, ysum, nc, s, bs);
}

void gemm_rows8_q4_0_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t* ysum,
                            int64_t nc, float* s, size_t bs) {
  gemm_b32_avx512<false, false>(n, vx, bx, nr, vy, by, ysum, nc, s, bs);
}

// IQ4_NL: Q4_0's tiles with its levels looked up (llama.cpp runs one template over both).
void gemm_rows8_iq4_nl_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t* ysum,
                              int64_t nc, float* s, size_t bs) {
  gemm_b32_avx512<true, false>(n, vx, bx, nr, vy, by, ysum, nc, s, bs);
}

// Pair p's 32 bytes of eight rows (row 0 at q, stride bx) as four vectors of 8-byte chunks: 64-bit
// lane r of out[k] = bytes 8k..8k+7 of row r. Rows r and r + 2 share a vector, so the in-lane 64-bit
// unpacks of two such vectors leave whole 128-bit lanes that one shuffle each puts in row order.
static inline void pair_chunks8(const uint8_t* q, size_t bx, __m512i* out) {
  auto two = [&](int r) {
    const __m256i lo = _mm256_loadu_si256((const __m256i*)(q + r * bx));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), _mm256_loadu_si256((const __m256i*)(q + (r + 2) * bx)), 1);
  };
  const __m512i r02 = two(0), r13 = two(1), r46 = two(4), r57 = two(5);
  // 128-bit lanes: rows (0 1) chunk k, (0 1) chunk k + 2, (2 3) chunk k, (2 3) chunk k + 2; k = 0 / 1
  const __m512i e0 = _mm512_unpacklo_epi64(r02, r13), e1 = _mm512_unpackhi_epi64(r02, r13);
  const __m512i f0 = _mm512_unpacklo_epi64(r46, r57), f1 = _mm512_unpackhi_epi64(r46, r57);  // rows 4-7
  out[0] = _mm512_shuffle_i64x2(e0, f0, _MM_SHUFFLE(2, 0, 2, 0));
  out[1] = _mm512_shuffle_i64x2(e1, f1, _MM_SHUFFLE(2, 0, 2, 0));
  out[2] = _mm512_shuffle_i64x2(e0, f0, _MM_SHUFFLE(3, 1, 3, 1));
  out[3] = _mm512_shuffle_i64x2(e1, f1, _MM_SHUFFLE(3, 1, 3, 1));
}

// Where a Q4_K tile's eight rows come from: ggml's rows (row r at x + r * bx), gathered per pair of
// sub-blocks by pair_chunks8 and per superblock by rows_head16; or a tile repacked at load
// (repack_tiles8_q4_K), which stores per superblock those gathered vectors in the order the kernel
// reads them (the heads' four 32-byte vectors, then each pair's four 64-byte ones), so the tile reads
// one stream with no shuffles. Both give the same vectors, so the same outputs bit for bit.
struct Q4KRows {
  const uint8_t* x;
  size_t bx;
  HeadQ4K head(int64_t b) const { return HeadQ4K((const block_q4_K*)x + b, bx); }
  void chunks(int64_t b, int p, __m512i* w) const { pair_chunks8(((const block_q4_K*)x + b)->qs + 32 * p, bx, w); }
  const uint8_t* next_tile() const { return x + 8 * bx; }
  size_t tile_bytes() const { return 8 * bx; }
};
struct Q4KTile {
  const uint8_t* t;  // the tile's superblocks, kTile8Q4KSuperblock bytes each
  HeadQ4K head(int64_t b) const { return HeadQ4K(t + b * kTile8Q4KSuperblock); }
  void chunks(int64_t b, int p, __m512i* w) const {
    const uint8_t* q = t + b * kTile8Q4KSuperblock + kTile8Q4KHeads + 256 * p;
    for (int k = 0; k < 4; k++) w[k] = _mm512_loadu_si512(q + 64 * k);
  }
  const uint8_t* next_tile() const { return t; }
  size_t tile_bytes() const { return 0; }  // one stream: the hardware prefetcher's alone
};

// Pair p's weights (chunks: pair_chunks8's vectors) split into nibbles: lo[k] = low nibbles of chunk
// k (values 8k..8k+7 of sub-block 2p), hi[k] = high nibbles (sub-block 2p+1).
static inline void pair_nibbles(const __m512i* w, __m512i* lo, __m512i* hi) {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  for (int k = 0; k < 4; k++) {
    lo[k] = _mm512_and_si512(w[k], m4);
    hi[k] = _mm512_and_si512(_mm512_srli_epi16(w[k], 4), m4);
  }
}

// One column's sums over pair p for eight rows (a = its 64 activations): 64-bit lane r of slo / shi
// holds row r's sum over sub-block 2p / 2p+1 as two int32 halves. Each half sums 16 products of a
// nibble and an int8 (|half| <= 30720), so the halves pack to int16 exactly.
static inline void pair_sums(const __m512i* lo, const __m512i* hi, const int8_t* a, __m512i& slo, __m512i& shi) {
  slo = shi = _mm512_setzero_si512();
  for (int k = 0; k < 4; k++) {
    slo = _mm512_dpbusd_epi32(slo, lo[k], _mm512_set1_epi64(load64(a + 8 * k)));
    shi = _mm512_dpbusd_epi32(shi, hi[k], _mm512_set1_epi64(load64(a + 32 + 8 * k)));
  }
}

// Lane i of the result = lanes 2i, 2i + 1, 2i, 2i + 1 of v: eight rows laid out for the int16 packs
// of pair_sums (per 128-bit lane, rows 2i and 2i + 1 from each of two sources).
static inline __m512i rows_in_pairs(const __m256i& v) {
  return _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 1, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7), _mm512_castsi256_si512(v));
}
static inline __m512 rows_in_pairs(const __m256& v) { return _mm512_castsi512_ps(rows_in_pairs(_mm256_castps_si256(v))); }

// Pair p's int16 scales for a madd against packed pair_sums, from sc4 = rows_in_pairs(hd.sc[p / 2])
// (per 128-bit lane i, scale bytes 4(p/2)..4(p/2)+3 of rows 2i, 2i+1, 2i, 2i+1): int16 lane k takes
// byte at[2k] + 2(p % 2), where at[2k] = 0 or 4 picks row 2i or 2i+1 and + 1 scale 2p+1 over 2p.
static inline __m512i pair_scales(const __m512i& sc4, int p, const __m128i& at) {
  return _mm512_shuffle_epi8(sc4, _mm512_broadcast_i32x4(_mm_add_epi8(at, _mm_set1_epi16((short)(2 * (p % 2))))));
}

// Q4_K, 8 rows x C columns in llama.cpp's gemm order (one fma per pair): q4_K_tile_quads<C, true>
// (simd_avx2_rows8.cc) with the columns in twos, one vector holding both: lane i = [row 2i, 2i+1 of
// column 0, the same of column 1]. The float steps work lane by lane, so each lane gets the AVX2
// kernel's value, and half as many vectors take half the float steps and fit in registers.
template <int C, class Src>
static inline void q4_K_tile512_pairs(int64_t nb, const Src& x, const uint8_t* y, size_t by, float* s, size_t bs) {
  static_assert(C % 2 == 0, "columns in twos");
  // for packs(column 0, column 1): per 128-bit lane rows 2i, 2i+1 of each, two halves a row
  const __m128i at_lo = _mm_setr_epi8(0, -1, 0, -1, 4, -1, 4, -1, 0, -1, 0, -1, 4, -1, 4, -1);
  const __m128i at_hi = _mm_add_epi8(at_lo, _mm_set1_epi16(1));
  __m512 acc[C / 2], accm[C / 2];
  for (int j = 0; j < C / 2; j++) acc[j] = accm[j] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; b++) {
    const HeadQ4K hd = x.head(b);
    const __m512 dw = rows_in_pairs(hd.dw), mw = rows_in_pairs(hd.mw);
    __m512 dd[C / 2], dm[C / 2];  // d_w * d_a and dmin_w * d_a, as the AVX2 kernel multiplies them per pair
    for (int j = 0; j < C / 2; j++) {
      const __m512 dy = _mm512_mask_mov_ps(_mm512_set1_ps(((const block_q8_K*)(y + 2 * j * by) + b)->d), 0xCCCC,
                                           _mm512_set1_ps(((const block_q8_K*)(y + (2 * j + 1) * by) + b)->d));
      dd[j] = _mm512_mul_ps(dw, dy);
      dm[j] = _mm512_mul_ps(mw, dy);
    }
    for (int p = 0; p < 4; p++) {
      const __m512i mins = rows_in_pairs(hd.min_pair(p));
      const __m512i sc4 = rows_in_pairs(hd.sc[p / 2]);
      const __m512i sc_lo = pair_scales(sc4, p, at_lo), sc_hi = pair_scales(sc4, p, at_hi);
      __m512i w[4], lo[4], hi[4];
      x.chunks(b, p, w);
      pair_nibbles(w, lo, hi);
#pragma GCC unroll 8
      for (int j = 0; j < C / 2; j++) {
        const block_q8_K* y0 = (const block_q8_K*)(y + 2 * j * by) + b;
        const block_q8_K* y1 = (const block_q8_K*)(y + (2 * j + 1) * by) + b;
        __m512i lo0, hi0, lo1, hi1;
        pair_sums(lo, hi, y0->qs + 64 * p, lo0, hi0);
        pair_sums(lo, hi, y1->qs + 64 * p, lo1, hi1);
        // packed, per 128-bit lane: rows 2i, 2i+1 of column 0, then of column 1, two halves each;
        // the madds scale them and add the halves
        const __m512i ip = _mm512_dpwssd_epi32(_mm512_madd_epi16(_mm512_packs_epi32(lo0, lo1), sc_lo), _mm512_packs_epi32(hi0, hi1), sc_hi);
        const __m512i as = _mm512_mask_set1_epi32(_mm512_set1_epi32(act_sum_bits(y0, p)), 0xCCCC, act_sum_bits(y1, p));
        const __m512i imv = _mm512_madd_epi16(mins, as);
        acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ip), dd[j], acc[j]);
        accm[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(imv), dm[j], accm[j]);
      }
    }
  }
  const __m512i cols = _mm512_setr_epi32(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);  // -> column 0 | column 1
  for (int j = 0; j < C / 2; j++) {
    const __m512 v = _mm512_permutexvar_ps(cols, _mm512_sub_ps(acc[j], accm[j]));
    _mm256_storeu_ps(s + 2 * j * bs, _mm512_castps512_ps256(v));
    _mm256_storeu_ps(s + (2 * j + 1) * bs, _mm512_extractf32x8_ps(v, 1));
  }
}

// The mins term of one superblock for eight rows, sum over sub-blocks j of mn_j * asum_j: the sum of
// the AVX2 kernel's four per-pair madds, the same integer, in one madd pair over all eight.
static inline __m256i superblock_mins(const HeadQ4K& hd, const block_q8_K* yb) {
  const __m256i bsums = _mm256_loadu_si256((const __m256i*)yb->bsums);
  const __m128i asum = _mm256_cvtepi32_epi16(_mm256_madd_epi16(bsums, _mm256_set1_epi16(1)));  // |32 int8| fits int16
  const __m512i a03 = _mm512_broadcastq_epi64(asum), a47 = _mm512_broadcastq_epi64(_mm_unpackhi_epi64(asum, asum));
  // 64-bit lane r: row r's mins 0-3 (then 4-7) as int16
  const __m512i q = _mm512_dpwssd_epi32(_mm512_madd_epi16(_mm512_cvtepu8_epi16(hd.mn[0]), a03), _mm512_cvtepu8_epi16(hd.mn[1]), a47);
  return _mm512_cvtepi64_epi32(_mm512_add_epi32(q, _mm512_srli_epi64(q, 32)));
}

// Q4_K, 8 rows x 1 column in llama.cpp's gemv order (one fma per superblock): q4_K_tile_quads<1,
// false>. The superblock's integer sum adds up in the packed layout and reaches row order once.
// prefetch: the next eight adjacent rows, a share per superblock (adjacent tiles of ggml's rows;
// streams and repacked tiles run without it).
template <class Src>
static inline void q4_K_tile512_gemv(int64_t nb, const Src& x, const uint8_t* y, float* s, bool prefetch = true) {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  // scales for packs(lo, hi): per 128-bit lane i, [2i lo, 2i+1 lo, 2i hi, 2i+1 hi], two halves each
  const __m128i at = _mm_setr_epi8(0, -1, 0, -1, 4, -1, 4, -1, 1, -1, 1, -1, 5, -1, 5, -1);
  const __m512i rows = _mm512_setr_epi32(0, 1, 4, 5, 8, 9, 12, 13, 0, 1, 4, 5, 8, 9, 12, 13);
  __m256 acc = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
  PrefetchShare pf(x.next_tile(), prefetch ? x.tile_bytes() : 0, nb);  // adjacent tiles: the next eight rows (simd_avx2.h)
  for (int64_t b = 0; b < nb; b++) {
    pf.step();
    const HeadQ4K hd = x.head(b);
    const block_q8_K* yb = (const block_q8_K*)y + b;
    __m512i ib = _mm512_setzero_si512();
#pragma GCC unroll 4
    for (int p = 0; p < 4; p++) {
      __m512i w[4], lo[4], hi16[4], slo, shi16;
      x.chunks(b, p, w);
      for (int k = 0; k < 4; k++) {
        lo[k] = _mm512_and_si512(w[k], m4);
        hi16[k] = _mm512_andnot_si512(m4, w[k]);  // 16 times the high nibbles: one shift of the sums instead of four here
      }
      pair_sums(lo, hi16, yb->qs + 64 * p, slo, shi16);
      const __m512i shi = _mm512_srai_epi32(shi16, 4);  // exact: every product was a multiple of 16
      ib = _mm512_dpwssd_epi32(ib, _mm512_packs_epi32(slo, shi), pair_scales(rows_in_pairs(hd.sc[p / 2]), p, at));
    }
    // lane i: [2i lo, 2i+1 lo, 2i hi, 2i+1 hi] -> [2i, 2i+1, ..] -> rows in order
    const __m512i sums = _mm512_add_epi32(ib, _mm512_shuffle_epi32(ib, _MM_PERM_BADC));
    const __m256i ibr = _mm512_castsi512_si256(_mm512_permutexvar_epi32(rows, sums));
    const __m256 dy = _mm256_set1_ps(yb->d);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ibr), _mm256_mul_ps(hd.dw, dy), acc);
    accm = _mm256_fmadd_ps(_mm256_cvtepi32_ps(superblock_mins(hd, yb)), _mm256_mul_ps(hd.mw, dy), accm);
  }
  _mm256_storeu_ps(s, _mm256_sub_ps(acc, accm));
}

// Every tile of eight rows x the columns, rows r..r+7 from src(r) (Q4KRows or Q4KTile): columns in
// fours through the pairs kernel, the rest (and decode from tiles) one at a time.
template <class MakeSrc>
static void q4_K_tiles(int64_t nb, int64_t nr, int64_t nc, const uint8_t* y, size_t by, float* s, size_t bs, const MakeSrc& src) {
  drive_rows8(nr, nc - nc % 4, nc, [&](auto cols, int64_t r, int64_t c) {
    constexpr int C = decltype(cols)::value;
    if constexpr (C == 1) q4_K_tile512_gemv(nb, src(r), y + c * by, s + c * bs + r);
    else q4_K_tile512_pairs<C>(nb, src(r), y + c * by, by, s + c * bs + r, bs);
  });
}

void gemm_rows8_q4_K_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t*,
                            int64_t nc, float* s, size_t bs) {
  const int64_t nb = n / QK_K;
  const uint8_t* x = (const uint8_t*)vx;
  const uint8_t* y = (const uint8_t*)vy;
  if (nc == 1) {
    // Decode: eight streams of rows (tile_drive.h) where each runs 16 KiB or more, adjacent tiles
    // with their prefetch for the rest. Long streams read 1.2-1.3x faster on one thread (500M Q4_K
    // layer sequence; Q4_K_M file's matrices 1.14x). The 16-64 KiB streams of a two-thread split
    // of this model's layers measured 0.92-1.04x on Zen 5 (section 14, which set a 64 KiB floor)
    // and 1.09-1.10x on Zen 4 (section 23; a 4 KiB floor 1.02x more). Prefetching ahead cost the
    // streams 6-15% on both (bench/native-notes.md sections 14, 23).
    return decode_rows8(x, bx, nr, s, [&](const uint8_t* rows, size_t rs, float* out, bool prefetch) __attribute__((always_inline)) {
      q4_K_tile512_gemv(nb, Q4KRows{rows, rs}, y, out, prefetch);
    });
  }
  q4_K_tiles(nb, nr, nc, y, by, s, bs, [&](int64_t r) { return Q4KRows{x + r * bx, bx}; });
}

// The same from repacked tiles (quant.h gemm_tiles8_fn): tile r / 8 at x + r * bx. Decode reads
// the tiles in order, one stream: in 2 MiB pages that reads at the memory's speed, and without the
// gather a tile costs ~0.6x the arithmetic (a 16384 x 8192 matrix: 1.28x one thread and 1.09x two
// threads from DRAM against ggml's rows in eight streams, 1.64x in cache; bench/native-notes.md
// section 25).
void gemm_tiles8_q4_K_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t*,
                             int64_t nc, float* s, size_t bs) {
  const int64_t nb = n / QK_K;
  const uint8_t* x = (const uint8_t*)vx;
  const uint8_t* y = (const uint8_t*)vy;
  q4_K_tiles(nb, nr, nc, y, by, s, bs, [&](int64_t r) { return Q4KTile{x + r * bx}; });
}

}  // namespace lg
