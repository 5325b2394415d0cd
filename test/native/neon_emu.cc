// Checks the NEON kernels on any x86-64 (or other) CPU: native/quant/simd_neon.cc is compiled against
// SIMDe's portable NEON intrinsics (-DLG_SIMDE_EMULATE, functions suffixed _neon_emu) and each kernel
// is compared with the scalar one as emu_compare.h describes (Q6_K bit for bit: same expression as
// the scalar kernel). Also checks the ISA table wiring that a build without NEON (like this one)
// must show: the name 'neon', no NEON kernels, and NEON requests falling back to scalar only with
// no rows-of-8 kernel. Built and run by test/native/neon-emu.test.ts (skipped without SIMDe).
#include <cstdio>
#include <cstring>
#include "emu_compare.h"
#include "runtime/cpu.h"

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

int main() {
  EmuTally tally;
  compare_with_scalar("neon",
                      {
                          {T_F32, vec_dot_f32_neon_emu, {}},       {T_F16, vec_dot_f16_neon_emu, {}},
                          {T_BF16, vec_dot_bf16_neon_emu, {}},     {T_Q8_0, vec_dot_q8_0_neon_emu, {0}},
                          {T_Q4_0, vec_dot_q4_0_neon_emu, {0}},    {T_Q4_1, vec_dot_q4_1_neon_emu, {0, 2}},
                          {T_Q5_0, vec_dot_q5_0_neon_emu, {0}},    {T_Q4_K, vec_dot_q4_K_neon_emu, {0, 2}},
                          {T_Q5_K, vec_dot_q5_K_neon_emu, {0, 2}}, {T_Q6_K, vec_dot_q6_K_neon_emu, {208}, true},
                      },
                      4321, tally);
  auto check = [&](bool ok, const char* what) { tally.record(ok, what); };
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
  std::printf("%d/%d neon emulated checks passed\n", tally.checks - tally.failures, tally.checks);
  return tally.failures ? 1 : 0;
}
