// How fast one core reads memory in the patterns a decode kernel can choose (bench/native-notes.md
// section 11): K streams read in lock step, each a run of REGION contiguous bytes, 32-byte loads
// every 34 bytes (a Q8_0 block's quants); then the next K runs. K = 1 is one sequential stream;
// REGION = one row (1360 bytes for 1280 Q8_0 columns) with K = 8 is a decode tile of eight adjacent
// rows; a long REGION is what decode_streams (native/quant/tile_drive.h) gives each of a tile's rows.
// No arithmetic beyond an add per load, no software prefetching: the hardware prefetcher alone.
//
//   gcc -O2 -mavx2 -o streams bench/c/streams.c && ./streams        (all patterns, 512 MiB buffer)
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// Each stream's load is its own instruction (the loop over k is unrolled), as in a kernel's tile:
// a single load instruction cycling through the streams would defeat the stride prefetcher alone.
#define READ_K(K)                                                                              \
  static __m256i read_##K(const char* m, size_t len, size_t region) {                          \
    __m256i acc = _mm256_setzero_si256();                                                      \
    const size_t chunk = region * K, steps = region / 34;                                      \
    for (const char* x = m; x + chunk <= m + len; x += chunk)                                  \
      for (size_t i = 0; i < steps; i++) {                                                     \
        _Pragma("GCC unroll 16") for (int k = 0; k < K; k++)                                   \
            acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i*)(x + k * region + 34 * i + 2))); \
        __asm__ volatile("" : "+x"(acc));                                                      \
      }                                                                                        \
    return acc;                                                                                \
  }
READ_K(1)
READ_K(2)
READ_K(4)
READ_K(8)
READ_K(16)

int main(void) {
  const size_t len = (size_t)512 << 20;
  char* m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return perror("mmap"), 1;
  // 2 MiB pages where the system gives them, as the weights have (native/runtime/mmap.cc); sections
  // up to 23 of the notes measured 4 KiB ones. STREAMS_4K=1 keeps those.
  if (!getenv("STREAMS_4K")) madvise(m, len, MADV_HUGEPAGE);
  memset(m, 1, len);
  static const struct { int k; __m256i (*fn)(const char*, size_t, size_t); } ks[] = {{1, read_1}, {2, read_2}, {4, read_4}, {8, read_8}, {16, read_16}};
  static const size_t regions[] = {1360, 10880, 43520, 174080};
  unsigned sink = 0;
  for (size_t a = 0; a < sizeof ks / sizeof ks[0]; a++)
    for (size_t b = 0; b < sizeof regions / sizeof regions[0]; b++) {
      double best = 1e30;
      for (int r = 0; r < 5; r++) {
        const double t = now_s();
        sink += (unsigned)_mm256_extract_epi32(ks[a].fn(m, len, regions[b]), 0);
        const double dt = now_s() - t;
        if (dt < best) best = dt;
      }
      const size_t chunk = regions[b] * ks[a].k, bytes = len / chunk * chunk;
      printf("%2d streams of %6zu bytes: %5.1f GB/s\n", ks[a].k, regions[b], bytes / best / 1e9);
    }
  fprintf(stderr, "(checksum %u)\n", sink);  // keeps the sums alive
  return 0;
}
