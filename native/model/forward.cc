#include "forward.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include "../runtime/cpu.h"

namespace lg {

static std::string shape_str(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); i++) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

Model::Mat Model::mat(const std::string& name, int64_t cols, int64_t rows, bool required) {
  Mat m;
  auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    if (required) throw ModelError("missing tensor " + name);
    return m;
  }
  const TensorRef& t = it->second;
  const QuantTraits* tr = quant_traits(t.type);
  if (!tr || t.type == T_Q8_K) throw ModelError("tensor " + name + " has type " + std::to_string(t.type) + " which the cpu backend cannot compute with");
  size_t nd = t.dims.size();
  while (nd > 2 && t.dims[nd - 1] == 1) nd--;  // ggml shapes may carry trailing ones
  if (t.ne0() != cols || t.ne1() != rows || nd > 2)
    throw ModelError("tensor " + name + " has shape " + shape_str(t.dims) + ", expected [" + std::to_string(cols) + ", " + std::to_string(rows) + "]");
  if (cols % tr->block_size != 0) throw ModelError("tensor " + name + " rows are not whole " + tr->name + " blocks");
  const size_t need = quant_row_size(t.type, cols) * (size_t)rows;
  if (t.nbytes < need) throw ModelError("tensor " + name + " has " + std::to_string(t.nbytes) + " bytes, needs " + std::to_string(need));
  m.traits = tr;
  m.data = t.data;
  m.cols = cols;
  m.rows = rows;
  m.rows8 = name != "token_embd.weight";
  return m;
}

Model::Vec Model::vec(const std::string& name, int64_t n, bool required) {
  Vec v;
  auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    if (required) throw ModelError("missing tensor " + name);
    return v;
  }
  const TensorRef& t = it->second;
  const QuantTraits* tr = quant_traits(t.type);
  if (!tr || t.type == T_Q8_K) throw ModelError("tensor " + name + " has unsupported type " + std::to_string(t.type));
  int64_t count = 1;
  for (int64_t d : t.dims) count *= d;
  if (count != n) throw ModelError("tensor " + name + " has shape " + shape_str(t.dims) + ", expected " + std::to_string(n) + " elements");
  if (n % tr->block_size != 0 || t.nbytes < quant_row_size(t.type, n)) throw ModelError("tensor " + name + " is truncated");
  v.v.resize((size_t)n);
  tr->dequantize_row(t.data, v.v.data(), n);
  return v;
}

Model::Model(const ModelParams& p, std::map<std::string, TensorRef> tensors) : p_(p), tensors_(std::move(tensors)) {
  if (p_.arch != "llama" && p_.arch != "qwen2" && p_.arch != "gpt2") throw ModelError("unsupported architecture " + p_.arch);
  if (p_.n_embd <= 0 || p_.n_layer <= 0 || p_.n_head <= 0 || p_.n_head_kv <= 0 || p_.head_dim <= 0 || p_.vocab <= 0 || p_.n_ff <= 0)
    throw ModelError("invalid model dimensions");
  if (p_.n_head % p_.n_head_kv != 0) throw ModelError("head count is not a multiple of the kv head count");
  if (p_.head_dim > 1024) throw ModelError("head dimension above 1024 is not supported");
  if (p_.rope_dims <= 0) p_.rope_dims = p_.head_dim;
  if (p_.rope_dims > p_.head_dim || p_.rope_dims % 2) throw ModelError("invalid rope dimension count");
  if (p_.context_length <= 0) throw ModelError("context length must be positive");
  const bool gpt2 = p_.arch == "gpt2";
  const int64_t E = p_.n_embd, F = p_.n_ff, QD = p_.n_head * p_.head_dim;
  kv_dim_ = p_.n_head_kv * p_.head_dim;

  tok_embd_ = mat("token_embd.weight", E, p_.vocab, true);
  if (gpt2) pos_embd_ = mat("position_embd.weight", E, tensors_.count("position_embd.weight") ? tensors_["position_embd.weight"].ne1() : 0, true);
  out_norm_ = vec("output_norm.weight", E, true);
  out_norm_b_ = vec("output_norm.bias", E, gpt2);
  output_ = mat("output.weight", E, p_.vocab, false);
  if (p_.rope_type != "none") rope_freqs_ = vec("rope_freqs.weight", p_.rope_dims / 2, false);
  if (!output_.present()) output_ = tok_embd_;

  layers_.resize((size_t)p_.n_layer);
  for (int64_t i = 0; i < p_.n_layer; i++) {
    const std::string b = "blk." + std::to_string(i) + ".";
    Layer& L = layers_[(size_t)i];
    L.attn_norm = vec(b + "attn_norm.weight", E, true);
    L.attn_norm_b = vec(b + "attn_norm.bias", E, gpt2);
    if (tensors_.count(b + "attn_qkv.weight")) {
      L.wqkv = mat(b + "attn_qkv.weight", E, QD + 2 * kv_dim_, true);
      L.bqkv = vec(b + "attn_qkv.bias", QD + 2 * kv_dim_, false);
    } else {
      L.wq = mat(b + "attn_q.weight", E, QD, true);
      L.wk = mat(b + "attn_k.weight", E, kv_dim_, true);
      L.wv = mat(b + "attn_v.weight", E, kv_dim_, true);
      L.bq = vec(b + "attn_q.bias", QD, false);
      L.bk = vec(b + "attn_k.bias", kv_dim_, false);
      L.bv = vec(b + "attn_v.bias", kv_dim_, false);
    }
    L.wo = mat(b + "attn_output.weight", QD, E, true);
    L.bo = vec(b + "attn_output.bias", E, false);
    L.ffn_norm = vec(b + "ffn_norm.weight", E, true);
    L.ffn_norm_b = vec(b + "ffn_norm.bias", E, gpt2);
    if (!gpt2) L.gate = mat(b + "ffn_gate.weight", E, F, true);
    L.b_gate = vec(b + "ffn_gate.bias", F, false);
    L.up = mat(b + "ffn_up.weight", E, F, true);
    L.b_up = vec(b + "ffn_up.bias", F, false);
    L.down = mat(b + "ffn_down.weight", F, E, true);
    L.b_down = vec(b + "ffn_down.bias", E, false);
  }

  const size_t esz = p_.kv_f16 ? 2 : 4;
  const size_t per_layer = (size_t)p_.context_length * (size_t)kv_dim_ * esz;
  kv_k_.assign(per_layer * (size_t)p_.n_layer, 0);
  kv_v_.assign(per_layer * (size_t)p_.n_layer, 0);

  const size_t C = (size_t)kChunk;
  x_.resize(C * E);
  h_.resize(C * E);
  tmp_.resize(C * E);
  q_.resize(C * QD);
  att_.resize(C * QD);
  k_.resize(C * kv_dim_);
  v_.resize(C * kv_dim_);
  ff_a_.resize(C * F);
  ff_b_.resize(C * F);
  if (gpt2 || layers_[0].wqkv.present()) qkv_.resize(C * (QD + 2 * kv_dim_));
  pool_ = shared_pool(p_.threads);
  if (p_.repack) repack_matrices();
}

// The weight matrices (rows8: every matrix but the token embedding) whose type has repacked tiles
// for the active ISA (AVX-512 Q4_K, Q4_0, IQ4_NL in llama.cpp's rows-of-8 arithmetic: whole 500M
// models decode 1.05-1.13x, bench/native-notes.md section 25; Q5_0, Q5_1 and Q4_1 in their own,
// 1.3-2.2x a core, section 27), copied into them once, side by side in one allocation of 2 MiB
// pages, the tiles split over the pool. The mapped bytes stay the weights for every other ISA; this
// process drops its pages of them (release_mapped), so the copy replaces them in its memory rather
// than adding to it. Where memory runs out every matrix keeps reading the mapping.
void Model::repack_matrices() {
  const int isa = isa_active();
  std::vector<Mat*> mats;
  auto take = [&](Mat* m) {
    if (m->present() && m->rows8 && quant_tiles8_fit(m->traits, m->rows) && quant_gemm_tiles8(m->traits, isa)) mats.push_back(m);
  };
  for (Layer& L : layers_)
    for (Mat* m : {&L.wq, &L.wk, &L.wv, &L.wqkv, &L.wo, &L.gate, &L.up, &L.down}) take(m);
  take(&output_);
  if (mats.empty()) return;
  std::vector<size_t> row(mats.size()), at(mats.size() + 1, 0);  // each matrix's row bytes and offset (64-byte aligned)
  for (size_t i = 0; i < mats.size(); i++) {
    row[i] = quant_row_size(mats[i]->traits->type, mats[i]->cols);
    at[i + 1] = at[i] + (row[i] * (size_t)mats[i]->rows + 63) / 64 * 64;
  }
  HugeBytes arena(nullptr, std::free);
  try {
    arena = alloc_huge(at.back());
  } catch (const std::bad_alloc&) {
    return;
  }
  // Tasks of up to 64 tiles, each within one matrix.
  constexpr int64_t kTilesPerTask = 64;
  std::vector<std::pair<size_t, int64_t>> tasks;  // (matrix, first row)
  for (size_t i = 0; i < mats.size(); i++)
    for (int64_t r = 0; r < mats[i]->rows; r += 8 * kTilesPerTask) tasks.emplace_back(i, r);
  pool_->parallel_for((int64_t)tasks.size(), [&](int64_t t, int) {
    const size_t i = tasks[(size_t)t].first;
    const Mat& m = *mats[i];
    const int64_t r0 = tasks[(size_t)t].second, r1 = std::min(m.rows, r0 + 8 * kTilesPerTask);
    m.traits->repack_tiles8(m.data + r0 * row[i], row[i], r1 - r0, arena.get() + at[i] + r0 * row[i]);
  });
  std::vector<std::pair<const uint8_t*, const uint8_t*>> runs;  // the copied rows in the mapping
  for (size_t i = 0; i < mats.size(); i++) {
    const size_t bytes = row[i] * (size_t)mats[i]->rows;
    mats[i]->tiles = arena.get() + at[i];
    repacked_bytes_ += bytes;
    runs.emplace_back(mats[i]->data, mats[i]->data + bytes);
  }
  tiles_ = std::move(arena);
  // The copied bytes' own pages, runs of neighbouring matrices merged across small gaps (a file
  // keeps a layer's tensors together, the norms' vectors between them, which are copied at load
  // too), so the runs span whole 2 MiB pages where single matrices would not.
  constexpr size_t kNormGap = 64 * 1024;
  std::sort(runs.begin(), runs.end());
  for (size_t i = 0; i < runs.size();) {
    const uint8_t *a = runs[i].first, *b = runs[i].second;
    for (i++; i < runs.size() && runs[i].first - b <= (std::ptrdiff_t)kNormGap; i++) b = std::max(b, runs[i].second);
    release_mapped(a, (size_t)(b - a));
  }
}

void Model::linear(const Mat& m, const Vec& bias, const float* x, int64_t x_stride, int64_t batch, float* out,
                   int64_t out_stride) {
  matmul(*pool_, isa_active(), m.traits, m.data, m.rows, m.cols, x, x_stride, batch, out, out_stride, qscratch_, true, m.rows8, m.tiles);
  if (!bias.v.empty())
    for (int64_t b = 0; b < batch; b++) add(out + b * out_stride, bias.v.data(), m.rows);
}

void Model::linear_many(std::initializer_list<Out> outs, const float* x, int64_t x_stride, int64_t batch) {
  MatmulJob jobs[kMaxLinearMany];
  if (outs.size() > kMaxLinearMany) throw ModelError("linear_many takes at most 4 matrices");
  int n = 0;
  for (const Out& o : outs) jobs[n++] = MatmulJob{o.m->traits, o.m->data, o.m->rows, o.out, o.stride, o.m->rows8, o.m->tiles};
  matmul_jobs(*pool_, isa_active(), jobs, n, outs.begin()->m->cols, x, x_stride, batch, qscratch_);
  for (const Out& o : outs)
    if (!o.bias->v.empty())
      for (int64_t b = 0; b < batch; b++) add(o.out + b * o.stride, o.bias->v.data(), o.m->rows);
}

void Model::embed_row(const Mat& m, int64_t row, float* out) {
  m.traits->dequantize_row(m.data + (size_t)row * quant_row_size(m.traits->type, m.cols), out, m.cols);
}

void Model::eval(const int32_t* tokens, int64_t n, int64_t pos, bool all_logits, float* logits) {
  if (n <= 0) throw ModelError("no tokens to evaluate");
  if (pos < 0 || pos + n > p_.context_length)
    throw ModelError("positions " + std::to_string(pos) + ".." + std::to_string(pos + n - 1) + " exceed the context length " + std::to_string(p_.context_length));
  for (int64_t i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= p_.vocab) throw ModelError("token id " + std::to_string(tokens[i]) + " is out of range");
  if (p_.arch == "gpt2" && pos + n > pos_embd_.rows)
    throw ModelError("position " + std::to_string(pos + n - 1) + " is beyond the model's learned positions (" + std::to_string(pos_embd_.rows) + ")");
  for (int64_t c = 0; c < n; c += kChunk) {
    const int64_t m = std::min(kChunk, n - c);
    const bool last = c + m == n;
    run_chunk(tokens + c, m, pos + c, all_logits, last, all_logits ? logits + c * p_.vocab : logits);
  }
}

void Model::embed(const int32_t* tokens, int64_t n, float* mean) {
  if (n <= 0) throw ModelError("no tokens to embed");
  if (n > p_.context_length) throw ModelError(std::to_string(n) + " tokens exceed the context length " + std::to_string(p_.context_length));
  for (int64_t i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= p_.vocab) throw ModelError("token id " + std::to_string(tokens[i]) + " is out of range");
  if (p_.arch == "gpt2" && n > pos_embd_.rows)
    throw ModelError("position " + std::to_string(n - 1) + " is beyond the model's learned positions (" + std::to_string(pos_embd_.rows) + ")");
  std::vector<double> sum((size_t)p_.n_embd, 0.0);
  for (int64_t c = 0; c < n; c += kChunk) {
    const int64_t m = std::min(kChunk, n - c);
    run_chunk(tokens + c, m, c, false, c + m == n, nullptr, sum.data());
  }
  for (int64_t j = 0; j < p_.n_embd; j++) mean[j] = (float)(sum[(size_t)j] / (double)n);
}

size_t Model::state_size(int64_t n) const {
  if (n < 0 || n > p_.context_length) throw ModelError("state of " + std::to_string(n) + " positions does not fit the context length " + std::to_string(p_.context_length));
  return 2 * (size_t)p_.n_layer * (size_t)n * (size_t)kv_dim_ * (p_.kv_f16 ? 2 : 4);
}

// The saved state keeps the position-major rows llama.cpp's cache has (per layer: n positions' keys,
// then their values, each position's kv heads side by side), whatever order the cache keeps inside.
void Model::save_state(int64_t n, uint8_t* out) const {
  for (int64_t l = 0; l < p_.n_layer; l++) {
    const KvView kv = kv_view(l);
    for (void* base : {kv.k, kv.v})
      for (int64_t pos = 0; pos < n; pos++)
        for (int64_t h = 0; h < kv.n_head_kv; h++, out += kv.row_bytes())
          std::memcpy(out, (const uint8_t*)base + h * kv.head_bytes() + pos * kv.row_bytes(), kv.row_bytes());
  }
}

void Model::load_state(int64_t n, const uint8_t* in) {
  for (int64_t l = 0; l < p_.n_layer; l++) {
    const KvView kv = kv_view(l);
    for (void* base : {kv.k, kv.v})
      for (int64_t pos = 0; pos < n; pos++)
        for (int64_t h = 0; h < kv.n_head_kv; h++, in += kv.row_bytes())
          std::memcpy((uint8_t*)base + h * kv.head_bytes() + pos * kv.row_bytes(), in, kv.row_bytes());
  }
}

KvView Model::kv_view(int64_t layer) const {
  const size_t per_layer = (size_t)p_.context_length * (size_t)kv_dim_ * (p_.kv_f16 ? 2 : 4);
  // The cache's bytes are the model's own; the view hands them to the kernels to write.
  uint8_t* k = const_cast<uint8_t*>(kv_k_.data()) + per_layer * (size_t)layer;
  uint8_t* v = const_cast<uint8_t*>(kv_v_.data()) + per_layer * (size_t)layer;
  return KvView{p_.kv_f16, k, v, p_.n_head_kv, p_.head_dim, p_.context_length};
}

void Model::each_token(int64_t n, const std::function<void(int64_t)>& fn) {
  if (n == 1) {
    fn(0);
    return;
  }
  const int64_t chunk = std::max<int64_t>(1, n / ((int64_t)pool_->size() * 4));
  pool_->parallel_for((n + chunk - 1) / chunk, [&](int64_t task, int) {
    for (int64_t t = task * chunk, end = std::min(n, t + chunk); t < end; t++) fn(t);
  });
}

void Model::run_chunk(const int32_t* tokens, int64_t n, int64_t pos, bool all_logits, bool last_chunk, float* logits, double* hidden_sum) {
  const int isa = isa_active();
  const bool gpt2 = p_.arch == "gpt2";
  const bool rms = p_.norm == "rms";
  const bool neox = p_.rope_type == "neox";
  const bool use_rope = p_.rope_type != "none";
  const int64_t E = p_.n_embd, F = p_.n_ff, HD = p_.head_dim, QD = p_.n_head * HD, KD = kv_dim_;
  const float scale = 1.0f / std::sqrt((float)HD);
  const float freq_scale = 1.0f / p_.rope_scale;
  float* x = x_.data();
  float* h = h_.data();

  for (int64_t t = 0; t < n; t++) {
    embed_row(tok_embd_, tokens[t], x + t * E);
    if (gpt2) {
      embed_row(pos_embd_, pos + t, tmp_.data());
      add(x + t * E, tmp_.data(), E);
    }
  }

  for (int64_t il = 0; il < p_.n_layer; il++) {
    Layer& L = layers_[(size_t)il];
    auto norm = [&](const Vec& w, const Vec& b, int64_t t) {
      if (rms) rmsnorm(x + t * E, w.ptr(), h + t * E, E, p_.eps);
      else layernorm(x + t * E, w.ptr(), b.ptr(), h + t * E, E, p_.eps, isa);
    };
    each_token(n, [&](int64_t t) { norm(L.attn_norm, L.attn_norm_b, t); });
    float *q, *k, *v;
    int64_t qs, ks;
    if (L.wqkv.present()) {
      const int64_t W = QD + 2 * KD;
      linear(L.wqkv, L.bqkv, h, E, n, qkv_.data(), W);
      q = qkv_.data();
      k = q + QD;
      v = q + QD + KD;
      qs = ks = W;
    } else {
      linear_many({{&L.wq, &L.bq, q_.data(), QD}, {&L.wk, &L.bk, k_.data(), KD}, {&L.wv, &L.bv, v_.data(), KD}}, h, E, n);
      q = q_.data();
      k = k_.data();
      v = v_.data();
      qs = QD;
      ks = KD;
    }
    const KvView kv = kv_view(il);
    each_token(n, [&](int64_t t) {
      if (use_rope) {
        RopeAngles a;
        rope_angles(a, (int)p_.rope_dims, (float)(pos + t), p_.rope_base, freq_scale, rope_freqs_.ptr());
        rope(q + t * qs, (int)p_.n_head, (int)HD, a, neox, isa);
        rope(k + t * ks, (int)p_.n_head_kv, (int)HD, a, neox, isa);
      }
      kv_store(kv, pos + t, k + t * ks, v + t * ks, isa);
      // attention wants q contiguous [n][QD] (the fused qkv output is strided)
      if (q != q_.data()) std::memcpy(q_.data() + t * QD, q + t * qs, (size_t)QD * sizeof(float));
    });
    attention(*pool_, isa, kv, q_.data(), att_.data(), n, pos, (int)p_.n_head, (int)p_.n_head_kv, (int)HD, scale);
    linear(L.wo, L.bo, att_.data(), QD, n, h, E);
    // Past the last layer's attention only the rows whose output is wanted go on, as llama.cpp's
    // inp_out_ids select them: every row for all logits or embeddings, the last row for the next
    // token's logits, none for a chunk of a longer prompt (its cache rows are written by now). This
    // saves the work and gives the FFN the batch llama.cpp gives it (one row: its vec_dot order).
    int64_t t0 = 0;
    if (il == p_.n_layer - 1 && !hidden_sum && !all_logits) {
      if (!last_chunk) return;
      t0 = n - 1;
    }
    const int64_t m = n - t0;
    float* xs = x + t0 * E;
    float* hs = h + t0 * E;
    each_token(m, [&](int64_t t) {
      add(xs + t * E, hs + t * E, E);
      norm(L.ffn_norm, L.ffn_norm_b, t0 + t);
    });
    if (L.gate.present()) {
      linear_many({{&L.gate, &L.b_gate, ff_a_.data(), F}, {&L.up, &L.b_up, ff_b_.data(), F}}, hs, E, m);
      each_token(m, [&](int64_t t) {
        if (p_.act == "gelu") {
          gelu(ff_a_.data() + t * F, F);
          for (int64_t i = 0; i < F; i++) ff_a_[t * F + i] *= ff_b_[t * F + i];
        } else {
          silu_mul(ff_a_.data() + t * F, ff_b_.data() + t * F, F, isa);
        }
      });
    } else {
      linear(L.up, L.b_up, hs, E, m, ff_a_.data(), F);
      each_token(m, [&](int64_t t) {
        if (p_.act == "gelu") gelu(ff_a_.data() + t * F, F);
        else silu(ff_a_.data() + t * F, F);
      });
    }
    linear(L.down, L.b_down, ff_a_.data(), F, m, hs, E);
    each_token(m, [&](int64_t t) { add(xs + t * E, hs + t * E, E); });
  }

  // embeddings: every token's final normalised hidden state, summed; no logits
  if (hidden_sum) {
    for (int64_t t = 0; t < n; t++) {
      if (rms) rmsnorm(x + t * E, out_norm_.ptr(), h + t * E, E, p_.eps);
      else layernorm(x + t * E, out_norm_.ptr(), out_norm_b_.ptr(), h + t * E, E, p_.eps, isa);
      for (int64_t j = 0; j < E; j++) hidden_sum[j] += h[t * E + j];
    }
    return;
  }

  // output norm + logits (every token, or only the very last one)
  const int64_t t0 = all_logits ? 0 : n - 1;
  for (int64_t t = t0; t < n; t++) {
    if (rms) rmsnorm(x + t * E, out_norm_.ptr(), h + t * E, E, p_.eps);
    else layernorm(x + t * E, out_norm_.ptr(), out_norm_b_.ptr(), h + t * E, E, p_.eps, isa);
  }
  Vec none;
  linear(output_, none, h + t0 * E, E, n - t0, logits, p_.vocab);
}

}  // namespace lg
