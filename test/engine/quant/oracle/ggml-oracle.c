// Golden-vector oracle for test/engine/quant (not built by the project, not shipped).
// Links ggml's own ggml-quants.c and runs its reference quantisers and dequantisers, so the
// fixtures in ../golden.json are ggml's answers, not ours. See README.md for how to build/run.
//
//   ggml-oracle q   TYPE in.f32   out.bytes out.f32   quantize_row_<type>_ref then dequantize_row_<type>
//   ggml-oracle deq TYPE in.bytes out.f32             dequantize_row_<type> over raw blocks
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "ggml-common.h"
#include "ggml-impl.h"
#include "ggml-quants.h"

// ggml-quants.c references these from ggml.c; the reference paths we call never use them.
void ggml_abort(const char * file, int line, const char * fmt, ...) { (void)fmt; fprintf(stderr, "ggml_abort %s:%d\n", file, line); abort(); }
size_t ggml_row_size(enum ggml_type t, int64_t n) { (void)t; (void)n; abort(); }
size_t ggml_type_size(enum ggml_type t) { (void)t; abort(); }
const char * ggml_type_name(enum ggml_type t) { (void)t; return "?"; }

static size_t slurp(const char * p, void ** buf) {
  FILE * f = fopen(p, "rb"); if (!f) { perror(p); exit(1); }
  fseek(f, 0, SEEK_END); size_t n = (size_t)ftell(f); fseek(f, 0, SEEK_SET);
  *buf = malloc(n + 16); if (fread(*buf, 1, n, f) != n) { perror(p); exit(1); } fclose(f); return n;
}
static void spit(const char * p, const void * b, size_t n) { FILE * f = fopen(p, "wb"); fwrite(b, 1, n, f); fclose(f); }

typedef void (*quant_fn)(const float *, void *, int64_t);
typedef void (*deq_fn)(const void *, float *, int64_t);

static void f16_q(const float * x, void * q, int64_t k) { for (int64_t i = 0; i < k; i++) ((uint16_t *)q)[i] = GGML_FP32_TO_FP16(x[i]); }
static void f16_d(const void * q, float * y, int64_t k) { for (int64_t i = 0; i < k; i++) y[i] = GGML_FP16_TO_FP32(((const uint16_t *)q)[i]); }
static void bf16_q(const float * x, void * q, int64_t k) { for (int64_t i = 0; i < k; i++) ((ggml_bf16_t *)q)[i] = GGML_FP32_TO_BF16(x[i]); }
static void bf16_d(const void * q, float * y, int64_t k) { for (int64_t i = 0; i < k; i++) y[i] = GGML_BF16_TO_FP32(((const ggml_bf16_t *)q)[i]); }
static void f32_q(const float * x, void * q, int64_t k) { memcpy(q, x, (size_t)k * 4); }
static void f32_d(const void * q, float * y, int64_t k) { memcpy(y, q, (size_t)k * 4); }

// The i-quants as llama-quantize writes them (quantize_iq4_*, ntry 7), not quantize_row_iq4_nl_ref
// (ntry -1, no scale search), which nothing writes files with.
static void iq4_nl_q(const float * x, void * q, int64_t k) { quantize_iq4_nl(x, q, 1, k, NULL); }
static void iq4_xs_q(const float * x, void * q, int64_t k) { quantize_iq4_xs(x, q, 1, k, NULL); }

static const struct { const char * name; int blk, bytes; quant_fn q; deq_fn d; } T[] = {
  { "F32", 1, 4, f32_q, f32_d }, { "F16", 1, 2, f16_q, f16_d }, { "BF16", 1, 2, bf16_q, bf16_d },
  { "Q4_0", 32, 18, (quant_fn)quantize_row_q4_0_ref, (deq_fn)dequantize_row_q4_0 },
  { "Q4_1", 32, 20, (quant_fn)quantize_row_q4_1_ref, (deq_fn)dequantize_row_q4_1 },
  { "Q5_0", 32, 22, (quant_fn)quantize_row_q5_0_ref, (deq_fn)dequantize_row_q5_0 },
  { "Q5_1", 32, 24, (quant_fn)quantize_row_q5_1_ref, (deq_fn)dequantize_row_q5_1 },
  { "Q8_0", 32, 34, (quant_fn)quantize_row_q8_0_ref, (deq_fn)dequantize_row_q8_0 },
  { "Q2_K", 256, 84, (quant_fn)quantize_row_q2_K_ref, (deq_fn)dequantize_row_q2_K },
  { "Q3_K", 256, 110, (quant_fn)quantize_row_q3_K_ref, (deq_fn)dequantize_row_q3_K },
  { "Q4_K", 256, 144, (quant_fn)quantize_row_q4_K_ref, (deq_fn)dequantize_row_q4_K },
  { "Q5_K", 256, 176, (quant_fn)quantize_row_q5_K_ref, (deq_fn)dequantize_row_q5_K },
  { "Q6_K", 256, 210, (quant_fn)quantize_row_q6_K_ref, (deq_fn)dequantize_row_q6_K },
  { "IQ4_NL", 32, 18, iq4_nl_q, (deq_fn)dequantize_row_iq4_nl },
  { "IQ4_XS", 256, 136, iq4_xs_q, (deq_fn)dequantize_row_iq4_xs },
};

int main(int argc, char ** argv) {
  if (argc < 5) { fprintf(stderr, "usage: see header\n"); return 2; }
  int t = -1;
  for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) if (!strcmp(argv[2], T[i].name)) t = (int)i;
  if (t < 0) { fprintf(stderr, "unknown type %s\n", argv[2]); return 2; }
  void * in; size_t n = slurp(argv[3], &in);
  if (!strcmp(argv[1], "q")) {
    int64_t k = (int64_t)(n / 4);
    size_t qn = (size_t)(k / T[t].blk * T[t].bytes);
    void * q = calloc(qn + 16, 1); float * y = calloc((size_t)k + 1, 4);
    T[t].q((const float *)in, q, k); T[t].d(q, y, k);
    spit(argv[4], q, qn); if (argc > 5) spit(argv[5], y, (size_t)k * 4);
  } else {
    int64_t k = (int64_t)(n / (size_t)T[t].bytes) * T[t].blk;
    float * y = calloc((size_t)k + 1, 4);
    T[t].d(in, y, k); spit(argv[4], y, (size_t)k * 4);
  }
  return 0;
}
