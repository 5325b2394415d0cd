// The machine's limits, measured rather than looked up: a STREAM-style triad for memory bandwidth
// (a[i] = b[i] + s*c[i] over three arrays far larger than any last-level cache), a read-only stream
// over one of them (what a decode's weights are: on a Zen 4 host it reads 0.87-1.0x the triad's
// bytes a second, bench/native-notes.md section 26), and tight loops of
// independent multiply-adds for peak arithmetic per data type (f32 FMA; int8 multiply-add pairs,
// the instruction ggml-style quantised dot products are built from). Each with 1..THREADS threads,
// best of REPS. Prints one JSON object. With `triad` the arithmetic loops are skipped and only
// FROM..THREADS threads are measured: the probes a decode is paired with need the bandwidths alone.
//
//   roofline THREADS [MiB_per_array=128] [REPS=5] [triad [FROM=1]]
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include <immintrin.h>
#define ISA "avx512+vnni"
#define F32_LANES 16   /* floats per FMA */
#define I8_PRODUCTS 64 /* byte products per multiply-add step (vpdpbusd) */
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ISA "avx2+fma"
#define F32_LANES 8
#define I8_PRODUCTS 32 /* vpmaddubsw + vpmaddwd + vpaddd */
#else
#define ISA "scalar"
#define F32_LANES 8
#define I8_PRODUCTS 32
#endif

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct { int id, n; size_t len; double* a; double* b; double* c; long iters; double sink; pthread_barrier_t* bar; } job_t;

static void* triad(void* p) {
  job_t* j = p;
  size_t lo = j->len * j->id / j->n, hi = j->len * (j->id + 1) / j->n;
  pthread_barrier_wait(j->bar);
  for (size_t i = lo; i < hi; i++) j->a[i] = j->b[i] + 3.0 * j->c[i];
  return NULL;
}

/* Each thread's share of b, read once: xor of its 64-bit words into eight independent lanes, so
 * the loads, not a one-cycle chain of xors, set the pace (one chain held a core to ~30 GB/s). */
static void* read_only(void* p) {
  job_t* j = p;
  size_t lo = j->len * j->id / j->n, hi = j->len * (j->id + 1) / j->n;
  const unsigned long long* w = (const unsigned long long*)j->b;
  unsigned long long x[8] = {0};
  pthread_barrier_wait(j->bar);
  size_t i = lo;
  for (; i + 8 <= hi; i += 8)
    for (int k = 0; k < 8; k++) x[k] ^= w[i + k];
  for (; i < hi; i++) x[0] ^= w[i];
  for (int k = 1; k < 8; k++) x[0] ^= x[k];
  j->sink = (double)x[0];
  return NULL;
}

static void* fma_f32(void* p) {
  job_t* j = p;
  pthread_barrier_wait(j->bar);
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
  __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-4f), a[10];
  for (int k = 0; k < 10; k++) a[k] = _mm512_setzero_ps();
  for (long i = 0; i < j->iters; i++) {
#pragma GCC unroll 10
    for (int k = 0; k < 10; k++) a[k] = _mm512_fmadd_ps(a[k], x, y);
  }
  __m512 t = a[0];
  for (int k = 1; k < 10; k++) t = _mm512_add_ps(t, a[k]);
  j->sink = _mm512_reduce_add_ps(t);
#elif defined(__AVX2__) && defined(__FMA__)
  __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(1e-4f);
  __m256 a0 = _mm256_set1_ps(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
  for (long i = 0; i < j->iters; i++) {
    a0 = _mm256_fmadd_ps(a0, x, y); a1 = _mm256_fmadd_ps(a1, x, y); a2 = _mm256_fmadd_ps(a2, x, y);
    a3 = _mm256_fmadd_ps(a3, x, y); a4 = _mm256_fmadd_ps(a4, x, y); a5 = _mm256_fmadd_ps(a5, x, y);
    a6 = _mm256_fmadd_ps(a6, x, y); a7 = _mm256_fmadd_ps(a7, x, y); a8 = _mm256_fmadd_ps(a8, x, y);
    a9 = _mm256_fmadd_ps(a9, x, y);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(_mm256_add_ps(a6, a7), _mm256_add_ps(a8, a9))));
  float out[8]; _mm256_storeu_ps(out, s); j->sink = out[0];
#else
  float a[10] = {0}; const float x = 0.999f, y = 1e-4f;
  for (long i = 0; i < j->iters * 8; i++) for (int k = 0; k < 10; k++) a[k] = a[k] * x + y;
  j->sink = a[0] + a[9];
#endif
  return NULL;
}

/* One step = 10 independent multiply-adds of bytes into int32 lanes: u8*i8 products, summed in
 * fours (AVX-512 VNNI: vpdpbusd, 64 products; AVX2: vpmaddubsw, vpmaddwd, vpaddd, 32 products).
 * Each accumulator has its own signed operand, so no product can be hoisted out of the loop. */
static void* madd_i8(void* p) {
  job_t* j = p;
  pthread_barrier_wait(j->bar);
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
  __m512i u = _mm512_set1_epi8(3), s8[10], a[10];
  for (int k = 0; k < 10; k++) s8[k] = _mm512_set1_epi8((char)(-2 - k)), a[k] = _mm512_setzero_si512();
  for (long i = 0; i < j->iters; i++) {
#pragma GCC unroll 10
    for (int k = 0; k < 10; k++) a[k] = _mm512_dpbusd_epi32(a[k], u, s8[k]);
    u = _mm512_add_epi8(u, _mm512_set1_epi8(1));
  }
  __m512i t = a[0];
  for (int k = 1; k < 10; k++) t = _mm512_add_epi32(t, a[k]);
  j->sink = _mm512_reduce_add_epi32(t);
#elif defined(__AVX2__)
  __m256i u = _mm256_set1_epi8(3), one = _mm256_set1_epi16(1), s8[10], a[10];
  for (int k = 0; k < 10; k++) s8[k] = _mm256_set1_epi8((char)(-2 - k)), a[k] = _mm256_setzero_si256();
  for (long i = 0; i < j->iters; i++) {
#pragma GCC unroll 10
    for (int k = 0; k < 10; k++) a[k] = _mm256_add_epi32(a[k], _mm256_madd_epi16(_mm256_maddubs_epi16(u, s8[k]), one));
    u = _mm256_add_epi8(u, _mm256_set1_epi8(1));
  }
  __m256i t = a[0];
  for (int k = 1; k < 10; k++) t = _mm256_add_epi32(t, a[k]);
  j->sink = _mm256_extract_epi32(t, 0);
#else
  int a[10] = {0}; signed char u = 3, s = -2;
  for (long i = 0; i < j->iters * 32; i++) { for (int k = 0; k < 10; k++) a[k] += u * (s - k); u++; }
  j->sink = a[0];
#endif
  return NULL;
}

static double run(void* (*fn)(void*), int n, size_t len, double* a, double* b, double* c, long iters) {
  pthread_t th[64]; job_t jobs[64]; pthread_barrier_t bar;
  pthread_barrier_init(&bar, NULL, n);
  double t0 = 0;
  for (int i = 0; i < n; i++) {
    jobs[i] = (job_t){ .id = i, .n = n, .len = len, .a = a, .b = b, .c = c, .iters = iters, .bar = &bar };
    if (i > 0) pthread_create(&th[i], NULL, fn, &jobs[i]);
  }
  t0 = now_s();
  fn(&jobs[0]);
  for (int i = 1; i < n; i++) pthread_join(th[i], NULL);
  double t = now_s() - t0;
  pthread_barrier_destroy(&bar);
  return t;
}

/* The arrays in 2 MiB pages where the system gives them: the triad reads 1.04-1.10x faster so on one
 * thread (a Zen 4 host), and the weights are read through them too (native/runtime/mmap.cc), so the
 * limit is the machine's best. */
static double* huge_array(size_t bytes) {
  const size_t page = 2u << 20;
  double* p = aligned_alloc(page, (bytes + page - 1) / page * page);
#ifdef MADV_HUGEPAGE
  if (p) madvise(p, bytes, MADV_HUGEPAGE);
#endif
  return p;
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  size_t mib = argc > 2 ? (size_t)atol(argv[2]) : 128;
  int reps = argc > 3 ? atoi(argv[3]) : 5;
  const int triad_only = argc > 4 && strcmp(argv[4], "triad") == 0;
  int from = triad_only && argc > 5 ? atoi(argv[5]) : 1;
  if (threads < 1) threads = 1;
  if (threads > 64) threads = 64;
  if (from < 1 || from > threads) from = 1;
  size_t len = mib * 1024 * 1024 / sizeof(double);
  double *a = huge_array(len * 8), *b = huge_array(len * 8), *c = huge_array(len * 8);
  if (!a || !b || !c) { fprintf(stderr, "roofline: out of memory\n"); return 1; }
  for (size_t i = 0; i < len; i++) { a[i] = 0; b[i] = 1; c[i] = 2; }
  printf("{\"isa\":\"%s\",\"array_mib\":%zu,\"reps\":%d,\"results\":[", ISA, mib, reps);
  for (int n = from; n <= threads; n++) {
    double bt = 1e30, rt = 1e30, ft = 1e30, it = 1e30;
    const long fi = 2000000, ii = 2000000;
    for (int r = 0; r < reps + 1; r++) { /* the first pass is warm-up (page faults, clocks) */
      double t = run(triad, n, len, a, b, c, 0);
      if (r > 0 && t < bt) bt = t;
      t = run(read_only, n, len, a, b, c, 0);
      if (r > 0 && t < rt) rt = t;
      if (triad_only) continue;
      t = run(fma_f32, n, len, a, b, c, fi);
      if (r > 0 && t < ft) ft = t;
      t = run(madd_i8, n, len, a, b, c, ii);
      if (r > 0 && t < it) it = t;
    }
    /* triad moves 3 arrays (2 read + 1 written; write-allocate not counted, as STREAM does) */
    double gbs = 3.0 * len * 8 / bt / 1e9, read = (double)len * 8 / rt / 1e9;
    double f32 = (double)n * fi * 10 * F32_LANES * 2 / ft / 1e9;
    double i8 = (double)n * ii * 10 * I8_PRODUCTS * 2 / it / 1e9;
    if (triad_only) printf("%s{\"threads\":%d,\"triad_gb_per_s\":%.3f,\"read_gb_per_s\":%.3f}", n > from ? "," : "", n, gbs, read);
    else printf("%s{\"threads\":%d,\"triad_gb_per_s\":%.3f,\"read_gb_per_s\":%.3f,\"f32_fma_gflops\":%.2f,\"int8_madd_gops\":%.2f}", n > from ? "," : "", n, gbs, read, f32, i8);
  }
  printf("]}\n");
  return 0;
}
