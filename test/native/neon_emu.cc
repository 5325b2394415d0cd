// Checks the NEON kernels on any x86-64 (or other) CPU: native/quant/simd_neon.cc is compiled against
// SIMDe's portable NEON intrinsics (-DLG_SIMDE_EMULATE, functions suffixed _neon_emu) and each kernel
// is compared with the scalar one on random blocks (every byte pattern, plus all-0x80 = -128 and
// all-0xFF blocks) at several lengths (odd and even block counts, ragged float tails).
// What is compared: the NEON result against the scalar kernel's, within 1e-5 of the sum of |w_i*x_i|
// over the dequantised terms (+1e-6): both compute the same exact integer block sums, so they may
// differ only by float summation order and rounding of the scale products. Q6_K must match exactly
// (same expression as the scalar kernel). Also checks the ISA table wiring that a build without
// NEON (like this one) must show: the name 'neon', no NEON kernels, and NEON requests falling back
// to scalar only with no rows-of-8 kernel.
// Built and run by test/native/neon-emu.test.ts (skipped when the SIMDe headers are absent).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>
#include "quant/quant.h"
#include "runtime/cpu.h"
#include "runtime/fp16.h"

namespace lg {
float vec_dot_f32_neon_emu(int64_t, const void*, const void*);
float vec_dot_f16_neon_emu(int64_t, const void*, const void*);
float vec_dot_bf16_neon_emu(int64_t, const void*, const void*);
float vec_dot_q8_0_neon_emu(int64_t, const void*, const void*);
float vec_dot_q4_0_neon_emu(int64_t, const void*, const void*);
float vec_dot_q4_1_neon_emu(int64_t, const void*, const void*);
float vec_dot_q5_0_neon_emu(int64_t, const void*, const void*);
float vec_dot_q4_K_neon_emu(int64_t, const void*, const void*);
float vec_dot_q5_K_neon_emu(int64_t, const void*, const void*);
float vec_dot_q6_K_neon_emu(int64_t, const void*, const void*);
}  // namespace lg
using namespace lg;

struct Case {
  int type;
  vec_dot_fn emu;
  std::vector<int> f16_fields;  // offsets of f16 scales inside a block
  bool exact;                   // must equal the scalar kernel bit for bit
};

int main() {
  std::mt19937 gen(4321);
  std::uniform_int_distribution<int> byte(0, 255);
  std::normal_distribution<float> norm(0.0f, 1.0f);
  const Case cases[] = {
      {T_F32, vec_dot_f32_neon_emu, {}, false},        {T_F16, vec_dot_f16_neon_emu, {}, false},
      {T_BF16, vec_dot_bf16_neon_emu, {}, false},      {T_Q8_0, vec_dot_q8_0_neon_emu, {0}, false},
      {T_Q4_0, vec_dot_q4_0_neon_emu, {0}, false},     {T_Q4_1, vec_dot_q4_1_neon_emu, {0, 2}, false},
      {T_Q5_0, vec_dot_q5_0_neon_emu, {0}, false},     {T_Q4_K, vec_dot_q4_K_neon_emu, {0, 2}, false},
      {T_Q5_K, vec_dot_q5_K_neon_emu, {0, 2}, false},  {T_Q6_K, vec_dot_q6_K_neon_emu, {208}, true},
  };
  int failures = 0, checks = 0;
  auto check = [&](bool ok, const char* what) {
    checks++;
    if (!ok && failures++ < 10) std::printf("FAIL %s\n", what);
  };
  for (const Case& c : cases) {
    const QuantTraits* t = quant_traits(c.type);
    const QuantTraits* act = quant_traits(t->vec_dot_type);
    for (int64_t blocks : {1, 2, 3, 4, 7, 16, 33}) {
      for (int rep = 0; rep < 20; rep++) {
        int64_t n = blocks * (t->block_size == 1 ? 16 : t->block_size);
        if (t->block_size == 1) n += rep % 16;  // float types: ragged tails
        std::vector<uint8_t> w(quant_row_size(c.type, n));
        if (c.type == T_F32 || c.type == T_F16 || c.type == T_BF16) {
          std::vector<float> wf(n);
          for (auto& v : wf) v = norm(gen);
          t->from_float(wf.data(), w.data(), n);
        } else {
          // rep 1: every byte 0x80 (int8 -128, nibbles 0 and 8, all high bits clear but the top);
          // rep 2: every byte 0xFF (all bits set); otherwise uniform random bytes.
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
        const bool ok = c.exact ? std::memcmp(&got, &want, sizeof got) == 0
                                : std::fabs((double)got - want) <= 1e-5 * mag + 1e-6;
        checks++;
        if (!ok && failures++ < 10)
          std::printf("FAIL %s n=%lld rep=%d: neon(emulated)=%.9g scalar=%.9g mag=%g\n", t->name, (long long)n, rep, got,
                      want, mag);
      }
    }
  }
  // ISA wiring as seen from a build without LG_HAVE_NEON.
  check(isa_from_name("neon") == ISA_NEON && std::strcmp(isa_name(ISA_NEON), "neon") == 0, "isa name 'neon'");
  check(!isa_compiled(ISA_NEON) && !isa_available(ISA_NEON), "neon not compiled into this build");
  int count = 0;
  const QuantTraits* const* all = quant_traits_all(&count);
  for (int k = 0; k < count; k++) {
    const QuantTraits* t = all[k];
    check(t->vec_dot[ISA_NEON] == nullptr && t->gemm[ISA_NEON] == nullptr && t->gemm_rows8[ISA_NEON] == nullptr,
          "no NEON column entries without LG_HAVE_NEON");
    check(quant_vec_dot(t, ISA_NEON) == t->vec_dot[ISA_SCALAR], "a NEON request falls back to scalar, never to x86");
    check(quant_gemm(t, ISA_NEON) == t->gemm[ISA_SCALAR], "a NEON gemm request falls back to scalar");
    check(quant_gemm_rows8(t, ISA_NEON) == nullptr, "no rows-of-8 kernel for a NEON request");
  }
  std::printf("%d/%d neon emulated checks passed\n", checks - failures, checks);
  return failures ? 1 : 0;
}
