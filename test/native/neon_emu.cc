// Checks the NEON kernels away from ARM hardware, two ways (test/native/neon-emu.test.ts):
// - on any x86-64 (or other) CPU: native/quant/simd_neon.cc compiled against SIMDe's portable NEON
//   intrinsics (-DLG_SIMDE_EMULATE, functions suffixed _neon_emu);
// - compiled for AArch64 by a real cross compiler (-DLG_HAVE_NEON, arm_neon.h, functions suffixed
//   _neon) and run under qemu-user: the real intrinsics and the real ISA table.
// Each kernel is compared with the scalar one as emu_compare.h describes (Q6_K bit for bit: same
// expression as the scalar kernel). Also checks the ISA table's wiring: in the emulated build (no
// NEON compiled) the name 'neon', no NEON kernels, NEON requests falling back to scalar only; in the
// AArch64 build NEON compiled, available and chosen, its dot products taken, and no x86 kernel or
// rows-of-8 one ever reached.
#include <cstdio>
#include <cstring>
#include "emu_compare.h"
#include "runtime/cpu.h"

#ifdef LG_HAVE_NEON
#define NEON(f) f##_neon
#else
#define NEON(f) f##_neon_emu
#endif

namespace lg {
float NEON(vec_dot_f32)(int64_t, const void*, const void*);
float NEON(vec_dot_f16)(int64_t, const void*, const void*);
float NEON(vec_dot_bf16)(int64_t, const void*, const void*);
float NEON(vec_dot_q8_0)(int64_t, const void*, const void*);
float NEON(vec_dot_q4_0)(int64_t, const void*, const void*);
float NEON(vec_dot_q4_1)(int64_t, const void*, const void*);
float NEON(vec_dot_q5_0)(int64_t, const void*, const void*);
float NEON(vec_dot_q5_1)(int64_t, const void*, const void*);
float NEON(vec_dot_q2_K)(int64_t, const void*, const void*);
float NEON(vec_dot_q3_K)(int64_t, const void*, const void*);
float NEON(vec_dot_q4_K)(int64_t, const void*, const void*);
float NEON(vec_dot_q5_K)(int64_t, const void*, const void*);
float NEON(vec_dot_q6_K)(int64_t, const void*, const void*);
float NEON(vec_dot_iq4_nl)(int64_t, const void*, const void*);
float NEON(vec_dot_iq4_xs)(int64_t, const void*, const void*);
}  // namespace lg
using namespace lg;
#ifdef LG_HAVE_NEON
#define NEON_MODE "aarch64"
#else
#define NEON_MODE "emulated"
#endif

int main() {
  EmuTally tally;
  compare_with_scalar("neon",
                      {
                          {T_F32, NEON(vec_dot_f32), {}},       {T_F16, NEON(vec_dot_f16), {}},
                          {T_BF16, NEON(vec_dot_bf16), {}},     {T_Q8_0, NEON(vec_dot_q8_0), {0}},
                          {T_Q4_0, NEON(vec_dot_q4_0), {0}},    {T_Q4_1, NEON(vec_dot_q4_1), {0, 2}},
                          {T_Q5_0, NEON(vec_dot_q5_0), {0}},    {T_Q5_1, NEON(vec_dot_q5_1), {0, 2}},
                          {T_Q2_K, NEON(vec_dot_q2_K), {80, 82}}, {T_Q3_K, NEON(vec_dot_q3_K), {108}},  {T_Q4_K, NEON(vec_dot_q4_K), {0, 2}},
                          {T_Q5_K, NEON(vec_dot_q5_K), {0, 2}}, {T_Q6_K, NEON(vec_dot_q6_K), {208}, true},
                          {T_IQ4_NL, NEON(vec_dot_iq4_nl), {0}}, {T_IQ4_XS, NEON(vec_dot_iq4_xs), {0}},
                      },
                      4321, tally);
  auto check = [&](bool ok, const char* what) { tally.record(ok, what); };
  check(isa_from_name("neon") == ISA_NEON && std::strcmp(isa_name(ISA_NEON), "neon") == 0, "isa name 'neon'");
  int count = 0;
  const QuantTraits* const* all = quant_traits_all(&count);
#ifdef LG_HAVE_NEON
  // ISA wiring of an AArch64 build: NEON's dot products where it has them, scalar elsewhere.
  check(isa_compiled(ISA_NEON) && isa_available(ISA_NEON) && isa_best() == ISA_NEON, "neon compiled, available and chosen");
  for (int k = 0; k < count; k++) {
    const QuantTraits* t = all[k];
    check(t->vec_dot[ISA_NEON] != nullptr, "every type has a NEON dot product");
    check(quant_vec_dot(t, ISA_NEON) == t->vec_dot[ISA_NEON], "a NEON request takes the NEON dot product");
    check(quant_gemm(t, ISA_NEON) == (t->gemm[ISA_NEON] ? t->gemm[ISA_NEON] : t->gemm[ISA_SCALAR]), "a NEON gemm request: NEON's or scalar");
    check(quant_gemm_rows8(t, ISA_NEON) == nullptr, "no rows-of-8 kernel for a NEON request");
  }
#else
  // ISA wiring as seen from a build without LG_HAVE_NEON.
  check(!isa_compiled(ISA_NEON) && !isa_available(ISA_NEON), "neon not compiled into this build");
  for (int k = 0; k < count; k++) {
    const QuantTraits* t = all[k];
    check(t->vec_dot[ISA_NEON] == nullptr && t->gemm[ISA_NEON] == nullptr && t->gemm_rows8[ISA_NEON] == nullptr,
          "no NEON column entries without LG_HAVE_NEON");
    check(quant_vec_dot(t, ISA_NEON) == t->vec_dot[ISA_SCALAR], "a NEON request falls back to scalar, never to x86");
    check(quant_gemm(t, ISA_NEON) == t->gemm[ISA_SCALAR], "a NEON gemm request falls back to scalar");
    check(quant_gemm_rows8(t, ISA_NEON) == nullptr, "no rows-of-8 kernel for a NEON request");
  }
#endif
  std::printf("%d/%d neon " NEON_MODE " checks passed\n", tally.checks - tally.failures, tally.checks);
  return tally.failures ? 1 : 0;
}
