// Checks the AVX-512 kernels on any x86-64 (or other) CPU: native/quant/simd_avx512.cc is compiled
// against SIMDe's portable AVX-512 intrinsics (-DLG_SIMDE_EMULATE, functions suffixed _avx512_emu)
// and each kernel is compared with the scalar one as emu_compare.h describes.
// Built and run by test/native/avx512-emu.test.ts (skipped when SIMDe headers are absent).
#include <cstdio>
#include "emu_compare.h"

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

int main() {
  EmuTally tally;
  compare_with_scalar("avx512",
                      {
                          {T_F32, vec_dot_f32_avx512_emu, {}},      {T_F16, vec_dot_f16_avx512_emu, {}},
                          {T_Q8_0, vec_dot_q8_0_avx512_emu, {0}},   {T_Q4_0, vec_dot_q4_0_avx512_emu, {0}},
                          {T_Q4_K, vec_dot_q4_K_avx512_emu, {0, 2}}, {T_Q6_K, vec_dot_q6_K_avx512_emu, {208}},
                          {T_Q4_1, vec_dot_q4_1_avx512_emu, {0, 2}}, {T_Q5_0, vec_dot_q5_0_avx512_emu, {0}},
                          {T_Q5_K, vec_dot_q5_K_avx512_emu, {0, 2}}, {T_BF16, vec_dot_bf16_avx512_emu, {}},
                      },
                      1234, tally);
  std::printf("%d/%d avx512 emulated checks passed\n", tally.checks - tally.failures, tally.checks);
  return tally.failures ? 1 : 0;
}
