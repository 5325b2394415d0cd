// llama.cpp's own quantiser: the oracle for `localgpt quantize`'s per-tensor types and bytes.
//
//   llama-quantize IN OUT FTYPE [pure]
//
// quantises the GGUF file IN into OUT with llama_model_quantize (libllama of node-llama-cpp's
// prebuild): default parameters, no importance matrix, the llama_ftype number FTYPE, and
// params.pure when the fourth argument is "pure". Two threads: the bytes do not depend on the
// count (each row is quantised on its own). llama.cpp's log goes to stderr only when it fails.
//
// Built by test/conformance/quantize.test.ts with gcc against the headers of node-llama-cpp's
// bundled llama.cpp release.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"

static char* log_text = NULL;
static size_t log_len = 0;

// Keeps llama.cpp's chatter to show it when something goes wrong.
static void keep_log(enum ggml_log_level level, const char* text, void* user) {
  (void)level;
  (void)user;
  const size_t n = strlen(text);
  char* grown = realloc(log_text, log_len + n + 1);
  if (!grown) return;
  log_text = grown;
  memcpy(log_text + log_len, text, n + 1);
  log_len += n;
}

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: llama-quantize IN OUT FTYPE [pure]\n");
    return 2;
  }
  llama_log_set(keep_log, NULL);
  llama_backend_init();
  struct llama_model_quantize_params params = llama_model_quantize_default_params();
  params.nthread = 2;
  params.ftype = (enum llama_ftype)atoi(argv[3]);
  params.pure = argc == 5 && strcmp(argv[4], "pure") == 0;
  const uint32_t failed = llama_model_quantize(argv[1], argv[2], &params);
  llama_backend_free();
  if (failed) {
    fprintf(stderr, "llama_model_quantize failed:\n%s", log_text ? log_text : "");
    return 1;
  }
  return 0;
}
