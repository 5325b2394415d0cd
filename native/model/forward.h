// A model's forward step on the CPU: all layers for a batch of tokens in one call.
// Weights are borrowed (pointers into JS ArrayBuffers the caller keeps alive); 1-D tensors (norms,
// biases) are copied to f32 at construction. Architectures: llama, qwen2, gpt2.
#pragma once
#include <functional>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>
#include "../ops/ops.h"
#include "../runtime/mmap.h"

namespace lg {

struct TensorRef {
  int type = -1;
  std::vector<int64_t> dims;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  bool present() const { return data != nullptr; }
  int64_t ne0() const { return dims.empty() ? 0 : dims[0]; }
  int64_t ne1() const { return dims.size() < 2 ? 1 : dims[1]; }
};

struct ModelParams {
  std::string arch;  // llama | qwen2 | gpt2
  int64_t vocab = 0, n_embd = 0, n_layer = 0, n_ff = 0, n_head = 0, n_head_kv = 0, head_dim = 0;
  std::string rope_type;  // norm | neox | none
  float rope_base = 10000.0f, rope_scale = 1.0f;
  int64_t rope_dims = 0;
  std::string norm;  // rms | layer
  float eps = 1e-5f;
  std::string act;  // silu | gelu
  int64_t context_length = 0;
  int threads = 0;
  bool kv_f16 = true;
  // Matrices of a type with a repacked layout (quant.h repack_tiles8) for the active ISA are also
  // copied into it at load; false reads every weight from the tensors given.
  bool repack = true;
};

class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Model {
 public:
  // Throws ModelError with a one-line reason on a missing tensor or a wrong shape/type/size.
  Model(const ModelParams& p, std::map<std::string, TensorRef> tensors);
  // Runs tokens at positions pos..pos+n-1. logits: n*vocab floats (all) or vocab floats (last).
  void eval(const int32_t* tokens, int64_t n, int64_t pos, bool all_logits, float* logits);
  // Runs tokens from position 0 (overwriting the cache) and writes the mean over them of the final
  // normalised hidden state (n_embd floats): the embedding, llama.cpp's mean pooling.
  void embed(const int32_t* tokens, int64_t n, float* mean);
  // The KV cache of positions 0..n-1 as bytes (per layer: K rows then V rows, in the cache's own
  // element type), so a conversation can resume without re-reading it; load_state puts it back.
  size_t state_size(int64_t n) const;
  void save_state(int64_t n, uint8_t* out) const;
  void load_state(int64_t n, const uint8_t* in);
  const ModelParams& params() const { return p_; }
  int threads() const { return pool_->size(); }
  // Bytes of weights copied into repacked tiles at load (repack_matrices), 0 where none were.
  size_t repacked_bytes() const { return repacked_bytes_; }

 private:
  struct Vec {  // a 1-D tensor as f32, or empty
    std::vector<float> v;
    const float* ptr() const { return v.empty() ? nullptr : v.data(); }
  };
  struct Mat {  // a 2-D weight: rows of ne0 elements
    const QuantTraits* traits = nullptr;
    const uint8_t* data = nullptr;
    int64_t cols = 0, rows = 0;
    // llama.cpp repacks the matrices it multiplies (not token_embd, which it looks rows up in, nor
    // an output tied to it) and computes those in the rows-of-8 arithmetic; we match which is which.
    bool rows8 = false;
    const uint8_t* tiles = nullptr;  // the rows repacked (repack_matrices), or null
    bool present() const { return data != nullptr; }
  };
  struct Layer {
    Vec attn_norm, attn_norm_b, ffn_norm, ffn_norm_b;
    Mat wq, wk, wv, wqkv, wo, gate, up, down;
    Vec bq, bk, bv, bqkv, bo, b_gate, b_up, b_down;
  };

  Mat mat(const std::string& name, int64_t cols, int64_t rows, bool required);
  void repack_matrices();
  Vec vec(const std::string& name, int64_t n, bool required);
  void linear(const Mat& m, const Vec& bias, const float* x, int64_t x_stride, int64_t batch, float* out,
              int64_t out_stride);
  // Several matrices over the same input in one parallel job (q/k/v, gate/up).
  struct Out {
    const Mat* m;
    const Vec* bias;
    float* out;
    int64_t stride;
  };
  static constexpr size_t kMaxLinearMany = 4;
  void linear_many(std::initializer_list<Out> outs, const float* x, int64_t x_stride, int64_t batch);
  void embed_row(const Mat& m, int64_t row, float* out);
  // fn(t) for each token t of a batch, spread over the pool (one token: inline). The tokens' rows
  // are independent, so how they are split changes nothing in the results.
  void each_token(int64_t n, const std::function<void(int64_t)>& fn);
  KvView kv_view(int64_t layer) const;
  void run_chunk(const int32_t* tokens, int64_t n, int64_t pos, bool all_logits, bool last_chunk, float* logits, double* hidden_sum = nullptr);

  ModelParams p_;
  std::map<std::string, TensorRef> tensors_;
  std::shared_ptr<ThreadPool> pool_;
  Mat tok_embd_, pos_embd_, output_;
  Vec out_norm_, out_norm_b_, rope_freqs_;
  std::vector<Layer> layers_;
  std::vector<uint8_t> kv_k_, kv_v_;  // [layer][kv head][ctx][head_dim] (KvView)
  int64_t kv_dim_ = 0;
  // scratch, sized for kChunk tokens
  std::vector<float> x_, h_, q_, k_, v_, att_, ff_a_, ff_b_, qkv_, tmp_;
  std::vector<uint8_t> qscratch_;
  HugeBytes tiles_{nullptr, std::free};  // the Mats' repacked tiles
  size_t repacked_bytes_ = 0;
  static constexpr int64_t kChunk = 64;
};

}  // namespace lg
