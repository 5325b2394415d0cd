// llama.cpp's tinyBLAS order for float weights in batches (quant.h), portable: the definition the
// SIMD kernels must equal bit for bit. Per output eight float lanes, one fma per lane and step of
// eight values, then the lanes summed the way hsum_ps sums them.
#include <cmath>
#include <cstring>
#include "quant.h"
#include "../runtime/fp16.h"
namespace lg {

namespace {
struct F32W { static float at(const uint8_t* row, int64_t i) { float v; std::memcpy(&v, row + 4 * i, 4); return v; } };
struct F16W { static float at(const uint8_t* row, int64_t i) { uint16_t h; std::memcpy(&h, row + 2 * i, 2); return fp16_to_fp32(h); } };
struct BF16W { static float at(const uint8_t* row, int64_t i) { uint16_t h; std::memcpy(&h, row + 2 * i, 2); return bf16_to_fp32(h); } };

template <class W>
void tinyblas_scalar(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, int64_t nc, float* s, size_t bs) {
  for (int64_t c = 0; c < nc; c++) {
    const float* y = (const float*)((const uint8_t*)vy + c * by);
    for (int64_t r = 0; r < nr; r++) {
      const uint8_t* x = (const uint8_t*)vx + r * bx;
      float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int64_t i = 0; i < n; i += 8)
        for (int l = 0; l < 8; l++) lane[l] = std::fma(W::at(x, i + l), y[i + l], lane[l]);
      // hsum_ps: high half onto the low half, then lanes (0 + 2, 1 + 3), then those two
      float h[4];
      for (int l = 0; l < 4; l++) h[l] = lane[l + 4] + lane[l];
      s[c * bs + r] = (h[0] + h[2]) + (h[1] + h[3]);
    }
  }
}
}  // namespace

void gemm_tinyblas_f32_scalar(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  tinyblas_scalar<F32W>(n, x, bx, nr, y, by, nc, s, bs);
}
void gemm_tinyblas_f16_scalar(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  tinyblas_scalar<F16W>(n, x, bx, nr, y, by, nc, s, bs);
}
void gemm_tinyblas_bf16_scalar(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  tinyblas_scalar<BF16W>(n, x, bx, nr, y, by, nc, s, bs);
}

}  // namespace lg
