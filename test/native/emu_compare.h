// Shared by the emulated-ISA checks (avx512_emu.cc, neon_emu.cc): one SIMD dot product per case is
// compared with the scalar kernel on random rows at several lengths (odd and even block counts,
// ragged float tails), random blocks plus all-0x80 (int8 -128) and all-0xFF ones. Both compute the
// same exact integer block sums, so they may differ only by float summation order and the rounding
// of scale products: within 1e-5 of the sum of |w_i * x_i| over the dequantised terms (+1e-6), or
// bit for bit where a case says `exact`.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>
#include "quant/quant.h"
#include "runtime/fp16.h"

namespace lg {

struct EmuCase {
  int type;
  vec_dot_fn emu;
  std::vector<int> f16_fields;  // offsets of f16 scales inside a block
  bool exact = false;           // must equal the scalar kernel bit for bit
};

struct EmuTally {
  int checks = 0, failures = 0;
  void record(bool ok, const char* what) {
    checks++;
    if (!ok && failures++ < 10) std::printf("FAIL %s\n", what);
  }
};

inline void compare_with_scalar(const char* isa, const std::vector<EmuCase>& cases, unsigned seed, EmuTally& tally) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::normal_distribution<float> norm(0.0f, 1.0f);
  for (const EmuCase& c : cases) {
    const QuantTraits* t = quant_traits(c.type);
    const QuantTraits* act = quant_traits(t->vec_dot_type);
    for (int64_t blocks : {1, 2, 3, 4, 7, 16, 33}) {
      for (int rep = 0; rep < 20; rep++) {
        int64_t n = blocks * (t->block_size == 1 ? 16 : t->block_size);
        if (t->block_size == 1) n += rep % 16;  // float types: ragged tails
        std::vector<uint8_t> w(quant_row_size(c.type, n));
        if (t->block_size == 1) {
          std::vector<float> wf(n);
          for (auto& v : wf) v = norm(gen);
          t->from_float(wf.data(), w.data(), n);
        } else {
          // rep 1: every byte 0x80 (int8 -128, nibbles 0 and 8); rep 2: every byte 0xFF; else random
          for (auto& b : w) b = rep == 1 ? 0x80 : rep == 2 ? 0xFF : (uint8_t)byte(gen);
          for (int64_t b = 0; b < n / t->block_size; b++)
            for (int off : c.f16_fields) {
              const uint16_t h = fp32_to_fp16(norm(gen) * 0.01f);
              std::memcpy(&w[b * t->type_size + off], &h, 2);
            }
        }
        std::vector<float> x(n);
        for (auto& v : x) v = norm(gen) * (rep % 3 == 0 ? 10.0f : 1.0f);
        std::vector<uint8_t> xq(quant_row_size(act->type, n));
        act->from_float(x.data(), xq.data(), n);
        const float want = t->vec_dot[ISA_SCALAR](n, w.data(), xq.data());
        const float got = c.emu(n, w.data(), xq.data());
        std::vector<float> wd(n), xd(n);
        t->dequantize_row(w.data(), wd.data(), n);
        act->dequantize_row(xq.data(), xd.data(), n);
        double mag = 0;
        for (int64_t i = 0; i < n; i++) mag += std::fabs((double)wd[i] * xd[i]);
        const bool ok = c.exact ? std::memcmp(&got, &want, sizeof got) == 0 : std::fabs((double)got - want) <= 1e-5 * mag + 1e-6;
        char what[160];
        std::snprintf(what, sizeof what, "%s n=%lld rep=%d: %s(emulated)=%.9g scalar=%.9g mag=%g", t->name, (long long)n, rep,
                      isa, got, want, mag);
        tally.record(ok, what);
      }
    }
  }
}

}  // namespace lg
