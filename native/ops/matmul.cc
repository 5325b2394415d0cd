#include <algorithm>
#include "ops.h"

namespace lg {

void matmul(ThreadPool& pool, int isa, const QuantTraits* traits, const uint8_t* w, int64_t rows, int64_t cols,
            const float* x, int64_t x_stride, int64_t batch, float* out, int64_t out_stride,
            std::vector<uint8_t>& scratch, bool tiled) {
  const QuantTraits* act = quant_traits(traits->vec_dot_type);
  const size_t act_row = quant_row_size(act->type, cols);
  const size_t w_row = quant_row_size(traits->type, cols);
  if (scratch.size() < act_row * (size_t)batch) scratch.resize(act_row * (size_t)batch);
  uint8_t* xq = scratch.data();
  const quantize_row_fn from_float = quant_from_float(act, isa);
  if (batch > 1) {
    pool.parallel_for(batch, [&](int64_t b, int) { from_float(x + b * x_stride, xq + b * act_row, cols); });
  } else {
    from_float(x, xq, cols);
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
  const int64_t ntiles = (rows + tile - 1) / tile;
  pool.parallel_for(ntiles, [&](int64_t t, int) {
    const int64_t r0 = t * tile, r1 = std::min(rows, r0 + tile);
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
