// CPU feature detection and the run-time ISA choice (LOCALGPT_ISA=scalar|avx2|avx512|neon forces one).
#pragma once
#include <string>
namespace lg {
struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false;
  // Not needed by the AVX-512 path, but where present llama.cpp's BF16 products take vdpbf16ps and
  // so do ours (simd_avx512_bf16.cc).
  bool avx512bf16 = false;
  bool neon = false;  // AArch64 Advanced SIMD (mandatory there, so no probe)
};
const CpuFeatures& cpu_features();
// Highest ISA both compiled in and supported by this CPU.
int isa_best();
// Whether `isa` can run here (compiled in and supported).
bool isa_available(int isa);
// The active ISA (initialised from LOCALGPT_ISA, else best).
int isa_active();
// Sets the active ISA; returns false (and changes nothing) when it cannot run here.
bool isa_set(int isa);
const char* isa_name(int isa);
int isa_from_name(const std::string& name);  // -1 when unknown
// Compiled-in flags (set by CMake).
bool isa_compiled(int isa);
}  // namespace lg
