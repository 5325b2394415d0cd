// The rows-of-8 arithmetic (quant.h), portable: the definition the SIMD kernels must equal bit for
// bit. Only additions of exact integers and one fma per block per output, so any ISA gets the same
// floats by doing the same float steps in the same order.
#include <cmath>
#include "quant.h"
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

void gemm_rows8_q4_0_scalar(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t* ysum,
                            int64_t nc, float* s, size_t bs) {
  const int64_t nb = n / QK4_0;
  for (int64_t c = 0; c < nc; c++) {
    const block_q8_0* y = (const block_q8_0*)((const uint8_t*)vy + c * by);
    for (int64_t r = 0; r < nr; r++) {
      const block_q4_0* x = (const block_q4_0*)((const uint8_t*)vx + r * bx);
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; b++) {
        int32_t sum = 0;  // unsigned nibbles times activations, then the offset: sum (q - 8) * a
        for (int j = 0; j < QK4_0 / 2; j++) sum += (x[b].qs[j] & 0x0F) * y[b].qs[j] + (x[b].qs[j] >> 4) * y[b].qs[j + QK4_0 / 2];
        sum -= 8 * ysum[c * nb + b];
        acc = std::fma((float)sum, fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d), acc);
      }
      s[c * bs + r] = acc;
    }
  }
}

}  // namespace lg
