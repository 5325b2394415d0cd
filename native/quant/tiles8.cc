// Repacked tiles (quant.h): ggml's rows rewritten once, at load, into the 8-row tiles a kernel reads
// in order. Portable byte copies; the tile kernels that read them are per ISA.
#include <cstring>
#include "quant.h"
namespace lg {

namespace {
// Every tile of eight rows, block by block in order: block(row, out) writes the tile's block b
// (row(r): row r's block b in ggml's layout) to out, TileBlock bytes; the blocks are written one
// after another.
template <class Block, size_t TileBlock, class Write>
void each_tile_block(const void* vx, size_t bx, int64_t nr, void* vout, const Write& block) {
  const uint8_t* x = (const uint8_t*)vx;
  uint8_t* out = (uint8_t*)vout;
  const int64_t nb = (int64_t)(bx / sizeof(Block));
  for (int64_t r0 = 0; r0 + 8 <= nr; r0 += 8)
    for (int64_t b = 0; b < nb; b++, out += TileBlock)
      block([&](int r) { return (const Block*)(x + (r0 + r) * bx) + b; }, out);
}

// Q5_0 / Q5_1 / Q4_1 (quant.h): the scales (and the mins), each pair's fifth bits in its kernel's
// byte order (values 0-15 of each row, then 16-31), the nibbles in row order.
template <class Block, bool Min, bool Fifth, size_t kBlock, size_t kQh, size_t kQs>
void repack_nibbles(const void* x, size_t bx, int64_t nr, void* out) {
  each_tile_block<Block, kBlock>(x, bx, nr, out, [](const auto& row, uint8_t* o) {
    for (int r = 0; r < 8; r++) {
      std::memcpy(o + 2 * r, &row(r)->d, 2);
      if constexpr (Min) std::memcpy(o + kTile8MinsAt + 2 * r, &row(r)->m, 2);
      if constexpr (Fifth) {
        uint8_t* qh = o + kQh + 8 * (r / 2) + 2 * (r % 2);
        std::memcpy(qh, row(r)->qh, 2);
        std::memcpy(qh + 4, row(r)->qh + 2, 2);
      }
      std::memcpy(o + kQs + 16 * r, row(r)->qs, 16);
    }
  });
}
}  // namespace

void repack_tiles8_q4_K(const void* x, size_t bx, int64_t nr, void* out) {
  each_tile_block<block_q4_K, kTile8Q4KSuperblock>(x, bx, nr, out, [](const auto& row, uint8_t* o) {
    // the heads (d, dmin, twelve scale bytes): word j of row r at lane r of vector j
    for (int j = 0; j < 4; j++)
      for (int r = 0; r < 8; r++) std::memcpy(o + 32 * j + 4 * r, (const uint8_t*)row(r) + 4 * j, 4);
    // each pair p's 32 bytes of nibbles: bytes 8k..8k+7 of row r at 64-bit lane r of vector k
    uint8_t* q = o + kTile8Q4KHeads;
    for (int p = 0; p < 4; p++)
      for (int k = 0; k < 4; k++)
        for (int r = 0; r < 8; r++, q += 8) std::memcpy(q, row(r)->qs + 32 * p + 8 * k, 8);
  });
}

void repack_tiles8_b32(const void* x, size_t bx, int64_t nr, void* out) {
  static_assert(sizeof(block_q4_0) == sizeof(block_iq4_nl), "one layout for both");
  each_tile_block<block_q4_0, kTile8B32Block>(x, bx, nr, out, [](const auto& row, uint8_t* o) {
    for (int r = 0; r < 8; r++) {
      std::memcpy(o + 2 * r, &row(r)->d, 2);
      std::memcpy(o + (r % 2 ? kTile8B32Odd : kTile8B32Even) + 16 * (r / 2), row(r)->qs, 16);
    }
  });
}

void repack_tiles8_q5_0(const void* x, size_t bx, int64_t nr, void* out) {
  repack_nibbles<block_q5_0, false, true, kTile8Q5_0Block, kTile8Q5_0Qh, kTile8Q5_0Qs>(x, bx, nr, out);
}
void repack_tiles8_q5_1(const void* x, size_t bx, int64_t nr, void* out) {
  repack_nibbles<block_q5_1, true, true, kTile8Q5_1Block, kTile8Q5_1Qh, kTile8Q5_1Qs>(x, bx, nr, out);
}
void repack_tiles8_q4_1(const void* x, size_t bx, int64_t nr, void* out) {
  repack_nibbles<block_q4_1, true, false, kTile8Q4_1Block, 0, kTile8Q4_1Qs>(x, bx, nr, out);
}

}  // namespace lg
