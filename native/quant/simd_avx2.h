// Helpers shared by the AVX2 translation units (simd_avx2*.cc). Include only from files compiled with
// -mavx2 -mfma -mf16c: everything here inlines AVX2 instructions.
#pragma once
#include <immintrin.h>
#include <cstdint>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>
#include "quant.h"
#include "kquant_common.h"
#include "tile_drive.h"
#include "fmadd_ss.h"
namespace lg {
// Internal to each translation unit that includes this: the AVX2 and AVX-512 files compile these
// classes and templates with different instruction sets, and shared (COMDAT) copies would let the
// linker hand an AVX-512 build of one to an AVX2-only caller.
namespace {

// Lane order fixed (high half + low half, then pairs, then the last two): every kernel that claims to
// equal another bit for bit must reduce through this one function, as ggml's hsum_float_8 does.
static inline float hsum_ps(__m256 x) {
  __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
}
// 32 unsigned nibbles: low nibbles of 16 bytes in lanes 0..15, high nibbles in 16..31.
static inline __m256i bytes_from_nibbles_32(const uint8_t* p) {
  const __m128i tmp = _mm_loadu_si128((const __m128i*)p);
  const __m256i bytes = _mm256_insertf128_si256(_mm256_castsi128_si256(tmp), _mm_srli_epi16(tmp, 4), 1);
  return _mm256_and_si256(_mm256_set1_epi8(0x0F), bytes);
}
// Unsigned x signed int8 products summed in fours: lane k holds bytes 4k..4k+3. Exact while no
// int16 pair sum saturates (true for |x| <= 63 against int8 y).
static inline __m256i dot_us8_i32(__m256i ux, __m256i sy) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(ux, sy), _mm256_set1_epi16(1));
}
// Signed int8 pairs (|x| <= 64 or so): |x| times y with x's sign moved onto y.
static inline __m256 mul_sum_i8_pairs_float(__m256i x, __m256i y) {
  return _mm256_cvtepi32_ps(dot_us8_i32(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x)));
}

// Decode streams every weight once from DRAM when the model is larger than the cache, and a tile's
// interleaved rows (several streams, each a few hundred bytes) leave the hardware prefetcher far
// behind. A kernel making `steps` steps over its rows prefetches the `bytes` at `next` (the rows the
// next tile will read) a share per step, so the lines arrive spread over the current tile's work.
// Bursts of prefetches per tile measured three times slower: spread them. The share is fixed when
// the tile starts: dividing per step cost the Q4_0 decode kernel a fifth of its time.
class PrefetchShare {
 public:
  PrefetchShare(const uint8_t* next, size_t bytes, int64_t steps)
      : p_((const char*)next), end_((const char*)next + bytes), share_(((bytes + 63) / 64 + (size_t)steps - 1) / (size_t)steps * 64) {}
  void step() {
    const char* stop = end_ - p_ < (ptrdiff_t)share_ ? end_ : p_ + share_;
    for (; p_ < stop; p_ += 64) _mm_prefetch(p_, _MM_HINT_T0);
  }

 private:
  const char* p_;
  const char* end_;
  size_t share_;
};

// ---- eight weight rows at a time (the rows-of-8 kernels: simd_avx2_rows8.cc, simd_avx512_rows8.cc) ----
// The 16 bytes at p in each of eight rows (stride bx) as four vectors, lane r of out[k] = row r's
// k-th 32-bit word: loads and unpacks, not gathers (on Zen 3 a gather cost a fifth of a Q4_0 decode).
static inline void rows_head16(const uint8_t* p, size_t bx, __m256i* out) {
  __m256i v[4];  // rows k and k + 4
  for (int k = 0; k < 4; k++)
    v[k] = _mm256_set_m128i(_mm_loadu_si128((const __m128i*)(p + (k + 4) * bx)), _mm_loadu_si128((const __m128i*)(p + k * bx)));
  const __m256i t0 = _mm256_unpacklo_epi32(v[0], v[1]), t1 = _mm256_unpackhi_epi32(v[0], v[1]);
  const __m256i t2 = _mm256_unpacklo_epi32(v[2], v[3]), t3 = _mm256_unpackhi_epi32(v[2], v[3]);
  out[0] = _mm256_unpacklo_epi64(t0, t2);
  out[1] = _mm256_unpackhi_epi64(t0, t2);
  out[2] = _mm256_unpacklo_epi64(t1, t3);
  out[3] = _mm256_unpackhi_epi64(t1, t3);
}

static inline __m256 f16_lanes_to_ps(const __m256i& h) {  // eight f16 in the low halves of 32-bit lanes
  return _mm256_cvtph_ps(_mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi32(h, h), 0x08)));
}
// The f16 at the start of each of eight rows' bytes at p, as floats.
static inline __m256 rows_f16(const uint8_t* p, size_t bx) {
  __m256i head[4];
  rows_head16(p, bx, head);  // the unused words fold away
  return f16_lanes_to_ps(_mm256_and_si256(head[0], _mm256_set1_epi32(0xFFFF)));
}

// ---- Q6_K's scales (simd_avx2.cc, simd_avx512_k.cc) ----
// A superblock's 16 int8 scales as int16 (words 0-7: the first 128 values' groups).
static inline __m256i q6_K_scales16(const block_q6_K& x) { return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)x.scales)); }
// Byte shuffle for the scales of chunk k (32 values) of a half whose eight int16 scales fill a
// 128-bit lane: word 2k into every word of the low lane, 2k + 1 of the high one, as maddubs's int16
// sums need them. Broadcasting each scale on its own cost three instructions a chunk, a third of the
// AVX-512 decode's (bench/native-notes.md section 12).
static inline __m256i q6_K_scale_spread(int k) {
  const __m128i lo = _mm_set1_epi16((short)(0x0100 * (4 * k + 1) + 4 * k));
  const __m128i hi = _mm_set1_epi16((short)(0x0100 * (4 * k + 3) + 4 * k + 2));
  return _mm256_set_m128i(hi, lo);
}

static inline int64_t load64(const int8_t* p) {
  int64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// One superblock's header in eight rows (stride bx), lanes = rows: d and dmin as floats; sc[0] holds
// each row's scales 0-3 as four bytes, sc[1] scales 4-7, mn[0] / mn[1] the mins likewise. ggml's
// 12-byte packing unpacked with 32-bit masks, eight rows per instruction (the byte-wise scalar
// unpack cost more than the dot products it feeds).
struct HeadQ4K {
  __m256 dw, mw;
  __m256i sc[2], mn[2];
  HeadQ4K(const block_q4_K* row0, size_t bx) {
    __m256i w[4];  // d | dmin << 16, then the three words of packed scales
    rows_head16((const uint8_t*)row0, bx, w);
    unpack(w);
  }
  // From a repacked tile's heads (repack_tiles8_q4_K): the four vectors rows_head16 gathers, stored.
  explicit HeadQ4K(const uint8_t* lanes) {
    __m256i w[4];
    for (int j = 0; j < 4; j++) w[j] = _mm256_loadu_si256((const __m256i*)(lanes + 32 * j));
    unpack(w);
  }
  void unpack(const __m256i* w) {
    dw = f16_lanes_to_ps(_mm256_and_si256(w[0], _mm256_set1_epi32(0xFFFF)));
    mw = f16_lanes_to_ps(_mm256_srli_epi32(w[0], 16));
    const __m256i m6 = _mm256_set1_epi32(0x3f3f3f3f), m4 = _mm256_set1_epi32(0x0f0f0f0f), m2 = _mm256_set1_epi32(0x03030303);
    const __m256i a = w[1], b = w[2], c = w[3];
    sc[0] = _mm256_and_si256(a, m6);
    mn[0] = _mm256_and_si256(b, m6);
    sc[1] = _mm256_or_si256(_mm256_and_si256(c, m4), _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(a, 6), m2), 4));
    mn[1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(c, 4), m4),
                            _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(b, 6), m2), 4));
  }
  // Lane r = (mn[2p], mn[2p+1]) of row r as two int16, for a madd against the activation sums.
  __m256i min_pair(int p) const {
    const __m256i lo = _mm256_setr_epi8(0, -1, 1, -1, 4, -1, 5, -1, 8, -1, 9, -1, 12, -1, 13, -1, 0, -1, 1, -1, 4, -1, 5, -1,
                                        8, -1, 9, -1, 12, -1, 13, -1);
    const __m256i hi = _mm256_setr_epi8(2, -1, 3, -1, 6, -1, 7, -1, 10, -1, 11, -1, 14, -1, 15, -1, 2, -1, 3, -1, 6, -1, 7, -1,
                                        10, -1, 11, -1, 14, -1, 15, -1);
    return _mm256_shuffle_epi8(mn[p / 2], p % 2 == 0 ? lo : hi);
  }
};

// Activation sums of the two 32-value sub-blocks of pair p (from Q8_K's 16-value bsums) as two
// int16 in one 32-bit word, and in every lane, for a madd against HeadQ4K::min_pair(p).
static inline int32_t act_sum_bits(const block_q8_K* yb, int p) {
  const int32_t a0 = yb->bsums[4 * p] + yb->bsums[4 * p + 1], a1 = yb->bsums[4 * p + 2] + yb->bsums[4 * p + 3];
  return (int32_t)((uint32_t)(uint16_t)a0 | ((uint32_t)a1 << 16));
}
static inline __m256i act_sum_pair(const block_q8_K* yb, int p) { return _mm256_set1_epi32(act_sum_bits(yb, p)); }

// A float from memory in all eight lanes, as a load: written as asm because the compiler would
// otherwise forward a just-stored vector into two shuffles per broadcast, which on Zen 2 compete
// with the integer dot products for the vector ALU ports.
static inline __m256 broadcast_load(const float* p) {
  __m256 v;
  __asm__("vbroadcastss %1, %0" : "=x"(v) : "m"(*p));
  return v;
}

// Bit j of the 32-bit little-endian word at p -> byte j: 0xFF where set, 0 where clear.
static inline __m256i bytes_from_bits_32(const uint8_t* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32((int)w), _mm256_setr_epi64x(0, 0x0101010101010101LL, 0x0202020202020202LL, 0x0303030303030303LL));
  const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}
// Q5_0's 32 values as int8 in [-16, 15]: a clear 5th bit means the nibble minus 16, i.e. 0xF0 | nibble.
static inline __m256i q5_0_values(const block_q5_0* b) {
  const __m256i hi = _mm256_andnot_si256(bytes_from_bits_32(b->qh), _mm256_set1_epi8((char)0xF0));
  return _mm256_or_si256(bytes_from_nibbles_32(b->qs), hi);
}
// Q5_1's 32 values as unsigned bytes in [0, 31]: the nibble with its 5th bit as 16.
static inline __m256i q5_1_values(const block_q5_1* b) {
  return _mm256_or_si256(bytes_from_nibbles_32(b->qs), _mm256_and_si256(bytes_from_bits_32(b->qh), _mm256_set1_epi8(0x10)));
}

// The 32-value blocks with one f16 scale, as TileQ0 and the AVX-512 tiles read them: at(row, i)
// block i of a row, d(row, i) its scale, load(row, i) its 32 weights as signed bytes.
template <class Block>
struct BlkAt {
  using block = Block;
  static inline const Block* at(const uint8_t* row, int64_t i) { return (const Block*)row + i; }
  static inline uint16_t d(const uint8_t* row, int64_t i) { return at(row, i)->d; }
};
struct Q8Blk : BlkAt<block_q8_0> {
  static inline __m256i load(const uint8_t* row, int64_t i) { return _mm256_loadu_si256((const __m256i*)at(row, i)->qs); }
};
struct Q4Blk : BlkAt<block_q4_0> {
  static inline __m256i load(const uint8_t* row, int64_t i) { return _mm256_sub_epi8(bytes_from_nibbles_32(at(row, i)->qs), _mm256_set1_epi8(8)); }
};
struct Q5Blk : BlkAt<block_q5_0> {
  static inline __m256i load(const uint8_t* row, int64_t i) { return q5_0_values(at(row, i)); }
};

// 32-value weight blocks with one f16 scale (Q8_0, Q4_0, Q5_0) x Q8_0 activations: one accumulator
// per output, fma(d_w*d_a, lane sums of |w|*sign(a,w), acc) per block, then hsum_ps: what their
// AVX2 vec_dot computes, so a tile's outputs equal one dot product per output bit for bit.
// Blk::load(row, i) returns block i's 32 signed int8 weights, Blk::d(row, i) its f16 scale.
// K<R, 1> is the decode tile (decode_q0); batches go through gemm_q0_batch below. prefetch: fetch
// the next tile's rows (false where the rows are streams: decode_streams, tile_drive.h).
template <class Blk>
struct TileQ0 {
  template <int R, int C>
  struct K {
    static_assert(C == 1, "batches take gemm_q0_batch");
    // Lane r < R: the f16 scale of block i of row r (the insert's lane must be a constant, even
    // unoptimised).
    template <size_t... r>
    static inline __m128i row_scales_f16(const uint8_t* x, size_t bx, int64_t i, std::index_sequence<r...>) {
      __m128i h = _mm_setzero_si128();
      ((h = _mm_insert_epi16(h, Blk::d(x + r * bx, i), r)), ...);
      return h;
    }
    static void run(int64_t n, const uint8_t* x, size_t bx, const uint8_t* y, size_t, float* s, size_t, bool prefetch = true) {
      const int64_t nb = n / QK8_0;
      __m256 acc[R];
      for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
      PrefetchShare pf(x + R * bx, prefetch ? R * bx : 0, nb);  // decode streams the weights: the next tile's rows
      alignas(32) float dd[8];  // d_w * d_a of the current block, per row
      for (int64_t i = 0; i < nb; i++) {
        pf.step();
        const block_q8_0* yb = (const block_q8_0*)y + i;
        const __m256i qy = _mm256_loadu_si256((const __m256i*)yb->qs);
        // The R rows' scales gathered into one vector and converted together: one insert per row
        // instead of a conversion, a product and a broadcast.
        const __m128i h = row_scales_f16(x, bx, i, std::make_index_sequence<R>{});
        _mm256_store_ps(dd, _mm256_mul_ps(_mm256_cvtph_ps(h), _mm256_set1_ps(_cvtsh_ss(yb->d))));
        for (int r = 0; r < R; r++) {
          if (!prefetch) prefetch_ahead<sizeof(typename Blk::block)>(Blk::at(x + r * bx, i));  // streams
          const __m256i qx = Blk::load(x + r * bx, i);
          const __m256 q = _mm256_cvtepi32_ps(dot_us8_i32(_mm256_sign_epi8(qx, qx), _mm256_sign_epi8(qy, qx)));
          acc[r] = _mm256_fmadd_ps(broadcast_load(&dd[r]), q, acc[r]);
        }
      }
      for (int r = 0; r < R; r++) s[r] = hsum_ps(acc[r]);
    }
  };
};

// TileQ0's decode tiles for drive_decode (tile_drive.h).
template <class Blk>
struct TileQ0Decode : GemmOperands {
  int64_t n;
  bool prefetch;
  template <int R, int C>
  void tile(int64_t r0, int64_t) const { TileQ0<Blk>::template K<R, 1>::run(n, x + r0 * bx, bx, y, 0, s + r0, 1, prefetch); }
};
// R rows a tile, so R streams a thread where the rows are long enough: Q8_0 and Q5_0 take four
// (against eight, AVX2 Q8_0 1.08x one thread and 1.11x two; bench/native-notes.md section 13).
template <class Blk, int R>
static inline void decode_q0(int64_t n, const uint8_t* x, size_t bx, int64_t nr, const uint8_t* y, float* s) {
  drive_decode<R>(x, bx, nr, s, [&](const uint8_t* rows, size_t rs, float* out, bool prefetch) {
    return TileQ0Decode<Blk>{{rows, rs, y, 0, out, 1}, n, prefetch};
  });
}

// TileQ0's arithmetic for batches. Per call the f16 scales of every weight row and activation row
// are converted to float once (wd[i*nr + r], ad[c*nb + i]); a tile then makes a block's R x C
// scale products with C vector multiplies and feeds each fma its product by a broadcast from
// memory. Both take load ports where per-block conversions, scalar products and register
// broadcasts took the vector ALU ports, which bind this tile on Zen 2 (maddubs and madd share one).
template <class Blk>
struct TileQ0Batch : GemmOperands {
  int64_t nb, nr;
  const float* wd;
  const float* ad;
  template <int R, int C>
  void tile(int64_t r0, int64_t c0) const {
    __m256 acc[R][C];
    for (int r = 0; r < R; r++)
      for (int c = 0; c < C; c++) acc[r][c] = _mm256_setzero_ps();
    alignas(32) float dd[C][8];  // d_w * d_a of the current block: [column][row]
    const uint8_t* xr = x + r0 * bx;
    const uint8_t* yc = y + c0 * by;
    for (int64_t i = 0; i < nb; i++) {
      const __m256 dw = _mm256_loadu_ps(wd + i * nr + r0);  // lanes >= R unused
      for (int c = 0; c < C; c++) _mm256_store_ps(dd[c], _mm256_mul_ps(dw, broadcast_load(ad + (c0 + c) * nb + i)));
      for (int r = 0; r < R; r++) {
        const __m256i qx = Blk::load(xr + r * bx, i);
        const __m256i ax = _mm256_sign_epi8(qx, qx);
        for (int c = 0; c < C; c++) {
          const __m256i qy = _mm256_loadu_si256((const __m256i*)((const block_q8_0*)(yc + c * by) + i)->qs);
          const __m256 q = _mm256_cvtepi32_ps(dot_us8_i32(ax, _mm256_sign_epi8(qy, qx)));
          acc[r][c] = _mm256_fmadd_ps(broadcast_load(&dd[c][r]), q, acc[r][c]);
        }
      }
    }
    for (int r = 0; r < R; r++)
      for (int c = 0; c < C; c++) s[(c0 + c) * bs + r0 + r] = hsum_ps(acc[r][c]);
  }
};

// The mins term of a Q4_K/Q5_K superblock as four int32 lanes, lane k = min_2k * asum_2k +
// min_2k+1 * asum_2k+1 (asum_j = bsums[2j] + bsums[2j+1], a 32-value sub-block's activation sum):
// ggml's Q4_K dot product converts these four lanes to float.
static inline __m128i kquant_min_lanes(const uint8_t* mn, const int16_t* bsums) {
  const __m128i mins16 = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i*)mn));
  const __m128i asum = _mm_hadd_epi16(_mm_loadu_si128((const __m128i*)bsums), _mm_loadu_si128((const __m128i*)(bsums + 8)));
  return _mm_madd_epi16(mins16, asum);
}
// sum_j min_j * (bsums[2j] + bsums[2j+1]) of a Q4_K/Q5_K superblock, in integers (exact, so any
// order matches ggml's).
// mn8: the eight mins in its low 8 bytes.
static inline int kquant_min_sum(__m128i mn8, const int16_t* bsums) {
  const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mn8, mn8));
  const __m256i prod = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i*)bsums), mins16);
  __m128i p = _mm_add_epi32(_mm256_castsi256_si128(prod), _mm256_extracti128_si256(prod, 1));
  p = _mm_add_epi32(p, _mm_unpackhi_epi64(p, p));
  p = _mm_add_epi32(p, _mm_shuffle_epi32(p, 1));
  return _mm_cvtsi128_si32(p);
}
static inline int kquant_min_sum(const uint8_t* mn, const int16_t* bsums) { return kquant_min_sum(_mm_loadl_epi64((const __m128i*)mn), bsums); }

// Q4_K / Q5_K weights x Q8_K activations: per output an 8-lane int32 sum per superblock (each
// 32-value chunk's maddubs sums times its 6-bit scale), one fma with d_w*d_a into the float
// accumulator, and the mins term in the type's own float order: what their AVX2 vec_dot computes,
// output for output. Blk::Block is the block struct; Blk::chunks(block, j, q0, q1) gives pair j's
// two 32-value chunks as unsigned bytes; Blk::Mins holds the mins term, which Blk::min_step
// (from the superblock's mins and the activations' bsums) and Blk::finish keep and apply.
template <class Blk>
struct TileK {
  template <int R, int C>
  struct K {
    static void run(int64_t n, const uint8_t* x, size_t bx, const uint8_t* y, size_t by, float* s, size_t bs) {
      using Block = typename Blk::Block;
      __m256 acc[R][C];
      typename Blk::Mins mins[R][C];
      for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) acc[r][c] = _mm256_setzero_ps(), mins[r][c] = Blk::min_zero();
      for (int64_t i = 0; i < n / QK_K; i++) {
        const block_q8_K* yb[C];
        for (int c = 0; c < C; c++) yb[c] = (const block_q8_K*)(y + c * by) + i;
        const Block* xb[R];
        uint8_t sc[R][8];
        for (int r = 0; r < R; r++) {
          xb[r] = (const Block*)(x + r * bx) + i;
          uint8_t mn[8];
          unpack_scales_mins_k4(xb[r]->scales, sc[r], mn);
          for (int c = 0; c < C; c++) Blk::min_step(mins[r][c], _cvtsh_ss(xb[r]->dmin), yb[c]->d, mn, yb[c]->bsums);
        }
        __m256i sumi[R][C];
        for (int r = 0; r < R; r++)
          for (int c = 0; c < C; c++) sumi[r][c] = _mm256_setzero_si256();
        for (int j = 0; j < QK_K / 64; j++) {
          __m256i y0[C], y1[C];
          for (int c = 0; c < C; c++) {
            y0[c] = _mm256_loadu_si256((const __m256i*)(yb[c]->qs + 64 * j));
            y1[c] = _mm256_loadu_si256((const __m256i*)(yb[c]->qs + 64 * j + 32));
          }
          for (int r = 0; r < R; r++) {
            __m256i q0, q1;
            Blk::chunks(*xb[r], j, q0, q1);
            const __m256i s0 = _mm256_set1_epi16(sc[r][2 * j]), s1 = _mm256_set1_epi16(sc[r][2 * j + 1]);
            for (int c = 0; c < C; c++) {
              const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(q0, y0[c]), s0);
              const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(q1, y1[c]), s1);
              sumi[r][c] = _mm256_add_epi32(sumi[r][c], _mm256_add_epi32(p0, p1));
            }
          }
        }
        for (int r = 0; r < R; r++)
          for (int c = 0; c < C; c++) {
            const __m256 d = _mm256_set1_ps(_cvtsh_ss(xb[r]->d) * yb[c]->d);
            acc[r][c] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi[r][c]), acc[r][c]);
          }
      }
      for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) s[c * bs + r] = Blk::finish(hsum_ps(acc[r][c]), mins[r][c]);
    }
  };
};

// Batches of a TileQ0 type in R x C tiles (TileQ0Batch).
template <class Blk, int R, int C>
static inline void gemm_q0_batch(int64_t n, const uint8_t* x, size_t bx, int64_t nr, const uint8_t* y, size_t by,
                                 int64_t nc, float* s, size_t bs) {
  const int64_t nb = n / QK8_0;
  thread_local std::vector<float> scales;
  scales.resize((size_t)((nr + nc) * nb + 8));  // + 8: a tile's scale vector reads eight lanes
  float* wd = scales.data();
  float* ad = wd + nr * nb + 8;
  for (int64_t r = 0; r < nr; r++)
    for (int64_t i = 0; i < nb; i++) wd[i * nr + r] = _cvtsh_ss(Blk::d(x + r * bx, i));
  for (int64_t c = 0; c < nc; c++)
    for (int64_t i = 0; i < nb; i++) ad[c * nb + i] = _cvtsh_ss(((const block_q8_0*)(y + c * by) + i)->d);
  drive_tiles<R, C>(nr, nc, TileQ0Batch<Blk>{{x, bx, y, by, s, bs}, nb, nr, wd, ad});
}

// One vec_dot per weight row: for decode shapes where a tile measured slower than the plain dot.
static inline void gemm_rows(float (*dot)(int64_t, const void*, const void*), int64_t n, const void* x, size_t bx,
                             int64_t nr, const void* y, float* s) {
  for (int64_t r = 0; r < nr; r++) s[r] = dot(n, (const uint8_t*)x + r * bx, y);
}

}  // namespace

// ---- the two-halves K-quants (Q2_K, Q3_K), shared with their AVX-512 kernels ----

// Sub-blocks 2c and 2c + 1 of a two-halves K-quant (Q2_K, Q3_K: chunk c = 4h + s of 32 values)
// as int16 scales for a madd: `half` holds the eight int16 scales of half h in both 128-bit lanes,
// and chunk s takes element 2s for its first 16 bytes and 2s + 1 for the rest (chunk_pick's bytes).
template <int S>
static inline __m256i chunk_pick() {
  constexpr char a = 4 * S, b = a + 1, c = a + 2, d = a + 3;
  return _mm256_setr_epi8(a, b, a, b, a, b, a, b, a, b, a, b, a, b, a, b, c, d, c, d, c, d, c, d, c, d, c, d, c, d, c, d);
}
template <int S>
static inline __m256i chunk_scales(const __m256i& half) {
  return _mm256_shuffle_epi8(half, chunk_pick<S>());
}
// Sixteen int8 scales as int16, half 0 (scales 0-7) and half 1 (8-15) each in both 128-bit lanes.
static inline void scale_halves(__m128i s8, __m256i* half) {
  const __m256i s16 = _mm256_cvtepi8_epi16(s8);
  half[0] = _mm256_permute2x128_si256(s16, s16, 0x00);
  half[1] = _mm256_permute2x128_si256(s16, s16, 0x11);
}
// Q3_K's sixteen 6-bit scales minus 32 as int8 (unpack_scales_q3_K's bits, four at a time).
static inline __m128i q3_K_scales(const uint8_t* s) {
  uint32_t a[3];
  std::memcpy(a, s, 12);
  const uint32_t m4 = 0x0f0f0f0f, m2 = 0x03030303;
  const __m128i v = _mm_setr_epi32((int)((a[0] & m4) | ((a[2] & m2) << 4)), (int)((a[1] & m4) | (((a[2] >> 2) & m2) << 4)),
                                   (int)(((a[0] >> 4) & m4) | (((a[2] >> 4) & m2) << 4)), (int)(((a[1] >> 4) & m4) | (((a[2] >> 6) & m2) << 4)));
  return _mm_sub_epi8(v, _mm_set1_epi8(32));
}
// Runs f(integral_constant<C>) for each chunk C of the sequence, so shifts and masks are immediates.
template <class F, int... C>
static inline void each_chunk(F&& f, std::integer_sequence<int, C...>) {
  (f(std::integral_constant<int, C>{}), ...);
}

// vec_dot_q2_K_avx2's float steps for one super-block of one row (head: its d, dmin and mins):
// the mins' FMA with dmin = -y.d * x.dmin, then the values' 8-lane sum's with d = y.d * x.d.
struct Q2KFloat {
  using block = block_q2_K;
  __m256i mins;
  float d, dmin;
  void head(const block_q2_K& b) {
    const __m128i packed = _mm_loadu_si128((const __m128i*)b.scales);
    mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0xF)));
    d = _cvtsh_ss(b.d);
    dmin = _cvtsh_ss(b.dmin);
  }
  void accumulate(const block_q8_K& y, const __m256i& sumi, __m256& acc) const {
    const __m256i prod = _mm256_madd_epi16(mins, _mm256_loadu_si256((const __m256i*)y.bsums));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(-y.d * dmin), _mm256_cvtepi32_ps(prod), acc);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(y.d * d), _mm256_cvtepi32_ps(sumi), acc);
  }
};
// vec_dot_q3_K_avx2's: one FMA of the 8-lane sum with d = y.d * x.d.
struct Q3KFloat {
  using block = block_q3_K;
  float d;
  void head(const block_q3_K& b) { d = _cvtsh_ss(b.d); }
  void accumulate(const block_q8_K& y, const __m256i& sumi, __m256& acc) const {
    acc = _mm256_fmadd_ps(_mm256_set1_ps(y.d * d), _mm256_cvtepi32_ps(sumi), acc);
  }
};

// R weight rows x C activation rows of Q2_K / Q3_K, each output its dot product's: a row's
// super-block decoded once (Row::load) for the tile's activation rows; Row::chunk(k, q8) gives step
// k's int32 lanes (Row::kSteps steps of Row::Vec, Row::fold reducing them to the dot product's
// eight lanes: the same integers), Row::accumulate its float steps. hsum_ps at the end.
template <class Row>
struct TwoHalvesTiles {
  template <int R, int C>
  struct Tile {
    static void run(int64_t n, const uint8_t* x, size_t bx, const uint8_t* y, size_t by, float* s, size_t bs) {
      __m256 acc[R][C];
      for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) acc[r][c] = _mm256_setzero_ps();
      for (int64_t i = 0; i < n / QK_K; i++) {
        Row row[R];
        for (int r = 0; r < R; r++) row[r].load(((const typename Row::block*)(x + r * bx))[i]);
        for (int c = 0; c < C; c++) {
          const block_q8_K& yb = ((const block_q8_K*)(y + c * by))[i];
          typename Row::Vec q8[Row::kSteps];
          for (int k = 0; k < Row::kSteps; k++) q8[k] = Row::q8(yb, k);
          for (int r = 0; r < R; r++) {
            typename Row::Vec sumi = row[r].chunk(0, q8[0]);
            for (int k = 1; k < Row::kSteps; k++) sumi = Row::add(sumi, row[r].chunk(k, q8[k]));
            row[r].accumulate(yb, Row::fold(sumi), acc[r][c]);
          }
        }
      }
      for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) s[c * bs + r] = hsum_ps(acc[r][c]);
    }
  };
};

#ifdef __AVX512F__
// The 32-value nibble blocks on the unsigned side of dpbusd (the AVX-512 files, which include this
// one): Q4_0's nibbles as they are (its levels q - 8 come from taking 8 * the activations' block
// sum off), IQ4_NL's levels + 128 (kIq4LevelsU8, 1..241; 128 * the sum off). The sums are the same
// exact integers either way.
template <bool NL>
static inline __m512i b32_unsigned_levels(__m512i nibbles) {
  if constexpr (NL) return _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)kIq4LevelsU8)), nibbles);
  else return nibbles;
}
template <bool NL>
constexpr int32_t kB32Offset = NL ? 128 : 8;
#endif

}  // namespace lg
