// The rows-of-8 arithmetic (quant.h), portable: the definition the SIMD kernels must equal bit for
// bit. Only additions of exact integers and one fma per block per output, so any ISA gets the same
// floats by doing the same float steps in the same order.
#include <cmath>
#include "quant.h"
#include "kquant_common.h"
#include "../runtime/fp16.h"
namespace lg {

void q8_0_block_sums(const void* vy, int64_t nb, int32_t* out) {
  const block_q8_0* y = (const block_q8_0*)vy;
  for (int64_t b = 0; b < nb; b++) {
    int32_t s = 0;
    for (int j = 0; j < QK8_0; j++) s += y[b].qs[j];
    out[b] = s;
  }
}

namespace {
// Q4_0 and IQ4_NL (llama.cpp repacks both into the same 8-row blocks and runs one template over
// them): per 32-value block the exact integer sum of level(nibble) * activation, then one fma.
template <class Block, class Level>
void rows8_b32(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, int64_t nc, float* s, size_t bs,
               Level level) {
  const int64_t nb = n / QK4_0;
  for (int64_t c = 0; c < nc; c++) {
    const block_q8_0* y = (const block_q8_0*)((const uint8_t*)vy + c * by);
    for (int64_t r = 0; r < nr; r++) {
      const Block* x = (const Block*)((const uint8_t*)vx + r * bx);
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; b++) {
        int32_t sum = 0;
        for (int j = 0; j < QK4_0 / 2; j++) sum += level(x[b].qs[j] & 0x0F) * y[b].qs[j] + level(x[b].qs[j] >> 4) * y[b].qs[j + QK4_0 / 2];
        acc = std::fma((float)sum, fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d), acc);
      }
      s[c * bs + r] = acc;
    }
  }
}
}  // namespace

void gemm_rows8_q4_0_scalar(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t*,
                            int64_t nc, float* s, size_t bs) {
  rows8_b32<block_q4_0>(n, vx, bx, nr, vy, by, nc, s, bs, [](int q) { return q - 8; });
}

void gemm_rows8_iq4_nl_scalar(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t*,
                              int64_t nc, float* s, size_t bs) {
  rows8_b32<block_iq4_nl>(n, vx, bx, nr, vy, by, nc, s, bs, [](int q) { return (int)kIq4Values[q]; });
}

// Q4_K: per 64-value pair of sub-blocks p of superblock b, the exact integer sums
//   ip = sc[2p]*sum(q*a over sub 2p) + sc[2p+1]*sum(q*a over sub 2p+1)
//   im = mn[2p]*asum(sub 2p) + mn[2p+1]*asum(sub 2p+1)     (asum from Q8_K's 16-value bsums)
// then acc = fma(ip, d_w*d_a, acc) and accm = fma(im, dmin_w*d_a, accm) per pair for columns in
// whole groups of four (llama.cpp's gemm), per superblock (sums over the four pairs) for the rest
// (its gemv); the output is acc - accm.
void gemm_rows8_q4_K_scalar(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t*,
                            int64_t nc, float* s, size_t bs) {
  const int64_t nb = n / QK_K;
  const int64_t grouped = nc - nc % 4;
  for (int64_t c = 0; c < nc; c++) {
    const block_q8_K* y = (const block_q8_K*)((const uint8_t*)vy + c * by);
    const bool per_pair = c < grouped;
    for (int64_t r = 0; r < nr; r++) {
      const block_q4_K* x = (const block_q4_K*)((const uint8_t*)vx + r * bx);
      float acc = 0.0f, accm = 0.0f;
      for (int64_t b = 0; b < nb; b++) {
        uint8_t sc[8], mn[8];
        unpack_scales_mins_k4(x[b].scales, sc, mn);
        const float d = fp16_to_fp32(x[b].d) * y[b].d, dmin = fp16_to_fp32(x[b].dmin) * y[b].d;
        int32_t ib = 0, imb = 0;
        for (int p = 0; p < 4; p++) {
          int32_t lo = 0, hi = 0;
          for (int j = 0; j < 32; j++) {
            lo += (x[b].qs[32 * p + j] & 0x0F) * y[b].qs[64 * p + j];
            hi += (x[b].qs[32 * p + j] >> 4) * y[b].qs[64 * p + 32 + j];
          }
          const int32_t ip = sc[2 * p] * lo + sc[2 * p + 1] * hi;
          const int32_t im = mn[2 * p] * (y[b].bsums[4 * p] + y[b].bsums[4 * p + 1]) +
                             mn[2 * p + 1] * (y[b].bsums[4 * p + 2] + y[b].bsums[4 * p + 3]);
          if (per_pair) {
            acc = std::fma((float)ip, d, acc);
            accm = std::fma((float)im, dmin, accm);
          } else {
            ib += ip;
            imb += im;
          }
        }
        if (!per_pair) {
          acc = std::fma((float)ib, d, acc);
          accm = std::fma((float)imb, dmin, accm);
        }
      }
      s[c * bs + r] = acc - accm;
    }
  }
}

// IQ4_XS rows in eights (llama.cpp's IQ panel, from kIq4PanelBatch activation rows on): per
// super-block the exact sum of each sub-block's products times its scale, then one fma; fewer
// activation rows take the dot product.
void gemm_rows8_iq4_xs_scalar(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t*,
                              int64_t nc, float* s, size_t bs) {
  const int64_t nb = n / QK_K;
  for (int64_t c = 0; c < nc; c++) {
    const block_q8_K* y = (const block_q8_K*)((const uint8_t*)vy + c * by);
    for (int64_t r = 0; r < nr; r++) {
      const block_iq4_xs* x = (const block_iq4_xs*)((const uint8_t*)vx + r * bx);
      if (nc < kIq4PanelBatch) {
        s[c * bs + r] = vec_dot_iq4_xs_scalar(n, x, y);
        continue;
      }
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; b++) {
        int32_t sum = 0;
        for (int ib = 0; ib < QK_K / 32; ib++) {
          int32_t sub = 0;
          for (int j = 0; j < 16; j++)
            sub += kIq4Values[x[b].qs[16 * ib + j] & 0x0F] * y[b].qs[32 * ib + j] + kIq4Values[x[b].qs[16 * ib + j] >> 4] * y[b].qs[32 * ib + 16 + j];
          sum += (iq4_xs_scale(x[b], ib) - 32) * sub;
        }
        acc = std::fma((float)sum, fp16_to_fp32(x[b].d) * y[b].d, acc);
      }
      s[c * bs + r] = acc;
    }
  }
}

}  // namespace lg
