// Q5_1: 32 5-bit values with f16 scale d and f16 minimum m: x = q*d + m, the fifth bits in qh (bit j
// for value j). Dot product against Q8_1 activations, whose stored block sum s = f16(d*sum(q)) gives
// the m term, as ggml. llama-quantize gives this type to the Q5_K rows that are not whole 256-value
// super-blocks, so Q5_K_M files of such models hold it.
#include <cstring>
#include "quant.h"
#include "../runtime/fp16.h"
namespace lg {
namespace {
// Value j and value j + 16 of a block: the nibbles of byte j with their fifth bits.
inline int lo_value(const block_q5_1& b, uint32_t qh, int j) { return (b.qs[j] & 0x0F) | (((qh >> j) << 4) & 0x10); }
inline int hi_value(const block_q5_1& b, uint32_t qh, int j) { return (b.qs[j] >> 4) | ((qh >> (j + 12)) & 0x10); }
inline uint32_t high_bits(const block_q5_1& b) {
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  return qh;
}
}  // namespace

void dequantize_row_q5_1(const void* vx, float* y, int64_t n) {
  const block_q5_1* x = (const block_q5_1*)vx;
  for (int64_t i = 0; i < n / QK5_1; i++) {
    const float d = fp16_to_fp32(x[i].d), m = fp16_to_fp32(x[i].m);
    const uint32_t qh = high_bits(x[i]);
    for (int j = 0; j < QK5_1 / 2; j++) {
      y[i * QK5_1 + j] = lo_value(x[i], qh, j) * d + m;
      y[i * QK5_1 + j + QK5_1 / 2] = hi_value(x[i], qh, j) * d + m;
    }
  }
}

float vec_dot_q5_1_scalar(int64_t n, const void* vx, const void* vy) {
  const block_q5_1* x = (const block_q5_1*)vx;
  const block_q8_1* y = (const block_q8_1*)vy;
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / QK5_1; i++) {
    const uint32_t qh = high_bits(x[i]);
    int sumi = 0;
    for (int j = 0; j < QK5_1 / 2; j++) sumi += lo_value(x[i], qh, j) * y[i].qs[j] + hi_value(x[i], qh, j) * y[i].qs[j + QK5_1 / 2];
    sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * sumi + fp16_to_fp32(x[i].m) * fp16_to_fp32(y[i].s);
  }
  return sumf;
}
}  // namespace lg
