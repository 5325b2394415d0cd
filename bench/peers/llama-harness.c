// llama.cpp's own library, timed without Node in between: load a GGUF once, create one context
// with a persistent thread pool, then per run clear the KV cache, prefill N tokens as one batch
// and decode M tokens one at a time (greedy), printing the per-run times as one JSON object.
//
//   LIBDIR=<dir of libggml-cpu-*.so> llama-harness MODEL N_PROMPT N_DECODE THREADS RUNS WARMUP [FLASH=0]
//
// Built at bench time by bench/lib/peers.ts (gcc -O2, headers from node-llama-cpp's bundled
// llama.cpp release); see bench/README.md.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "llama.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void quiet(enum ggml_log_level level, const char* text, void* user) { (void)level; (void)text; (void)user; }

static int argmax(const float* l, int n) {
  int best = 0;
  for (int i = 1; i < n; i++) if (l[i] > l[best]) best = i;
  return best;
}

int main(int argc, char** argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: llama-harness MODEL N_PROMPT N_DECODE THREADS RUNS WARMUP [FLASH]\n");
    return 2;
  }
  const char* path = argv[1];
  int n_prompt = atoi(argv[2]), n_decode = atoi(argv[3]), threads = atoi(argv[4]);
  int runs = atoi(argv[5]), warmup = atoi(argv[6]);
  int flash = argc > 7 ? atoi(argv[7]) : 0;
  llama_log_set(quiet, NULL);
  const char* libdir = getenv("LIBDIR");
  if (libdir) ggml_backend_load_all_from_path(libdir); else ggml_backend_load_all();

  struct llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  mp.use_extra_bufts = 1; /* weight repacking, as llama.cpp does by default on CPU */
  struct llama_model* model = llama_model_load_from_file(path, mp);
  if (!model) { fprintf(stderr, "llama-harness: cannot load %s\n", path); return 1; }
  const struct llama_vocab* vocab = llama_model_get_vocab(model);
  int n_vocab = llama_vocab_n_tokens(vocab);

  struct llama_context_params cp = llama_context_default_params();
  cp.n_ctx = n_prompt + n_decode + 8;
  cp.n_batch = n_prompt > 0 ? n_prompt : 1;
  cp.n_ubatch = cp.n_batch;
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  cp.flash_attn_type = flash ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
  cp.no_perf = 1;
  struct llama_context* ctx = llama_init_from_model(model, cp);
  if (!ctx) { fprintf(stderr, "llama-harness: cannot create a context\n"); return 1; }

  /* One persistent pool for the whole run (ggml otherwise builds a disposable pool per graph). */
  ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
  ggml_backend_reg_t reg = cpu ? ggml_backend_dev_backend_reg(cpu) : NULL;
  struct ggml_threadpool* (*tp_new)(struct ggml_threadpool_params*) =
      reg ? (struct ggml_threadpool* (*)(struct ggml_threadpool_params*))ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_new") : NULL;
  void (*tp_free)(struct ggml_threadpool*) =
      reg ? (void (*)(struct ggml_threadpool*))ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_free") : NULL;
  struct ggml_threadpool* pool = NULL;
  if (tp_new) {
    struct ggml_threadpool_params tpp = ggml_threadpool_params_default(threads);
    pool = tp_new(&tpp);
    if (pool) llama_attach_threadpool(ctx, pool, pool);
  }

  llama_token* prompt = malloc(sizeof(llama_token) * (n_prompt > 0 ? n_prompt : 1));
  unsigned seed = 1234567u;
  for (int i = 0; i < n_prompt; i++) {
    seed = seed * 1103515245u + 12345u;
    prompt[i] = (llama_token)((seed >> 8) % (unsigned)n_vocab);
  }

  printf("{\"threads\":%d,\"persistent_pool\":%s,\"n_prompt\":%d,\"n_decode\":%d,\"runs\":[", threads, pool ? "true" : "false", n_prompt, n_decode);
  for (int r = 0; r < warmup + runs; r++) {
    llama_memory_clear(llama_get_memory(ctx), 1);
    prompt[0] = (llama_token)((r * 7919) % n_vocab); /* a different first token: nothing is reused */
    double t0 = now_ms();
    if (llama_decode(ctx, llama_batch_get_one(prompt, n_prompt))) { fprintf(stderr, "llama-harness: prefill failed\n"); return 1; }
    llama_token tok = argmax(llama_get_logits_ith(ctx, -1), n_vocab);
    double t1 = now_ms();
    for (int i = 0; i < n_decode; i++) {
      if (llama_decode(ctx, llama_batch_get_one(&tok, 1))) { fprintf(stderr, "llama-harness: decode failed\n"); return 1; }
      tok = argmax(llama_get_logits_ith(ctx, -1), n_vocab);
    }
    double t2 = now_ms();
    if (r >= warmup) printf("%s{\"prefill_ms\":%.4f,\"decode_ms\":%.4f}", r > warmup ? "," : "", t1 - t0, t2 - t1);
  }
  printf("]}\n");
  llama_free(ctx);
  if (pool && tp_free) tp_free(pool);
  llama_model_free(model);
  free(prompt);
  return 0;
}
