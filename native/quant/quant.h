// Quantisation types: ggml block layouts (byte-exact), the traits table, and kernel signatures.
//
// Every weight type has a scalar dequantise-row and a dot product of one weight row with an
// activation row that was first converted to the type's `vec_dot_type` (as ggml does: Q8_0 for the
// 32-element block types, Q8_K for the K-quants, F16/BF16/F32 for the float types). SIMD variants
// live in per-ISA translation units (simd_avx2*.cc, simd_avx512.cc, simd_neon.cc) and are picked at
// run time.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lg {

enum GgmlType : int {
  T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q4_1 = 3, T_Q5_0 = 6, T_Q5_1 = 7, T_Q8_0 = 8, T_Q8_1 = 9,
  T_Q2_K = 10, T_Q3_K = 11, T_Q4_K = 12, T_Q5_K = 13, T_Q6_K = 14, T_Q8_K = 15, T_IQ4_NL = 20, T_IQ4_XS = 23, T_BF16 = 30,
};

constexpr int QK4_0 = 32, QK4_1 = 32, QK5_0 = 32, QK5_1 = 32, QK8_0 = 32, QK_K = 256, K_SCALE_SIZE = 12;

#pragma pack(push, 1)
struct block_q4_0 { uint16_t d; uint8_t qs[QK4_0 / 2]; };
struct block_q4_1 { uint16_t d; uint16_t m; uint8_t qs[QK4_1 / 2]; };
struct block_q5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[QK5_0 / 2]; };
struct block_q5_1 { uint16_t d; uint16_t m; uint8_t qh[4]; uint8_t qs[QK5_1 / 2]; };
struct block_q8_0 { uint16_t d; int8_t qs[QK8_0]; };
struct block_q8_1 { uint16_t d; uint16_t s; int8_t qs[QK8_0]; };
struct block_q2_K { uint8_t scales[QK_K / 16]; uint8_t qs[QK_K / 4]; uint16_t d; uint16_t dmin; };
struct block_q3_K { uint8_t hmask[QK_K / 8]; uint8_t qs[QK_K / 4]; uint8_t scales[K_SCALE_SIZE]; uint16_t d; };
struct block_q4_K { uint16_t d; uint16_t dmin; uint8_t scales[K_SCALE_SIZE]; uint8_t qs[QK_K / 2]; };
struct block_q5_K { uint16_t d; uint16_t dmin; uint8_t scales[K_SCALE_SIZE]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2]; };
struct block_q6_K { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; uint16_t d; };
struct block_q8_K { float d; int8_t qs[QK_K]; int16_t bsums[QK_K / 16]; };
struct block_iq4_nl { uint16_t d; uint8_t qs[QK4_0 / 2]; };
struct block_iq4_xs { uint16_t d; uint16_t scales_h; uint8_t scales_l[QK_K / 64]; uint8_t qs[QK_K / 2]; };
#pragma pack(pop)
static_assert(sizeof(block_q4_0) == 18, "q4_0");
static_assert(sizeof(block_q4_1) == 20, "q4_1");
static_assert(sizeof(block_q5_0) == 22, "q5_0");
static_assert(sizeof(block_q5_1) == 24, "q5_1");
static_assert(sizeof(block_q8_0) == 34, "q8_0");
static_assert(sizeof(block_q2_K) == 84, "q2_K");
static_assert(sizeof(block_q3_K) == 110, "q3_K");
static_assert(sizeof(block_q4_K) == 144, "q4_K");
static_assert(sizeof(block_q5_K) == 176, "q5_K");
static_assert(sizeof(block_q6_K) == 210, "q6_K");
static_assert(sizeof(block_q8_K) == 292, "q8_K");
static_assert(sizeof(block_iq4_nl) == 18, "iq4_nl");
static_assert(sizeof(block_iq4_xs) == 136, "iq4_xs");

// The sixteen non-linear levels of IQ4_NL and IQ4_XS (ggml's kvalues_iq4nl), ascending.
inline constexpr int8_t kIq4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
// The same levels plus 128 (1..241): the unsigned side of a VNNI product, 128 * the activations' sum off.
inline constexpr uint8_t kIq4LevelsU8[16] = {1, 24, 45, 63, 79, 93, 106, 118, 129, 141, 153, 166, 181, 197, 217, 241};
// IQ4_XS sub-block ib's six-bit scale (stored + 32): low nibble from scales_l, two high bits from scales_h.
inline int iq4_xs_scale(const block_iq4_xs& b, int ib) {
  return ((b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0x0F) | (((b.scales_h >> (2 * ib)) & 3) << 4);
}
// llama.cpp's IQ panel (iqp.cpp) takes IQ4_XS matrices with rows in eights from this many activation
// rows on (GGML_IQP_MIN_BATCH); fewer take its dot product.
inline constexpr int64_t kIq4PanelBatch = 8;

// n = number of elements (a whole number of blocks). x = weight row, y = activation row already
// in the type's vec_dot_type.
using dequantize_row_fn = void (*)(const void* x, float* y, int64_t n);
using quantize_row_fn = void (*)(const float* x, void* y, int64_t n);
using vec_dot_fn = float (*)(int64_t n, const void* x, const void* y);
// A block of dot products: s[c*bs + r] = vec_dot(n, x + r*bx, y + c*by) for r < nr, c < nc, each
// bit-identical to the same ISA's vec_dot (same integer sums per block, same scale products, same
// float accumulation order per output), but computed in register tiles of several weight rows x
// several activation rows so each decoded weight block serves several tokens and each activation
// block several rows. bx, by in bytes; bs in floats. One exception, where llama.cpp's batches take
// another order than its dot product: IQ4_NL's kernel gives tinyBLAS's sums (one accumulator per
// output) from two activation rows on (gemm_iq4_nl_avx2), as llama.cpp computes them.
using gemm_fn = void (*)(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc,
                         float* s, size_t bs);

// x86 levels are ordered (each falls back to the one below it); ISA_NEON (AArch64) falls back to
// scalar only, never to an x86 index (see traits.cc).
enum Isa : int { ISA_SCALAR = 0, ISA_AVX2 = 1, ISA_AVX512 = 2, ISA_NEON = 3, ISA_COUNT = 4 };

// Matrices whose row count is a multiple of 8, in llama.cpp's arithmetic for them: its CPU backend
// repacks such Q4_0 and Q4_K weights into 8-row interleaved blocks and computes every output with
// one float accumulator fed by fma((float)exact_int_sum, d_w * d_x, acc): per block for Q4_0
// whatever the batch; for Q4_K per 64-value pair of sub-blocks for activations in whole groups of
// four and per superblock for the rest (rows8.cc says it exactly). These kernels give that result
// from ggml's own layout, so the weights can stay memory-mapped; a type with repacked tiles (below)
// gives it from those too.
// s[c*bs + r] for r < nr (a multiple of 8), c < nc; for Q8_0 activations ysum[c*(n/32) + b] =
// sum of the qs of activation c's block b (see q8_0_block_sums), which turns unsigned nibble
// products into the signed (q - 8) ones (Q8_K carries its own block sums; ysum is unused).
using gemm_rows8_fn = void (*)(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by,
                               const int32_t* ysum, int64_t nc, float* s, size_t bs);
void q8_0_block_sums(const void* y, int64_t nb, int32_t* out);

// Repacked tiles. Where a type's rows-of-8 kernel spends much of its work gathering eight rows'
// bytes (AVX-512 Q4_K: about a third of its instructions), the matrix may be repacked once at load
// into whole 8-row tiles stored as the kernel reads them (llama.cpp's CPU backend repacks too, into
// layouts of its own). A tile holds exactly its eight rows' bytes, so rows r..r+7 (r a multiple of 8)
// start at x + r * bx in both layouts. gemm_tiles8 has gemm_rows8_fn's signature and gives its
// outputs bit for bit, from repacked rows (nr a multiple of 8): the rows-of-8 kernel's, or for a
// type without one (Q5_0, Q5_1, Q4_1) its gemm_fn's; repack_tiles8 writes nr rows (a multiple of
// 8) of ggml's layout at x into that layout at out.
using repack_tiles8_fn = void (*)(const void* x, size_t bx, int64_t nr, void* out);
// Q4_K's tile, per superblock: the eight rows' 16-byte heads as four 32-byte vectors (vector j, lane r
// = word j of row r's head), then for each pair p of sub-blocks four 64-byte vectors (vector k,
// 64-bit lane r = bytes 8k..8k+7 of row r's 32 bytes of pair p).
constexpr size_t kTile8Q4KHeads = 128;
constexpr size_t kTile8Q4KSuperblock = 8 * 144;
void repack_tiles8_q4_K(const void* x, size_t bx, int64_t nr, void* out);  // tiles8.cc
// Q4_0's and IQ4_NL's tile, per 32-value block: the eight rows' f16 scales in row order (16 bytes),
// then the 16 bytes of nibbles of rows 0, 2, 4, 6 and of rows 1, 3, 5, 7 (64 bytes each).
constexpr size_t kTile8B32Block = 8 * 18;
constexpr size_t kTile8B32Even = 16, kTile8B32Odd = 80;
void repack_tiles8_b32(const void* x, size_t bx, int64_t nr, void* out);  // tiles8.cc
// Q5_0's tile, per 32-value block: the eight rows' f16 scales (16 bytes), then per row pair its
// 64 fifth bits (8 bytes: row a's values 0-15, row b's 0-15, a's 16-31, b's 16-31, the order its
// kernel's vector holds the values in), then the rows' 16 bytes of nibbles in row order (128). Its
// kernel keeps Q5_0's own arithmetic (the AVX2 dot product's eight lanes per output, which
// llama.cpp runs; it does not repack Q5_0), reading in one load what it otherwise gathers from two
// rows.
constexpr size_t kTile8Q5_0Block = 8 * 22;
constexpr size_t kTile8Q5_0Qh = 16, kTile8Q5_0Qs = 48;
void repack_tiles8_q5_0(const void* x, size_t bx, int64_t nr, void* out);  // tiles8.cc
// Q5_1's the same with the eight rows' f16 mins after their scales (at kTile8MinsAt), Q4_1's
// without the fifth bits.
constexpr size_t kTile8MinsAt = 16;
constexpr size_t kTile8Q5_1Block = 8 * 24;
constexpr size_t kTile8Q5_1Qh = 32, kTile8Q5_1Qs = 64;
void repack_tiles8_q5_1(const void* x, size_t bx, int64_t nr, void* out);  // tiles8.cc
constexpr size_t kTile8Q4_1Block = 8 * 20;
constexpr size_t kTile8Q4_1Qs = 32;
void repack_tiles8_q4_1(const void* x, size_t bx, int64_t nr, void* out);  // tiles8.cc

// Float weights (F32, F16, BF16) against two or more activation rows, in llama.cpp's arithmetic
// for them: its CPU backend sends those products through llamafile's tinyBLAS whenever the rows
// come in fours and n in whole steps of its vector (quant_tinyblas_applies), and tinyBLAS keeps one
// vector accumulator per output, acc = fma(w[i..i+L], a[i..i+L], acc) for i = 0, L, 2L, ..., then
// one horizontal sum (its vec_dot keeps four accumulators over 4L-value steps). L is 8 on AVX2
// (then hsum_ps), 16 on AVX-512 (then _mm512_reduce_add_ps), and BF16 with AVX512_BF16 steps 32
// values with vdpbf16ps (simd_avx512_bf16.cc). y holds the activations already rounded to the type's
// vec_dot_type and widened back to f32 (exact), so no kernel converts an activation per use; by in
// bytes. Same s layout as gemm_fn.
using gemm_tinyblas_fn = gemm_fn;
inline bool quant_tinyblas_applies(int64_t rows, int64_t n, int64_t batch, int step) { return batch >= 2 && rows % 4 == 0 && n % step == 0; }

struct QuantTraits {
  int type;
  const char* name;
  int block_size;
  int type_size;
  int vec_dot_type;                 // activation format the dot product consumes
  dequantize_row_fn dequantize_row;  // scalar, reference-exact
  quantize_row_fn from_float;        // only for activation formats (F32/F16/BF16/Q8_0/Q8_K)
  vec_dot_fn vec_dot[ISA_COUNT];     // null = not specialised at that ISA (falls back downwards)
  gemm_fn gemm[ISA_COUNT];           // null = loop over vec_dot of the same ISA
  gemm_rows8_fn gemm_rows8[ISA_COUNT];  // null = the type has no rows-of-8 arithmetic (see above)
  gemm_tinyblas_fn gemm_tinyblas[ISA_COUNT];  // null = llama.cpp does not send the type to tinyBLAS
  // The rows-of-8 arithmetic applies whatever buffer llama.cpp keeps the weights in (IQ4_XS's IQ
  // panel decodes from the plain layout), so also to matrices it does not repack (a tied output).
  bool rows8_unrepacked = false;
  repack_tiles8_fn repack_tiles8 = nullptr;  // null: the type has no repacked layout (see above)
  gemm_rows8_fn gemm_tiles8[ISA_COUNT] = {};  // null: that ISA reads ggml's layout only
};

// The one table (traits.cc). Returns null for types we cannot compute with.
const QuantTraits* quant_traits(int type);
// All computable weight types, in table order.
const QuantTraits* const* quant_traits_all(int* count);
// The dot product to use for `type` at the active ISA (falls back to the best lower ISA).
vec_dot_fn quant_vec_dot(const QuantTraits* t, int isa);
// The tiled kernel matching quant_vec_dot(t, isa) bit for bit, or null when that ISA has none.
gemm_fn quant_gemm(const QuantTraits* t, int isa);
// The rows-of-8 kernel at the best ISA up to `isa`, or null when the type has none.
gemm_rows8_fn quant_gemm_rows8(const QuantTraits* t, int isa);
// The repacked-tile kernel at exactly `isa` (where it runs), or null: a matrix repacked for one ISA
// is read by that ISA's kernel, and any other ISA reads ggml's layout.
gemm_rows8_fn quant_gemm_tiles8(const QuantTraits* t, int isa);
// Whether a matrix of `rows` rows of the type can be held in repacked tiles: the type has a
// layout, and the rows fill whole tiles.
inline bool quant_tiles8_fit(const QuantTraits* t, int64_t rows) { return t->repack_tiles8 && rows % 8 == 0; }
// The tinyBLAS-order kernel at the best ISA up to `isa`, or null when the type has none.
gemm_tinyblas_fn quant_gemm_tinyblas(const QuantTraits* t, int isa);
// The values per step of that kernel (8, 16 or 32): n must be a multiple for llama.cpp to take it.
int quant_tinyblas_step(const QuantTraits* t, int isa);
size_t quant_row_size(int type, int64_t n);
// The activation quantiser for an activation format at an ISA (byte-identical to from_float).
quantize_row_fn quant_from_float(const QuantTraits* act, int isa);

// ---- scalar kernels, one file per type ----
#define LG_DECL_TYPE(T)                                              \
  void dequantize_row_##T(const void* x, float* y, int64_t n);      \
  float vec_dot_##T##_scalar(int64_t n, const void* x, const void* y);
LG_DECL_TYPE(f32)
LG_DECL_TYPE(f16)
LG_DECL_TYPE(bf16)
LG_DECL_TYPE(q8_0)
LG_DECL_TYPE(q4_0)
LG_DECL_TYPE(q4_1)
LG_DECL_TYPE(q5_0)
LG_DECL_TYPE(q5_1)
LG_DECL_TYPE(q2_K)
LG_DECL_TYPE(q3_K)
LG_DECL_TYPE(q4_K)
LG_DECL_TYPE(q5_K)
LG_DECL_TYPE(q6_K)
LG_DECL_TYPE(iq4_nl)
LG_DECL_TYPE(iq4_xs)
#undef LG_DECL_TYPE

void quantize_row_f32(const float* x, void* y, int64_t n);
void quantize_row_f16(const float* x, void* y, int64_t n);
void quantize_row_bf16(const float* x, void* y, int64_t n);
void quantize_row_q8_0(const float* x, void* y, int64_t n);
void quantize_row_q8_1(const float* x, void* y, int64_t n);
void dequantize_row_q8_1(const void* x, float* y, int64_t n);
void quantize_row_q8_K(const float* x, void* y, int64_t n);
void dequantize_row_q8_K(const void* x, float* y, int64_t n);
void gemm_rows8_q4_0_scalar(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum,
                            int64_t nc, float* s, size_t bs);  // rows8.cc
void gemm_rows8_iq4_nl_scalar(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum,
                              int64_t nc, float* s, size_t bs);  // rows8.cc
void gemm_rows8_iq4_xs_scalar(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum,
                              int64_t nc, float* s, size_t bs);  // rows8.cc
void gemm_rows8_q4_K_scalar(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum,
                            int64_t nc, float* s, size_t bs);
void gemm_rows8_iq4_xs_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum,
                            int64_t nc, float* s, size_t bs);  // simd_avx2_iq4.cc
void gemm_iq4_nl_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
#define LG_DECL_TINYBLAS(T, ISA) \
  void gemm_tinyblas_##T##_##ISA(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
LG_DECL_TINYBLAS(f32, scalar)  // tinyblas.cc
LG_DECL_TINYBLAS(f16, scalar)
LG_DECL_TINYBLAS(bf16, scalar)
LG_DECL_TINYBLAS(f32, avx2)  // simd_avx2_tinyblas.cc
LG_DECL_TINYBLAS(f16, avx2)
LG_DECL_TINYBLAS(bf16, avx2)

// ---- SIMD kernels (defined only when the TU is compiled; see CMakeLists.txt) ----
float vec_dot_f32_avx2(int64_t n, const void* x, const void* y);
float vec_dot_f16_avx2(int64_t n, const void* x, const void* y);
void gemm_f16_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
float vec_dot_q8_0_avx2(int64_t n, const void* x, const void* y);
float vec_dot_q4_0_avx2(int64_t n, const void* x, const void* y);
float vec_dot_q4_K_avx2(int64_t n, const void* x, const void* y);
float vec_dot_q6_K_avx2(int64_t n, const void* x, const void* y);
float vec_dot_q4_1_avx2(int64_t n, const void* x, const void* y);  // simd_avx2_q.cc
float vec_dot_q5_0_avx2(int64_t n, const void* x, const void* y);
float vec_dot_q5_1_avx2(int64_t n, const void* x, const void* y);
float vec_dot_iq4_nl_avx2(int64_t n, const void* x, const void* y);  // simd_avx2_iq4.cc
float vec_dot_iq4_xs_avx2(int64_t n, const void* x, const void* y);
float vec_dot_q5_K_avx2(int64_t n, const void* x, const void* y);  // simd_avx2_k.cc
float vec_dot_q2_K_avx2(int64_t n, const void* x, const void* y);
float vec_dot_q3_K_avx2(int64_t n, const void* x, const void* y);
void gemm_q3_K_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
float vec_dot_bf16_avx2(int64_t n, const void* x, const void* y);  // simd_avx2_bf16.cc
void quantize_row_f16_avx2(const float* x, void* y, int64_t n);
void quantize_row_q8_0_avx2(const float* x, void* y, int64_t n);
void quantize_row_q8_1_avx2(const float* x, void* y, int64_t n);
void quantize_row_q8_K_avx2(const float* x, void* y, int64_t n);
// Attention's value sum for one head in llama.cpp's lane order (quant/kqv_tree.h): out[0..d) from n
// positions' probabilities p and value rows v + j * vs bytes. False for a lane count it has no tree for.
bool kqv_head_f32_avx2(int lanes, bool adjacent, const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d, float* out);
bool kqv_head_f16_avx2(int lanes, bool adjacent, const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d, float* out);
bool kqv_head_f32_avx512(int lanes, bool adjacent, const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d, float* out);
bool kqv_head_f16_avx512(int lanes, bool adjacent, const float* p, const uint8_t* v, size_t vs, int64_t n, int64_t d, float* out);
// The same value sums for 2..kqv_group_heads_avx512(d) heads of one GQA group at once (p[h],
// out[h]); false for another lane count.
int kqv_group_heads_avx512(int64_t d);
bool kqv_group_f16_avx512(int lanes, bool adjacent, int heads, const float* const* p, const uint8_t* v, size_t vs, int64_t n,
                          int64_t d, float* const* out);
bool kqv_group_f32_avx512(int lanes, bool adjacent, int heads, const float* const* p, const uint8_t* v, size_t vs, int64_t n,
                          int64_t d, float* const* out);
void gemm_q8_0_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_q4_0_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_q4_K_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_q6_K_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_q4_1_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_q5_0_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_q5_1_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_q5_K_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_rows8_q4_0_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum,
                          int64_t nc, float* s, size_t bs);  // simd_avx2_rows8.cc
void gemm_rows8_iq4_nl_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum,
                            int64_t nc, float* s, size_t bs);
void gemm_rows8_q4_K_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum,
                          int64_t nc, float* s, size_t bs);

float vec_dot_f32_avx512(int64_t n, const void* x, const void* y);
float vec_dot_f16_avx512(int64_t n, const void* x, const void* y);
float vec_dot_q4_1_avx512(int64_t n, const void* x, const void* y);
float vec_dot_q5_0_avx512(int64_t n, const void* x, const void* y);
float vec_dot_q5_K_avx512(int64_t n, const void* x, const void* y);
float vec_dot_q2_K_avx512(int64_t n, const void* x, const void* y);  // simd_avx512_k.cc
float vec_dot_q3_K_avx512(int64_t n, const void* x, const void* y);
void gemm_q2_K_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_q3_K_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
float vec_dot_bf16_avx512(int64_t n, const void* x, const void* y);
void gemm_f16_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_bf16_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_q6_K_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);  // simd_avx512_k.cc
void gemm_q5_K_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);  // simd_avx512_k.cc
void gemm_q4_1_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);  // simd_avx512_q8.cc
void gemm_q8_0_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);  // simd_avx512_q8.cc
void gemm_q4_0_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_q5_0_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs);
void gemm_rows8_q4_0_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum,
                            int64_t nc, float* s, size_t bs);  // simd_avx512_rows8.cc
// Its decode (nc == 1, by = 0): simd_avx512_q4_0_gemv.cc
void gemv_rows8_q4_0_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, const int32_t* ysum, float* s);
void gemm_rows8_iq4_nl_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum,
                              int64_t nc, float* s, size_t bs);
void gemv_rows8_iq4_nl_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, const int32_t* ysum, float* s);
void gemm_rows8_iq4_xs_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum,
                              int64_t nc, float* s, size_t bs);  // simd_avx512_iq4.cc
void gemm_rows8_q4_K_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum,
                            int64_t nc, float* s, size_t bs);
// The repacked-tile kernels (gemm_rows8_fn's signature), one per type with a tile layout above.
#define LG_DECL_TILES8(T) \
  void gemm_tiles8_##T##_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, const int32_t* ysum, \
                                int64_t nc, float* s, size_t bs);
LG_DECL_TILES8(q4_0)  // simd_avx512_rows8.cc
LG_DECL_TILES8(iq4_nl)
LG_DECL_TILES8(q4_K)
LG_DECL_TILES8(q5_0)  // simd_avx512_q8.cc
LG_DECL_TILES8(q5_1)
LG_DECL_TILES8(q4_1)
#undef LG_DECL_TILES8
void gemv_tiles8_q4_0_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, const int32_t* ysum, float* s);
void gemv_tiles8_iq4_nl_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, const int32_t* ysum, float* s);
LG_DECL_TINYBLAS(f32, avx512)  // simd_avx512_tinyblas.cc
LG_DECL_TINYBLAS(f16, avx512)
LG_DECL_TINYBLAS(bf16, avx512)
float vec_dot_bf16_avx512bf16(int64_t n, const void* x, const void* y);  // simd_avx512_bf16.cc (AVX512_BF16 CPUs only)
void dot_bf16_x4_avx512bf16(int64_t n, const uint8_t* x, int64_t xs, const void* y, float* out);  // four rows x + k xs (ditto)
LG_DECL_TINYBLAS(bf16, avx512bf16)
#undef LG_DECL_TINYBLAS

// simd_neon.cc (AArch64 only; no gemm or rows-of-8 kernels: those use the vec_dot loop / nothing).
float vec_dot_f32_neon(int64_t n, const void* x, const void* y);
float vec_dot_f16_neon(int64_t n, const void* x, const void* y);
float vec_dot_bf16_neon(int64_t n, const void* x, const void* y);
float vec_dot_q8_0_neon(int64_t n, const void* x, const void* y);
float vec_dot_q4_0_neon(int64_t n, const void* x, const void* y);
float vec_dot_q4_1_neon(int64_t n, const void* x, const void* y);
float vec_dot_q5_0_neon(int64_t n, const void* x, const void* y);
float vec_dot_q5_1_neon(int64_t n, const void* x, const void* y);
float vec_dot_iq4_nl_neon(int64_t n, const void* x, const void* y);
float vec_dot_iq4_xs_neon(int64_t n, const void* x, const void* y);
float vec_dot_q2_K_neon(int64_t n, const void* x, const void* y);
float vec_dot_q3_K_neon(int64_t n, const void* x, const void* y);
float vec_dot_q4_K_neon(int64_t n, const void* x, const void* y);
float vec_dot_q5_K_neon(int64_t n, const void* x, const void* y);
float vec_dot_q6_K_neon(int64_t n, const void* x, const void* y);

}  // namespace lg
