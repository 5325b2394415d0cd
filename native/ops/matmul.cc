#include <algorithm>
#include "ops.h"

namespace lg {

void matmul(ThreadPool& pool, int isa, const QuantTraits* traits, const uint8_t* w, int64_t rows, int64_t cols,
            const float* x, int64_t x_stride, int64_t batch, float* out, int64_t out_stride,
            std::vector<uint8_t>& scratch, bool tiled, bool rows8) {
  const MatmulJob job{traits, w, rows, out, out_stride, rows8};
  matmul_jobs(pool, isa, &job, 1, cols, x, x_stride, batch, scratch, tiled);
}

namespace {
// One matrix's share of a matmul_jobs call: its kernels and how its rows are cut into tasks.
struct Plan {
  gemm_rows8_fn r8;
  gemm_tinyblas_fn tb;  // reads the f32-widened activations
  gemm_fn gemm;
  vec_dot_fn dot;
  size_t w_row;
  int64_t tile, ntiles;
  // Decode: tasks numbered so that consecutive claims, which alternate between the threads, walk
  // `stripes` contiguous row ranges: task k is tile (k % stripes) * per_stripe + k / stripes. Each
  // thread then streams one range of the matrix, its kernels' prefetch of the next rows fetches
  // what that thread takes next, and a thread that falls behind still has its tasks taken by the
  // others. 0 stripes: tasks are tiles in order.
  int64_t stripes = 0, per_stripe = 0;
  int64_t ntasks() const { return stripes ? stripes * per_stripe : ntiles; }
  // The tile of task k, or -1 for the few tasks past the last tile.
  int64_t tile_of(int64_t k) const {
    if (!stripes) return k;
    const int64_t t = (k % stripes) * per_stripe + k / stripes;
    return t < ntiles ? t : -1;
  }
};

Plan plan_for(const MatmulJob& j, int isa, int64_t cols, int64_t batch, int threads, bool tiled) {
  Plan p;
  p.r8 = j.rows8 && j.rows % 8 == 0 ? quant_gemm_rows8(j.traits, isa) : nullptr;
  p.tb = tiled && quant_tinyblas_applies(j.rows, cols, batch, quant_tinyblas_step(j.traits, isa)) ? quant_gemm_tinyblas(j.traits, isa) : nullptr;
  p.gemm = tiled ? quant_gemm(j.traits, isa) : nullptr;
  p.dot = quant_vec_dot(j.traits, isa);
  p.w_row = quant_row_size(j.traits->type, cols);
  // Tile height: for decode enough tiles to balance the pool, and few enough that a tile's rows
  // make long streams where the kernel walks them so (decode_streams, tile_drive.h: four tiles a
  // thread measured faster than eight, one thread takes the whole matrix); for batches, tiles small
  // enough that a tile's weight rows stay in L2 while every activation row passes over them.
  if (batch == 1) {
    p.tile = threads == 1 ? j.rows : std::max<int64_t>(8, j.rows / (threads * 4));
  } else {
    p.tile = std::max<int64_t>(4, std::min<int64_t>(32, (int64_t)(256 * 1024 / std::max<size_t>(p.w_row, 1))));
  }
  if (p.r8) p.tile = (p.tile + 7) & ~(int64_t)7;
  if (p.tb) p.tile = std::max<int64_t>(12, p.tile / 12 * 12);  // its register tiles are three (AVX2) or four rows high
  p.ntiles = (j.rows + p.tile - 1) / p.tile;
  if (batch == 1 && threads > 1 && p.ntiles > threads) {
    p.stripes = threads;
    p.per_stripe = (p.ntiles + threads - 1) / threads;
  }
  return p;
}
}  // namespace

void matmul_jobs(ThreadPool& pool, int isa, const MatmulJob* jobs, int njobs, int64_t cols, const float* x,
                 int64_t x_stride, int64_t batch, std::vector<uint8_t>& scratch, bool tiled) {
  if (njobs <= 0) return;
  // One activation format for all, else one call each (a mix such as Q4_1 next to Q4_0).
  for (int i = 1; i < njobs; i++) {
    if (jobs[i].traits->vec_dot_type != jobs[0].traits->vec_dot_type) {
      for (int k = 0; k < njobs; k++) matmul_jobs(pool, isa, jobs + k, 1, cols, x, x_stride, batch, scratch, tiled);
      return;
    }
  }
  constexpr int kMaxJobs = 4;
  if (njobs > kMaxJobs) {
    matmul_jobs(pool, isa, jobs, kMaxJobs, cols, x, x_stride, batch, scratch, tiled);
    matmul_jobs(pool, isa, jobs + kMaxJobs, njobs - kMaxJobs, cols, x, x_stride, batch, scratch, tiled);
    return;
  }
  Plan plans[kMaxJobs];
  int64_t first[kMaxJobs + 1] = {0};  // task index where each job's tiles start
  bool any_r8 = false, any_tb = false;
  for (int i = 0; i < njobs; i++) {
    plans[i] = plan_for(jobs[i], isa, cols, batch, pool.size(), tiled);
    first[i + 1] = first[i] + plans[i].ntasks();
    any_r8 = any_r8 || plans[i].r8 != nullptr;
    any_tb = any_tb || plans[i].tb != nullptr;
  }

  // Activations converted once for every matrix; the rows-of-8 kernels also take each activation
  // block's sum (int32s after the activations), the tinyBLAS-order ones the converted activations
  // widened back to f32 (F32 activations are already that).
  const QuantTraits* act = quant_traits(jobs[0].traits->vec_dot_type);
  const bool block_sums = any_r8 && act->type == T_Q8_0;  // Q8_K carries its own
  const bool widen = any_tb && act->type != T_F32;
  const size_t act_row = quant_row_size(act->type, cols);
  const int64_t nb = cols / act->block_size;
  const size_t act_bytes = (act_row * (size_t)batch + 31) & ~(size_t)31;
  const size_t sums_bytes = block_sums ? (size_t)(nb * batch) * sizeof(int32_t) : 0;
  const size_t need = act_bytes + sums_bytes + (widen ? (size_t)(cols * batch) * sizeof(float) : 0);
  if (scratch.size() < need) scratch.resize(need);
  uint8_t* xq = scratch.data();
  int32_t* xsum = (int32_t*)(scratch.data() + act_bytes);
  float* xf = widen ? (float*)(scratch.data() + act_bytes + sums_bytes) : (float*)xq;
  const quantize_row_fn from_float = quant_from_float(act, isa);
  auto quantize = [&](int64_t b) {
    from_float(x + b * x_stride, xq + b * act_row, cols);
    if (block_sums) q8_0_block_sums(xq + b * act_row, nb, xsum + b * nb);
    if (widen) act->dequantize_row(xq + b * act_row, xf + b * cols, cols);
  };
  if (batch > 1) {
    pool.parallel_for(batch, [&](int64_t b, int) { quantize(b); });
  } else {
    quantize(0);
  }

  // Every matrix's tiles in one parallel job: one wake-up and one wait instead of one per matrix.
  pool.parallel_for(first[njobs], [&](int64_t t, int) {
    int i = 0;
    while (t >= first[i + 1]) i++;
    const MatmulJob& j = jobs[i];
    const Plan& p = plans[i];
    const int64_t tile = p.tile_of(t - first[i]);
    if (tile < 0) return;
    const int64_t r0 = tile * p.tile, r1 = std::min(j.rows, r0 + p.tile);
    const uint8_t* w = j.w + r0 * p.w_row;
    if (p.r8) {
      p.r8(cols, w, p.w_row, r1 - r0, xq, act_row, xsum, batch, j.out + r0, (size_t)j.out_stride);
      return;
    }
    if (p.tb) {
      p.tb(cols, w, p.w_row, r1 - r0, xf, (size_t)cols * sizeof(float), batch, j.out + r0, (size_t)j.out_stride);
      return;
    }
    if (p.gemm) {
      p.gemm(cols, w, p.w_row, r1 - r0, xq, act_row, batch, j.out + r0, (size_t)j.out_stride);
      return;
    }
    for (int64_t b = 0; b < batch; b++) {
      const uint8_t* xb = xq + b * act_row;
      float* ob = j.out + b * j.out_stride;
      for (int64_t r = r0; r < r1; r++) ob[r] = p.dot(cols, j.w + r * p.w_row, xb);
    }
  });
}

}  // namespace lg
