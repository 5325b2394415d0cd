#include <algorithm>
#include <atomic>
#include <memory>
#include "ops.h"

namespace lg {

void matmul(ThreadPool& pool, int isa, const QuantTraits* traits, const uint8_t* w, int64_t rows, int64_t cols,
            const float* x, int64_t x_stride, int64_t batch, float* out, int64_t out_stride,
            std::vector<uint8_t>& scratch, bool tiled, bool rows8, const uint8_t* tiles) {
  const MatmulJob job{traits, w, rows, out, out_stride, rows8, tiles};
  matmul_jobs(pool, isa, &job, 1, cols, x, x_stride, batch, scratch, tiled);
}

namespace {
constexpr int kMaxJobs = 4;  // matrices per parallel job (more are split into calls)
inline uint64_t pack(int64_t front, int64_t back) { return (uint64_t)front | (uint64_t)back << 32; }

// One matrix's share of a matmul_jobs call: its kernels and, for batches, how its rows are cut into
// tiles.
struct Plan {
  gemm_rows8_fn t8;  // reads the job's repacked tiles
  gemm_rows8_fn r8;
  gemm_tinyblas_fn tb;  // reads the f32-widened activations
  gemm_fn gemm;
  vec_dot_fn dot;
  size_t w_row;
  int64_t tile, ntiles;
};

Plan plan_for(const MatmulJob& j, int isa, int64_t cols, int64_t batch, bool tiled) {
  Plan p;
  p.r8 = (j.rows8 || j.traits->rows8_unrepacked) && j.rows % 8 == 0 ? quant_gemm_rows8(j.traits, isa) : nullptr;
  // Repacked tiles where the model holds them for this ISA: the rows-of-8 kernels', and those of
  // Q5_0, Q5_1 and Q4_1 in their own arithmetic.
  p.t8 = j.tiles && quant_tiles8_fit(j.traits, j.rows) ? quant_gemm_tiles8(j.traits, isa) : nullptr;
  p.tb = tiled && quant_tinyblas_applies(j.rows, cols, batch, quant_tinyblas_step(j.traits, isa)) ? quant_gemm_tinyblas(j.traits, isa) : nullptr;
  p.gemm = tiled ? quant_gemm(j.traits, isa) : nullptr;
  p.dot = quant_vec_dot(j.traits, isa);
  p.w_row = quant_row_size(j.traits->type, cols);
  // Batches: tiles small enough that a tile's weight rows stay in L2 while every activation row
  // passes over them. (Decode splits rows by decode_shares instead.)
  p.tile = std::max<int64_t>(4, std::min<int64_t>(32, (int64_t)(256 * 1024 / std::max<size_t>(p.w_row, 1))));
  if (p.r8 || p.t8) p.tile = (p.tile + 7) & ~(int64_t)7;
  if (p.tb) p.tile = std::max<int64_t>(12, p.tile / 12 * 12);  // its register tiles are three (AVX2) or four rows high
  p.ntiles = (j.rows + p.tile - 1) / p.tile;
  return p;
}

template <class Run>
void decode_shares(ThreadPool& pool, const MatmulJob* jobs, int njobs, const Run& run);
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
  if (njobs > kMaxJobs) {
    matmul_jobs(pool, isa, jobs, kMaxJobs, cols, x, x_stride, batch, scratch, tiled);
    matmul_jobs(pool, isa, jobs + kMaxJobs, njobs - kMaxJobs, cols, x, x_stride, batch, scratch, tiled);
    return;
  }
  Plan plans[kMaxJobs];
  bool any_r8 = false, any_tb = false;
  for (int i = 0; i < njobs; i++) {
    plans[i] = plan_for(jobs[i], isa, cols, batch, tiled);
    // (Block sums for r8 plans only: the tiles that read them, Q4_0's and IQ4_NL's, come with one.)
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

  // Rows r0..r1 of job i, through the fastest kernel the plan has.
  auto run_rows = [&](int i, int64_t r0, int64_t r1) {
    const MatmulJob& j = jobs[i];
    const Plan& p = plans[i];
    const uint8_t* w = j.w + r0 * p.w_row;
    if (p.t8) {
      p.t8(cols, j.tiles + r0 * p.w_row, p.w_row, r1 - r0, xq, act_row, xsum, batch, j.out + r0, (size_t)j.out_stride);
      return;
    }
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
  };

  // Every matrix in one parallel job: one wake-up and one wait instead of one per matrix.
  if (batch == 1) {
    decode_shares(pool, jobs, njobs, run_rows);
    return;
  }
  int64_t first[kMaxJobs + 1] = {0};  // task index where each job's tiles start
  for (int i = 0; i < njobs; i++) first[i + 1] = first[i] + plans[i].ntiles;
  pool.parallel_for(first[njobs], [&](int64_t t, int) {
    int i = 0;
    while (t >= first[i + 1]) i++;
    const int64_t r0 = (t - first[i]) * plans[i].tile;
    run_rows(i, r0, std::min(jobs[i].rows, r0 + plans[i].tile));
  });
}

namespace {

// Decode: thread t owns a contiguous share of all the jobs' rows (in units of eight rows, the
// rows-of-8 kernels' tile) and takes it from the front: all but a tail of a quarter of its share in
// one piece, then the tail in halves. A thread done with its own share takes halves from the back of
// the others'. Each thread reads long runs of rows (its kernels' streams), and the threads finish
// within a small piece of each other wherever one runs slower (on this host one of the two often
// runs ~10% slower for a while). The fixed tiles this replaced (four per thread, claimed in turn)
// left 8-12% of each two-thread matmul idle at its end; with shares ~4-5%, and two-thread decode
// ran 1.08x (500M Q4_K_M and Q4_0, bench/native-notes.md section 15). A tail of half the share (or
// halves from the start) left more idle time, an eighth let the slower thread's first piece run
// past the other's whole share. run(i, r0, r1) computes rows r0..r1 of job i; every row's output is
// the same whichever piece and thread it falls in.
constexpr int64_t kUnitRows = 8;
constexpr int64_t kTailParts = 4;

template <class Run>
void decode_shares(ThreadPool& pool, const MatmulJob* jobs, int njobs, const Run& run) {
  int64_t first[kMaxJobs + 1] = {0};  // unit index where each job's rows start
  for (int i = 0; i < njobs; i++) first[i + 1] = first[i] + (jobs[i].rows + kUnitRows - 1) / kUnitRows;
  auto units = [&](int64_t a, int64_t b) {  // units a..b, which may span jobs
    for (int i = 0; i < njobs && a < b; i++) {
      if (a >= first[i + 1]) continue;
      const int64_t e = std::min(b, first[i + 1]);
      run(i, (a - first[i]) * kUnitRows, std::min(jobs[i].rows, (e - first[i]) * kUnitRows));
      a = e;
    }
  };
  const int T = pool.size();
  const int64_t U = first[njobs];
  if (T == 1) return units(0, U);
  // Share t: units [front, back) not yet taken, packed in one word so a claim is one CAS.
  std::unique_ptr<std::atomic<uint64_t>[]> share(new std::atomic<uint64_t>[(size_t)T]);
  for (int t = 0; t < T; t++) share[t].store(pack(U * t / T, U * (t + 1) / T), std::memory_order_relaxed);
  const int64_t tail = std::max<int64_t>(1, U / T / kTailParts);
  // Takes and runs a piece from the front (the owner) or the back (the others) of share s; false
  // once it is empty.
  auto claim = [&](int s, bool front) {
    uint64_t v = share[s].load(std::memory_order_acquire);
    for (;;) {
      const int64_t f = (int64_t)(uint32_t)v, b = (int64_t)(v >> 32);
      if (f >= b) return false;
      const int64_t c = front && b - f > 2 * tail ? b - f - tail : std::max<int64_t>(1, (b - f) / 2);
      if (share[s].compare_exchange_weak(v, front ? pack(f + c, b) : pack(f, b - c), std::memory_order_acq_rel, std::memory_order_acquire)) {
        if (front) units(f, f + c);
        else units(b - c, b);
        return true;
      }
    }
  };
  pool.parallel_for(T, [&](int64_t t, int) {
    while (claim((int)t, true)) {
    }
    for (int k = 1; k < T; k++)
      while (claim((int)((t + k) % T), false)) {
      }
  });
}

}  // namespace

}  // namespace lg
