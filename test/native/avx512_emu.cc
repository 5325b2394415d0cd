// Checks the AVX-512 kernels on any x86-64 (or other) CPU: native/quant/simd_avx512.cc is compiled
// against SIMDe's portable AVX-512 intrinsics (-DLG_SIMDE_EMULATE, functions suffixed _avx512_emu)
// and each kernel is compared with the scalar one on random blocks (every bit pattern, incl. -128).
// Built and run by test/native/avx512-emu.test.ts (skipped when SIMDe headers are absent).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>
#include "quant/quant.h"
#include "runtime/fp16.h"

namespace lg {
float vec_dot_f32_avx512_emu(int64_t, const void*, const void*);
float vec_dot_f16_avx512_emu(int64_t, const void*, const void*);
float vec_dot_q8_0_avx512_emu(int64_t, const void*, const void*);
float vec_dot_q4_0_avx512_emu(int64_t, const void*, const void*);
float vec_dot_q4_K_avx512_emu(int64_t, const void*, const void*);
float vec_dot_q6_K_avx512_emu(int64_t, const void*, const void*);
float vec_dot_q4_1_avx512_emu(int64_t, const void*, const void*);
float vec_dot_q5_0_avx512_emu(int64_t, const void*, const void*);
float vec_dot_q5_K_avx512_emu(int64_t, const void*, const void*);
float vec_dot_bf16_avx512_emu(int64_t, const void*, const void*);
}  // namespace lg
using namespace lg;

struct Case {
  int type;
  vec_dot_fn emu;
  std::vector<int> f16_fields;  // offsets of f16 scales inside a block
};

int main() {
  std::mt19937 gen(1234);
  std::uniform_int_distribution<int> byte(0, 255);
  std::normal_distribution<float> norm(0.0f, 1.0f);
  const Case cases[] = {
      {T_F32, vec_dot_f32_avx512_emu, {}},   {T_F16, vec_dot_f16_avx512_emu, {}},
      {T_Q8_0, vec_dot_q8_0_avx512_emu, {0}}, {T_Q4_0, vec_dot_q4_0_avx512_emu, {0}},
      {T_Q4_K, vec_dot_q4_K_avx512_emu, {0, 2}}, {T_Q6_K, vec_dot_q6_K_avx512_emu, {208}},
      {T_Q4_1, vec_dot_q4_1_avx512_emu, {0, 2}}, {T_Q5_0, vec_dot_q5_0_avx512_emu, {0}},
      {T_Q5_K, vec_dot_q5_K_avx512_emu, {0, 2}}, {T_BF16, vec_dot_bf16_avx512_emu, {}},
  };
  int failures = 0, checks = 0;
  for (const Case& c : cases) {
    const QuantTraits* t = quant_traits(c.type);
    const QuantTraits* act = quant_traits(t->vec_dot_type);
    for (int64_t blocks : {1, 2, 3, 7, 16, 33}) {
      for (int rep = 0; rep < 20; rep++) {
        int64_t n = blocks * (t->block_size == 1 ? 16 : t->block_size);
        if (t->block_size == 1) n += rep % 16;  // float types: ragged tails
        std::vector<uint8_t> w(quant_row_size(c.type, n));
        if (c.type == T_F32 || c.type == T_F16 || c.type == T_BF16) {
          std::vector<float> wf(n);
          for (auto& v : wf) v = norm(gen);
          t->from_float(wf.data(), w.data(), n);
        } else {
          for (auto& b : w) b = (uint8_t)byte(gen);
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
        // magnitude for the tolerance: dot of |dequantised w| with |activations|
        std::vector<float> wd(n), xd(n);
        t->dequantize_row(w.data(), wd.data(), n);
        act->dequantize_row(xq.data(), xd.data(), n);
        double mag = 0;
        for (int64_t i = 0; i < n; i++) mag += std::fabs((double)wd[i] * xd[i]);
        checks++;
        if (!(std::fabs((double)got - want) <= 1e-5 * mag + 1e-6)) {
          if (failures++ < 10) std::printf("FAIL %s n=%lld: avx512(emulated)=%.9g scalar=%.9g mag=%g\n", t->name, (long long)n, got, want, mag);
        }
      }
    }
  }
  std::printf("%d/%d avx512 emulated checks passed\n", checks - failures, checks);
  return failures ? 1 : 0;
}
