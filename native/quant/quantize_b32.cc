// The 32-value block types' weight quantisers, ggml's quantize_row_*_ref step for step (float32
// throughout, no fused multiply-adds: this file builds with -ffp-contract=off). src/engine/quant
// holds the same quantisers in TypeScript; test/native/quantize.test.ts holds the two to the same
// bytes.
#include <cmath>
#include <cstring>
#include <cfloat>
#include "quant.h"
#include "quantize_ref.h"
#include "quantize_util.h"
#include "../runtime/fp16.h"
namespace lg {
namespace {
// C's (int8_t)f as x86-64 compiles it (cvttss2si, then the low byte): truncation toward zero,
// wrapping; NaN and values past int32 give 0x80000000, whose low byte is 0. Written out because
// the cast itself is undefined behaviour out of range in C++.
inline int c_float_to_int8(float x) {
  if (!(std::fabs(x) < 2147483648.0f)) return 0;
  return (int8_t)(uint8_t)(uint32_t)(int32_t)x;
}
// C's `d ? 1/d : 0`: a NaN scale is true there.
inline float inverse_or_zero(float d) { return d != 0.0f ? 1.0f / d : 0.0f; }
// Q4_1 / Q5_1: the block's minimum and its scale over `levels` steps, both stored as f16; returns
// the minimum and the scale's inverse for the levels.
struct Affine {
  float min, id;
};
template <class Block>
inline Affine affine_scale(const float* x, int n, float levels, Block& b) {
  float min = FLT_MAX, max = -FLT_MAX;
  for (int j = 0; j < n; j++) {
    if (x[j] < min) min = x[j];
    if (x[j] > max) max = x[j];
  }
  const float d = (max - min) / levels;
  b.d = fp32_to_fp16(d);
  b.m = fp32_to_fp16(min);
  return {min, inverse_or_zero(d)};
}
// Q5_0 / Q5_1: 32 five-bit levels (value j and j + 16 share byte j's nibbles), the fifth bits in qh.
inline void store_q5(const int* q, uint8_t* qs, uint8_t* qh) {
  uint32_t h = 0;
  for (int j = 0; j < 16; j++) {
    qs[j] = (uint8_t)((q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4));
    h |= ((uint32_t)(q[j] & 0x10) >> 4) << j;
    h |= ((uint32_t)(q[j + 16] & 0x10) >> 4) << (j + 16);
  }
  std::memcpy(qh, &h, 4);
}
}  // namespace

void quantize_row_q4_0_ref(const float* x, void* vy, int64_t n) {
  block_q4_0* y = (block_q4_0*)vy;
  for (int64_t i = 0; i < n / QK4_0; i++, x += QK4_0) {
    const float d = signed_abs_max(x, QK4_0) / -8;
    const float id = inverse_or_zero(d);
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < QK4_0 / 2; j++) {
      const int q0 = std::min(15, c_float_to_int8(x[j] * id + 8.5f));
      const int q1 = std::min(15, c_float_to_int8(x[QK4_0 / 2 + j] * id + 8.5f));
      y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q4_1_ref(const float* x, void* vy, int64_t n) {
  block_q4_1* y = (block_q4_1*)vy;
  for (int64_t i = 0; i < n / QK4_1; i++, x += QK4_1) {
    const auto [min, id] = affine_scale(x, QK4_1, 15, y[i]);
    for (int j = 0; j < QK4_1 / 2; j++) {
      const int q0 = std::min(15, c_float_to_int8((x[j] - min) * id + 0.5f));
      const int q1 = std::min(15, c_float_to_int8((x[QK4_1 / 2 + j] - min) * id + 0.5f));
      y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q5_0_ref(const float* x, void* vy, int64_t n) {
  block_q5_0* y = (block_q5_0*)vy;
  for (int64_t i = 0; i < n / QK5_0; i++, x += QK5_0) {
    const float d = signed_abs_max(x, QK5_0) / -16;
    const float id = inverse_or_zero(d);
    y[i].d = fp32_to_fp16(d);
    int q[QK5_0];
    for (int j = 0; j < QK5_0; j++) q[j] = std::min(31, c_float_to_int8(x[j] * id + 16.5f));
    store_q5(q, y[i].qs, y[i].qh);
  }
}

void quantize_row_q5_1_ref(const float* x, void* vy, int64_t n) {
  block_q5_1* y = (block_q5_1*)vy;
  for (int64_t i = 0; i < n / QK5_1; i++, x += QK5_1) {
    const auto [min, id] = affine_scale(x, QK5_1, 31, y[i]);
    int q[QK5_1];
    // ggml casts to uint8_t here, not int8_t: no clamp, the low byte as it is.
    for (int j = 0; j < QK5_1; j++) q[j] = c_float_to_int8((x[j] - min) * id + 0.5f) & 0xFF;
    store_q5(q, y[i].qs, y[i].qh);
  }
}

void quantize_row_q8_0_ref(const float* x, void* vy, int64_t n) {
  block_q8_0* y = (block_q8_0*)vy;
  for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
    float amax = 0.0f;
    // ggml's MAX(a, b) macro, a > b ? a : b: a NaN is taken, then dropped by the next value.
    for (int j = 0; j < QK8_0; j++) amax = amax > std::fabs(x[j]) ? amax : std::fabs(x[j]);
    const float d = amax / 127;
    const float id = inverse_or_zero(d);
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < QK8_0; j++) y[i].qs[j] = (int8_t)c_float_to_int8(std::round(x[j] * id));
  }
}
}  // namespace lg
