// The K-quant weight quantisers (Q2_K .. Q6_K), byte-exact with ggml's quantize_row_q*_K_ref and
// so with what llama-quantize writes without an importance matrix, and with the TypeScript
// registry (src/engine/quant/q*_k.ts), which is the same algorithm at a fraction of the pace.
//
// Every float expression is ggml's, operand for operand and in the same association: this file
// builds with -ffp-contract=off (no fused multiply-add) and without -ffast-math, so that NaN
// compares as C says (`if (!d)` skips a zero d but not a NaN one, `if (max_scale)` takes a NaN).
// The degenerate inputs (all-zero groups, float32 subnormals whose 1/scale overflows, magnitudes
// whose f16 scale overflows to inf and turns a zero sub-scale into a NaN d) then come out as ggml's.
#include "quant/quantize_ref.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/kquant_common.h"
#include "quant/quant.h"
#include "quant/quantize_util.h"
#include "runtime/fp16.h"

namespace lg {
namespace {

inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// make_qx_quants with rmse_type 1 and no importance weights (Q6_K): symmetric levels -nmax..nmax-1
// (stored + nmax in L), the scale the best of 19 tries around nmax / max in the weighted (w = x^2)
// least-squares sense. The result carries the sign of the largest-magnitude element.
float make_qx_quants(int n, int nmax, const float* x, int8_t* L) {
  const float max = signed_abs_max(x, n);
  if (std::fabs(max) < kGroupMaxEps) {
    std::memset(L, 0, n);
    return 0.f;
  }
  float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; i++) {
    const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    L[i] = (int8_t)(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;  // C's `suml2 ?`: a NaN suml2 divides
  float best = scale * sumlx;
  for (int is = -9; is <= 9; is++) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; i++) {
      const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; i++) L[i] = (int8_t)(nmax + clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// make_q3_quants with do_rmse (Q3_K): levels from -nmax / max, then up to five passes of
// coordinate descent on the weighted (w = x^2) fit, each element moved to the level the others'
// least-squares scale suggests when that raises sumlx^2 / suml2. Levels land in L + nmax (0 for
// an all-zero group); returns the least-squares scale.
float make_q3_quants(int n, int nmax, const float* x, int8_t* L) {
  const float max = signed_abs_max(x, n);
  if (std::fabs(max) < kGroupMaxEps) {
    std::memset(L, 0, n);
    return 0.f;
  }
  const float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; i++) {
    const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    L[i] = (int8_t)l;
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  for (int itry = 0; itry < 5; itry++) {
    int n_changed = 0;
    for (int i = 0; i < n; i++) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * L[i];
      if (slx > 0) {
        float sl2 = suml2 - w * L[i] * L[i];
        const int new_l = clamp_int(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (new_l != L[i]) {
          slx += w * x[i] * new_l;
          sl2 += w * new_l * new_l;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = (int8_t)new_l;
            sumlx = slx;
            suml2 = sl2;
            n_changed++;
          }
        }
      }
    }
    if (!n_changed) break;
  }
  for (int i = 0; i < n; i++) L[i] = (int8_t)(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Four lanes of float or int32 (GCC/Clang vector extensions: one SSE2 or NEON register). The
// make_qkx2_quants searches run four groups side by side, lane k for group k; each lane does
// ggml's float operations in ggml's order, so the results are ggml's bit for bit.
typedef float f32x4 __attribute__((vector_size(16)));
typedef int32_t i32x4 __attribute__((vector_size(16)));

inline f32x4 splat(float v) { return f32x4{v, v, v, v}; }
inline i32x4 splat_i(int32_t v) { return i32x4{v, v, v, v}; }
// Per lane m ? a : b, for masks from vector compares (all ones or all zeros).
inline f32x4 select(i32x4 m, f32x4 a, f32x4 b) { return (f32x4)((m & (i32x4)a) | (~m & (i32x4)b)); }
inline i32x4 select(i32x4 m, i32x4 a, i32x4 b) { return (m & a) | (~m & b); }
inline f32x4 abs4(f32x4 v) { return (f32x4)((i32x4)v & splat_i(0x7fffffff)); }
// nearest_int per lane, clamped to 0..nmax and returned as float (what ggml's sums convert it to).
inline f32x4 level4(f32x4 f, int nmax) {
  const f32x4 v = f + splat(12582912.0f);
  i32x4 l = ((i32x4)v & splat_i(0x007fffff)) - splat_i(0x00400000);
  l = select(l < splat_i(0), splat_i(0), l);
  l = select(l > splat_i(nmax), splat_i(nmax), l);
  return __builtin_convertvector(l, f32x4);
}

// make_qkx2_quants (Q2_K, Q4_K, Q5_K) for four groups of n (<= 32) values at once: x[i] and w[i]
// hold value i of each group and its weight, lane k for group k. Levels 0..nmax for value ~=
// scale * l - the_min: nstep + 1 tries of iscale (rmin + rdelta * is + nmax) / (max - min), each
// with its weighted least-squares scale and min, keeping the lowest weighted squared (use_mad:
// absolute) error. As in ggml, a try divides by max - min with the best min so far. ggml's
// branches are per-lane selects here; its sums stay sequential over i within each lane. Group k's
// levels go to L[stride * k ..), its scale and min (the negated offset) to scale_out[k], min_out[k].
template <bool kUseMad>
void make_qkx2_quants_x4(int n, int nmax, const f32x4* x, const f32x4* w, float rmin, float rdelta, int nstep,
                         uint8_t* L, int stride, float* scale_out, float* min_out) {
  const f32x4 zero = splat(0.f);
  f32x4 min = x[0], max = x[0];
  f32x4 sum_w = w[0];
  f32x4 sum_x = sum_w * x[0];
  for (int i = 1; i < n; i++) {
    min = select(x[i] < min, x[i], min);
    max = select(x[i] > max, x[i], max);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  min = select(min > zero, zero, min);
  const i32x4 flat = max == min;  // ggml returns at once: levels 0, scale 0, the_min = -min
  const f32x4 flat_min = min;
  f32x4 iscale = (float)nmax / (max - min);
  f32x4 scale = 1.f / iscale;
  f32x4 best_error = zero;
  for (int i = 0; i < n; i++) {
    f32x4 diff = scale * level4(iscale * (x[i] - min), nmax) + min - x[i];
    diff = kUseMad ? abs4(diff) : diff * diff;
    best_error += w[i] * diff;
  }
  // The levels of the best try are recomputed at the end from its iscale and the min they were
  // taken against, rather than copied at every improvement.
  f32x4 best_iscale = iscale, best_level_min = min;
  f32x4 laux[32];
  for (int is = 0; is <= nstep; is++) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    f32x4 sum_l = zero, sum_l2 = zero, sum_xl = zero;
    for (int i = 0; i < n; i++) {
      const f32x4 l = laux[i] = level4(iscale * (x[i] - min), nmax);
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const f32x4 D = sum_w * sum_l2 - sum_l * sum_l;
    f32x4 this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
    f32x4 this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
    const i32x4 positive_min = this_min > zero;
    this_min = select(positive_min, zero, this_min);
    this_scale = select(positive_min, sum_xl / sum_l2, this_scale);
    f32x4 cur_error = zero;
    for (int i = 0; i < n; i++) {
      f32x4 diff = this_scale * laux[i] + this_min - x[i];
      diff = kUseMad ? abs4(diff) : diff * diff;
      cur_error += w[i] * diff;
    }
    const i32x4 better = (D > zero) & (cur_error < best_error);
    best_error = select(better, cur_error, best_error);
    scale = select(better, this_scale, scale);
    best_iscale = select(better, iscale, best_iscale);
    best_level_min = select(better, min, best_level_min);
    min = select(better, this_min, min);
  }
  for (int i = 0; i < n; i++) {
    const f32x4 l = select(flat, zero, level4(best_iscale * (x[i] - best_level_min), nmax));
    for (int k = 0; k < 4; k++) L[stride * k + i] = (uint8_t)l[k];
  }
  scale = select(flat, zero, scale);
  min = select(flat, flat_min, min);
  for (int k = 0; k < 4; k++) {
    scale_out[k] = scale[k];
    min_out[k] = -min[k];
  }
}

// Four groups of n values, group k at x + stride * k, as make_qkx2_quants_x4 takes them.
inline void gather4(const float* x, int n, int stride, f32x4* xv) {
  for (int i = 0; i < n; i++) xv[i] = f32x4{x[i], x[stride + i], x[2 * stride + i], x[3 * stride + i]};
}

// Q4_K/Q5_K's twelve scale bytes from eight 6-bit scales and mins: the inverse of
// get_scale_min_k4 (kquant_common.h).
void pack_scale_min_k4(const uint8_t* ls, const uint8_t* lm, uint8_t* s) {
  for (int j = 0; j < 4; j++) {
    s[j] = ls[j];
    s[j + 4] = lm[j];
  }
  for (int j = 4; j < 8; j++) {
    s[j + 4] = (uint8_t)((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
    s[j - 4] |= (uint8_t)((ls[j] >> 4) << 6);
    s[j] |= (uint8_t)((lm[j] >> 4) << 6);
  }
}

// What Q4_K and Q5_K share: per 32-value sub-block a make_qkx2_quants search (weights
// av_x + |x|), the scales and mins to six bits under an f16 d and dmin, then the levels 0..nmax
// requantised against the stored scales into L (where a stored scale is zero, the search's
// levels stay).
template <typename Block>
void quantize_scale_min_block(const float* x, Block& y, uint8_t* L, int nmax, float rmin, int nstep) {
  float scales[8], mins[8];
  for (int g = 0; g < 2; g++) {  // sub-blocks 4g .. 4g + 3
    f32x4 xv[32], wv[32];
    gather4(x + 128 * g, 32, 32, xv);
    f32x4 sum_x2 = splat(0.f);
    for (int l = 0; l < 32; l++) sum_x2 += xv[l] * xv[l];
    f32x4 av_x = sum_x2 / 32.f;
    for (int k = 0; k < 4; k++) av_x[k] = std::sqrt(av_x[k]);
    for (int l = 0; l < 32; l++) wv[l] = av_x + abs4(xv[l]);
    make_qkx2_quants_x4<false>(32, nmax, xv, wv, rmin, 0.1f, nstep, L + 128 * g, 32, scales + 4 * g, mins + 4 * g);
  }
  float max_scale = 0, max_min = 0;  // scales and mins (negated offsets) come out non-negative
  for (int j = 0; j < 8; j++) {
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; j++) {
    // ggml stores nearest_int into a uint8_t (mod 256) before clamping to 63.
    ls[j] = std::min<uint8_t>(63, (uint8_t)nearest_int(inv_scale * scales[j]));
    lm[j] = std::min<uint8_t>(63, (uint8_t)nearest_int(inv_min * mins[j]));
  }
  pack_scale_min_k4(ls, lm, y.scales);
  y.d = fp32_to_fp16(max_scale / 63.f);
  y.dmin = fp32_to_fp16(max_min / 63.f);
  const float d_all = fp16_to_fp32(y.d), m_all = fp16_to_fp32(y.dmin);
  for (int j = 0; j < 8; j++) {
    uint8_t sc, m;
    get_scale_min_k4(j, y.scales, &sc, &m);
    const float d = d_all * sc;
    if (d == 0) continue;  // ggml's `!d`: a NaN d (an infinite d_all times 0) goes on
    const float dm = m_all * m;
    for (int ii = 0; ii < 32; ii++) L[32 * j + ii] = (uint8_t)clamp_int(nearest_int((x[32 * j + ii] + dm) / d), 0, nmax);
  }
}

// Two-bit fields of Q2_K/Q3_K: byte l of 32-byte half h holds values 128h + l, +32, +64, +96 in
// bits 0-1, 2-3, 4-5, 6-7. L holds 0..3.
template <typename Level>
void pack_2bit(const Level* L, uint8_t* qs) {
  for (int h = 0; h < 2; h++) {
    const Level* b = L + 128 * h;
    for (int l = 0; l < 32; l++) qs[32 * h + l] = (uint8_t)(b[l] | (b[l + 32] << 2) | (b[l + 64] << 4) | (b[l + 96] << 6));
  }
}

}  // namespace

void quantize_row_q2_K_ref(const float* x, void* vy, int64_t n) {
  block_q2_K* y = static_cast<block_q2_K*>(vy);
  const float q4scale = 15.f;
  uint8_t L[QK_K];
  float scales[16], mins[16];
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
    block_q2_K& b = y[i];
    for (int g = 0; g < 4; g++) {  // sub-blocks 4g .. 4g + 3, weights |x|
      f32x4 xv[16], wv[16];
      gather4(x + 64 * g, 16, 16, xv);
      for (int l = 0; l < 16; l++) wv[l] = abs4(xv[l]);
      make_qkx2_quants_x4<true>(16, 3, xv, wv, -0.5f, 0.1f, 15, L + 64 * g, 16, scales + 4 * g, mins + 4 * g);
    }
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; j++) {
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    // No clamps, as in ggml: nearest_int goes into the byte mod 256, and the min's l << 4 is
    // OR-ed in and cut to eight bits the same way.
    if (max_scale > 0) {
      const float iscale = q4scale / max_scale;
      for (int j = 0; j < 16; j++) b.scales[j] = (uint8_t)nearest_int(iscale * scales[j]);
      b.d = fp32_to_fp16(max_scale / q4scale);
    } else {
      std::memset(b.scales, 0, sizeof b.scales);
      b.d = fp32_to_fp16(0.f);
    }
    if (max_min > 0) {
      const float iscale = q4scale / max_min;
      for (int j = 0; j < 16; j++) b.scales[j] |= (uint8_t)((unsigned)nearest_int(iscale * mins[j]) << 4);
      b.dmin = fp32_to_fp16(max_min / q4scale);
    } else {
      b.dmin = fp32_to_fp16(0.f);
    }
    const float d_all = fp16_to_fp32(b.d), m_all = fp16_to_fp32(b.dmin);
    for (int j = 0; j < 16; j++) {
      const float d = d_all * (b.scales[j] & 0xF);
      if (d == 0) continue;  // ggml's `!d`: a NaN d goes on
      const float dm = m_all * (b.scales[j] >> 4);
      for (int ii = 0; ii < 16; ii++) L[16 * j + ii] = (uint8_t)clamp_int(nearest_int((x[16 * j + ii] + dm) / d), 0, 3);
    }
    pack_2bit(L, b.qs);
  }
}

void quantize_row_q3_K_ref(const float* x, void* vy, int64_t n) {
  block_q3_K* y = static_cast<block_q3_K*>(vy);
  int8_t L[QK_K];
  float scales[16];
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
    block_q3_K& b = y[i];
    for (int j = 0; j < 16; j++) scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
    const float max_scale = signed_abs_max(scales, 16);
    std::memset(b.scales, 0, sizeof b.scales);
    if (max_scale != 0) {  // C's `if (max_scale)`
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; j++) {
        // ggml stores nearest_int into an int8_t (mod 256) before clamping to -32..31.
        const int l = clamp_int((int8_t)nearest_int(iscale * scales[j]), -32, 31) + 32;
        if (j < 8) b.scales[j] = (uint8_t)(l & 0xF);
        else b.scales[j - 8] |= (uint8_t)((l & 0xF) << 4);
        b.scales[8 + j % 4] |= (uint8_t)((l >> 4) << (2 * (j / 4)));
      }
      b.d = fp32_to_fp16(1 / iscale);
    } else {
      b.d = fp32_to_fp16(0.f);
    }
    int8_t sc[16];
    unpack_scales_q3_K(b.scales, sc);
    const float d_all = fp16_to_fp32(b.d);
    for (int j = 0; j < 16; j++) {
      const float d = d_all * sc[j];
      if (d == 0) continue;  // ggml's `!d`: a NaN d goes on
      for (int ii = 0; ii < 16; ii++) L[16 * j + ii] = (int8_t)(clamp_int(nearest_int(x[16 * j + ii] / d), -4, 3) + 4);
    }
    // The third bit of value e goes to hmask[e % 32] bit e / 32, the low two to qs.
    std::memset(b.hmask, 0, sizeof b.hmask);
    for (int e = 0; e < QK_K; e++) {
      if (L[e] > 3) {
        b.hmask[e % 32] |= (uint8_t)(1 << (e / 32));
        L[e] -= 4;
      }
    }
    pack_2bit(L, b.qs);
  }
}

void quantize_row_q4_K_ref(const float* x, void* vy, int64_t n) {
  block_q4_K* y = static_cast<block_q4_K*>(vy);
  uint8_t L[QK_K];
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
    block_q4_K& b = y[i];
    quantize_scale_min_block(x, b, L, 15, -1.f, 20);
    // byte l of 32-byte chunk c: value 64c + l in the low nibble, 64c + 32 + l in the high one
    for (int c = 0; c < 4; c++)
      for (int l = 0; l < 32; l++) b.qs[32 * c + l] = (uint8_t)(L[64 * c + l] | (L[64 * c + l + 32] << 4));
  }
}

void quantize_row_q5_K_ref(const float* x, void* vy, int64_t n) {
  block_q5_K* y = static_cast<block_q5_K*>(vy);
  uint8_t L[QK_K];
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
    block_q5_K& b = y[i];
    quantize_scale_min_block(x, b, L, 31, -0.5f, 15);
    // low nibbles as Q4_K; the fifth bit of value 64c + l (+ 32) is bit 2c (2c + 1) of qh[l]
    std::memset(b.qh, 0, sizeof b.qh);
    for (int c = 0; c < 4; c++) {
      for (int l = 0; l < 32; l++) {
        int l1 = L[64 * c + l], l2 = L[64 * c + l + 32];
        if (l1 > 15) {
          l1 -= 16;
          b.qh[l] |= (uint8_t)(1 << (2 * c));
        }
        if (l2 > 15) {
          l2 -= 16;
          b.qh[l] |= (uint8_t)(2 << (2 * c));
        }
        b.qs[32 * c + l] = (uint8_t)(l1 | (l2 << 4));
      }
    }
  }
}

void quantize_row_q6_K_ref(const float* x, void* vy, int64_t n) {
  block_q6_K* y = static_cast<block_q6_K*>(vy);
  int8_t L[QK_K];
  float scales[16];
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
    block_q6_K& b = y[i];
    for (int ib = 0; ib < 16; ib++) scales[ib] = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
    const float max_scale = signed_abs_max(scales, 16);
    if (std::fabs(max_scale) < kGroupMaxEps) {  // all zero: every byte 0, d = +0
      std::memset(&b, 0, sizeof b);
      continue;
    }
    const float iscale = -128.f / max_scale;
    b.d = fp32_to_fp16(1 / iscale);
    // ggml clamps to 127 only, then stores the int into an int8_t (mod 256)
    for (int ib = 0; ib < 16; ib++) b.scales[ib] = (int8_t)std::min(127, nearest_int(iscale * scales[ib]));
    const float d_all = fp16_to_fp32(b.d);
    for (int j = 0; j < 16; j++) {
      const float d = d_all * b.scales[j];
      if (d == 0) continue;  // ggml's `!d`: a NaN d goes on
      for (int ii = 0; ii < 16; ii++) L[16 * j + ii] = (int8_t)(clamp_int(nearest_int(x[16 * j + ii] / d), -32, 31) + 32);
    }
    // ql: low nibbles, byte l of 64-byte half h holding values 128h + l (+ 64) and 128h + 32 + l
    // (+ 96); qh: the high two bits of 128h + l, +32, +64, +96 in bits 0-1 .. 6-7 of qh[32h + l].
    for (int h = 0; h < 2; h++) {
      const int8_t* q = L + 128 * h;
      uint8_t* ql = b.ql + 64 * h;
      uint8_t* qh = b.qh + 32 * h;
      for (int l = 0; l < 32; l++) {
        ql[l] = (uint8_t)((q[l] & 0xF) | ((q[l + 64] & 0xF) << 4));
        ql[l + 32] = (uint8_t)((q[l + 32] & 0xF) | ((q[l + 96] & 0xF) << 4));
        qh[l] = (uint8_t)((q[l] >> 4) | ((q[l + 32] >> 4) << 2) | ((q[l + 64] >> 4) << 4) | ((q[l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace lg
