// Tiles of weight-row pairs for the types whose llama.cpp arithmetic is their AVX2 dot product with
// eight float lanes per output (Q6_K, Q5_K, Q4_1): two rows per 512-bit vector (row a in the low
// 256 bits), one fma a block into the pair's accumulator and, where the type has one, each row's
// float chain (Q4_1's m * s, Q5_K's mins) kept as the AVX2 kernel keeps its scalar one (both rows'
// in lanes 0 and 1 of a vector, the same operations lane by lane) and added after the row's
// hsum_ps, so every output is that dot product's bit for bit. PairTiles serves batches (and
// Q6_K's decode), PairDecode the decode of the types with chains, walking four streams of rows
// with the prefetch ahead (tile_drive.h). Include only from AVX-512 files.
#pragma once
#include "simd_avx2.h"
namespace lg {
namespace {  // compiled per ISA: see tile_drive.h

// [p x8 | q x8]
inline __m512 halves(float p, float q) { return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(p)), _mm256_set1_ps(q), 1); }

// What both tiles need to know of a type besides its arithmetic: the weight and activation blocks,
// values per block, and the AVX2 dot product (a last odd row). Every W and K below derives from it.
template <class B, class A, int64_t N, float (*Dot)(int64_t, const void*, const void*)>
struct PairType {
  using Block = B;
  using ActBlock = A;
  static constexpr int64_t kValues = N;
  static float dot(int64_t n, const void* x, const void* y) { return Dot(n, x, y); }
};

// W, one per type (a PairType): a row pair's block unpacked once for every activation row of a tile.
//   kChains                      whether each output ends with its row's chain
//   load(a, b)                   unpack rows a and b
//   dd(y)                        d_w * d_a for one activation block (a x8 | b x8)
//   sumi(y)                      both rows' int32 lanes against one activation block
//   chains(y, chain)             both rows' chain steps, lanes 0 and 1 (kChains)
template <class W>
struct PairTiles : GemmOperands {
  int64_t nb;
  bool prefetch = true;  // decode: fetch the next tile's rows (off when the rows are streams: decode_streams)
  // Always inlined, as drive_decode's stream lambda is (tile_drive.h): when GCC made either a call,
  // the call per row pair cost Q6_K decode 0.94x in cache.
  template <int H, int C>
  [[gnu::always_inline]] void tile(int64_t r0, int64_t c0) const {
    constexpr int P = H / 2;
    const uint8_t* xr = x + r0 * bx;
    const uint8_t* yc = y + c0 * by;
    if (H % 2) {  // a last odd row: the AVX2 dot product, the same arithmetic
      for (int c = 0; c < C; c++) s[(c0 + c) * bs + r0 + H - 1] = W::dot(nb * W::kValues, xr + (H - 1) * bx, yc + c * by);
    }
    if constexpr (P > 0) {
      __m512 acc[P][C];
      __m128 chain[P][C];
      for (int p = 0; p < P; p++)
        for (int c = 0; c < C; c++) {
          acc[p][c] = _mm512_setzero_ps();
          chain[p][c] = _mm_setzero_ps();
        }
      PrefetchShare pf(xr + H * bx, C == 1 && prefetch ? H * bx : 0, nb);  // decode: the next tile's rows
      for (int64_t i = 0; i < nb; i++) {
        pf.step();
        const typename W::ActBlock* yb[C];
        for (int c = 0; c < C; c++) yb[c] = (const typename W::ActBlock*)(yc + c * by) + i;
        for (int p = 0; p < P; p++) {
          W w;
          w.load(*((const typename W::Block*)(xr + 2 * p * bx) + i), *((const typename W::Block*)(xr + (2 * p + 1) * bx) + i));
          for (int c = 0; c < C; c++) {
            const __m512i sumi = w.sumi(*yb[c]);
            if constexpr (W::kChains) w.chains(*yb[c], chain[p][c]);
            acc[p][c] = _mm512_fmadd_ps(w.dd(*yb[c]), _mm512_cvtepi32_ps(sumi), acc[p][c]);
          }
        }
      }
      for (int c = 0; c < C; c++) {
        float* out = s + (c0 + c) * bs + r0;
        for (int p = 0; p < P; p++) {
          out[2 * p] = hsum_ps(_mm512_castps512_ps256(acc[p][c]));
          out[2 * p + 1] = hsum_ps(_mm512_extractf32x8_ps(acc[p][c], 1));
          if constexpr (W::kChains) {  // not without: + 0.0f would turn a -0 output into +0
            out[2 * p] += _mm_cvtss_f32(chain[p][c]);
            out[2 * p + 1] += _mm_cvtss_f32(_mm_movehdup_ps(chain[p][c]));
          }
        }
      }
    }
  }
};

// K, one per type (a PairType):
//   Act(const ActBlock&)           what every pair of one block reads from the activations
//   pair(a, b, act, acc, chain)    one block of rows a and b: acc (a low, b high) and their chains
//                                  (lanes 0 and 1)
template <class K>
struct PairDecode : GemmOperands {
  int64_t nb;
  bool prefetch;  // adjacent tiles: fetch the next tile's rows; streams prefetch ahead instead
  template <int H, int C>
  void tile(int64_t r0, int64_t) const {
    static_assert(C == 1, "decode only");
    constexpr int P = H / 2;
    const uint8_t* xr = x + r0 * bx;
    if (H % 2) s[r0 + H - 1] = K::dot(nb * K::kValues, xr + (H - 1) * bx, y);  // a last odd row
    if constexpr (P > 0) {
      __m512 acc[P];
      __m128 chain[P];
      for (int p = 0; p < P; p++) {
        acc[p] = _mm512_setzero_ps();
        chain[p] = _mm_setzero_ps();
      }
      PrefetchShare pf(xr + H * bx, prefetch ? H * bx : 0, nb);
      for (int64_t i = 0; i < nb; i++) {
        pf.step();
        const typename K::Act act(*((const typename K::ActBlock*)y + i));
        // Unrolled so that each pair's accumulators stay in registers: GCC had kept them on the
        // stack, a load and a store a superblock in the fma chain (Q5_K decode 1.1x in cache with
        // this and its dpwssd, Q4_1 unchanged).
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
          const auto* a = (const typename K::Block*)(xr + 2 * p * bx) + i;
          const auto* b = (const typename K::Block*)(xr + (2 * p + 1) * bx) + i;
          if (!prefetch) {  // streams (tile_drive.h)
            prefetch_ahead<sizeof(typename K::Block)>(a);
            prefetch_ahead<sizeof(typename K::Block)>(b);
          }
          K::pair(*a, *b, act, acc[p], chain[p]);
        }
      }
      for (int p = 0; p < P; p++) {
        s[r0 + 2 * p] = hsum_ps(_mm512_castps512_ps256(acc[p])) + _mm_cvtss_f32(chain[p]);
        s[r0 + 2 * p + 1] = hsum_ps(_mm512_extractf32x8_ps(acc[p], 1)) + _mm_cvtss_f32(_mm_movehdup_ps(chain[p]));
      }
    }
  }
};

// One activation row against nr weight rows: four streams of row pairs where long enough.
template <class K>
inline void pair_decode(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, float* s) {
  drive_decode<4>((const uint8_t*)x, bx, nr, s, [&](const uint8_t* rows, size_t rs, float* out, bool prefetch) {
    return PairDecode<K>{{rows, rs, (const uint8_t*)y, 0, out, 1}, n / K::kValues, prefetch};
  });
}

}  // namespace
}  // namespace lg
