// Attention's value sum for one head (KQV = V^T x softmax) in llama.cpp's order, for every ISA's
// vectors (no intrinsics here; each ISA file supplies its vector type, as tile_drive.h's kernels do).
//
// llama.cpp's order (native/ops/attention.cc, kqv_order): cache position j feeds accumulator lane
// j % L by one fma, in position order; the L lanes are folded by halving (lane i += lane i + half)
// down to four, and the four are summed as (0 + 2) + (1 + 3), or (0 + 1) + (2 + 3) for AVX2's hadd.
//
// The lanes are evaluated a few consecutive ones at a time (their rows lie side by side in the
// cache, and on different L1 sets: one lane alone walks rows L apart, which for a 512-byte cache
// row all fall in one set), each lane's fma chain in registers from +0, its sum stored once; then
// the fold runs over the stored sums in vectors (L accumulators on the stack: 16 KiB at most, 64
// lanes of 64 floats). A lane with no positions (n < L) is skipped as the fold in memory skipped it.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include "../runtime/fp16.h"
namespace lg {
namespace {  // one copy per ISA translation unit (see tile_drive.h)

// V: the ISA's accumulator for `V::width` consecutive values of a head:
//   using Acc; static constexpr int width, group (consecutive lanes it keeps in flight: 1 to 4);
//   static Acc zero(); static Acc fma(float p, const uint8_t* row, Acc a) (a + p x the row's
//   values, one fma each); static Acc add(Acc, Acc); static void store(float*, Acc).
template <int L, class V>
struct KqvTree {
  using Acc = typename V::Acc;
  const float* p;     // probabilities, one per position
  const uint8_t* v;   // the head's first value (of this chunk) at position 0
  size_t vs;          // bytes from one position's row to the next
  int64_t n;          // positions

  Acc run(bool adjacent) const {
    if constexpr (L == 1) {
      Acc a;
      lanes<1>(0, &a);
      return a;
    } else {
      Acc lane[L];
      const int64_t used = n < L ? n : L;
      int64_t l = 0;
      for (; l + V::group <= used; l += V::group) lanes<V::group>(l, lane + l);
      for (; l < used; l++) lanes<1>(l, lane + l);
      return fold(lane, used, adjacent);
    }
  }

  // The lanes' sums (the first `used` of L) folded to one vector, as llama.cpp folds them.
  static Acc fold(Acc* lane, int64_t used, bool adjacent) {
    for (int half = L / 2; half >= 4; half /= 2) {
      for (int64_t i = 0; i < half && i + half < used; i++) lane[i] = V::add(lane[i + half], lane[i]);
      if (used > half) used = half;
    }
    for (int64_t i = used; i < 4; i++) lane[i] = V::zero();
    if (adjacent) return V::add(V::add(lane[0], lane[1]), V::add(lane[2], lane[3]));
    return V::add(V::add(lane[0], lane[2]), V::add(lane[1], lane[3]));
  }

 private:
  int64_t count(int64_t lane) const { return lane < n ? (n - lane + L - 1) / L : 0; }

  // Lanes l .. l + G - 1 side by side: positions l + g + kL for k = 0, 1, ... into out[g].
  template <int G>
  void lanes(int64_t l, Acc* out) const {
    Acc a[G];
    for (int g = 0; g < G; g++) a[g] = V::zero();
    // A later lane has as many positions as the first or one fewer.
    const int64_t common = count(l + G - 1);
    for (int64_t k = 0; k < common; k++)
      for (int g = 0; g < G; g++) {
        const int64_t j = l + g + k * L;
        a[g] = V::fma(p[j], v + j * vs, a[g]);
      }
    for (int g = 0; g < G; g++) {
      if (count(l + g) > common) {
        const int64_t j = l + g + common * L;
        a[g] = V::fma(p[j], v + j * vs, a[g]);
      }
      out[g] = a[g];
    }
  }
};

// The value sums of H heads that read one value head (GQA's group), each exactly as KqvTree
// computes it: position j's row is widened once (V::load) and feeds lane j % L of every head
// (V::fma_row), a lane at a time with all H heads' chains in registers; then each head's lanes
// fold as KqvTree folds them. p[h]: head h's n probabilities; out[h]: its V::width values. The
// lanes wait in `lanes` (H * L accumulators).
template <int L, int H, class V>
static inline void kqv_group_chunk(const float* const* p, const uint8_t* v, size_t vs, int64_t n, bool adjacent,
                                   typename V::Acc* lanes, float* const* out, int64_t at) {
  using Acc = typename V::Acc;
  const int64_t used = n < L ? n : L;
  for (int64_t l = 0; l < used; l++) {
    Acc a[H];
    for (int h = 0; h < H; h++) a[h] = V::zero();
    for (int64_t j = l; j < n; j += L) {
      const typename V::Row row = V::load(v + j * vs);
      for (int h = 0; h < H; h++) a[h] = V::fma_row(p[h][j], row, a[h]);
    }
    for (int h = 0; h < H; h++) lanes[h * L + l] = a[h];
  }
  for (int h = 0; h < H; h++) V::store(out[h] + at, KqvTree<L, V>::fold(lanes + h * L, used, adjacent));
}

// out[0..d) for one head: chunks of Wide::width values, then Narrow::width, then One (width 1).
template <int L, class Wide, class Narrow, class One>
static inline void kqv_chunks(const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d, size_t esz,
                              bool adjacent, float* out) {
  int64_t i = 0;
  for (; i + Wide::width <= d; i += Wide::width)
    Wide::store(out + i, KqvTree<L, Wide>{p, v + i * esz, vs, n}.run(adjacent));
  for (; i + Narrow::width <= d; i += Narrow::width)
    Narrow::store(out + i, KqvTree<L, Narrow>{p, v + i * esz, vs, n}.run(adjacent));
  for (; i < d; i++) One::store(out + i, KqvTree<L, One>{p, v + i * esz, vs, n}.run(adjacent));
}

// The lane counts llama.cpp's kernels use (64, 32, 16, 8; 1 on the scalar path). False for any other.
template <class Wide, class Narrow, class One>
static inline bool kqv_tree_head(int lanes, bool adjacent, const float* p, const uint8_t* v, size_t vs, int64_t n,
                            int64_t d, size_t esz, float* out) {
  switch (lanes) {
    case 64: kqv_chunks<64, Wide, Narrow, One>(p, v, vs, n, d, esz, adjacent, out); return true;
    case 32: kqv_chunks<32, Wide, Narrow, One>(p, v, vs, n, d, esz, adjacent, out); return true;
    case 16: kqv_chunks<16, Wide, Narrow, One>(p, v, vs, n, d, esz, adjacent, out); return true;
    case 8: kqv_chunks<8, Wide, Narrow, One>(p, v, vs, n, d, esz, adjacent, out); return true;
    case 1: kqv_chunks<1, Wide, Narrow, One>(p, v, vs, n, d, esz, adjacent, out); return true;
    default: return false;
  }
}

// The width-1 accumulator every ISA ends with: E is float or uint16_t (f16).
template <class E>
struct KqvScalar {
  using Acc = float;
  static constexpr int width = 1;
  static constexpr int group = 4;
  static Acc zero() { return 0.0f; }
  static Acc fma(float p, const uint8_t* row, Acc a) {
    float x;
    if constexpr (sizeof(E) == 2) x = fp16_to_fp32(*(const uint16_t*)row);
    else x = *(const float*)row;
    return std::fma(p, x, a);
  }
  static Acc add(Acc a, Acc b) { return a + b; }
  static void store(float* o, Acc a) { *o = a; }
};

}  // namespace
}  // namespace lg
