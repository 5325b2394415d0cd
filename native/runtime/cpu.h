// CPU feature detection and the run-time ISA choice (LOCALGPT_ISA=scalar|avx2|avx512|neon forces one).
#pragma once
#include <string>
namespace lg {
struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512vnni = false;
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
