// THE traits table: one row per computable weight type, mirroring src/engine/quant/registry.ts.
// Adding a type = one file with dequantize_row_X / vec_dot_X_scalar (+ SIMD in simd_*.cc) and one row.
#include "quant.h"
#include "../runtime/cpu.h"
namespace lg {

#ifdef LG_HAVE_AVX2
#define AVX2(f) f##_avx2
#define AVX2G(f) gemm_##f##_avx2
#else
#define AVX2(f) nullptr
#define AVX2G(f) nullptr
#endif
#ifdef LG_HAVE_AVX512
#define AVX512(f) f##_avx512
#else
#define AVX512(f) nullptr
#endif
// llama.cpp's AVX-512 builds run its AVX2 loops for the block-quantised types. Q8_0, Q4_0, Q5_0
// and Q6_K have AVX-512 tiles beside the AVX2 dot product (AVX512_AVX2DOT, AVX512G); Q4_1 and Q5_K
// an AVX-512 dot product that returns exactly the AVX2 one's, AVX-512 decode tiles and the AVX2
// tiles for batches (inside their AVX512G entries); Q5_1 (a fallback type in Q5_K_M files, too rare
// to be hot) takes the AVX2 dot product and tiles there too (AVX512_AVX2G); Q3_K and Q2_K have
// AVX-512 dot products and batch tiles that return exactly the AVX2 dot product (Q3_K has AVX2
// tiles too, Q2_K's AVX2 batches take the dot product); llama.cpp repacks Q2_K on AVX-512 CPUs
// (q2_K_8x8), which we do not mirror;
// Q4_K has AVX-512
// rows-of-8 only, and otherwise falls back to the AVX2 kernels outright (no AVX-512 slot).

#ifdef LG_HAVE_NEON
#define NEON(f) f##_neon
#else
#define NEON(f) nullptr
#endif

// The AVX2 rows-of-8 and tinyBLAS-order kernels; AVX512R8 / AVX512TB give the AVX-512 path its own
// where there is one, else the AVX2 kernel.
#ifdef LG_HAVE_AVX2
#define AVX2R8(f) gemm_rows8_##f##_avx2
#define AVX2TB(f) gemm_tinyblas_##f##_avx2
#else
#define AVX2R8(f) nullptr
#define AVX2TB(f) nullptr
#endif
// The AVX-512 slot of a type whose AVX-512 tiles compute its AVX2 dot product's arithmetic: that dot
// product (AVX2 instructions, which every AVX-512 CPU has) beside the AVX-512 tiles.
#if defined(LG_HAVE_AVX512) && defined(LG_HAVE_AVX2)
#define AVX512_AVX2DOT(f) vec_dot_##f##_avx2
#define AVX512G(f) gemm_##f##_avx512
#define AVX512_AVX2G(f) gemm_##f##_avx2
#else
#define AVX512_AVX2DOT(f) nullptr
#define AVX512G(f) nullptr
#define AVX512_AVX2G(f) nullptr
#endif
#ifdef LG_HAVE_AVX512
#define AVX512R8(f) gemm_rows8_##f##_avx512
#define AVX512T8(f) gemm_tiles8_##f##_avx512
#else
#define AVX512R8(f) AVX2R8(f)
#define AVX512T8(f) nullptr
#endif
#define NO4 {nullptr, nullptr, nullptr, nullptr}
#ifdef LG_HAVE_AVX512
#define AVX512TB(f) gemm_tinyblas_##f##_avx512
#else
#define AVX512TB(f) nullptr
#endif
#define TINYBLAS(f) {gemm_tinyblas_##f##_scalar, AVX2TB(f), AVX512TB(f), nullptr}

static const QuantTraits kTraits[] = {
    // type, name, block, bytes, vec_dot_type, dequantize, from_float, vec_dot {scalar, avx2, avx512, neon}, gemm {...}, gemm_rows8 {...}, gemm_tinyblas {...}
    {T_F32, "F32", 1, 4, T_F32, dequantize_row_f32, quantize_row_f32, {vec_dot_f32_scalar, AVX2(vec_dot_f32), AVX512(vec_dot_f32), NEON(vec_dot_f32)}, NO4, NO4, TINYBLAS(f32)},
    {T_F16, "F16", 1, 2, T_F16, dequantize_row_f16, quantize_row_f16, {vec_dot_f16_scalar, AVX2(vec_dot_f16), AVX512(vec_dot_f16), NEON(vec_dot_f16)}, {nullptr, AVX2(gemm_f16), AVX512(gemm_f16), nullptr}, NO4, TINYBLAS(f16)},
    {T_BF16, "BF16", 1, 2, T_BF16, dequantize_row_bf16, quantize_row_bf16, {vec_dot_bf16_scalar, AVX2(vec_dot_bf16), AVX512(vec_dot_bf16), NEON(vec_dot_bf16)}, {nullptr, nullptr, AVX512(gemm_bf16), nullptr}, NO4, TINYBLAS(bf16)},
    {T_Q8_0, "Q8_0", 32, 34, T_Q8_0, dequantize_row_q8_0, quantize_row_q8_0, {vec_dot_q8_0_scalar, AVX2(vec_dot_q8_0), AVX512_AVX2DOT(q8_0), NEON(vec_dot_q8_0)}, {nullptr, AVX2G(q8_0), AVX512G(q8_0), nullptr}, NO4, NO4},
    {T_Q4_0, "Q4_0", 32, 18, T_Q8_0, dequantize_row_q4_0, nullptr, {vec_dot_q4_0_scalar, AVX2(vec_dot_q4_0), AVX512_AVX2DOT(q4_0), NEON(vec_dot_q4_0)}, {nullptr, AVX2G(q4_0), AVX512G(q4_0), nullptr}, {gemm_rows8_q4_0_scalar, AVX2R8(q4_0), AVX512R8(q4_0), nullptr}, NO4, false, repack_tiles8_b32, {nullptr, nullptr, AVX512T8(q4_0), nullptr}},
    {T_Q4_1, "Q4_1", 32, 20, T_Q8_1, dequantize_row_q4_1, nullptr, {vec_dot_q4_1_scalar, AVX2(vec_dot_q4_1), AVX512(vec_dot_q4_1), NEON(vec_dot_q4_1)}, {nullptr, AVX2G(q4_1), AVX512G(q4_1), nullptr}, NO4, NO4, false, repack_tiles8_q4_1, {nullptr, nullptr, AVX512T8(q4_1), nullptr}},
    {T_Q5_0, "Q5_0", 32, 22, T_Q8_0, dequantize_row_q5_0, nullptr, {vec_dot_q5_0_scalar, AVX2(vec_dot_q5_0), AVX512(vec_dot_q5_0), NEON(vec_dot_q5_0)}, {nullptr, AVX2G(q5_0), AVX512G(q5_0), nullptr}, NO4, NO4, false, repack_tiles8_q5_0, {nullptr, nullptr, AVX512T8(q5_0), nullptr}},
    {T_Q5_1, "Q5_1", 32, 24, T_Q8_1, dequantize_row_q5_1, nullptr, {vec_dot_q5_1_scalar, AVX2(vec_dot_q5_1), AVX512_AVX2DOT(q5_1), NEON(vec_dot_q5_1)}, {nullptr, AVX2G(q5_1), AVX512_AVX2G(q5_1), nullptr}, NO4, NO4, false, repack_tiles8_q5_1, {nullptr, nullptr, AVX512T8(q5_1), nullptr}},
    {T_Q2_K, "Q2_K", 256, 84, T_Q8_K, dequantize_row_q2_K, nullptr, {vec_dot_q2_K_scalar, AVX2(vec_dot_q2_K), AVX512(vec_dot_q2_K), NEON(vec_dot_q2_K)}, {nullptr, nullptr, AVX512G(q2_K), nullptr}, NO4, NO4},
    {T_Q3_K, "Q3_K", 256, 110, T_Q8_K, dequantize_row_q3_K, nullptr, {vec_dot_q3_K_scalar, AVX2(vec_dot_q3_K), AVX512(vec_dot_q3_K), NEON(vec_dot_q3_K)}, {nullptr, AVX2G(q3_K), AVX512G(q3_K), nullptr}, NO4, NO4},
    {T_Q4_K, "Q4_K", 256, 144, T_Q8_K, dequantize_row_q4_K, nullptr, {vec_dot_q4_K_scalar, AVX2(vec_dot_q4_K), nullptr, NEON(vec_dot_q4_K)}, {nullptr, AVX2G(q4_K), nullptr, nullptr}, {gemm_rows8_q4_K_scalar, AVX2R8(q4_K), AVX512R8(q4_K), nullptr}, NO4, false, repack_tiles8_q4_K, {nullptr, nullptr, AVX512T8(q4_K), nullptr}},
    {T_Q5_K, "Q5_K", 256, 176, T_Q8_K, dequantize_row_q5_K, nullptr, {vec_dot_q5_K_scalar, AVX2(vec_dot_q5_K), AVX512(vec_dot_q5_K), NEON(vec_dot_q5_K)}, {nullptr, AVX2G(q5_K), AVX512G(q5_K), nullptr}, NO4, NO4},
    {T_Q6_K, "Q6_K", 256, 210, T_Q8_K, dequantize_row_q6_K, nullptr, {vec_dot_q6_K_scalar, AVX2(vec_dot_q6_K), AVX512_AVX2DOT(q6_K), NEON(vec_dot_q6_K)}, {nullptr, AVX2G(q6_K), AVX512G(q6_K), nullptr}, NO4, NO4},
    // The i-quants with IQ4_NL's levels: ggml's AVX2 dot products at both x86 levels (llama.cpp's
    // AVX-512 builds run them too) and NEON's. Batches in llama.cpp's orders (simd_avx2_iq4.cc):
    // IQ4_NL's tinyBLAS gemm, and its rows-of-8 as llama.cpp repacks it; IQ4_XS's rows-of-8 as its
    // IQ panel computes them. The AVX2 kernels serve both x86 levels.
    {T_IQ4_NL, "IQ4_NL", 32, 18, T_Q8_0, dequantize_row_iq4_nl, nullptr, {vec_dot_iq4_nl_scalar, AVX2(vec_dot_iq4_nl), AVX512_AVX2DOT(iq4_nl), NEON(vec_dot_iq4_nl)}, {nullptr, AVX2G(iq4_nl), AVX512_AVX2G(iq4_nl), nullptr}, {gemm_rows8_iq4_nl_scalar, AVX2R8(iq4_nl), AVX512R8(iq4_nl), nullptr}, NO4, false, repack_tiles8_b32, {nullptr, nullptr, AVX512T8(iq4_nl), nullptr}},
    {T_IQ4_XS, "IQ4_XS", 256, 136, T_Q8_K, dequantize_row_iq4_xs, nullptr, {vec_dot_iq4_xs_scalar, AVX2(vec_dot_iq4_xs), AVX512_AVX2DOT(iq4_xs), NEON(vec_dot_iq4_xs)}, NO4, {gemm_rows8_iq4_xs_scalar, AVX2R8(iq4_xs), AVX512R8(iq4_xs), nullptr}, NO4, true},
};
// Activation-only formats (targets of vec_dot_type), not weight types.
static const QuantTraits kQ8K = {T_Q8_K, "Q8_K", 256, 292, T_Q8_K, dequantize_row_q8_K, quantize_row_q8_K, NO4, NO4, NO4, NO4};
static const QuantTraits kQ81 = {T_Q8_1, "Q8_1", 32, 36, T_Q8_1, dequantize_row_q8_1, quantize_row_q8_1, NO4, NO4, NO4, NO4};

static const QuantTraits* const kAll[] = {&kTraits[0], &kTraits[1], &kTraits[2], &kTraits[3], &kTraits[4], &kTraits[5],
                                          &kTraits[6], &kTraits[7], &kTraits[8], &kTraits[9], &kTraits[10], &kTraits[11],
                                          &kTraits[12], &kTraits[13], &kTraits[14]};
static_assert(sizeof(kAll) / sizeof(kAll[0]) == sizeof(kTraits) / sizeof(kTraits[0]), "kAll covers kTraits");

const QuantTraits* quant_traits(int type) {
  for (const QuantTraits& t : kTraits)
    if (t.type == type) return &t;
  if (type == T_Q8_K) return &kQ8K;
  if (type == T_Q8_1) return &kQ81;
  return nullptr;
}

const QuantTraits* const* quant_traits_all(int* count) {
  *count = (int)(sizeof(kAll) / sizeof(kAll[0]));
  return kAll;
}

// The next ISA to try after `isa` when it has no kernel: the x86 levels step down one by one
// (AVX-512 -> AVX2 -> scalar); NEON goes straight to scalar, never to an x86 index. -1 ends the walk.
static int isa_fallback(int isa) { return isa == ISA_NEON ? ISA_SCALAR : isa - 1; }
static int isa_clamp(int isa) { return isa < 0 || isa >= ISA_COUNT ? ISA_SCALAR : isa; }

vec_dot_fn quant_vec_dot(const QuantTraits* t, int isa) {
  for (int i = isa_clamp(isa); i >= 0; i = isa_fallback(i))
    if (t->vec_dot[i] && isa_available(i)) return t->vec_dot[i];
  return t->vec_dot[ISA_SCALAR];
}

gemm_fn quant_gemm(const QuantTraits* t, int isa) {
  for (int i = isa_clamp(isa); i >= 0; i = isa_fallback(i))
    if (t->vec_dot[i] && isa_available(i)) return t->gemm[i];
  return t->gemm[ISA_SCALAR];
}

// The best ISA's kernel up to `isa` in a column of llama.cpp-specific arithmetic, or null. These
// reproduce llama.cpp's x86 code paths (its repacked kernels, tinyBLAS at 8 lanes); its ARM builds
// compute differently (no repacking without dotprod/i8mm, tinyBLAS at other widths or in f16), so
// NEON keeps its ordinary dot products.
template <class Fn>
static Fn x86_only(const Fn (&fns)[ISA_COUNT], int isa) {
  if (isa == ISA_NEON) return nullptr;
  for (int i = isa_clamp(isa); i >= 0; i = isa_fallback(i))
    if (fns[i] && isa_available(i)) return fns[i];
  return nullptr;
}

gemm_rows8_fn quant_gemm_rows8(const QuantTraits* t, int isa) { return x86_only(t->gemm_rows8, isa); }
gemm_tinyblas_fn quant_gemm_tinyblas(const QuantTraits* t, int isa) { return x86_only(t->gemm_tinyblas, isa); }
gemm_rows8_fn quant_gemm_tiles8(const QuantTraits* t, int isa) {
  const int i = isa_clamp(isa);
  return i == isa && t->gemm_tiles8[i] && isa_available(i) ? t->gemm_tiles8[i] : nullptr;
}

int quant_tinyblas_step(const QuantTraits* t, int isa) {
  int i = isa_clamp(isa);
  if (i == ISA_NEON) return 8;
  while (i > 0 && !(t->gemm_tinyblas[i] && isa_available(i))) i = isa_fallback(i);
  if (i != ISA_AVX512) return 8;
  return t->type == T_BF16 && cpu_features().avx512bf16 ? 32 : 16;
}

quantize_row_fn quant_from_float(const QuantTraits* act, int isa) {
#ifdef LG_HAVE_AVX2
  if ((isa == ISA_AVX2 || isa == ISA_AVX512) && isa_available(ISA_AVX2)) {
    if (act->type == T_F16) return quantize_row_f16_avx2;
    if (act->type == T_Q8_0) return quantize_row_q8_0_avx2;
    if (act->type == T_Q8_1) return quantize_row_q8_1_avx2;
    if (act->type == T_Q8_K) return quantize_row_q8_K_avx2;
  }
#endif
  (void)isa;
  return act->from_float;
}

size_t quant_row_size(int type, int64_t n) {
  const QuantTraits* t = quant_traits(type);
  return t ? (size_t)(n / t->block_size) * (size_t)t->type_size : 0;
}

}  // namespace lg
