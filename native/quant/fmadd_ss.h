// A scalar multiply-add rounded once, as GCC contracts ggml's `s += a * b` on FMA machines; written
// out so it does not depend on this compiler's -ffp-contract. Shared by the AVX2 and AVX-512 helper
// headers, which include it after their intrinsics (the real ones, or SIMDe's in the emulated build).
#pragma once
namespace lg {
static inline float fmadd_ss(float a, float b, float c) {
  return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)));
}
}  // namespace lg
