// AVX-512 products of the 32-value blocks with one scale (Q8_0, Q5_0; Q4_0 where its rows do not
// come in eights) with Q8_0 activations, decode and batches: the arithmetic of the AVX2 kernels
// (their vec_dot, TileQ0), which is llama.cpp's for them on x86, two weight rows per 512-bit
// vector. Per block and output: eight int32 lanes, lane k the sum of the products of bytes
// 4k..4k+3, then acc = fma(d_w * d_a, lanes, acc) and hsum_ps at the end. VNNI's dpbusd multiplies
// unsigned by signed bytes, so a weight byte w is taken as w + 128 and 128 times the activation's
// four-byte sum, the same for every row, comes off again: the same exact integers as AVX2's
// sign trick, in a third of the instructions, and the float steps are the AVX2 kernel's.
#include <utility>
#include "pair_tiles_avx512.h"
namespace lg {

namespace {

// (A function, not a global: a namespace-scope constant would run an AVX-512 instruction when the
// addon loads, on every CPU.)
inline __m512i bias() { return _mm512_set1_epi8((char)0x80); }

// 32 activation bytes in both 256-bit halves, and -128 * (their four-byte lane sums), where the
// dot products start: dpbusd(neg, w + 128, a) = sum(w * a) per lane.
struct Act {
  __m512i q, neg;
  void load(const block_q8_0* b) {
    q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)b->qs));
    neg = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias(), q));
  }
};

// Rows r (low half) and r + 1 (high half) of block i as signed bytes (Blk::load, simd_avx2.h),
// biased to unsigned.
template <class Blk>
inline __m512i row_pair(const uint8_t* x, size_t bx, int64_t i) {
  return _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(Blk::load(x, i)), Blk::load(x + bx, i), 1), bias());
}

// Two rows' 16 bytes of nibbles (qa, qb) as their 32 values each, in value order: bytes 0-31 row a
// (low nibbles, then high), 32-63 row b. bytes_from_nibbles_32's layout for both rows in five steps.
inline __m512i nibble_pair(const uint8_t* qa, const uint8_t* qb) {
  const __m256i qs = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i*)qa)), _mm_loadu_si128((const __m128i*)qb), 1);
  // 128-bit lanes: a's 16 bytes twice, then b's twice; the second of each shifted to the high nibbles
  const __m512i dup = _mm512_shuffle_i64x2(_mm512_castsi256_si512(qs), _mm512_castsi256_si512(qs), _MM_SHUFFLE(1, 1, 0, 0));
  const __m512i by4 = _mm512_set_epi64(0x0004000400040004LL, 0x0004000400040004LL, 0, 0, 0x0004000400040004LL, 0x0004000400040004LL, 0, 0);
  return _mm512_and_si512(_mm512_srlv_epi16(dup, by4), _mm512_set1_epi8(0x0F));
}

// Q5_0's pair without the AVX2 path's byte-by-byte bit spreading: the two rows' 32 fifth bits
// (bit j for value j, the order of nibble_pair's bytes) make one 64-bit byte mask. A value v =
// nibble + 16 * bit - 16, biased, is nibble | 0x80 where the bit is set and nibble | 0x70 where it
// is clear, so one masked add of 0x10 finishes both rows. The same bytes as Blk::load's: ~8 vector
// steps a pair instead of ~17 (Q5_0 decode was bound by them at about half the memory's speed).
template <>
inline __m512i row_pair<Q5Blk>(const uint8_t* x, size_t bx, int64_t i) {
  const block_q5_0* a = Q5Blk::at(x, i);
  const block_q5_0* b = Q5Blk::at(x + bx, i);
  const __m512i low7 = _mm512_or_si512(nibble_pair(a->qs, b->qs), _mm512_set1_epi8(0x70));
  uint32_t ha, hb;
  std::memcpy(&ha, a->qh, 4);
  std::memcpy(&hb, b->qh, 4);
  return _mm512_mask_add_epi8(low7, (__mmask64)ha | (__mmask64)hb << 32, low7, _mm512_set1_epi8(0x10));
}

// Block i's f16 scale of rows 0..R-1 (row r at x + r * bx) in word r. (Each insert's lane must be a
// constant, unoptimised builds included: hence the index sequence rather than a loop.)
template <class Blk, size_t... R>
inline __m128i row_scales(const uint8_t* x, size_t bx, int64_t i, std::index_sequence<R...>) {
  __m128i v = _mm_setzero_si128();
  ((v = _mm_insert_epi16(v, (short)Blk::d(x + R * bx, i), (int)R)), ...);
  (void)x, (void)bx, (void)i;  // no rows: a tile of one row has no pairs
  return v;
}

inline __m512 lanes(__m512i ux, const Act& a) { return _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(a.neg, ux, a.q)); }


// H rows (even, or 1) x C columns. Row pairs in 512-bit accumulators, a last odd row in 256 bits.
template <class Blk>
struct Q0Tiles : GemmOperands {
  int64_t nb;
  bool prefetch;  // decode: fetch the next tile's rows (off when the rows are streams: decode_streams)
  template <int H, int C>
  void tile(int64_t r0, int64_t c0) const {
    constexpr int P = H / 2;
    const uint8_t* xr = x + r0 * bx;
    const uint8_t* yc = y + c0 * by;
    __m512 acc[P > 0 ? P : 1][C];
    __m256 acc1[C];
    for (int c = 0; c < C; c++) {
      for (int p = 0; p < P; p++) acc[p][c] = _mm512_setzero_ps();
      acc1[c] = _mm256_setzero_ps();
    }
    // Decode streams the weights: fetch the next tile's rows a share per block (simd_avx2.h).
    PrefetchShare pf(xr + H * bx, C == 1 && prefetch ? H * bx : 0, nb);
    for (int64_t i = 0; i < nb; i++) {
      pf.step();
      Act a[C];
      __m512 dy[C];
      for (int c = 0; c < C; c++) {
        const block_q8_0* yb = (const block_q8_0*)(yc + c * by) + i;
        a[c].load(yb);
        dy[c] = _mm512_set1_ps(_cvtsh_ss(yb->d));
      }
      // Decode: the paired rows' scales widened together and times the column's (one conversion
      // and one multiply for the tile), then a permute a pair; a conversion, broadcast and insert a
      // row had been a third of Q8_0's decode loop. Batches keep a pair's own (the tile's eight
      // inserts in a row and four columns' products ran 0.92x there). Each d_w * d_a is the same.
      __m512 dwy = _mm512_setzero_ps();  // decode: row r's d_w * d_a in lane r
      if constexpr (C == 1) {
        const __m128i dh = row_scales<Blk>(xr, bx, i, std::make_index_sequence<2 * P>{});
        dwy = _mm512_castps256_ps512(_mm256_mul_ps(_mm256_cvtph_ps(dh), _mm512_castps512_ps256(dy[0])));
      }
      for (int p = 0; p < P; p++) {
        const uint8_t* rp = xr + 2 * p * bx;
        if (C == 1 && !prefetch) {  // decode streams (tile_drive.h)
          prefetch_ahead<sizeof(typename Blk::block)>(Blk::at(rp, i));
          prefetch_ahead<sizeof(typename Blk::block)>(Blk::at(rp + bx, i));
        }
        const __m512i ux = row_pair<Blk>(rp, bx, i);
        if constexpr (C == 1) {
          const __m512i rows = _mm512_mask_blend_epi32(0xFF00, _mm512_set1_epi32(2 * p), _mm512_set1_epi32(2 * p + 1));  // rows 2p x8 | 2p+1 x8
          acc[p][0] = _mm512_fmadd_ps(_mm512_permutexvar_ps(rows, dwy), lanes(ux, a[0]), acc[p][0]);
        } else {
          const __m512 dw = halves(_cvtsh_ss(Blk::d(rp, i)), _cvtsh_ss(Blk::d(rp + bx, i)));
          for (int c = 0; c < C; c++) acc[p][c] = _mm512_fmadd_ps(_mm512_mul_ps(dw, dy[c]), lanes(ux, a[c]), acc[p][c]);
        }
      }
      if (H % 2) {
        const uint8_t* rl = xr + (H - 1) * bx;
        const __m256i ux = _mm256_xor_si256(Blk::load(rl, i), _mm256_set1_epi8((char)0x80));
        const float d0 = _cvtsh_ss(Blk::d(rl, i));
        for (int c = 0; c < C; c++) {
          const __m256i sum = _mm256_dpbusd_epi32(_mm512_castsi512_si256(a[c].neg), ux, _mm512_castsi512_si256(a[c].q));
          acc1[c] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(d0), _mm512_castps512_ps256(dy[c])), _mm256_cvtepi32_ps(sum), acc1[c]);
        }
      }
    }
    for (int c = 0; c < C; c++) {
      float* out = s + (c0 + c) * bs + r0;
      for (int p = 0; p < P; p++) {
        out[2 * p] = hsum_ps(_mm512_castps512_ps256(acc[p][c]));
        out[2 * p + 1] = hsum_ps(_mm512_extractf32x8_ps(acc[p][c], 1));
      }
      if (H % 2) out[H - 1] = hsum_ps(acc1[c]);
    }
  }
};

// Q5_0, Q5_1 and Q4_1 from repacked tiles (quant.h kTile8Q5_0Block and beside it), 8 rows x C
// columns, in their AVX2 dot products' arithmetic (Q0Tiles<Q5Blk>'s for Q5_0: the same biased
// bytes, lanes, d_w * d_a, fma and hsum_ps; for Q5_1 and Q4_1 the unsigned values, dx * dy, and
// the m * s chain of fmas added after hsum_ps, as vec_dot_min_avx2): each pair's nibbles from one
// broadcast load, its fifth bits from one 64-bit load, the eight rows' scales (and mins) from one.
// A pair's vector holds [a's values 0-15 | b's 0-15 | a's 16-31 | b's 16-31] (no lane shuffle a
// pair; the activation block takes that order once per column), so row a's eight int32 lanes are
// dwords 0-3 and 8-11, row b's 4-7 and 12-15, and the accumulators go back to row order once, at
// the end. L: the type's tile (kMin: mins and Q8_1 activations; kFifth: fifth bits).
struct Q5_0Tile {
  using ActBlock = block_q8_0;
  static constexpr bool kMin = false, kFifth = true;
  static constexpr size_t kBlock = kTile8Q5_0Block, kQh = kTile8Q5_0Qh, kQs = kTile8Q5_0Qs;
};
struct Q5_1Tile {
  using ActBlock = block_q8_1;
  static constexpr bool kMin = true, kFifth = true;
  static constexpr size_t kBlock = kTile8Q5_1Block, kQh = kTile8Q5_1Qh, kQs = kTile8Q5_1Qs;
};
struct Q4_1Tile {
  using ActBlock = block_q8_1;
  static constexpr bool kMin = true, kFifth = false;
  static constexpr size_t kBlock = kTile8Q4_1Block, kQh = 0, kQs = kTile8Q4_1Qs;
};

template <class L, int C>
[[gnu::always_inline]] inline void nibble_tile8(int64_t nb, const uint8_t* t, const uint8_t* y, size_t by, float* s, size_t bs) {
  constexpr bool Min = L::kMin;
  const __m512i m4 = _mm512_set1_epi8(0x0F), high = _mm512_set1_epi8(0x70), fifth = _mm512_set1_epi8(0x10);
  __m512 acc[4][C];
  __m256 chain[C];  // Q5_1 / Q4_1: row r's m * s chain in lane r
  for (int c = 0; c < C; c++) {
    chain[c] = _mm256_setzero_ps();
    for (int p = 0; p < 4; p++) acc[p][c] = _mm512_setzero_ps();
  }
  for (int64_t i = 0; i < nb; i++, t += L::kBlock) {
    Act a[C];
    __m256 dwy[C];  // row r's d_w * d_a in lane r
    const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)t));
    for (int c = 0; c < C; c++) {
      const typename L::ActBlock* yb = (const typename L::ActBlock*)(y + c * by) + i;
      const __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)yb->qs));
      a[c].q = _mm512_shuffle_i64x2(q, q, _MM_SHUFFLE(1, 1, 0, 0));  // values 0-15 twice, then 16-31 twice
      a[c].neg = Min ? _mm512_setzero_si512() : _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias(), a[c].q));
      dwy[c] = _mm256_mul_ps(dw, _mm256_set1_ps(_cvtsh_ss(yb->d)));
      if constexpr (Min) chain[c] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(t + kTile8MinsAt))), _mm256_set1_ps(_cvtsh_ss(yb->s)), chain[c]);
    }
#pragma GCC unroll 4
    for (int p = 0; p < 4; p++) {
      const __m512i two = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(t + L::kQs + 32 * p)));  // [a | b | a | b]
      __m512i v = _mm512_and_si512(_mm512_mask_srli_epi16(two, 0xFFFF0000u, two, 4), m4);
      if constexpr (!Min) v = _mm512_or_si512(v, high);  // biased: value + 128 once the fifth bit is in
      if constexpr (L::kFifth) {
        uint64_t h;
        std::memcpy(&h, t + L::kQh + 8 * p, sizeof h);  // the fifth bits in that byte order (tiles8.cc)
        v = _mm512_mask_add_epi8(v, (__mmask64)h, v, fifth);
      }
      const __m512i rows = _mm512_mask_blend_epi32(0xF0F0, _mm512_set1_epi32(2 * p), _mm512_set1_epi32(2 * p + 1));
      for (int c = 0; c < C; c++)
        acc[p][c] = _mm512_fmadd_ps(_mm512_permutexvar_ps(rows, _mm512_castps256_ps512(dwy[c])), lanes(v, a[c]), acc[p][c]);
    }
  }
  const __m512i row_order = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15);
  for (int c = 0; c < C; c++) {
    float m[8];
    _mm256_storeu_ps(m, chain[c]);
    for (int p = 0; p < 4; p++) {
      const __m512 r = _mm512_permutexvar_ps(row_order, acc[p][c]);
      s[c * bs + 2 * p] = hsum_ps(_mm512_castps512_ps256(r));
      s[c * bs + 2 * p + 1] = hsum_ps(_mm512_extractf32x8_ps(r, 1));
      if constexpr (Min) {  // not for Q5_0: + 0.0f would turn a -0 output into +0
        s[c * bs + 2 * p] += m[2 * p];
        s[c * bs + 2 * p + 1] += m[2 * p + 1];
      }
    }
  }
}

// Q4_1: vec_dot_q4_1_avx2's arithmetic (simd_avx2_q.cc). Its weights are unsigned nibbles, so
// dpbusd takes them as they are: each int32 lane is the AVX2 kernel's exact sum of four products;
// d_w * d_a and one fma a block; each row's m * s chain as the AVX2 kernel's scalar fma, both rows'
// in two lanes of a vector. PairQ41 is a row pair's block for the batch tiles (PairTiles), Q41 the
// decode pair (PairDecode), which reads the activation block once for all its pairs.

// [d, m] of row a, then of row b, as floats.
inline __m128 q41_head(const block_q4_1& a, const block_q4_1& b) {
  uint32_t ha, hb;
  std::memcpy(&ha, &a.d, 4);
  std::memcpy(&hb, &b.d, 4);
  return _mm_cvtph_ps(_mm_setr_epi32((int)ha, (int)hb, 0, 0));
}
// d_w * d_a of row a x8 | row b x8
inline __m512 q41_dd(const __m128& hd, float d_a) {
  return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2), _mm512_castps128_ps512(_mm_mul_ps(_mm_set1_ps(d_a), hd)));
}
// Both rows' m * s chains (lanes 0 and 1), each fma(m_w, s_a, chain) as the AVX2 kernel keeps it.
inline void q41_chains(const __m128& hd, float s_a, __m128& chain) {
  chain = _mm_fmadd_ps(_mm_shuffle_ps(hd, hd, _MM_SHUFFLE(3, 1, 3, 1)), _mm_set1_ps(s_a), chain);
}

using Q41Type = PairType<block_q4_1, block_q8_1, QK4_1, vec_dot_q4_1_avx2>;

struct PairQ41 : Q41Type {
  static constexpr bool kChains = true;
  __m512i q;
  __m128 hd;  // q41_head
  void load(const block_q4_1& a, const block_q4_1& b) {
    q = nibble_pair(a.qs, b.qs);
    hd = q41_head(a, b);
  }
  __m512 dd(const block_q8_1& y) const { return q41_dd(hd, _cvtsh_ss(y.d)); }
  __m512i sumi(const block_q8_1& y) const {
    return _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)y.qs)));
  }
  void chains(const block_q8_1& y, __m128& chain) const { q41_chains(hd, _cvtsh_ss(y.s), chain); }
};

struct Q41 : Q41Type {
  struct Act {
    __m512i q;
    float d, s;
    explicit Act(const block_q8_1& y)
        : q(_mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)y.qs))), d(_cvtsh_ss(y.d)), s(_cvtsh_ss(y.s)) {}
  };
  static void pair(const Block& a, const Block& b, const Act& y, __m512& acc, __m128& chain) {
    const __m128 hd = q41_head(a, b);
    q41_chains(hd, y.s, chain);
    const __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), nibble_pair(a.qs, b.qs), y.q);
    acc = _mm512_fmadd_ps(q41_dd(hd, y.d), _mm512_cvtepi32_ps(sums), acc);
  }
};

}  // namespace

template <class Blk>
static void gemm_q0(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  const uint8_t* xb = (const uint8_t*)x;
  const int64_t nb = n / QK8_0;
  if (nc == 1) {
    // Four rows a tile, so four streams (tile_drive.h): eight had been measured against adjacent
    // tiles only; against eight, four read 1.04x faster on one thread and 1.09-1.13x on two (500M
    // Q8_0 layer sequence; Q5_0 1.19x / 1.0x), six no better, two worse. Two vCPUs' sixteen
    // streams are more than this host's prefetchers keep at speed.
    drive_decode<4>(xb, bx, nr, s, [&](const uint8_t* rows, size_t rs, float* out, bool prefetch) {
      return Q0Tiles<Blk>{{rows, rs, (const uint8_t*)y, by, out, bs}, nb, prefetch};
    });
    return;
  }
  drive_tiles<8, 4>(nr, nc, Q0Tiles<Blk>{{xb, bx, (const uint8_t*)y, by, s, bs}, nb, true});
}

void gemm_q8_0_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  gemm_q0<Q8Blk>(n, x, bx, nr, y, by, nc, s, bs);
}
void gemm_q4_0_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  gemm_q0<Q4Blk>(n, x, bx, nr, y, by, nc, s, bs);
}
void gemm_q5_0_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  gemm_q0<Q5Blk>(n, x, bx, nr, y, by, nc, s, bs);
}

// Q5_0, Q5_1 and Q4_1 from repacked tiles (quant.h gemm_tiles8_fn; nr a multiple of 8). Decode reads
// the tiles in order, one stream (as the Q4_0 and Q4_K tiles); batches take four columns a tile.
template <class L>
static void gemm_tiles8_nibbles(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  const uint8_t* xb = (const uint8_t*)x;
  const uint8_t* yb = (const uint8_t*)y;
  const int64_t nb = n / QK5_0;
  for (int64_t r = 0; r < nr; r += 8) {
    int64_t c = 0;
    for (; c + 4 <= nc; c += 4) nibble_tile8<L, 4>(nb, xb + r * bx, yb + c * by, by, s + c * bs + r, bs);
    for (; c < nc; c++) nibble_tile8<L, 1>(nb, xb + r * bx, yb + c * by, by, s + c * bs + r, bs);
  }
}
void gemm_tiles8_q5_0_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t*,
                             int64_t nc, float* s, size_t bs) {
  gemm_tiles8_nibbles<Q5_0Tile>(n, x, bx, nr, y, by, nc, s, bs);
}
void gemm_tiles8_q5_1_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t*,
                             int64_t nc, float* s, size_t bs) {
  gemm_tiles8_nibbles<Q5_1Tile>(n, x, bx, nr, y, by, nc, s, bs);
}
void gemm_tiles8_q4_1_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t*,
                             int64_t nc, float* s, size_t bs) {
  gemm_tiles8_nibbles<Q4_1Tile>(n, x, bx, nr, y, by, nc, s, bs);
}

// Q4_1: decode in row pairs with four streams, batches in tiles of four rows x four activation rows
// (pair_tiles_avx512.h).
void gemm_q4_1_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) return pair_decode<Q41>(n, x, bx, nr, y, s);
  drive_tiles<4, 4>(nr, nc, PairTiles<PairQ41>{{(const uint8_t*)x, bx, (const uint8_t*)y, by, s, bs}, n / QK4_1});
}

}  // namespace lg
