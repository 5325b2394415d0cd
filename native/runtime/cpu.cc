#include "cpu.h"
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include "../quant/quant.h"
namespace lg {

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = [] {
    CpuFeatures c;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    // libgcc checks XGETBV, so these are false when the OS does not save YMM/ZMM state.
    c.avx2 = __builtin_cpu_supports("avx2");
    c.fma = __builtin_cpu_supports("fma");
    c.f16c = false;
    c.avx512f = __builtin_cpu_supports("avx512f");
    c.avx512bw = __builtin_cpu_supports("avx512bw");
    c.avx512vl = __builtin_cpu_supports("avx512vl");
    c.avx512dq = __builtin_cpu_supports("avx512dq");
    c.avx512vnni = __builtin_cpu_supports("avx512vnni");
    c.avx512bf16 = __builtin_cpu_supports("avx512bf16");
    // F16C is not a __builtin_cpu_supports name in every GCC: read CPUID.1:ECX bit 29.
    unsigned a, b, cc, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(cc), "=d"(d) : "a"(1), "c"(0));
    c.f16c = (cc >> 29) & 1;
#elif defined(__aarch64__)
    c.neon = true;
#endif
    return c;
  }();
  return f;
}

bool isa_compiled(int isa) {
  switch (isa) {
    case ISA_SCALAR: return true;
#ifdef LG_HAVE_AVX2
    case ISA_AVX2: return true;
#endif
#ifdef LG_HAVE_AVX512
    case ISA_AVX512: return true;
#endif
#ifdef LG_HAVE_NEON
    case ISA_NEON: return true;
#endif
    default: return false;
  }
}

bool isa_available(int isa) {
  if (!isa_compiled(isa)) return false;
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case ISA_SCALAR: return true;
    case ISA_AVX2: return f.avx2 && f.fma && f.f16c;
    case ISA_AVX512: return f.avx2 && f.fma && f.f16c && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni;
    case ISA_NEON: return f.neon;
    default: return false;
  }
}

int isa_best() {
  for (int i = ISA_COUNT - 1; i > 0; i--)
    if (isa_available(i)) return i;
  return ISA_SCALAR;
}

const char* isa_name(int isa) {
  switch (isa) {
    case ISA_SCALAR: return "scalar";
    case ISA_AVX2: return "avx2";
    case ISA_AVX512: return "avx512";
    case ISA_NEON: return "neon";
    default: return "unknown";
  }
}

int isa_from_name(const std::string& name) {
  for (int i = 0; i < ISA_COUNT; i++)
    if (name == isa_name(i)) return i;
  return -1;
}

static std::atomic<int> g_isa{-1};

int isa_active() {
  int v = g_isa.load(std::memory_order_relaxed);
  if (v >= 0) return v;
  int chosen = isa_best();
  if (const char* env = std::getenv("LOCALGPT_ISA")) {
    const int want = isa_from_name(env);
    if (want >= 0 && isa_available(want)) chosen = want;
    else if (*env) std::fprintf(stderr, "localgpt: LOCALGPT_ISA=%s is not available here, using %s\n", env, isa_name(chosen));
  }
  g_isa.store(chosen);
  return chosen;
}

bool isa_set(int isa) {
  if (!isa_available(isa)) return false;
  g_isa.store(isa);
  return true;
}

}  // namespace lg
