// e^x exactly as src/engine/sampling/exp.ts computes it, operation for operation, so the addon's
// sampling loop and the JS sampler reach the same probabilities bit for bit (the C library's exp
// and V8's Math.exp differ in the last bit now and then). The file that includes it is built with
// -ffp-contract=off: a fused multiply-add would round once where JS rounds twice.
#pragma once
#include <cmath>

namespace lg {

inline double exp64(double x) {
  // 2^e for e = -1074..1023 (exact halvings and doublings) and 1/n! for n = 0..13 (one rounding each).
  struct Tables {
    double pow2[1074 + 1024];
    double c[14];
    Tables() {
      double v = 1;
      for (int e = 0; e <= 1023; e++, v *= 2) pow2[e + 1074] = v;
      v = 1;
      for (int e = 0; e >= -1074; e--, v /= 2) pow2[e + 1074] = v;
      double f = 1;
      for (int n = 0; n <= 13; n++) {
        if (n > 0) f *= n;
        c[n] = 1 / f;
      }
    }
  };
  static const Tables t;
  constexpr double kInvLn2 = 1.4426950408889634;
  constexpr double kLn2Hi = 0.6931471803691238;  // low 32 bits zero: k * kLn2Hi is exact
  constexpr double kLn2Lo = 1.9082149292705877e-10;
  if (x != x) return x;
  if (x > 709.782712893384) return INFINITY;
  if (x < -745.1332191019412) return 0;
  const double k = std::floor(x * kInvLn2 + 0.5);
  const double r = x - k * kLn2Hi - k * kLn2Lo;
  double p = t.c[13];
  for (int i = 12; i >= 0; i--) p = p * r + t.c[i];
  const int ki = (int)k;
  if (ki > 1023) return p * 2 * t.pow2[1023 + 1074];
  if (ki < -1022) return p * t.pow2[ki + 54 + 1074] * t.pow2[-54 + 1074];
  return p * t.pow2[ki + 1074];
}

}  // namespace lg
