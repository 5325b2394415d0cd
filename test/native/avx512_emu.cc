// Checks the AVX-512 kernels on any x86-64 (or other) CPU: native/quant/simd_avx512.cc is compiled
// against SIMDe's portable AVX-512 intrinsics (-DLG_SIMDE_EMULATE, functions suffixed _avx512_emu)
// and each kernel is compared with the scalar one as emu_compare.h describes.
// Built and run by test/native/avx512-emu.test.ts (skipped when SIMDe headers are absent).
#include <cmath>
#include <cstdio>
#include <utility>
#include "emu_compare.h"

namespace lg {
float vec_dot_f32_avx512_emu(int64_t, const void*, const void*);
float vec_dot_f16_avx512_emu(int64_t, const void*, const void*);
float vec_dot_q4_1_avx512_emu(int64_t, const void*, const void*);
float vec_dot_q5_0_avx512_emu(int64_t, const void*, const void*);
float vec_dot_q5_K_avx512_emu(int64_t, const void*, const void*);
float vec_dot_bf16_avx512_emu(int64_t, const void*, const void*);
void gemm_tinyblas_f32_avx512_emu(int64_t, const void*, size_t, int64_t, const void*, size_t, int64_t, float*, size_t);
void gemm_tinyblas_f16_avx512_emu(int64_t, const void*, size_t, int64_t, const void*, size_t, int64_t, float*, size_t);
void gemm_tinyblas_bf16_avx512_emu(int64_t, const void*, size_t, int64_t, const void*, size_t, int64_t, float*, size_t);
}  // namespace lg
using namespace lg;

// The AVX-512 tinyBLAS order (native/quant/quant.h), written out: per output 16 lanes, one fma per
// lane and 16-value step, then _mm512_reduce_add_ps's folds (high 8 onto low 8, high 4 onto low 4,
// (0 + 2) + (1 + 3)). The emulated kernels must equal it bit for bit.
static void check_tinyblas16(const std::vector<std::pair<int, gemm_fn>>& kernels, unsigned seed, EmuTally& tally) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> norm(0.0f, 1.0f);
  for (const auto& [type, kernel] : kernels) {
    const QuantTraits* t = quant_traits(type);
    const QuantTraits* act = quant_traits(t->vec_dot_type);
    for (int64_t n : {16, 48, 160}) {
      const int64_t nr = 12, nc = 5;
      std::vector<float> wf(nr * n), x(nc * n), xw(nc * n), wd(nr * n), out(nc * nr);
      for (auto& v : wf) v = norm(gen);
      for (auto& v : x) v = norm(gen);
      std::vector<uint8_t> w(quant_row_size(type, nr * n)), xq(quant_row_size(act->type, n));
      t->from_float(wf.data(), w.data(), nr * n);
      t->dequantize_row(w.data(), wd.data(), nr * n);
      for (int64_t c = 0; c < nc; c++) {  // activations rounded to the dot format, widened back
        act->from_float(x.data() + c * n, xq.data(), n);
        act->dequantize_row(xq.data(), xw.data() + c * n, n);
      }
      const size_t row = quant_row_size(type, n);
      kernel(n, w.data(), row, nr, xw.data(), n * sizeof(float), nc, out.data(), nr);
      for (int64_t c = 0; c < nc; c++)
        for (int64_t r = 0; r < nr; r++) {
          float l[16] = {};
          for (int64_t i = 0; i < n; i += 16)
            for (int k = 0; k < 16; k++) l[k] = std::fma(wd[r * n + i + k], xw[c * n + i + k], l[k]);
          for (int k = 0; k < 8; k++) l[k] = l[k + 8] + l[k];
          for (int k = 0; k < 4; k++) l[k] = l[k + 4] + l[k];
          const float want = (l[0] + l[2]) + (l[1] + l[3]);
          char what[160];
          std::snprintf(what, sizeof what, "%s tinyBLAS n=%lld out[%lld,%lld]: avx512(emulated)=%.9g definition=%.9g", t->name,
                        (long long)n, (long long)c, (long long)r, out[c * nr + r], want);
          tally.record(std::memcmp(&want, &out[c * nr + r], sizeof want) == 0, what);
        }
    }
  }
}

int main() {
  EmuTally tally;
  compare_with_scalar("avx512",
                      {
                          {T_F32, vec_dot_f32_avx512_emu, {}},      {T_F16, vec_dot_f16_avx512_emu, {}},
                          {T_Q4_1, vec_dot_q4_1_avx512_emu, {0, 2}}, {T_Q5_0, vec_dot_q5_0_avx512_emu, {0}},
                          {T_Q5_K, vec_dot_q5_K_avx512_emu, {0, 2}}, {T_BF16, vec_dot_bf16_avx512_emu, {}},
                      },
                      1234, tally);
#ifndef LG_EMU_NO_FMA  // built without the CPU's fma, SIMDe rounds its fmadd twice
  check_tinyblas16({{T_F32, gemm_tinyblas_f32_avx512_emu}, {T_F16, gemm_tinyblas_f16_avx512_emu}, {T_BF16, gemm_tinyblas_bf16_avx512_emu}},
                   99, tally);
#endif
  std::printf("%d/%d avx512 emulated checks passed\n", tally.checks - tally.failures, tally.checks);
  return tally.failures ? 1 : 0;
}
