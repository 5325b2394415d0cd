// IQ4_NL and IQ4_XS weight quantisers as llama-quantize runs them (quantize_iq4_nl / _xs: ggml's
// quantize_row_iq4_nl_impl, no importance matrix, ntry = 7), float32 throughout and no fused
// multiply-adds (-ffp-contract=off). src/engine/quant/iq4-util.ts is the same in TypeScript.
#include <cmath>
#include <cstring>
#include "quant.h"
#include "quantize_ref.h"
#include "quantize_util.h"
#include "../runtime/fp16.h"
namespace lg {
namespace {
// ggml's best_index_int8 over the levels: the nearer of the two around x, the lower on a tie. Its
// binary search ends at the last level <= x; counting those instead takes no branches, which the
// search's, on data like weights, mispredict (1.7 times faster on the whole quantiser).
inline int best_index(float x) {
  const int8_t* v = kIq4Values;
  if (x <= v[0]) return 0;
  if (x >= v[15] || x != x) return 15;  // a NaN moves the search up to its end
  int k = 0;
  for (int i = 1; i < 15; i++) k += x >= v[i];
  return x - v[k] < v[k + 1] - x ? k : k + 1;
}

// The weighted fit of one candidate scale's levels: sum w*q*x and sum w*q*q, the levels into L.
inline void fit(const float* x, float id, const float* w, uint8_t* L, float& sumqx, float& sumq2) {
  sumqx = 0.0f, sumq2 = 0.0f;
  for (int j = 0; j < 32; j++) {
    const int l = best_index(id * x[j]);
    if (L) L[j] = (uint8_t)l;
    const float q = kIq4Values[l];
    sumqx += w[j] * q * x[j];
    sumq2 += w[j] * q * q;
  }
}

// One IQ4_NL block (nsub = 1) or IQ4_XS super-block (nsub = 8): d, the sub-scales, the nibbles.
void quantize_block(const float* x, int nsub, uint16_t* d_out, uint16_t* scales_h, uint8_t* scales_l, uint8_t* qs) {
  uint8_t L[256];
  float weight[32], scales[8];
  for (int ib = 0; ib < nsub; ib++) {
    const float* xb = x + 32 * ib;
    for (int j = 0; j < 32; j++) weight[j] = xb[j] * xb[j];
    const float max = signed_abs_max(xb, 32);
    if (std::fabs(max) < kGroupMaxEps) {
      scales[ib] = 0.0f;
      continue;
    }
    float sumqx, sumq2;
    fit(xb, 1.0f / (-max / kIq4Values[0]), weight, L + 32 * ib, sumqx, sumq2);
    float d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
    float best = d * sumqx;
    for (int itry = -7; itry <= 7; itry++) {
      fit(xb, (float)(itry + kIq4Values[0]) / max, weight, nullptr, sumqx, sumq2);
      if (sumq2 > 0 && sumqx * sumqx > best * sumq2) d = sumqx / sumq2, best = d * sumqx;
    }
    scales[ib] = d;
  }
  if (nsub > 1) {
    const float d = -signed_abs_max(scales, nsub) / 32;
    *d_out = fp32_to_fp16(d);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;  // C's `d ? 1/d : 0`: NaN stays NaN
    uint16_t h = 0;
    std::memset(scales_l, 0, (size_t)nsub / 2);
    for (int ib = 0; ib < nsub; ib++) {
      const int l = std::max(-32, std::min(31, nearest_int(id * scales[ib])));
      const float dl = d * l;
      const float idl = dl != 0.0f ? 1.0f / dl : 0.0f;
      for (int j = 0; j < 32; j++) L[32 * ib + j] = (uint8_t)best_index(idl * x[32 * ib + j]);
      const int u = l + 32;
      scales_l[ib / 2] |= (uint8_t)((u & 0xF) << (4 * (ib % 2)));
      h |= (uint16_t)((u >> 4) << (2 * ib));
    }
    std::memcpy(scales_h, &h, 2);
  } else {
    *d_out = fp32_to_fp16(scales[0]);
    const float id = scales[0] != 0.0f ? 1.0f / scales[0] : 0.0f;
    for (int j = 0; j < 32; j++) L[j] = (uint8_t)best_index(id * x[j]);
  }
  for (int i = 0; i < nsub; i++)
    for (int j = 0; j < 16; j++) qs[16 * i + j] = (uint8_t)(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
}
}  // namespace

void quantize_row_iq4_nl_ref(const float* x, void* vy, int64_t n) {
  block_iq4_nl* y = (block_iq4_nl*)vy;
  for (int64_t i = 0; i < n / QK4_0; i++) quantize_block(x + i * QK4_0, 1, &y[i].d, nullptr, nullptr, y[i].qs);
}

void quantize_row_iq4_xs_ref(const float* x, void* vy, int64_t n) {
  block_iq4_xs* y = (block_iq4_xs*)vy;
  for (int64_t i = 0; i < n / QK_K; i++) quantize_block(x + i * QK_K, 8, &y[i].d, &y[i].scales_h, y[i].scales_l, y[i].qs);
}
}  // namespace lg
