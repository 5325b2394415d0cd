#include <algorithm>
#include "ops.h"

namespace lg {

void matmul(ThreadPool& pool, int isa, const QuantTraits* traits, const uint8_t* w, int64_t rows, int64_t cols,
            const float* x, int64_t x_stride, int64_t batch, float* out, int64_t out_stride,
            std::vector<uint8_t>& scratch, bool tiled, bool rows8) {
  const QuantTraits* act = quant_traits(traits->vec_dot_type);
  const size_t act_row = quant_row_size(act->type, cols);
  const size_t w_row = quant_row_size(traits->type, cols);
  const gemm_rows8_fn r8 = rows8 && rows % 8 == 0 ? quant_gemm_rows8(traits, isa) : nullptr;
  // The rows-of-8 kernels also take each activation block's sum (int32s after the activations).
  const int64_t nb = cols / act->block_size;
  const size_t act_bytes = (act_row * (size_t)batch + 3) & ~(size_t)3;
  const size_t need = act_bytes + (r8 ? (size_t)(nb * batch) * sizeof(int32_t) : 0);
  if (scratch.size() < need) scratch.resize(need);
  uint8_t* xq = scratch.data();
  int32_t* xsum = (int32_t*)(scratch.data() + act_bytes);
  const quantize_row_fn from_float = quant_from_float(act, isa);
  auto quantize = [&](int64_t b) {
    from_float(x + b * x_stride, xq + b * act_row, cols);
    if (r8) q8_0_block_sums(xq + b * act_row, nb, xsum + b * nb);
  };
  if (batch > 1) {
    pool.parallel_for(batch, [&](int64_t b, int) { quantize(b); });
  } else {
    quantize(0);
  }
  const vec_dot_fn dot = quant_vec_dot(traits, isa);
  const gemm_fn gemm = tiled ? quant_gemm(traits, isa) : nullptr;
  const int threads = pool.size();
  // Tile height: for decode enough tiles to balance the pool; for batches, tiles small enough that a
  // tile's weight rows stay in L2 while every activation row passes over them.
  int64_t tile;
  if (batch == 1) {
    tile = std::max<int64_t>(8, rows / (threads * 8));
  } else {
    tile = std::max<int64_t>(4, std::min<int64_t>(32, (int64_t)(256 * 1024 / std::max<size_t>(w_row, 1))));
  }
  if (r8) tile = (tile + 7) & ~(int64_t)7;
  const int64_t ntiles = (rows + tile - 1) / tile;
  pool.parallel_for(ntiles, [&](int64_t t, int) {
    const int64_t r0 = t * tile, r1 = std::min(rows, r0 + tile);
    if (r8) {
      r8(cols, w + r0 * w_row, w_row, r1 - r0, xq, act_row, xsum, batch, out + r0, (size_t)out_stride);
      return;
    }
    if (gemm) {
      gemm(cols, w + r0 * w_row, w_row, r1 - r0, xq, act_row, batch, out + r0, (size_t)out_stride);
      return;
    }
    for (int64_t b = 0; b < batch; b++) {
      const uint8_t* xb = xq + b * act_row;
      float* ob = out + b * out_stride;
      for (int64_t r = r0; r < r1; r++) ob[r] = dot(cols, w + r * w_row, xb);
    }
  });
}

}  // namespace lg
