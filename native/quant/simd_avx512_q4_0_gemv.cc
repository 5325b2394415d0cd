// AVX-512 Q4_0 decode (one activation row), eight weight rows x four blocks a step: the rows-of-8
// arithmetic (rows8.cc) bit for bit, with about half the shuffles of q4_0_tile512<1>.
//
// Why a kernel of its own: at batch 1 the rows-of-8 tile spends ~19 shuffles a block gathering eight
// rows' 16-byte chunks into 64-bit lanes, and at ~33 GB/s per core in cache it was barely faster
// than the memory it reads, so decode could not overlap compute with the DRAM stream (perf: 55% of a
// 2-thread decode in that tile). Here a row's four consecutive blocks (72 bytes, 36 words: blocks
// are 18 bytes, so every field is word aligned) come from a 64-byte and an 8-byte load (an
// overlapping second 64-byte load cost 14% from DRAM: it splits more cache lines) and one 16-bit
// permute puts block j's 16 bytes of nibbles in 128-bit lane j; the activations are laid out the
// same way once per call, so two dpbusd give each row four partial sums per block, and one
// transpose-add tree over the eight rows (12 shuffles per 32 outputs) reduces them. About 8
// shuffles a block in all; 1.8x the old tile in cache, 1.24x from DRAM on one core and 1.19x on
// two (bench/native-notes.md section 12). Decode streams take a four-row tile (q4_0_rows<4>: four
// streams a thread, as Q8_0's; 1.13x on one thread and 1.01-1.07x on two against eight, section
// 13); adjacent rows keep the eight-row one with its prefetch.
//
// Bit-exactness: each block's integer sum is the same exact integer, the scales are multiplied as
// the old tile does (f16 weight scale times f16 activation scale, in float), and each row's
// accumulator takes one fma per block in block order.
#include <cstring>
#include <type_traits>
#include <vector>
#include "simd_avx2.h"
namespace lg {
namespace {

// One group of four activation blocks, laid out for the weights' group (q4_0_group8):
// lo/hi: 128-bit lane j = values 0-15 / 16-31 of block j; off: eight copies of 8 * sum(block)
// for blocks j, j+1 (off01) and j+2, j+3 (off23); dy likewise with the block's scale.
struct GroupY {
  __m512i lo, hi, off01, off23;
  __m512 dy01, dy23;
  __m512i off4;  // four-row tiles (q4_0_group4): 128-bit lane j = four copies of block j's
  __m512 dy4;
};

// Lays out one column's nb blocks (y: block_q8_0, ysum: their sums) as GroupY, a partial last group
// padded with zero blocks.
template <bool NL>
void prepare_groups(const block_q8_0* y, const int32_t* ysum, int64_t nb, std::vector<GroupY>& out) {
  out.resize((size_t)((nb + 3) / 4));
  for (size_t g = 0; g < out.size(); g++) {
    alignas(64) int8_t lo[64] = {}, hi[64] = {};
    alignas(64) int32_t off[32] = {};
    alignas(64) float dy[32] = {};
    alignas(64) int32_t off4[16] = {};
    alignas(64) float dy4[16] = {};
    for (int j = 0; j < 4 && (int64_t)(4 * g) + j < nb; j++) {
      const int64_t b = 4 * (int64_t)g + j;
      std::memcpy(lo + 16 * j, y[b].qs, 16);
      std::memcpy(hi + 16 * j, y[b].qs + 16, 16);
      const float d = _cvtsh_ss(y[b].d);
      for (int k = 0; k < 8; k++) {
        off[8 * j + k] = kB32Offset<NL> * ysum[b];
        dy[8 * j + k] = d;
      }
      for (int k = 0; k < 4; k++) {
        off4[4 * j + k] = kB32Offset<NL> * ysum[b];
        dy4[4 * j + k] = d;
      }
    }
    GroupY& G = out[g];
    G.lo = _mm512_load_si512(lo);
    G.hi = _mm512_load_si512(hi);
    G.off01 = _mm512_load_si512(off);
    G.off23 = _mm512_load_si512(off + 16);
    G.dy01 = _mm512_load_ps(dy);
    G.dy23 = _mm512_load_ps(dy + 16);
    G.off4 = _mm512_load_si512(off4);
    G.dy4 = _mm512_load_ps(dy4);
  }
}

// 128-bit lane j of the result = nibble bytes of block j, from a group's words 0-31 (a) and
// 32-35 (b's words 0-3, indices 32-35 of the pair).
alignas(64) constexpr int16_t kQsWords[32] = {1,  2,  3,  4,  5,  6,  7,  8,  10, 11, 12, 13, 14, 15, 16, 17,
                                              19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 31, 32, 33, 34, 35};
inline __m512i group_qs(__m512i a, __m512i b) { return _mm512_permutex2var_epi16(a, _mm512_load_si512(kQsWords), b); }

// Word 8j + r of the result = block j's scale in row r, from rows 2i (a) and 2i + 1 (b) where r = 2i
// or 2i + 1 (the other words are another pair's).
alignas(64) constexpr int16_t kScaleWords[32] = {0,  32, 0,  32, 0,  32, 0,  32, 9,  41, 9,  41, 9,  41, 9,  41,
                                                 18, 50, 18, 50, 18, 50, 18, 50, 27, 59, 27, 59, 27, 59, 27, 59};

// Row r's (a, b) four int32 partial sums per block of group G, block j in 128-bit lane j.
template <bool NL>
inline __m512i row_sums(__m512i a, __m512i b, const GroupY& G) {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i q = group_qs(a, b);
  return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), b32_unsigned_levels<NL>(_mm512_and_si512(q, m4)), G.lo),
                             b32_unsigned_levels<NL>(_mm512_and_si512(_mm512_srli_epi16(q, 4), m4)), G.hi);
}

// Transpose-add within 128-bit lanes of four rows' row_sums: lane j = block j's sums of the rows.
inline __m512i transpose_add4(const __m512i* p) {
  const __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(p[0], p[1]), _mm512_unpackhi_epi32(p[0], p[1]));
  const __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(p[2], p[3]), _mm512_unpackhi_epi32(p[2], p[3]));
  return _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23), _mm512_unpackhi_epi64(s01, s23));
}

// Eight rows (row r at x + r * rs) x the blocks of group G (nbg = 4, or fewer in the last group)
// into acc (row r in lane r). a[r] are row r's group words 0-31, b[r] words 32-35 (in its
// words 0-3).
template <bool NL, int NBG>
inline void q4_0_group8(const __m512i* a, const __m512i* b, const GroupY& G, __m256& acc) {
  __m512i p[8];
  for (int r = 0; r < 8; r++) p[r] = row_sums<NL>(a[r], b[r], G);
  const __m512i t[2] = {transpose_add4(p), transpose_add4(p + 4)};  // rows 0-3, 4-7
  // -> [block j rows 0-7 | block j+1 rows 0-7] for j = 0, 2
  const __m512i i01 = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
  const __m512i i23 = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
  const __m512i s01 = _mm512_sub_epi32(_mm512_permutex2var_epi32(t[0], i01, t[1]), G.off01);
  const __m512i s23 = _mm512_sub_epi32(_mm512_permutex2var_epi32(t[0], i23, t[1]), G.off23);
  // The weights' scales (words 0, 9, 18, 27 of each row's group) in the same layout: one permute
  // per pair of rows puts rows 2i, 2i+1 of every block in place, blends merge the pairs.
  const __m512i di = _mm512_load_si512(kScaleWords);
  __m512i d = _mm512_permutex2var_epi16(a[0], di, a[1]);
  d = _mm512_mask_blend_epi16(0x0C0C0C0C, d, _mm512_permutex2var_epi16(a[2], di, a[3]));
  d = _mm512_mask_blend_epi16(0x30303030, d, _mm512_permutex2var_epi16(a[4], di, a[5]));
  d = _mm512_mask_blend_epi16(0xC0C0C0C0, d, _mm512_permutex2var_epi16(a[6], di, a[7]));
  const __m512 w01 = _mm512_mul_ps(_mm512_cvtph_ps(_mm512_castsi512_si256(d)), G.dy01);
  const __m512 w23 = _mm512_mul_ps(_mm512_cvtph_ps(_mm512_extracti64x4_epi64(d, 1)), G.dy23);
  const __m512 f01 = _mm512_cvtepi32_ps(s01), f23 = _mm512_cvtepi32_ps(s23);
  acc = _mm256_fmadd_ps(_mm512_castps512_ps256(f01), _mm512_castps512_ps256(w01), acc);
  if constexpr (NBG > 1) acc = _mm256_fmadd_ps(_mm512_extractf32x8_ps(f01, 1), _mm512_extractf32x8_ps(w01, 1), acc);
  if constexpr (NBG > 2) acc = _mm256_fmadd_ps(_mm512_castps512_ps256(f23), _mm512_castps512_ps256(w23), acc);
  if constexpr (NBG > 3) acc = _mm256_fmadd_ps(_mm512_extractf32x8_ps(f23, 1), _mm512_extractf32x8_ps(w23, 1), acc);
}

// Word 4j + r of the result = block j's scale in row r, from rows 0 and 1 (a, b) where r < 2,
// from rows 2 and 3 where r >= 2 after the blend (q4_0_group4).
alignas(64) constexpr int16_t kScaleWords4[32] = {0,  32, 0,  32, 9,  41, 9,  41, 18, 50, 18, 50, 27, 59, 27, 59,
                                                  0,  32, 0,  32, 9,  41, 9,  41, 18, 50, 18, 50, 27, 59, 27, 59};

// Four rows x the blocks of group G into acc (row r in lane r): q4_0_group8's arithmetic for half
// the rows, the sums of a block's four rows in one 128-bit lane.
template <bool NL, int NBG>
inline void q4_0_group4(const __m512i* a, const __m512i* b, const GroupY& G, __m128& acc) {
  __m512i p[4];
  for (int r = 0; r < 4; r++) p[r] = row_sums<NL>(a[r], b[r], G);
  const __m512i t = _mm512_sub_epi32(transpose_add4(p), G.off4);
  const __m512i di = _mm512_load_si512(kScaleWords4);
  const __m512i d = _mm512_mask_blend_epi16(0xCCCCCCCC, _mm512_permutex2var_epi16(a[0], di, a[1]), _mm512_permutex2var_epi16(a[2], di, a[3]));
  const __m512 w = _mm512_mul_ps(_mm512_cvtph_ps(_mm512_castsi512_si256(d)), G.dy4);
  const __m512 f = _mm512_cvtepi32_ps(t);
  acc = _mm_fmadd_ps(_mm512_castps512_ps128(f), _mm512_castps512_ps128(w), acc);
  if constexpr (NBG > 1) acc = _mm_fmadd_ps(_mm512_extractf32x4_ps(f, 1), _mm512_extractf32x4_ps(w, 1), acc);
  if constexpr (NBG > 2) acc = _mm_fmadd_ps(_mm512_extractf32x4_ps(f, 2), _mm512_extractf32x4_ps(w, 2), acc);
  if constexpr (NBG > 3) acc = _mm_fmadd_ps(_mm512_extractf32x4_ps(f, 3), _mm512_extractf32x4_ps(w, 3), acc);
}

// One float lane per row (a vector type cannot be a conditional_t argument without losing its
// attributes).
template <int R> struct RowAcc;
template <> struct RowAcc<8> { using type = __m256; };
template <> struct RowAcc<4> { using type = __m128; };

// R = 4 or 8 rows (row r at x + r * rs) into out[0..R). prefetch: the next R adjacent rows' bytes,
// a share per group (adjacent tiles only; streams run without it).
template <bool NL, int R>
void q4_0_rows(int64_t nb, const uint8_t* x, size_t rs, const GroupY* gy, float* out, bool prefetch) {
  static_assert(R == 4 || R == 8, "four or eight rows");
  using Acc = typename RowAcc<R>::type;
  auto group = [&](auto nbg, const __m512i* a, const __m512i* b, const GroupY& G, Acc& acc) {
    constexpr int NBG = decltype(nbg)::value;
    if constexpr (R == 8) q4_0_group8<NL, NBG>(a, b, G, acc);
    else q4_0_group4<NL, NBG>(a, b, G, acc);
  };
  const int64_t full = nb / 4;
  PrefetchShare pf(x + R * rs, prefetch ? R * rs : 0, full > 0 ? full : 1);
  Acc acc{};
  __m512i a[R], b[R];
  for (int64_t g = 0; g < full; g++) {
    pf.step();
    for (int r = 0; r < R; r++) {
      const uint8_t* p = x + r * rs + 72 * g;
      if (!prefetch) prefetch_ahead<72>(p);  // streams (tile_drive.h)
      a[r] = _mm512_loadu_si512(p);
      b[r] = _mm512_castsi128_si512(_mm_loadl_epi64((const __m128i*)(p + 64)));
    }
    group(std::integral_constant<int, 4>{}, a, b, gy[g], acc);
  }
  // The last one to three blocks (at most 54 bytes): masked loads read nothing past the row.
  const int nbg = (int)(nb - 4 * full);
  if (nbg > 0) {
    const __mmask64 m = ((__mmask64)1 << (18 * nbg)) - 1;
    for (int r = 0; r < R; r++) b[r] = a[r] = _mm512_maskz_loadu_epi8(m, x + r * rs + 72 * full);
    if (nbg == 1) group(std::integral_constant<int, 1>{}, a, b, gy[full], acc);
    else if (nbg == 2) group(std::integral_constant<int, 2>{}, a, b, gy[full], acc);
    else group(std::integral_constant<int, 3>{}, a, b, gy[full], acc);
  }
  if constexpr (R == 8) _mm256_storeu_ps(out, acc);
  else _mm_storeu_ps(out, acc);
}

// The activations' groups (prepare_groups), one layout per thread (and per NL: a Q4_0 and an IQ4_NL
// matrix may share the activations but not their offsets) (the pool's workers share y, each lays
// out its own copy: ~6 bytes per weight row column, read from L1/L2 by every tile), kept while the
// activations stay the same: a decode step's matrix reaches each thread in several pieces
// (matmul.cc decode_shares), and laying them out per piece cost ~3% of a two-thread step.
// Comparing the blocks and sums (~1.4-3.5 KB) costs a fraction of laying them out.
template <bool NL>
const GroupY* laid_out_groups(const void* vy, const int32_t* ysum, int64_t nb) {
  thread_local std::vector<GroupY> gy;
  thread_local std::vector<uint8_t> laid_out;  // the blocks, then the sums, gy was made from
  const size_t yb = (size_t)nb * sizeof(block_q8_0), sb = (size_t)nb * sizeof(int32_t);
  if (laid_out.size() != yb + sb || std::memcmp(laid_out.data(), vy, yb) != 0 || std::memcmp(laid_out.data() + yb, ysum, sb) != 0) {
    prepare_groups<NL>((const block_q8_0*)vy, ysum, nb, gy);
    laid_out.resize(yb + sb);
    std::memcpy(laid_out.data(), vy, yb);
    std::memcpy(laid_out.data() + yb, ysum, sb);
  }
  return gy.data();
}

template <bool NL>
void gemv_b32(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, const int32_t* ysum, float* s) {
  const int64_t nb = n / QK4_0;
  const uint8_t* x = (const uint8_t*)vx;
  const GroupY* gy = laid_out_groups<NL>(vy, ysum, nb);
  // Decode as four streams of rows (tile_drive.h), adjacent tiles where rows are too few or short.
  const int64_t done = decode_streams<4>(x, bx, nr, s, [&](const uint8_t* rows, size_t rs, float* out) {
    q4_0_rows<NL, 4>(nb, rows, rs, gy, out, false);
  });
  for (int64_t r = done; r < nr; r += 8) q4_0_rows<NL, 8>(nb, x + r * bx, bx, gy, s + r, true);
}

// Repacked tiles (quant.h repack_tiles8_b32): a block's 128 bytes of nibbles are two loads, rows 0,
// 2, 4, 6 and rows 1, 3, 5, 7 a 128-bit lane each, against the activation block broadcast to every
// lane; a transpose-add tree per four blocks gives each row's block sums, and the scales come in row
// order. The group's arithmetic is q4_0_group8's (the same exact integers, scale products and one
// fma per block in block order), with none of its gathering permutes. NBG blocks of the group at p
// (kTile8B32Block apart), activations y, their offsets and scales in t.
//
// The activations a tile reads stay small (TileY, 8 bytes a block, beside y's 34): every tile reads
// all of them again, and with GroupY's 128 bytes a block they crowded the weight stream out of L1
// (a tile of 3328 columns read 16 KB of them for 15 KB of weights). Broadcasts and blends widen
// them in registers; from DRAM a 1280 x 3328 matrix read 1.3x and 12288 x 5120 1.7x, 1280 columns
// as before (bench/native-notes.md section 26).
struct TileY {
  int32_t off[4];  // kB32Offset * the block's sum, blocks 4g..4g+3
  float dy[4];     // the blocks' scales
};
alignas(64) constexpr int32_t kTileRows01[16] = {0, 16, 4, 20, 8, 24, 12, 28, 1, 17, 5, 21, 9, 25, 13, 29};
alignas(64) constexpr int32_t kTileRows23[16] = {2, 18, 6, 22, 10, 26, 14, 30, 3, 19, 7, 23, 11, 27, 15, 31};
// Inlined by force: GCC made it a call per group, its accumulator through memory.
template <bool NL, int NBG>
__attribute__((always_inline)) inline void tile8_group(const uint8_t* p, const block_q8_0* y, const TileY& t, __m256& acc) {
  // [block 0's x 8 | block 1's x 8] and [2 | 3], as GroupY holds them
  auto pair = [](const int32_t* v) { return _mm512_mask_blend_epi32(0xFF00, _mm512_set1_epi32(v[0]), _mm512_set1_epi32(v[1])); };
  auto pair_ps = [](const float* v) { return _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(v[0]), _mm512_set1_ps(v[1])); };
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m512i pe[4], po[4];
  for (int j = 0; j < 4; j++) {
    if (j >= NBG) {
      pe[j] = po[j] = _mm512_setzero_si512();
      continue;
    }
    const __m512i lo = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)y[j].qs));
    const __m512i hi = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)(y[j].qs + 16)));
    auto sums = [&](const uint8_t* q) {
      const __m512i w = _mm512_loadu_si512(q);
      return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), b32_unsigned_levels<NL>(_mm512_and_si512(w, m4)), lo),
                                 b32_unsigned_levels<NL>(_mm512_and_si512(_mm512_srli_epi16(w, 4), m4)), hi);
    };
    pe[j] = sums(p + j * kTile8B32Block + kTile8B32Even);
    po[j] = sums(p + j * kTile8B32Block + kTile8B32Odd);
  }
  // lane k: row 2k's (te) or 2k + 1's (to) sums of blocks 0-3 -> [block j rows 0-7 | block j+1 rows 0-7]
  const __m512i te = transpose_add4(pe), to = transpose_add4(po);
  const __m512i s01 = _mm512_sub_epi32(_mm512_permutex2var_epi32(te, _mm512_load_si512(kTileRows01), to), pair(t.off));
  const __m512i s23 = _mm512_sub_epi32(_mm512_permutex2var_epi32(te, _mm512_load_si512(kTileRows23), to), pair(t.off + 2));
  auto d = [&](int j) { return j < NBG ? _mm_loadu_si128((const __m128i*)(p + j * kTile8B32Block)) : _mm_setzero_si128(); };
  const __m512 w01 = _mm512_mul_ps(_mm512_cvtph_ps(_mm256_set_m128i(d(1), d(0))), pair_ps(t.dy));
  const __m512 w23 = _mm512_mul_ps(_mm512_cvtph_ps(_mm256_set_m128i(d(3), d(2))), pair_ps(t.dy + 2));
  const __m512 f01 = _mm512_cvtepi32_ps(s01), f23 = _mm512_cvtepi32_ps(s23);
  acc = _mm256_fmadd_ps(_mm512_castps512_ps256(f01), _mm512_castps512_ps256(w01), acc);
  if constexpr (NBG > 1) acc = _mm256_fmadd_ps(_mm512_extractf32x8_ps(f01, 1), _mm512_extractf32x8_ps(w01, 1), acc);
  if constexpr (NBG > 2) acc = _mm256_fmadd_ps(_mm512_castps512_ps256(f23), _mm512_castps512_ps256(w23), acc);
  if constexpr (NBG > 3) acc = _mm256_fmadd_ps(_mm512_extractf32x8_ps(f23, 1), _mm512_extractf32x8_ps(w23, 1), acc);
}

// Tiles in order, one stream (tile r / 8 at x + r * bx).
template <bool NL>
void gemv_tiles8(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, const int32_t* ysum, float* s) {
  const int64_t nb = n / QK4_0, full = nb / 4;
  const block_q8_0* y = (const block_q8_0*)vy;
  thread_local std::vector<TileY> ty;
  ty.assign((size_t)((nb + 3) / 4), TileY{});
  for (int64_t b = 0; b < nb; b++) {
    ty[(size_t)b / 4].off[b % 4] = kB32Offset<NL> * ysum[b];
    ty[(size_t)b / 4].dy[b % 4] = _cvtsh_ss(y[b].d);
  }
  for (int64_t r = 0; r < nr; r += 8) {
    const uint8_t* t = (const uint8_t*)vx + r * bx;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t g = 0; g < full; g++) tile8_group<NL, 4>(t + 4 * g * kTile8B32Block, y + 4 * g, ty[(size_t)g], acc);
    const uint8_t* tail = t + 4 * full * kTile8B32Block;
    switch (nb - 4 * full) {
      case 1: tile8_group<NL, 1>(tail, y + 4 * full, ty[(size_t)full], acc); break;
      case 2: tile8_group<NL, 2>(tail, y + 4 * full, ty[(size_t)full], acc); break;
      case 3: tile8_group<NL, 3>(tail, y + 4 * full, ty[(size_t)full], acc); break;
      default: break;
    }
    _mm256_storeu_ps(s + r, acc);
  }
}

}  // namespace

void gemv_rows8_q4_0_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, const int32_t* ysum, float* s) {
  gemv_b32<false>(n, vx, bx, nr, vy, ysum, s);
}

// IQ4_NL has Q4_0's block layout and llama.cpp's one template for both: the same kernel, its levels
// looked up (simd_avx2.h b32_unsigned_levels).
void gemv_rows8_iq4_nl_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, const int32_t* ysum, float* s) {
  gemv_b32<true>(n, vx, bx, nr, vy, ysum, s);
}

void gemv_tiles8_q4_0_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, const int32_t* ysum, float* s) {
  gemv_tiles8<false>(n, vx, bx, nr, vy, ysum, s);
}

void gemv_tiles8_iq4_nl_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, const int32_t* ysum, float* s) {
  gemv_tiles8<true>(n, vx, bx, nr, vy, ysum, s);
}

}  // namespace lg
