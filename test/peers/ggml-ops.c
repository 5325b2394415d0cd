// llama.cpp's own CPU kernels, one kernel variant pinned: the oracle for our native kernels.
// Loads one libggml-cpu-*.so from node-llama-cpp's prebuild (argv[1], e.g. the haswell one, which
// is what llama.cpp runs on an AVX2 machine without AVX-512) and answers jobs read from stdin:
//
//   int32 count, then per job: int32 op, type, rows, cols, batch, repack, then the op's inputs.
//   op 0, ggml_mul_mat: the weight rows (rows x cols in ggml's bytes of `type`), then batch x cols
//     float32 activations; out: batch x rows float32.
//   op 1, ggml_swiglu_split (llama.cpp's SwiGLU, silu(gate) * up): batch x cols float32 gates, then
//     as many ups; out: batch x cols float32.
//
// and writes, per job, an int32 saying whether the weights were repacked, then the float32 results,
// on stdout. repack = 1 asks for the CPU backend's repacking buffer, as llama.cpp's loader does for
// model weights by default: they go there only when the backend says it can compute the product
// from it (the loader's own test), else they keep ggml's plain layout, as token_embd always does.
// One thread: the numbers do not depend on the thread count, only the timing would.
//
// `ggml-ops --gelu-table LIB` writes the variant's GELU table (ggml_table_gelu_f16: 65536 f16
// results, one per f16 input) to stdout, as its CPU backend fills it at start.
// `ggml-ops --score LIB...` prints each variant's ggml_backend_score() instead, one per line: 0 when
// this CPU cannot run it, else the rank llama.cpp's loader picks the highest of.
//
// Built by test/peers/ggml-ops.ts with gcc against the headers of node-llama-cpp's bundled
// llama.cpp release.
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ggml.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"

static void die(const char* what) {
  fprintf(stderr, "ggml-ops: %s\n", what);
  exit(1);
}

static void read_all(void* p, size_t n) {
  if (n && fread(p, 1, n, stdin) != n) die("short read on stdin");
}

typedef void (*set_threads_fn)(ggml_backend_t, int);
typedef ggml_backend_buffer_type_t* (*extra_bufts_fn)(ggml_backend_dev_t);

static void write_all(const void* p, size_t n) {
  if (n && fwrite(p, 1, n, stdout) != n) die("short write");
}

// The next ggml_nbytes(t) bytes of stdin into tensor t.
static void read_tensor(struct ggml_tensor* t) {
  const size_t n = ggml_nbytes(t);
  void* p = malloc(n ? n : 1);
  if (!p) die("out of memory");
  read_all(p, n);
  ggml_backend_tensor_set(t, p, 0, n);
  free(p);
}

// Runs the graph and writes the job's answer: the repacked flag, then result tensor y.
static void compute_and_write(ggml_backend_t be, struct ggml_cgraph* gf, struct ggml_tensor* y, int32_t repacked) {
  if (ggml_backend_graph_compute(be, gf) != GGML_STATUS_SUCCESS) die("graph compute failed");
  const size_t n = ggml_nbytes(y);
  float* out = malloc(n);
  if (!out) die("out of memory");
  ggml_backend_tensor_get(y, out, 0, n);
  write_all(&repacked, sizeof repacked);
  write_all(out, n);
  free(out);
}

static void mul_mat(ggml_backend_t be, ggml_backend_dev_t dev, ggml_backend_buffer_type_t repack_buft, enum ggml_type type,
                    int rows, int cols, int batch, int repack) {
  if (repack && !repack_buft) die("this CPU backend has no repacking buffer");
  // Weights and activations in separate contexts so each can live in its own buffer type.
  struct ggml_init_params ip = {ggml_tensor_overhead() * 4 + ggml_graph_overhead(), NULL, 1};
  struct ggml_context* cw = ggml_init(ip);
  struct ggml_context* cx = ggml_init(ip);
  struct ggml_tensor* a = ggml_new_tensor_2d(cw, type, cols, rows);
  struct ggml_tensor* b = ggml_new_tensor_2d(cx, GGML_TYPE_F32, cols, batch);
  struct ggml_tensor* c = ggml_mul_mat(cx, a, b);
  struct ggml_cgraph* gf = ggml_new_graph(cx);
  ggml_build_forward_expand(gf, c);
  // llama.cpp's weight_buft_supported: an empty buffer of the candidate type under the weights,
  // then ask the device whether it supports the product.
  int32_t repacked = 0;
  if (repack) {
    ggml_backend_buffer_t probe = ggml_backend_buft_alloc_buffer(repack_buft, 0);
    a->buffer = probe;
    repacked = ggml_backend_dev_supports_op(dev, c) ? 1 : 0;
    a->buffer = NULL;
    ggml_backend_buffer_free(probe);
  }
  ggml_backend_buffer_t bw = ggml_backend_alloc_ctx_tensors_from_buft(cw, repacked ? repack_buft : ggml_backend_get_default_buffer_type(be));
  ggml_backend_buffer_t bx = ggml_backend_alloc_ctx_tensors(cx, be);
  if (!bw || !bx) die("cannot allocate tensors");
  if (repacked) ggml_backend_buffer_set_usage(bw, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
  read_tensor(a);
  read_tensor(b);
  compute_and_write(be, gf, c, repacked);
  ggml_backend_buffer_free(bw);
  ggml_backend_buffer_free(bx);
  ggml_free(cw);
  ggml_free(cx);
}

static void swiglu(ggml_backend_t be, int cols, int batch) {
  struct ggml_init_params ip = {ggml_tensor_overhead() * 4 + ggml_graph_overhead(), NULL, 1};
  struct ggml_context* cx = ggml_init(ip);
  struct ggml_tensor* g = ggml_new_tensor_2d(cx, GGML_TYPE_F32, cols, batch);
  struct ggml_tensor* u = ggml_new_tensor_2d(cx, GGML_TYPE_F32, cols, batch);
  struct ggml_tensor* y = ggml_swiglu_split(cx, g, u);
  struct ggml_cgraph* gf = ggml_new_graph(cx);
  ggml_build_forward_expand(gf, y);
  ggml_backend_buffer_t buf = ggml_backend_alloc_ctx_tensors(cx, be);
  if (!buf) die("cannot allocate tensors");
  read_tensor(g);
  read_tensor(u);
  compute_and_write(be, gf, y, 0);
  ggml_backend_buffer_free(buf);
  ggml_free(cx);
}

// What ggml_backend_load_best does to choose among the CPU variants: each library scores this CPU.
static int print_scores(int n, char** libs) {
  for (int i = 0; i < n; i++) {
    void* h = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) die(dlerror());
    int (*score)(void) = (int (*)(void))dlsym(h, "ggml_backend_score");
    printf("%d\n", score ? score() : 0);
    dlclose(h);
  }
  return 0;
}

static int write_gelu_table(const char* lib) {
  ggml_backend_reg_t reg = ggml_backend_load(lib);
  ggml_backend_dev_t dev = reg ? ggml_backend_reg_dev_get(reg, 0) : NULL;
  ggml_backend_t be = dev ? ggml_backend_dev_init(dev, NULL) : NULL;  // fills the tables
  if (!be) die("cannot start the CPU backend");
  void* h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
  const uint16_t* table = h ? (const uint16_t*)dlsym(h, "ggml_table_gelu_f16") : NULL;
  if (!table) die("the variant exports no ggml_table_gelu_f16");
  write_all(table, 65536 * sizeof(uint16_t));
  fflush(stdout);
  ggml_backend_free(be);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) die("usage: ggml-ops LIBGGML_CPU_VARIANT.so < jobs > results | ggml-ops --score LIB... | ggml-ops --gelu-table LIB");
  if (strcmp(argv[1], "--score") == 0) return print_scores(argc - 2, argv + 2);
  if (strcmp(argv[1], "--gelu-table") == 0 && argc == 3) return write_gelu_table(argv[2]);
  ggml_backend_reg_t reg = ggml_backend_load(argv[1]);
  if (!reg) die("cannot load the CPU backend variant");
  ggml_backend_dev_t dev = ggml_backend_reg_dev_get(reg, 0);
  ggml_backend_t be = dev ? ggml_backend_dev_init(dev, NULL) : NULL;
  if (!be) die("cannot start the CPU backend");
  set_threads_fn set_threads = (set_threads_fn)ggml_backend_reg_get_proc_address(reg, "ggml_backend_set_n_threads");
  if (set_threads) set_threads(be, 1);
  extra_bufts_fn extra = (extra_bufts_fn)ggml_backend_reg_get_proc_address(reg, "ggml_backend_dev_get_extra_bufts");
  ggml_backend_buffer_type_t repack_buft = NULL;
  if (extra) {
    ggml_backend_buffer_type_t* b = extra(dev);
    if (b && b[0]) repack_buft = b[0];
  }

  int32_t count;
  read_all(&count, sizeof count);
  for (int32_t job = 0; job < count; job++) {
    int32_t h[6];
    read_all(h, sizeof h);
    const int op = h[0], type = h[1], rows = h[2], cols = h[3], batch = h[4], repack = h[5];
    if ((op != 0 && op != 1) || type < 0 || type >= GGML_TYPE_COUNT || rows < 1 || cols < 1 || batch < 1) die("bad job header");
    if (op == 0) mul_mat(be, dev, repack_buft, (enum ggml_type)type, rows, cols, batch, repack);
    else swiglu(be, cols, batch);
  }
  fflush(stdout);
  ggml_backend_free(be);
  return 0;
}
