// Causal GQA attention over the KV cache with a streaming softmax: the cache is read once in chunks;
// each chunk's scores update the running max/denominator and rescale the running output.
#include <algorithm>
#include <cmath>
#include <vector>
#include "ops.h"
#include "../runtime/fp16.h"
#include "../runtime/cpu.h"

namespace lg {

void kv_store(const KvView& kv, int64_t pos, const float* k, const float* v) {
  if (kv.f16) {
    uint16_t* kd = (uint16_t*)kv.k + pos * kv.kv_dim;
    uint16_t* vd = (uint16_t*)kv.v + pos * kv.kv_dim;
    for (int64_t i = 0; i < kv.kv_dim; i++) {
      kd[i] = fp32_to_fp16(k[i]);
      vd[i] = fp32_to_fp16(v[i]);
    }
  } else {
    float* kd = (float*)kv.k + pos * kv.kv_dim;
    float* vd = (float*)kv.v + pos * kv.kv_dim;
    for (int64_t i = 0; i < kv.kv_dim; i++) {
      kd[i] = k[i];
      vd[i] = v[i];
    }
  }
}

static const float* f16_table() {
  static const std::vector<float> t = [] {
    std::vector<float> v(65536);
    for (uint32_t i = 0; i < 65536; i++) v[i] = fp16_to_fp32((uint16_t)i);
    return v;
  }();
  return t.data();
}

void attention(ThreadPool& pool, int isa, const KvView& kv, const float* q, float* out, int64_t batch, int64_t pos0,
               int n_head, int n_head_kv, int head_dim, float scale) {
  constexpr int CHUNK = 64;
  const int group = n_head / n_head_kv;
  const int64_t qdim = (int64_t)n_head * head_dim;
  // q . k: f32 cache -> f32 dot; f16 cache -> q rounded to f16 and the f16 dot (what ggml does).
  const vec_dot_fn dot = quant_vec_dot(quant_traits(kv.f16 ? T_F16 : T_F32), isa);
  const float* tab = kv.f16 ? f16_table() : nullptr;
#ifdef LG_HAVE_AVX2
  // The AVX2 value accumulation fuses p * v + acc (FMA, as ggml_vec_mad_f32 does on FMA machines);
  // the scalar loops below round the product first.
  const bool avx2 = isa >= ISA_AVX2 && isa_available(ISA_AVX2);
#else
  const bool avx2 = false;
#endif
  pool.parallel_for(batch * n_head, [&](int64_t task, int) {
    const int64_t t = task / n_head;
    const int h = (int)(task % n_head);
    const int hk = h / group;
    const float* qh = q + t * qdim + (int64_t)h * head_dim;
    float* o = out + t * qdim + (int64_t)h * head_dim;
    uint16_t q16[1024];
    const void* qv = qh;
    if (kv.f16) {
      for (int i = 0; i < head_dim; i++) q16[i] = fp32_to_fp16(qh[i]);
      qv = q16;
    }
    float acc[1024];
    std::fill(acc, acc + head_dim, 0.0f);
    float m = -INFINITY, l = 0.0f;
    float s[CHUNK];
    const int64_t n_kv = pos0 + t + 1;
    const size_t esz = kv.f16 ? 2 : 4;
    for (int64_t c0 = 0; c0 < n_kv; c0 += CHUNK) {
      const int64_t c1 = std::min<int64_t>(n_kv, c0 + CHUNK);
      float cm = -INFINITY;
      for (int64_t j = c0; j < c1; j++) {
        const uint8_t* kr = (const uint8_t*)kv.k + ((size_t)j * kv.kv_dim + (size_t)hk * head_dim) * esz;
        const float v = dot(head_dim, kr, qv) * scale;
        s[j - c0] = v;
        cm = v > cm ? v : cm;
      }
      const float nm = cm > m ? cm : m;
      const float corr = std::exp(m - nm);  // exp(-inf) = 0 on the first chunk
      l *= corr;
#ifdef LG_HAVE_AVX2
      if (avx2) scale_f32_avx2(acc, corr, head_dim);
      else
#endif
        for (int i = 0; i < head_dim; i++) acc[i] *= corr;
      m = nm;
      for (int64_t j = c0; j < c1; j++) {
        const float p = std::exp(s[j - c0] - m);
        l += p;
        if (kv.f16) {
          const uint16_t* vr = (const uint16_t*)kv.v + (size_t)j * kv.kv_dim + (size_t)hk * head_dim;
#ifdef LG_HAVE_AVX2
          if (avx2) {
            axpy_f16_avx2(acc, p, vr, head_dim);
            continue;
          }
#endif
          for (int i = 0; i < head_dim; i++) acc[i] += p * tab[vr[i]];
        } else {
          const float* vr = (const float*)kv.v + (size_t)j * kv.kv_dim + (size_t)hk * head_dim;
#ifdef LG_HAVE_AVX2
          if (avx2) {
            axpy_f32_avx2(acc, p, vr, head_dim);
            continue;
          }
#endif
          for (int i = 0; i < head_dim; i++) acc[i] += p * vr[i];
        }
      }
    }
    const float inv = 1.0f / l;
    for (int i = 0; i < head_dim; i++) o[i] = acc[i] * inv;
  });
}

}  // namespace lg
