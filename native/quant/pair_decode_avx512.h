// Decode tiles of weight-row pairs for the types whose AVX2 dot product ends each row with a scalar
// chain (Q4_1's m * s, Q5_K's mins): two rows per 512-bit vector (row a in the low 256 bits), one
// fma a block into the pair's accumulator and each row's chain kept as the AVX2 kernel keeps it,
// added after the row's hsum_ps, so every output is that dot product's bit for bit. Decode walks
// four streams of rows with the prefetch ahead (tile_drive.h). Include only from AVX-512 files.
#pragma once
#include "simd_avx2.h"
namespace lg {
namespace {  // compiled per ISA: see tile_drive.h

// [p x8 | q x8]
inline __m512 halves(float p, float q) { return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(p)), _mm256_set1_ps(q), 1); }

// K, one per type:
//   Block, ActBlock                the weight and activation blocks; kValues values per block
//   Act(const ActBlock&)           what every pair of one block reads from the activations
//   dot(n, x, y)                   the AVX2 dot product (a last odd row)
//   pair(a, b, act, acc, ca, cb)   one block of rows a and b: acc (a low, b high) and their chains
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
      float chain[2 * P] = {};
      for (int p = 0; p < P; p++) acc[p] = _mm512_setzero_ps();
      PrefetchShare pf(xr + H * bx, prefetch ? H * bx : 0, nb);
      for (int64_t i = 0; i < nb; i++) {
        pf.step();
        const typename K::Act act(*((const typename K::ActBlock*)y + i));
        for (int p = 0; p < P; p++) {
          const auto* a = (const typename K::Block*)(xr + 2 * p * bx) + i;
          const auto* b = (const typename K::Block*)(xr + (2 * p + 1) * bx) + i;
          if (!prefetch) {  // streams (tile_drive.h)
            prefetch_ahead<sizeof(typename K::Block)>(a);
            prefetch_ahead<sizeof(typename K::Block)>(b);
          }
          K::pair(*a, *b, act, acc[p], chain[2 * p], chain[2 * p + 1]);
        }
      }
      for (int p = 0; p < P; p++) {
        s[r0 + 2 * p] = hsum_ps(_mm512_castps512_ps256(acc[p])) + chain[2 * p];
        s[r0 + 2 * p + 1] = hsum_ps(_mm512_extractf32x8_ps(acc[p], 1)) + chain[2 * p + 1];
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
