// ARM NEON (baseline AArch64 / ARMv8.0-A) dot products for the hot types.
//
// Why this file exists: on AArch64 machines (Apple silicon, Graviton, Ampere, Raspberry Pi 4/5) the
// x86 SIMD files are not built and everything would otherwise run the scalar kernels. NEON is
// mandatory on AArch64, so this translation unit is compiled there unconditionally (CMakeLists.txt,
// LG_HAVE_NEON) and runtime/cpu.cc reports ISA_NEON as available without any feature probe. Only
// baseline instructions are used (vmull_s8 + pairwise widening adds for the int8 products, vcvt_f32_f16
// for halves): no dotprod (SDOT), i8mm or FP16 arithmetic, which would need run-time detection.
// With LG_SIMDE_EMULATE the same source builds against SIMDe's portable NEON intrinsics and the
// functions are suffixed _neon_emu, so the kernels are tested on x86-64 (test/native/neon-emu.test.ts).
//
// Summation order (integer block sums are exact, so only the float steps matter):
//  - F32, F16: ggml's NEON ggml_vec_dot_f32/f16 (the variant without FP16 vector arithmetic): four
//    float32x4 FMA accumulators over 16 elements at a time, reduced (a0+a2)+(a1+a3) then across the
//    lanes, into a double; the tail adds float products to that double.
//  - BF16: the same structure as F32 (ggml has no baseline-NEON BF16 kernel; its generic path sums
//    in double), so BF16 agrees with ggml only to float-summation-order bounds.
//  - Q8_0, Q4_0, Q5_0, Q4_1, Q5_1: ggml's NEON loop: pairs of blocks, each block's int32x4 lane sums converted
//    to float and multiplied-accumulated (vmlaq_n_f32) by d_x*d_y into one of two float32x4
//    accumulators, reduced at the end (plus the Q4_1 / Q5_1 min terms summed as floats); an odd last block
//    is added as sumi * scale exactly as ggml's tail does.
//  - Q2_K, Q3_K, Q4_K, Q5_K, Q6_K: per super-block integer sums as ggml's NEON kernels, then
//    Q2_K: sumf += dmin*summins; sumf += d*isum. Q3_K: sumf += d_x*d_y*isum (both as the scalar
//    kernels, so bit-identical to them);
//    Q4_K: sumf -= dmin*summins; sumf += d*sumi.  Q5_K: sumf += d*sumi - dmin*summins.
//    Q6_K: sumf += d_x*d_y*(isum - 32*isum_mins), which is also what the scalar kernel computes, so
//    Q6_K is bit-identical to it.
#include <cstring>
#include "quant.h"
#include "kquant_common.h"
#include "../runtime/fp16.h"
#ifdef LG_SIMDE_EMULATE
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/arm/neon.h>
#define LG_NEON_NAME(f) f##_neon_emu
#else
#include <arm_neon.h>
#define LG_NEON_NAME(f) f##_neon
#endif

namespace lg {

#ifdef LG_SIMDE_EMULATE
float vec_dot_f32_neon_emu(int64_t, const void*, const void*);
float vec_dot_f16_neon_emu(int64_t, const void*, const void*);
float vec_dot_bf16_neon_emu(int64_t, const void*, const void*);
float vec_dot_q8_0_neon_emu(int64_t, const void*, const void*);
float vec_dot_q4_0_neon_emu(int64_t, const void*, const void*);
float vec_dot_q4_1_neon_emu(int64_t, const void*, const void*);
float vec_dot_q5_0_neon_emu(int64_t, const void*, const void*);
float vec_dot_q5_1_neon_emu(int64_t, const void*, const void*);
float vec_dot_q2_K_neon_emu(int64_t, const void*, const void*);
float vec_dot_q3_K_neon_emu(int64_t, const void*, const void*);
float vec_dot_q4_K_neon_emu(int64_t, const void*, const void*);
float vec_dot_q5_K_neon_emu(int64_t, const void*, const void*);
float vec_dot_q6_K_neon_emu(int64_t, const void*, const void*);
float vec_dot_iq4_nl_neon_emu(int64_t, const void*, const void*);
float vec_dot_iq4_xs_neon_emu(int64_t, const void*, const void*);
#endif

static inline float h2f(uint16_t h) { return fp16_to_fp32(h); }

// acc + the 16 products a[k]*b[k], widened exactly (|a*b| <= 16384 fits int16; pairs go to int32).
static inline int32x4_t dot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
  return vpadalq_s16(acc, vmull_s8(vget_high_s8(a), vget_high_s8(b)));
}
// One 32-element block: a0 . b0 + a1 . b1 as four int32 lanes.
static inline int32x4_t dot32(int8x16_t a0, int8x16_t b0, int8x16_t a1, int8x16_t b1) {
  return dot16(dot16(vdupq_n_s32(0), a0, b0), a1, b1);
}
static inline int8x16_t low_nibbles(uint8x16_t v) { return vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(0x0F))); }
static inline int8x16_t high_nibbles(uint8x16_t v) { return vreinterpretq_s8_u8(vshrq_n_u8(v, 4)); }

// ggml's GGML_F32x4_REDUCE for four accumulators: (a0 + a2) + (a1 + a3), then across the lanes.
static inline float reduce4(float32x4_t a0, float32x4_t a1, float32x4_t a2, float32x4_t a3) {
  return vaddvq_f32(vaddq_f32(vaddq_f32(a0, a2), vaddq_f32(a1, a3)));
}

// ---- float types ----

// One loop for F32, F16 and BF16: Load widens four elements to float32x4, Scalar one element (tail).
template <class T, float32x4_t (*Load)(const T*), float (*Scalar)(T)>
static inline float dot_float(int64_t n, const void* vx, const void* vy) {
  const T* x = (const T*)vx;
  const T* y = (const T*)vy;
  float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = vfmaq_f32(a0, Load(x + i + 0), Load(y + i + 0));
    a1 = vfmaq_f32(a1, Load(x + i + 4), Load(y + i + 4));
    a2 = vfmaq_f32(a2, Load(x + i + 8), Load(y + i + 8));
    a3 = vfmaq_f32(a3, Load(x + i + 12), Load(y + i + 12));
  }
  double s = reduce4(a0, a1, a2, a3);
  for (; i < n; i++) s += Scalar(x[i]) * Scalar(y[i]);
  return (float)s;
}

static inline float32x4_t load_f32x4(const float* p) { return vld1q_f32(p); }
static inline float same_f32(float v) { return v; }
static inline float32x4_t load_f16x4(const uint16_t* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
// bf16 -> f32 is a 16-bit left shift of the bits.
static inline float32x4_t load_bf16x4(const uint16_t* p) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16)); }
static inline float bf16_f32(uint16_t v) { return bf16_to_fp32(v); }

float LG_NEON_NAME(vec_dot_f32)(int64_t n, const void* x, const void* y) { return dot_float<float, load_f32x4, same_f32>(n, x, y); }
float LG_NEON_NAME(vec_dot_f16)(int64_t n, const void* x, const void* y) { return dot_float<uint16_t, load_f16x4, h2f>(n, x, y); }
float LG_NEON_NAME(vec_dot_bf16)(int64_t n, const void* x, const void* y) { return dot_float<uint16_t, load_bf16x4, bf16_f32>(n, x, y); }

// ---- 32-element block types (activations Q8_0 / Q8_1) ----

static inline int32x4_t q8_0_block(const block_q8_0* x, const block_q8_0* y) {
  return dot32(vld1q_s8(x->qs), vld1q_s8(y->qs), vld1q_s8(x->qs + 16), vld1q_s8(y->qs + 16));
}
static inline int32x4_t q4_0_block(const block_q4_0* x, const block_q8_0* y) {
  const uint8x16_t v = vld1q_u8(x->qs);
  const int8x16_t k8 = vdupq_n_s8(8);
  return dot32(vsubq_s8(low_nibbles(v), k8), vld1q_s8(y->qs), vsubq_s8(high_nibbles(v), k8), vld1q_s8(y->qs + 16));
}
static inline int32x4_t q4_1_block(const block_q4_1* x, const block_q8_1* y) {
  const uint8x16_t v = vld1q_u8(x->qs);
  return dot32(low_nibbles(v), vld1q_s8(y->qs), high_nibbles(v), vld1q_s8(y->qs + 16));
}
// Q5_0's 5th bits: element j (0..15) takes bit j of qh, element j+16 bit j+16. Each half is two qh
// bytes broadcast over 8 lanes each and tested against 1, 2, 4, ..., 128.
static inline uint8x16_t q5_high_bits(uint8_t b_lo, uint8_t b_hi) {
  static const uint8_t kBits[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t rep = vcombine_u8(vdup_n_u8(b_lo), vdup_n_u8(b_hi));
  return vandq_u8(vtstq_u8(rep, vld1q_u8(kBits)), vdupq_n_u8(0x10));
}
static inline int32x4_t q5_0_block(const block_q5_0* x, const block_q8_0* y) {
  const uint8x16_t v = vld1q_u8(x->qs);
  const int8x16_t k16 = vdupq_n_s8(16);
  const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(v, vdupq_n_u8(0x0F)), q5_high_bits(x->qh[0], x->qh[1]))), k16);
  const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(v, 4), q5_high_bits(x->qh[2], x->qh[3]))), k16);
  return dot32(lo, vld1q_s8(y->qs), hi, vld1q_s8(y->qs + 16));
}
static inline int32x4_t q5_1_block(const block_q5_1* x, const block_q8_1* y) {
  const uint8x16_t v = vld1q_u8(x->qs);
  const int8x16_t lo = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(v, vdupq_n_u8(0x0F)), q5_high_bits(x->qh[0], x->qh[1])));
  const int8x16_t hi = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(v, 4), q5_high_bits(x->qh[2], x->qh[3])));
  return dot32(lo, vld1q_s8(y->qs), hi, vld1q_s8(y->qs + 16));
}

// ggml's NEON loop for the 32-value block types: blocks in pairs into two float accumulators
// (lane sums times d_x*d_y), reduced, then an odd last block in the type's own tail expression.
template <class BX, int32x4_t (*Block)(const BX*, const block_q8_0*), class Tail>
static inline float dot_block_pairs(int64_t n, const void* vx, const void* vy, Tail tail) {
  const BX* x = (const BX*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  const int64_t nb = n / QK8_0;
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0;
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    s0 = vmlaq_n_f32(s0, vcvtq_f32_s32(Block(&x[i], &y[i])), h2f(x[i].d) * h2f(y[i].d));
    s1 = vmlaq_n_f32(s1, vcvtq_f32_s32(Block(&x[i + 1], &y[i + 1])), h2f(x[i + 1].d) * h2f(y[i + 1].d));
  }
  float sumf = vaddvq_f32(s0) + vaddvq_f32(s1);
  for (; i < nb; i++) sumf += tail((float)vaddvq_s32(Block(&x[i], &y[i])), h2f(x[i].d), h2f(y[i].d));
  return sumf;
}

float LG_NEON_NAME(vec_dot_q8_0)(int64_t n, const void* vx, const void* vy) {
  return dot_block_pairs<block_q8_0, q8_0_block>(n, vx, vy, [](float sumi, float dx, float dy) { return sumi * (dx * dy); });
}

float LG_NEON_NAME(vec_dot_q4_0)(int64_t n, const void* vx, const void* vy) {
  // ggml's Q4_0 tail multiplies left to right: (sumi * d_x) * d_y.
  return dot_block_pairs<block_q4_0, q4_0_block>(n, vx, vy, [](float sumi, float dx, float dy) { return sumi * dx * dy; });
}

float LG_NEON_NAME(vec_dot_q4_1)(int64_t n, const void* vx, const void* vy) {
  const block_q4_1* x = (const block_q4_1*)vx;
  const block_q8_1* y = (const block_q8_1*)vy;
  const int64_t nb = n / QK4_1;
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0;
  float summs = 0.0f;
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    summs += h2f(x[i].m) * h2f(y[i].s) + h2f(x[i + 1].m) * h2f(y[i + 1].s);
    s0 = vmlaq_n_f32(s0, vcvtq_f32_s32(q4_1_block(&x[i], &y[i])), h2f(x[i].d) * h2f(y[i].d));
    s1 = vmlaq_n_f32(s1, vcvtq_f32_s32(q4_1_block(&x[i + 1], &y[i + 1])), h2f(x[i + 1].d) * h2f(y[i + 1].d));
  }
  float sumf = vaddvq_f32(s0) + vaddvq_f32(s1) + summs;
  for (; i < nb; i++)
    sumf += (h2f(x[i].d) * h2f(y[i].d)) * vaddvq_s32(q4_1_block(&x[i], &y[i])) + h2f(x[i].m) * h2f(y[i].s);
  return sumf;
}

// ggml's Q5_1 loop keeps a min-term sum per accumulator (summs0, summs1), unlike its Q4_1 loop.
float LG_NEON_NAME(vec_dot_q5_1)(int64_t n, const void* vx, const void* vy) {
  const block_q5_1* x = (const block_q5_1*)vx;
  const block_q8_1* y = (const block_q8_1*)vy;
  const int64_t nb = n / QK5_1;
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0;
  float summs0 = 0.0f, summs1 = 0.0f;
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    summs0 += h2f(x[i].m) * h2f(y[i].s);
    summs1 += h2f(x[i + 1].m) * h2f(y[i + 1].s);
    s0 = vmlaq_n_f32(s0, vcvtq_f32_s32(q5_1_block(&x[i], &y[i])), h2f(x[i].d) * h2f(y[i].d));
    s1 = vmlaq_n_f32(s1, vcvtq_f32_s32(q5_1_block(&x[i + 1], &y[i + 1])), h2f(x[i + 1].d) * h2f(y[i + 1].d));
  }
  float sumf = vaddvq_f32(s0) + vaddvq_f32(s1) + summs0 + summs1;
  for (; i < nb; i++)
    sumf += (h2f(x[i].d) * h2f(y[i].d)) * vaddvq_s32(q5_1_block(&x[i], &y[i])) + h2f(x[i].m) * h2f(y[i].s);
  return sumf;
}

float LG_NEON_NAME(vec_dot_q5_0)(int64_t n, const void* vx, const void* vy) {
  return dot_block_pairs<block_q5_0, q5_0_block>(n, vx, vy, [](float sumi, float dx, float dy) { return (dx * dy) * sumi; });
}

// ---- K-quants (activations Q8_K) ----

// sum_j bsums16[j] * w[j] over 16 int16 values (exact in int32).
static inline int32_t dot_i16x16(int16x8_t a0, int16x8_t a1, int16x8_t w0, int16x8_t w1) {
  int32x4_t p = vmull_s16(vget_low_s16(a0), vget_low_s16(w0));
  p = vmlal_s16(p, vget_high_s16(a0), vget_high_s16(w0));
  p = vmlal_s16(p, vget_low_s16(a1), vget_low_s16(w1));
  p = vmlal_s16(p, vget_high_s16(a1), vget_high_s16(w1));
  return vaddvq_s32(p);
}

// Q2_K (q2_k.cc's layout): sub-block 2c + k of chunk c = 4h + j is bytes 16k.. of qs[32h..]
// shifted by 2j.
float LG_NEON_NAME(vec_dot_q2_K)(int64_t n, const void* vx, const void* vy) {
  const block_q2_K* x = (const block_q2_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = y[i].d * h2f(x[i].d), dmin = -y[i].d * h2f(x[i].dmin);
    int16_t bs[16];
    std::memcpy(bs, (const uint8_t*)&y[i] + offsetof(block_q8_K, bsums), sizeof bs);
    const uint8x16_t packed = vld1q_u8(x[i].scales);
    const int16x8_t m0 = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(vshrq_n_u8(packed, 4))));
    const int16x8_t m1 = vreinterpretq_s16_u16(vmovl_u8(vget_high_u8(vshrq_n_u8(packed, 4))));
    const int32x4_t mp = vmlal_s16(vmull_s16(vget_low_s16(m0), vget_low_s16(vld1q_s16(bs))), vget_high_s16(m0), vget_high_s16(vld1q_s16(bs)));
    const int32x4_t mq = vmlal_s16(vmull_s16(vget_low_s16(m1), vget_low_s16(vld1q_s16(bs + 8))), vget_high_s16(m1), vget_high_s16(vld1q_s16(bs + 8)));
    sumf += dmin * (float)vaddvq_s32(vaddq_s32(mp, mq));
    int32_t isum = 0;
    for (int c = 0; c < 8; c++) {
      const int h = c / 4, j = c % 4;
      for (int k = 0; k < 2; k++) {
        const uint8x16_t q = vandq_u8(vshlq_u8(vld1q_u8(x[i].qs + 32 * h + 16 * k), vdupq_n_s8((int8_t)(-2 * j))), vdupq_n_u8(3));
        isum += vaddvq_s32(dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(q), vld1q_s8(y[i].qs + 32 * c + 16 * k))) * (x[i].scales[2 * c + k] & 0xF);
      }
    }
    sumf += d * (float)isum;
  }
  return sumf;
}

// Q3_K (q3_k.cc's layout): sub-block 2c + k (k = 0, 1) of chunk c = 4h + j is bytes 16k.. of
// qs[32h..] shifted by 2j, minus 4 where bit c of the matching hmask byte is clear.
float LG_NEON_NAME(vec_dot_q3_K)(int64_t n, const void* vx, const void* vy) {
  const block_q3_K* x = (const block_q3_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    int8_t sc[16];
    unpack_scales_q3_K(x[i].scales, sc);
    int32_t isum = 0;
    for (int c = 0; c < 8; c++) {
      const int h = c / 4, j = c % 4;
      for (int k = 0; k < 2; k++) {
        const uint8x16_t low = vandq_u8(vshlq_u8(vld1q_u8(x[i].qs + 32 * h + 16 * k), vdupq_n_s8((int8_t)(-2 * j))), vdupq_n_u8(3));
        const uint8x16_t set = vtstq_u8(vld1q_u8(x[i].hmask + 16 * k), vdupq_n_u8((uint8_t)(1u << c)));
        const int8x16_t v = vsubq_s8(vreinterpretq_s8_u8(low), vreinterpretq_s8_u8(vbicq_u8(vdupq_n_u8(4), set)));
        isum += vaddvq_s32(dot16(vdupq_n_s32(0), v, vld1q_s8(y[i].qs + 32 * c + 16 * k))) * sc[2 * c + k];
      }
    }
    sumf += h2f(x[i].d) * y[i].d * (float)isum;
  }
  return sumf;
}

// Q4_K/Q5_K's min term: sum over the 8 sub-blocks of (sum of its 32 activations) * min.
static inline int32_t k4_summins(const block_q8_K* y, const uint8_t* mn) {
  int16_t bs[QK_K / 16];
  std::memcpy(bs, (const uint8_t*)y + offsetof(block_q8_K, bsums), sizeof bs);
  const int16x8_t sums = vpaddq_s16(vld1q_s16(bs), vld1q_s16(bs + 8));  // one per 32-value sub-block
  const int16x8_t mins = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(mn)));
  const int32x4_t p = vmlal_s16(vmull_s16(vget_low_s16(sums), vget_low_s16(mins)), vget_high_s16(sums), vget_high_s16(mins));
  return vaddvq_s32(p);
}

float LG_NEON_NAME(vec_dot_q4_K)(int64_t n, const void* vx, const void* vy) {
  const block_q4_K* x = (const block_q4_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = y[i].d * h2f(x[i].d);
    const float dmin = y[i].d * h2f(x[i].dmin);
    uint8_t sc[8], mn[8];
    unpack_scales_mins_k4(x[i].scales, sc, mn);
    sumf -= dmin * k4_summins(&y[i], mn);
    const uint8_t* q4 = x[i].qs;
    const int8_t* q8 = y[i].qs;
    int32_t sumi1 = 0, sumi2 = 0;
    for (int j = 0; j < QK_K / 64; j++) {
      const uint8_t* p4 = q4 + 32 * j;
      const int8_t* p8 = q8 + 64 * j;
      const uint8x16_t b0 = vld1q_u8(p4), b1 = vld1q_u8(p4 + 16);
      sumi1 += vaddvq_s32(dot32(low_nibbles(b0), vld1q_s8(p8), low_nibbles(b1), vld1q_s8(p8 + 16))) * sc[2 * j];
      sumi2 += vaddvq_s32(dot32(high_nibbles(b0), vld1q_s8(p8 + 32), high_nibbles(b1), vld1q_s8(p8 + 48))) * sc[2 * j + 1];
    }
    sumf += d * (sumi1 + sumi2);
  }
  return sumf;
}

float LG_NEON_NAME(vec_dot_q5_K)(int64_t n, const void* vx, const void* vy) {
  const block_q5_K* x = (const block_q5_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  const uint8x16_t one = vdupq_n_u8(1), two = vdupq_n_u8(2);
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    const float d = y[i].d * h2f(x[i].d);
    const float dmin = y[i].d * h2f(x[i].dmin);
    uint8_t sc[8], mn[8];
    unpack_scales_mins_k4(x[i].scales, sc, mn);
    const int32_t summins = k4_summins(&y[i], mn);
    // qh[l] bit 2j is the 5th bit of element l of sub-block 2j, bit 2j+1 that of sub-block 2j+1.
    uint8x16_t h0 = vld1q_u8(x[i].qh), h1 = vld1q_u8(x[i].qh + 16);
    int32_t sumi = 0;
    for (int j = 0; j < QK_K / 64; j++) {
      const uint8_t* p5 = x[i].qs + 32 * j;
      const int8_t* p8 = y[i].qs + 64 * j;
      const uint8x16_t b0 = vld1q_u8(p5), b1 = vld1q_u8(p5 + 16);
      const int8x16_t lo0 = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(b0, vdupq_n_u8(0x0F)), vshlq_n_u8(vandq_u8(h0, one), 4)));
      const int8x16_t lo1 = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(b1, vdupq_n_u8(0x0F)), vshlq_n_u8(vandq_u8(h1, one), 4)));
      const int8x16_t hi0 = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(b0, 4), vshlq_n_u8(vandq_u8(h0, two), 3)));
      const int8x16_t hi1 = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(b1, 4), vshlq_n_u8(vandq_u8(h1, two), 3)));
      h0 = vshrq_n_u8(h0, 2);
      h1 = vshrq_n_u8(h1, 2);
      sumi += vaddvq_s32(dot32(lo0, vld1q_s8(p8), lo1, vld1q_s8(p8 + 16))) * sc[2 * j];
      sumi += vaddvq_s32(dot32(hi0, vld1q_s8(p8 + 32), hi1, vld1q_s8(p8 + 48))) * sc[2 * j + 1];
    }
    sumf += d * sumi - dmin * summins;
  }
  return sumf;
}

// Q6_K: the unsigned 6-bit values (0..63) are multiplied as they are and 32 * sum(bsums * scales)
// is subtracted once per super-block, which gives exactly the scalar kernel's signed sum.
float LG_NEON_NAME(vec_dot_q6_K)(int64_t n, const void* vx, const void* vy) {
  const block_q6_K* x = (const block_q6_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  const uint8x16_t m4 = vdupq_n_u8(0x0F), m3 = vdupq_n_u8(0x03), m30 = vdupq_n_u8(0x30);
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    int16_t bs[QK_K / 16];
    std::memcpy(bs, (const uint8_t*)&y[i] + offsetof(block_q8_K, bsums), sizeof bs);
    const int8x16_t scales = vld1q_s8(x[i].scales);
    const int32_t isum_mins = dot_i16x16(vld1q_s16(bs), vld1q_s16(bs + 8), vmovl_s8(vget_low_s8(scales)),
                                         vmovl_s8(vget_high_s8(scales)));
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    const int8_t* q8 = y[i].qs;
    const int8_t* sc = x[i].scales;
    int32_t isum = 0;
    for (int half = 0; half < QK_K / 128; half++) {
      const uint8x16_t h0 = vld1q_u8(qh), h1 = vld1q_u8(qh + 16);
      const uint8x16_t l0 = vld1q_u8(ql), l1 = vld1q_u8(ql + 16), l2 = vld1q_u8(ql + 32), l3 = vld1q_u8(ql + 48);
      int8x16_t v[8];
      v[0] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l0, m4), vshlq_n_u8(vandq_u8(h0, m3), 4)));
      v[1] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l1, m4), vshlq_n_u8(vandq_u8(h1, m3), 4)));
      v[2] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l2, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h0, 2), m3), 4)));
      v[3] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l3, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h1, 2), m3), 4)));
      v[4] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(l0, 4), vandq_u8(h0, m30)));
      v[5] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(l1, 4), vandq_u8(h1, m30)));
      v[6] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(l2, 4), vandq_u8(vshrq_n_u8(h0, 2), m30)));
      v[7] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(l3, 4), vandq_u8(vshrq_n_u8(h1, 2), m30)));
      for (int g = 0; g < 8; g++) isum += vaddvq_s32(dot16(vdupq_n_s32(0), v[g], vld1q_s8(q8 + 16 * g))) * sc[g];
      ql += 64;
      qh += 32;
      q8 += 128;
      sc += 8;
    }
    sumf += h2f(x[i].d) * y[i].d * (isum - 32 * isum_mins);
  }
  return sumf;
}

// ---- IQ4_NL / IQ4_XS: the levels looked up by vqtbl1q ----

// 32 values of a 16-byte nibble block against 32 activations, as four int32 lanes.
static inline int32x4_t iq4_block(const uint8_t* qs, const int8_t* a) {
  const int8x16_t values = vld1q_s8(kIq4Values);
  const uint8x16_t v = vld1q_u8(qs);
  return dot32(vqtbl1q_s8(values, vandq_u8(v, vdupq_n_u8(0x0F))), vld1q_s8(a), vqtbl1q_s8(values, vshrq_n_u8(v, 4)), vld1q_s8(a + 16));
}

// ggml's NEON loop: blocks in pairs, each pair's two products added to one float sum, then the
// scalar tail for an odd last block.
float LG_NEON_NAME(vec_dot_iq4_nl)(int64_t n, const void* vx, const void* vy) {
  const block_iq4_nl* x = (const block_iq4_nl*)vx;
  const block_q8_0* y = (const block_q8_0*)vy;
  const int64_t nb = n / QK4_0;
  float sumf = 0.0f;
  int64_t i = 0;
  for (; i + 1 < nb; i += 2)
    sumf += h2f(x[i].d) * h2f(y[i].d) * vaddvq_s32(iq4_block(x[i].qs, y[i].qs)) +
            h2f(x[i + 1].d) * h2f(y[i + 1].d) * vaddvq_s32(iq4_block(x[i + 1].qs, y[i + 1].qs));
  for (; i < nb; i++) sumf += h2f(y[i].d) * h2f(x[i].d) * vaddvq_s32(iq4_block(x[i].qs, y[i].qs));
  return sumf;
}

// Integer sums of the super-block's sub-blocks times their six-bit scales, one float step each.
float LG_NEON_NAME(vec_dot_iq4_xs)(int64_t n, const void* vx, const void* vy) {
  const block_iq4_xs* x = (const block_iq4_xs*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  const int64_t nb = n / QK_K;
  float sumf = 0.0f;
  for (int64_t i = 0; i < nb; i++) {
    int32_t sumi = 0;
    for (int ib = 0; ib < QK_K / 32; ib++) {
      const int ls = iq4_xs_scale(x[i], ib) - 32;
      sumi += vaddvq_s32(iq4_block(x[i].qs + 16 * ib, y[i].qs + 32 * ib)) * ls;
    }
    sumf += h2f(x[i].d) * y[i].d * sumi;
  }
  return sumf;
}

}  // namespace lg
