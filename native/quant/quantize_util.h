// ggml's small helpers that the weight quantisers (quantize_*.cc) share, with its float semantics:
// those files build with -ffp-contract=off and without -ffast-math.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace lg {

// Below this largest magnitude a group counts as all zero (ggml's GROUP_MAX_EPS).
constexpr float kGroupMaxEps = 1e-15f;

// ggml's nearest_int: add 1.5 * 2^23 in float and read the low mantissa bits back. Round half to
// even for |f| <= 4194303; beyond that (ggml's assert is compiled out) the same bit arithmetic,
// which also maps every NaN the quantisers can make (the default NaN) to 0.
inline int nearest_int(float f) {
  const float v = f + 12582912.0f;
  int32_t i;
  std::memcpy(&i, &v, sizeof i);
  return (i & 0x007fffff) - 0x00400000;
}

// The element of largest magnitude, sign kept, the first one on ties (0 for an all-zero group; a
// NaN never replaces it).
inline float signed_abs_max(const float* x, int n) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; i++) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  return max;
}

}  // namespace lg
