// The CPU ops of a forward pass. All take plain f32 rows unless stated; threaded ones take a pool.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>
#include "../quant/quant.h"
#include "../runtime/threadpool.h"

namespace lg {

// out[b*out_stride + r] = dot(W[r], x[b]) for r < rows, b < batch. W is `rows` rows of `cols`
// elements of traits->type; x rows are `cols` floats, `x_stride` apart. Activations are converted to
// the type's vec_dot_type once (into `scratch`), then row tiles are split across the pool; within a
// tile every activation row is run against the tile's weight rows while they are hot in cache, through
// the type's tiled kernel (gemm_fn) where the ISA has one. Float weights in batches take llama.cpp's
// tinyBLAS order where llama.cpp does (quant_tinyblas_applies). tiled=false forces one vec_dot per
// output (the tests compare the tiles with it bit for bit). rows8: use the type's rows-of-8
// arithmetic (quant.h) when it has one and rows is a multiple of 8, as llama.cpp does for the
// weights it repacks.
void matmul(ThreadPool& pool, int isa, const QuantTraits* traits, const uint8_t* w, int64_t rows, int64_t cols,
            const float* x, int64_t x_stride, int64_t batch, float* out, int64_t out_stride,
            std::vector<uint8_t>& scratch, bool tiled = true, bool rows8 = false, const uint8_t* tiles = nullptr);

// Several matrices applied to the same activations (q/k/v, gate/up): the activations are converted
// once and every matrix's row tiles run as one parallel job. Each output equals matmul()'s.
struct MatmulJob {
  const QuantTraits* traits;
  const uint8_t* w;
  int64_t rows;
  float* out;
  int64_t out_stride;
  bool rows8;
  // The same rows repacked into tiles (quant.h repack_tiles8) for the ISA they were repacked for,
  // or null; the ISA's tile kernel reads them, any other ISA reads w.
  const uint8_t* tiles = nullptr;
};
void matmul_jobs(ThreadPool& pool, int isa, const MatmulJob* jobs, int njobs, int64_t cols, const float* x,
                 int64_t x_stride, int64_t batch, std::vector<uint8_t>& scratch, bool tiled = true);

// The float vector width of llama.cpp's build at an ISA: its softmax and layer-norm loops take that
// many values at a time (and the rest one by one), which decides their summation order.
inline int ggml_float_width(int isa) { return isa == ISA_AVX512 ? 16 : isa == ISA_AVX2 ? 8 : 1; }

void rmsnorm(const float* x, const float* w, float* out, int64_t n, float eps);
void layernorm(const float* x, const float* w, const float* b, float* out, int64_t n, float eps, int isa);
// The rotations of one position: pair i turns by theta_i = pos * freq_scale * base^(-2i/rope_dims),
// divided by freq_factors[i] where given (rope_freqs.weight, Llama 3.1 style), as
// ggml_rope_cache_init computes it by repeated products. A token's q and k share them.
struct RopeAngles {
  int npair;
  float cs[512], sn[512];
};
void rope_angles(RopeAngles& a, int rope_dims, float pos, float freq_base, float freq_scale, const float* freq_factors);
// In-place rotary embedding of n_heads heads of head_dim by a.npair pairs each (the first rope_dims
// dims). neox: pairs (i, i + rope_dims/2); otherwise adjacent pairs (2i, 2i+1). Each pair becomes
// (fma(x0, c, -(x1 s)), fma(x0, s, x1 c)) as llama.cpp's build contracts it; the AVX2 path
// (rope_avx2.cc) computes the same values eight at a time.
void rope(float* x, int n_heads, int head_dim, const RopeAngles& a, bool neox, int isa);
void rope_avx2(float* x, int n_heads, int head_dim, const RopeAngles& a, bool neox);
void softmax(float* x, int64_t n);
void silu(float* x, int64_t n);
// gate = silu(gate) * up; on AVX2 and AVX-512 with ggml's vector expf of that width, as llama.cpp's
// SwiGLU (activation_avx2.cc, activation_avx512.cc).
void silu_mul(float* gate, const float* up, int64_t n, int isa);
void silu_mul_avx2(float* gate, const float* up, int64_t n);
void silu_mul_avx512(float* gate, const float* up, int64_t n);  // activation_avx512.cc
// soft_max_ext over one attention row as llama.cpp's CPU backend takes it (attention.cc): the n
// scores s[i] *= scale and their max (exact in any order); s[n..n_pad) masked to -inf; p[i] =
// exp(s[i] - max) over all n_pad (a whole number of vectors, 8 or 16) with ggml's vector expf of
// the ISA's width, each vector's sum added to a double; then p[i] *= the float of its reciprocal
// for i < n, and for an f16 cache rounded through f16 (round to nearest even, as the cache's
// conversion does).
void softmax_row_avx2(float* s, float* p, int64_t n, int64_t n_pad, float scale, bool f16);
void softmax_row_avx512(float* s, float* p, int64_t n, int64_t n_pad, float scale, bool f16);
void gelu(float* x, int64_t n);                          // tanh approximation (ggml)
void add(float* x, const float* y, int64_t n);

// KV cache of one layer, f32 or f16, head-major: kv head h's row at position p (head_dim values)
// starts at (h * context + p) * head_dim elements. A task reads one kv head's keys, then its values,
// for every position: stored by head that is one sequential stream each, which the prefetchers
// follow (by position, each head's 128-byte row sat 512 bytes from the next).
struct KvView {
  bool f16;
  void* k;
  void* v;
  int64_t n_head_kv;
  int64_t head_dim;
  int64_t context;
  size_t elem() const { return f16 ? 2 : 4; }
  size_t row_bytes() const { return (size_t)head_dim * elem(); }
  size_t head_bytes() const { return (size_t)context * row_bytes(); }
};
// Stores one position's keys and values (an f16 cache takes them rounded to nearest even).
void kv_store(const KvView& kv, int64_t pos, const float* k, const float* v, int isa);

// One head's KQV (attention's value sum) in llama.cpp's order for `lanes` accumulator lanes (64, 32,
// 16, 8 or 1) folded to four and summed (0 + 1) + (2 + 3) when `adjacent`, else (0 + 2) + (1 + 3):
// out[0..d) from n probabilities p and value rows v + j * vs bytes (f16 or f32). False for other
// lane counts.
bool kqv_head(int isa, int lanes, bool adjacent, bool f16, const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d,
              float* out);
// The same for `heads` heads of one GQA group (probabilities p[h], outputs out[h]): where the ISA
// sums several heads at once (kqv_group_heads) each value row is widened once for all of them,
// else one kqv_head per head; the same values either way. False for other lane counts.
bool kqv_heads(int isa, int lanes, bool adjacent, bool f16, int heads, const float* const* p, const uint8_t* v, size_t vs,
               int64_t n, int64_t d, float* const* out);
// How many heads of d values kqv_heads sums at once on this ISA (1: one at a time).
int kqv_group_heads(int isa, int64_t d);

// Causal attention for `batch` query tokens at positions pos0..pos0+batch-1 (token t attends to
// cache positions 0..pos0+t), grouped-query (query head h reads kv head h / (n_head/n_head_kv)), in
// llama.cpp's arithmetic for it (attention.cc). q: [batch][n_head*head_dim], out: same shape.
void attention(ThreadPool& pool, int isa, const KvView& kv, const float* q, float* out, int64_t batch, int64_t pos0,
               int n_head, int n_head_kv, int head_dim, float scale);

}  // namespace lg
