// How a tiled product covers its outputs, for every ISA's tile kernels (no intrinsics here): a
// kernel supplies register tiles of R weight rows x C activation rows, drive_tiles walks the block.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>
namespace lg {
// Internal to each translation unit that includes this: the AVX2 and AVX-512 files compile these
// classes and templates with different instruction sets, and shared (COMDAT) copies would let the
// linker hand an AVX-512 build of one to an AVX2-only caller.
namespace {

// What a tiled product reads and writes: weight rows x (stride bx), activation rows y (by), and
// outputs s[c*bs + r].
struct GemmOperands {
  const uint8_t* x;
  size_t bx;
  const uint8_t* y;
  size_t by;
  float* s;
  size_t bs;
};

// Covers an nr x nc block of outputs with t.tile<R, C>(r0, c0) calls, smaller tiles at the edges.
// Rows outer, activation rows inner: a tile's R weight rows stay in L1 while every activation row
// streams past them from L2.
template <int R, int C, class Tiles>
static inline void drive_tiles(int64_t nr, int64_t nc, const Tiles& t) {
  auto row = [&](auto rows, int64_t r) {
    constexpr int H = decltype(rows)::value;
    int64_t c = 0;
    for (; c + C <= nc; c += C) t.template tile<H, C>(r, c);
    for (; c < nc; c++) t.template tile<H, 1>(r, c);
  };
  int64_t r = 0;
  for (; r + R <= nr; r += R) row(std::integral_constant<int, R>{}, r);
  if constexpr (R > 2) {  // two rows left: one 2-row pass instead of two 1-row ones
    if (nr - r >= 2) {
      row(std::integral_constant<int, 2>{}, r);
      r += 2;
    }
  }
  for (; r < nr; r++) row(std::integral_constant<int, 1>{}, r);
}

// The rows-of-8 kernels' walk (simd_*_rows8.cc): eight rows at a time, the first `grouped`
// columns in tiles of 16, 8 and 4, the rest in twos where Pairs (kernels that hold two columns a
// vector) and then one by one. tile(std::integral_constant<int, C>, r, c) computes rows r..r+7 x
// columns c..c+C-1.
template <bool Pairs = false, class Tile>
static inline void drive_rows8(int64_t nr, int64_t grouped, int64_t nc, const Tile& tile) {
  for (int64_t r = 0; r < nr; r += 8) {
    int64_t c = 0;
    for (; c + 16 <= grouped; c += 16) tile(std::integral_constant<int, 16>{}, r, c);
    for (; c + 8 <= grouped; c += 8) tile(std::integral_constant<int, 8>{}, r, c);
    for (; c + 4 <= grouped; c += 4) tile(std::integral_constant<int, 4>{}, r, c);
    if constexpr (Pairs)
      for (; c + 2 <= nc; c += 2) tile(std::integral_constant<int, 2>{}, r, c);
    for (; c < nc; c++) tile(std::integral_constant<int, 1>{}, r, c);
  }
}

// Tile K<R, C>::run(n, x, bx, y, by, s, bs) over an nr x nc block: s[c*bs + r] for its r weight
// rows x c activation rows.
template <template <int, int> class K>
struct KernelTiles : GemmOperands {
  int64_t n;
  template <int R, int C>
  void tile(int64_t r0, int64_t c0) const { K<R, C>::run(n, x + r0 * bx, bx, y + c0 * by, by, s + c0 * bs + r0, bs); }
};
template <int R, int C, template <int, int> class K>
static inline void gemm_drive(int64_t n, const uint8_t* x, size_t bx, int64_t nr, const uint8_t* y, size_t by,
                              int64_t nc, float* s, size_t bs) {
  drive_tiles<R, C>(nr, nc, KernelTiles<K>{{x, bx, y, by, s, bs}, n});
}

// Decode (one activation row) for kernels whose decode tile reads H weight rows in lock step: the
// tile takes rows j, j + S, ..., j + (H - 1) S for j = 0 .. S - 1 (S = nr / H), so each of its H
// rows walks its own contiguous stretch of the matrix, one row after the next. H adjacent rows in
// lock step restart H short streams every tile, which the hardware prefetcher follows poorly
// (software prefetching of the next tile won back part of it); H long streams it follows at the
// memory's speed: Q8_0 decode from DRAM +15-45% here, AVX-512 Q4_0 +10-20%, Q6_K's row pairs +8-12%
// (bench/native-notes.md section 11; Q8_0 and the AVX-512 Q4_0 decode kernel now take four rows a
// tile, four streams: section 13). The rows-of-8 decode kernels take eight streams: AVX-512 Q4_K
// (section 14; its 64 KiB floor of Zen 5 is 16 KiB since section 23, 1.09x at two threads on Zen 4),
// AVX2 Q4_K (whole-model decode 1.6x on a Zen 4 host, section 22; section 11 had measured
// 0.84-0.92x on Zen 5 with AVX2 forced), and AVX2 Q4_0 / IQ4_NL since their decode tile lost its
// transposition (1.08x; before it their kernel, not the memory, was the limit: section 23).
// Streams shorter than kMinStreamBytes gain nothing (a probe read eight 10 KB streams no faster
// than eight adjacent rows with prefetching: bench/c/streams.c); those keep adjacent tiles with their
// software prefetch of the next tile. A stream tile prefetches ahead in its own streams instead
// (prefetch_ahead below). tile(rows, row_stride, out)
// computes the H rows from `rows` into out[0 .. H); returns the rows done (H * S, or 0): the caller
// computes the rest contiguously. Each output is the same dot product whatever order rows come in.
constexpr size_t kMinStreamBytes = 16 * 1024;
template <int H, size_t MinStream = kMinStreamBytes, class Tile>
static inline int64_t decode_streams(const uint8_t* x, size_t bx, int64_t nr, float* s, const Tile& tile) {
  const int64_t S = nr / H;
  if (S < 2 || (size_t)S * bx < MinStream) return 0;
  float out[H];
  for (int64_t j = 0; j < S; j++) {
    tile(x + j * bx, S * bx, out);
    for (int k = 0; k < H; k++) s[j + k * S] = out[k];
  }
  return H * S;
}

// A stream tile also prefetches in software, kStreamAhead bytes ahead of what each of its rows reads
// in a step (prefetch_ahead<bytes read per row and step>(where the row reads)): with the hardware
// prefetcher alone the four-stream Q4_0, Q8_0 and F16 decode kernels read at 75-90% of the triad
// on one thread. 1.5 KB ahead: 1.11-1.17x on one thread and 1.08-1.14x on two (AVX-512; AVX2
// Q8_0 1.06x / 1.17x; BF16 1.21-1.25x; Q5_0 1.10x), 500M layer sequence without its output
// matrix; 1 KB helped Q8_0 little, 2-3 KB about as much. Q6_K's two streams ran slower with it
// (0.84-0.99x at 0.75-6 KB) and keep the hardware's alone (bench/native-notes.md section 14), as
// AVX-512 F16 and BF16 do since a Zen 4 host ran them 1.17-1.18x faster without (section 22; there
// Q4_0 still gained 1.1x from it and Q8_0 neither gained nor lost).
// Steps of at most 64 bytes need one prefetch: consecutive steps' addresses are never a line
// apart. A stream's last prefetches reach past its end (prefetches never fault). Always inlined:
// a call in a kernel's loop would clobber every vector register it holds (0.4-0.6x when a first
// version was not inlined).
constexpr size_t kStreamAhead = 1536;
template <size_t Bytes>
[[gnu::always_inline]] static inline void prefetch_ahead(const void* p) {
  const char* a = (const char*)p + kStreamAhead;
  for (size_t off = 0; off < Bytes; off += 64) __builtin_prefetch(a + off, 0, 3);
}

// Decode through a kernel's tile object: decode_streams where the streams are long enough (the tile
// without the next-tile prefetch), adjacent tiles of H rows (with it) for the rest.
// make(rows, row_stride, out, prefetch) builds the kernel's tiles over the rows from `rows`,
// writing the outputs from `out`.
template <int H, class Make>
static inline void drive_decode(const uint8_t* x, size_t bx, int64_t nr, float* s, const Make& make) {
  // Always inlined, with the tile it calls: a call per stream tile (two short rows for Q6_K) cost
  // 5% where GCC left one out.
  const int64_t done = decode_streams<H>(x, bx, nr, s, [&](const uint8_t* rows, size_t rs, float* out) __attribute__((always_inline)) {
    make(rows, rs, out, false).template tile<H, 1>(0, 0);
  });
  drive_tiles<H, 1>(nr - done, 1, make(x + done * bx, bx, s + done, true));
}

// drive_decode for the rows-of-8 kernels (their rows come in eights), which take a tile function
// instead of a tile object: tile(rows, row_stride, out, prefetch) computes eight rows from `rows`
// into out[0 .. 8), prefetching the next eight adjacent rows where `prefetch` (not in streams).
template <class Tile>
static inline void decode_rows8(const uint8_t* x, size_t bx, int64_t nr, float* s, const Tile& tile) {
  const int64_t done = decode_streams<8>(x, bx, nr, s, [&](const uint8_t* rows, size_t rs, float* out) __attribute__((always_inline)) {
    tile(rows, rs, out, false);
  });
  for (int64_t r = done; r < nr; r += 8) tile(x + r * bx, bx, s + r, true);
}

}  // namespace
}  // namespace lg
