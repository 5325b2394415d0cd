// Causal GQA attention over the KV cache in llama.cpp's arithmetic (its CPU backend without flash
// attention): KQ = mul_mat(K, q), softmax over the whole row with the scale and the causal mask,
// KQV = mul_mat(V^T, softmax). Each step takes the order llama.cpp's kernels take at this ISA (see
// kqv_order below), so where the weights' kernels match llama.cpp bit for bit the whole forward pass
// does.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include "ops.h"
#include "../runtime/fp16.h"
#include "../runtime/cpu.h"
#include "../quant/kqv_tree.h"

namespace lg {

void kv_store(const KvView& kv, int64_t pos, const float* k, const float* v, int isa) {
  const int64_t d = kv.head_dim;
  // The F16 activations' conversion (F16C where the ISA has it), value by value.
  const quantize_row_fn to_f16 = kv.f16 ? quant_from_float(quant_traits(T_F16), isa) : nullptr;
  for (int64_t h = 0; h < kv.n_head_kv; h++) {
    uint8_t* kd = (uint8_t*)kv.k + h * kv.head_bytes() + pos * kv.row_bytes();
    uint8_t* vd = (uint8_t*)kv.v + h * kv.head_bytes() + pos * kv.row_bytes();
    if (to_f16) {
      to_f16(k + h * d, kd, d);
      to_f16(v + h * d, vd, d);
    } else {
      std::memcpy(kd, k + h * d, (size_t)d * sizeof(float));
      std::memcpy(vd, v + h * d, (size_t)d * sizeof(float));
    }
  }
}

namespace {

// How llama.cpp sums the KQV products of one output over cache positions: position j feeds
// accumulator lane j % lanes by one fma each, then the lanes are folded, halving (lane i += lane
// i + half) down to four, and the last four are summed as (0 + 2) + (1 + 3) or, where ggml's AVX2
// reduction uses hadd, (0 + 1) + (2 + 3). Which kernel it is decides the lanes:
//   decode (one token): vec_dot_f32/_f16, four vector accumulators over 4 x width values:
//     AVX2 32 lanes, (0 + 1) + (2 + 3); AVX-512 64 lanes, (0 + 2) + (1 + 3);
//   prefill (a batch): tinyBLAS, one accumulator: AVX2 8 lanes, AVX-512 16, both (0 + 2) + (1 + 3).
// This holds while llama.cpp's cache view is a whole number of those steps long (it pads the view to
// 256 cells, or takes the whole context); the cells past the token's own are masked to
// probability 0, which adds nothing to any lane. The scalar path (and NEON) keeps one lane.
struct LaneOrder {
  int lanes;
  bool adjacent_pairs;
};

// A batch's tokens per attention task (their queries share each key row's read), and the most
// scores a task keeps (a thread's scratch: 1 MiB of scores and as much of probabilities).
constexpr int64_t kTokenBlock = 8;
constexpr int64_t kBlockScores = 256 * 1024;

LaneOrder kqv_order(int isa, bool batch) {
  if (isa == ISA_AVX512) return batch ? LaneOrder{16, false} : LaneOrder{64, false};
  if (isa == ISA_AVX2) return batch ? LaneOrder{8, false} : LaneOrder{32, true};
  return {1, false};
}

// soft_max_ext over one row (ops.h softmax_row_*): scaled scores, masked cells at -inf (they
// become 0), the max, exp and sum, then one multiply by the float of the double reciprocal; an f16
// cache takes the probabilities rounded to its type (KQV's activations).
void softmax_row(int isa, float* s, float* p, int64_t n, int64_t n_pad, float scale, bool f16) {
#ifdef LG_HAVE_AVX512
  if (isa == ISA_AVX512) return softmax_row_avx512(s, p, n, n_pad, scale, f16);
#endif
#ifdef LG_HAVE_AVX2
  if (isa == ISA_AVX2) return softmax_row_avx2(s, p, n, n_pad, scale, f16);
#endif
  (void)isa;
  float mx = -INFINITY;
  for (int64_t j = 0; j < n; j++) mx = std::max(mx, s[j] *= scale);
  std::fill(s + n, s + n_pad, -INFINITY);
  double sum = 0;
  for (int64_t j = 0; j < n_pad; j++) sum += (double)(p[j] = std::exp(s[j] - mx));
  const float inv = (float)(1.0 / sum);
  for (int64_t j = 0; j < n; j++) {
    p[j] *= inv;
    if (f16) p[j] = fp16_to_fp32(fp32_to_fp16(p[j]));
  }
}

struct Scratch {
  std::vector<float> s, p, qf;
  std::vector<uint16_t> q16;
};

}  // namespace

void attention(ThreadPool& pool, int isa, const KvView& kv, const float* q, float* out, int64_t batch, int64_t pos0,
               int n_head, int n_head_kv, int head_dim, float scale) {
  const int group = n_head / n_head_kv;
  const int64_t qdim = (int64_t)n_head * head_dim;
  const QuantTraits* kt = quant_traits(kv.f16 ? T_F16 : T_F32);
  // KQ: the query against every cached key. An f32 cache takes vec_dot_f32 (llama.cpp's permuted
  // query is not contiguous, so its mul_mat never reaches tinyBLAS); an f16 cache takes the query
  // rounded to f16 and, for a batch, tinyBLAS where the head is a whole number of its steps, else
  // vec_dot_f16. The keys go through the ISA's tiled kernel where it has one (the same outputs as
  // vec_dot, the query prepared once).
  const vec_dot_fn dot = quant_vec_dot(kt, isa);
  const gemm_fn rows = quant_gemm(kt, isa);
  const gemm_tinyblas_fn tb = kv.f16 && batch >= 2 && head_dim % quant_tinyblas_step(kt, isa) == 0 ? quant_gemm_tinyblas(kt, isa) : nullptr;
  const LaneOrder order = kqv_order(isa, batch >= 2);
  const quantize_row_fn to_f16 = quant_from_float(quant_traits(T_F16), isa);  // F16C where the ISA has it
  const int width = ggml_float_width(isa);
  const size_t esz = kv.elem();
  const size_t row = kv.row_bytes();
  // A task takes as many heads of one kv head's group for one token as the ISA sums at once
  // (kqv_group_heads: four on AVX-512), so each key row is widened once for all of them and their
  // value sums widen each value row once (kqv_heads); groups split further while there are fewer
  // than two tasks a thread. From the first position on: a probe of one layer's attention (20
  // heads on 4 kv heads, head_dim 64, f16 cache) ran 1.07-1.28x one task per head at 1-200
  // positions and 1.2-1.5x for 32 heads on 8 of 128 (bench/native-notes.md section 25); batches
  // 0.94-1.1x. (Grouping had waited for 256 positions when only the value sums were grouped.)
  const int most = kqv_group_heads(isa, head_dim);
  // (The task count here assumes full token blocks: the block size below depends on the heads a
  // task takes.)
  int parts = (group + most - 1) / most;
  while (parts < group && (batch + kTokenBlock - 1) / kTokenBlock * n_head_kv * parts < 2 * (int64_t)pool.size()) parts++;
  const int per = (group + parts - 1) / parts;
  parts = (group + per - 1) / per;  // none left empty
  // A batch's tokens go to a task in blocks, their queries side by side as the key product's
  // columns: each key row is read and widened once for the block (a gemm_fn or tinyBLAS gives every
  // column its own sum, whatever the columns beside it). Keys past a token's own position, computed
  // for the block's last token, are masked by its softmax. A block's scores stay within
  // kBlockScores floats (long contexts take fewer tokens a block).
  const int64_t longest = (pos0 + batch + width - 1) / width * width;
  const int64_t fit = std::max<int64_t>(1, kBlockScores / ((int64_t)per * longest));
  const int64_t block = batch >= 2 && (tb || rows) ? std::min({batch, kTokenBlock, fit}) : 1;
  const int64_t blocks = (batch + block - 1) / block;
  pool.parallel_for(blocks * n_head_kv * parts, [&](int64_t task, int) {
    thread_local Scratch w;
    const int64_t t0 = task / (n_head_kv * parts) * block, t1 = std::min(batch, t0 + block);
    const int hk = (int)(task / parts % n_head_kv);
    // Parts may differ in size (five heads: three and two); rotating them by kv head makes the
    // claims, which alternate between threads, take big and small parts in turn.
    const int part = (int)((task % parts + task / parts) % parts);
    const int h0 = hk * group + part * per, h1 = std::min(h0 + per, (hk + 1) * group);
    const int heads = h1 - h0;
    const int64_t cols = (t1 - t0) * heads;  // column (t - t0) * heads + (h - h0)
    const int64_t n_last = pos0 + t1;         // the block's last token's keys
    const int64_t stride = (n_last + width - 1) / width * width;
    if ((int64_t)w.s.size() < cols * stride) w.s.resize(cols * stride), w.p.resize(cols * stride);
    const uint8_t* kbase = (const uint8_t*)kv.k + (size_t)hk * kv.head_bytes();
    const uint8_t* vbase = (const uint8_t*)kv.v + (size_t)hk * kv.head_bytes();
    // The task's queries side by side (an f16 cache takes them rounded to f16; tinyBLAS takes those
    // widened back to f32).
    const size_t qstride = (size_t)head_dim * esz;
    const uint8_t* qs = (const uint8_t*)(q + t0 * qdim + (int64_t)h0 * head_dim);
    const int64_t qn = (int64_t)heads * head_dim;  // one token's queries in this task
    if (kv.f16) {
      w.q16.resize((size_t)cols * head_dim);
      for (int64_t t = t0; t < t1; t++) to_f16(q + t * qdim + (int64_t)h0 * head_dim, w.q16.data() + (t - t0) * qn, qn);
      qs = (const uint8_t*)w.q16.data();
    } else if (t1 - t0 > 1) {
      w.qf.resize((size_t)cols * head_dim);
      for (int64_t t = t0; t < t1; t++) std::memcpy(w.qf.data() + (t - t0) * qn, q + t * qdim + (int64_t)h0 * head_dim, (size_t)qn * sizeof(float));
      qs = (const uint8_t*)w.qf.data();
    }
    float* s0 = w.s.data();
    if (tb) {
      w.qf.resize((size_t)cols * head_dim);
      for (int64_t i = 0; i < cols * head_dim; i++) w.qf[i] = fp16_to_fp32(w.q16[i]);
      tb(head_dim, kbase, row, n_last, w.qf.data(), (size_t)head_dim * sizeof(float), cols, s0, stride);
    } else if (rows) {
      rows(head_dim, kbase, row, n_last, qs, qstride, cols, s0, stride);
    } else {
      for (int64_t c = 0; c < cols; c++)
        for (int64_t j = 0; j < pos0 + t0 + c / heads + 1; j++) s0[c * stride + j] = dot(head_dim, kbase + j * row, qs + c * qstride);
    }
    for (int64_t t = t0; t < t1; t++) {
      const int64_t n_kv = pos0 + t + 1;
      const int64_t n_pad = (n_kv + width - 1) / width * width;
      const float* probs[4];
      float* outs[4];
      for (int h = h0; h < h1; h++) {
        const int64_t c = (t - t0) * heads + (h - h0);
        float* p = w.p.data() + c * stride;
        softmax_row(isa, s0 + c * stride, p, n_kv, n_pad, scale, kv.f16);
        probs[h - h0] = p;
        outs[h - h0] = out + t * qdim + (int64_t)h * head_dim;
      }
      // KQV: every cached value row into the lane its position falls in, the lanes folded.
      kqv_heads(isa, order.lanes, order.adjacent_pairs, kv.f16, heads, probs, vbase, row, n_kv, head_dim, outs);
    }
  });
}

bool kqv_head(int isa, int lanes, bool adjacent, bool f16, const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d,
              float* out) {
#ifdef LG_HAVE_AVX512
  if (isa == ISA_AVX512 && isa_available(ISA_AVX512))
    return f16 ? kqv_head_f16_avx512(lanes, adjacent, p, v, vs, n, d, out) : kqv_head_f32_avx512(lanes, adjacent, p, v, vs, n, d, out);
#endif
#ifdef LG_HAVE_AVX2
  if (isa >= ISA_AVX2 && isa != ISA_NEON && isa_available(ISA_AVX2))
    return f16 ? kqv_head_f16_avx2(lanes, adjacent, p, v, vs, n, d, out) : kqv_head_f32_avx2(lanes, adjacent, p, v, vs, n, d, out);
#endif
  (void)isa;
  using S16 = KqvScalar<uint16_t>;
  using S32 = KqvScalar<float>;
  return f16 ? kqv_tree_head<S16, S16, S16>(lanes, adjacent, p, v, vs, n, d, 2, out)
             : kqv_tree_head<S32, S32, S32>(lanes, adjacent, p, v, vs, n, d, 4, out);
}

int kqv_group_heads(int isa, int64_t d) {
#ifdef LG_HAVE_AVX512
  if (isa == ISA_AVX512 && isa_available(ISA_AVX512)) return kqv_group_heads_avx512(d);
#endif
  (void)isa, (void)d;
  return 1;
}

bool kqv_heads(int isa, int lanes, bool adjacent, bool f16, int heads, const float* const* p, const uint8_t* v, size_t vs,
               int64_t n, int64_t d, float* const* out) {
  // One head takes the single-head tree (two lanes in flight, its lanes on the stack).
#ifdef LG_HAVE_AVX512
  if (heads > 1 && heads <= kqv_group_heads(isa, d) &&
      (f16 ? kqv_group_f16_avx512(lanes, adjacent, heads, p, v, vs, n, d, out) : kqv_group_f32_avx512(lanes, adjacent, heads, p, v, vs, n, d, out)))
    return true;
#endif
  for (int h = 0; h < heads; h++)
    if (!kqv_head(isa, lanes, adjacent, f16, p[h], v, vs, n, d, out[h])) return false;
  return true;
}

}  // namespace lg
