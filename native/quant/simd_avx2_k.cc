// AVX2 kernels of the K-quant family beyond Q4_K / Q6_K (simd_avx2.cc): Q2_K, Q3_K and Q5_K x Q8_K
// and the Q8_K activation quantiser. Same flags and run-time gate as simd_avx2.cc.
#include <cstring>
#include "quant.h"
#include "kquant_common.h"
#include "../runtime/fp16.h"
#include "simd_avx2.h"
namespace lg {

namespace {
// Chunk C (half C / 4, shift 2(C % 4)) of a Q3_K super-block: its two low bits, and 4 where its
// hmask bit is clear (`clear` = ~hmask), both unsigned for maddubs.
template <int C>
inline void q3_K_chunk(const __m256i* bits, const __m256i& clear, __m256i& low, __m256i& four) {
  low = _mm256_and_si256(_mm256_srli_epi16(bits[C / 4], 2 * (C % 4)), _mm256_set1_epi8(3));
  four = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(clear, C), _mm256_set1_epi8(1)), 2);
}
}  // namespace

// ggml's AVX2 Q2_K: per super-block the values' 8-lane sum (lane k: bytes 4k..4k+3 of every
// 32-value chunk times the scale of the half-chunk they lie in), then Q2KFloat's two FMAs (the
// mins', then the values'); hsum_ps at the end. The dot products here keep each chunk in registers:
// as a 1 x 1 TwoHalvesTiles (every chunk decoded first) they spilled and ran 0.83-0.88x.
float vec_dot_q2_K_avx2(int64_t n, const void* vx, const void* vy) {
  const block_q2_K* x = (const block_q2_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  const __m256i m3 = _mm256_set1_epi8(3);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / QK_K; i++) {
    Q2KFloat f;
    f.head(x[i]);
    __m256i half[2];
    scale_halves(_mm_and_si128(_mm_loadu_si128((const __m128i*)x[i].scales), _mm_set1_epi8(0xF)), half);
    const __m256i bits[2] = {_mm256_loadu_si256((const __m256i*)x[i].qs), _mm256_loadu_si256((const __m256i*)(x[i].qs + 32))};
    __m256i sumi = _mm256_setzero_si256();
    each_chunk([&](auto c) {
      constexpr int C = decltype(c)::value, H = C / 4, S = C % 4;
      const __m256i q = _mm256_and_si256(_mm256_srli_epi16(bits[H], 2 * S), m3);
      const __m256i p = _mm256_maddubs_epi16(q, _mm256_loadu_si256((const __m256i*)(y[i].qs + 32 * C)));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(chunk_scales<S>(half[H]), p));
    }, std::make_integer_sequence<int, 8>{});
    f.accumulate(y[i], sumi, acc);
  }
  return hsum_ps(acc);
}

// ggml's AVX2 Q3_K: per super-block an 8-lane int32 sum as Q2_K's values', then Q3KFloat's FMA,
// hsum_ps at the end. A value is its two low bits minus 4 where its hmask bit is clear; both parts
// go through maddubs (no int16 sum saturates: |2 * 4 * 128| < 2^15).
float vec_dot_q3_K_avx2(int64_t n, const void* vx, const void* vy) {
  const block_q3_K* x = (const block_q3_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / QK_K; i++) {
    Q3KFloat f;
    f.head(x[i]);
    __m256i half[2];
    scale_halves(q3_K_scales(x[i].scales), half);
    const __m256i clear = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)x[i].hmask), _mm256_set1_epi8(-1));
    const __m256i bits[2] = {_mm256_loadu_si256((const __m256i*)x[i].qs), _mm256_loadu_si256((const __m256i*)(x[i].qs + 32))};
    __m256i sumi = _mm256_setzero_si256();
    each_chunk([&](auto c) {
      constexpr int C = decltype(c)::value;
      __m256i low, four;
      q3_K_chunk<C>(bits, clear, low, four);
      const __m256i q8 = _mm256_loadu_si256((const __m256i*)(y[i].qs + 32 * C));
      const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(low, q8), _mm256_maddubs_epi16(four, q8));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(chunk_scales<C % 4>(half[C / 4]), p));
    }, std::make_integer_sequence<int, 8>{});
    f.accumulate(y[i], sumi, acc);
  }
  return hsum_ps(acc);
}

// Batches of Q3_K (TwoHalvesTiles): a row's eight chunks decoded once (q3_K_chunk, as the dot
// product decodes them) for the tile's activation rows: 1.11x prefill (500M, AVX2 forced on Zen 5). Q2_K's
// decode is too cheap to pay for its sixteen spilled vectors (0.97x): its batches take the dot.
namespace {
struct Steps256 {
  using Vec = __m256i;
  static constexpr int kSteps = 8;
  static Vec q8(const block_q8_K& y, int c) { return _mm256_loadu_si256((const __m256i*)(y.qs + 32 * c)); }
  static Vec add(const Vec& a, const Vec& b) { return _mm256_add_epi32(a, b); }
  static __m256i fold(const Vec& v) { return v; }
};
struct RowQ3K8 : Steps256, Q3KFloat {
  __m256i low[8], four[8], sc[8];
  void load(const block_q3_K& b) {
    head(b);
    __m256i half[2];
    scale_halves(q3_K_scales(b.scales), half);
    const __m256i clear = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)b.hmask), _mm256_set1_epi8(-1));
    const __m256i bits[2] = {_mm256_loadu_si256((const __m256i*)b.qs), _mm256_loadu_si256((const __m256i*)(b.qs + 32))};
    each_chunk([&](auto c) {
      constexpr int C = decltype(c)::value;
      q3_K_chunk<C>(bits, clear, low[C], four[C]);
      sc[C] = chunk_scales<C % 4>(half[C / 4]);
    }, std::make_integer_sequence<int, 8>{});
  }
  __m256i chunk(int c, const __m256i& q8) const {
    return _mm256_madd_epi16(sc[c], _mm256_sub_epi16(_mm256_maddubs_epi16(low[c], q8), _mm256_maddubs_epi16(four[c], q8)));
  }
};
template <int R, int C>
using TileQ3K8 = TwoHalvesTiles<RowQ3K8>::Tile<R, C>;
}  // namespace

void gemm_q3_K_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) return gemm_rows(vec_dot_q3_K_avx2, n, x, bx, nr, y, s);
  gemm_drive<1, 4, TileQ3K8>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}

// 0x10 in each byte whose bit b (0..7) of qh is set: Q5_K's 5th bit for the sub-block using bit b.
// 16-bit shifts are safe here: the masked bit 4 of each byte comes from that same byte for b < 8.
static inline __m256i q5k_high(__m256i qh, int b) {
  const __m256i sh = b <= 4 ? _mm256_sll_epi16(qh, _mm_cvtsi32_si128(4 - b)) : _mm256_srl_epi16(qh, _mm_cvtsi32_si128(b - 4));
  return _mm256_and_si256(sh, _mm256_set1_epi8(0x10));
}

// ggml's AVX2 Q5_K: per super-block an 8-lane int32 sum (lane k: bytes 4k..4k+3 of every 32-value
// chunk, times the chunk's scale), one FMA into the float accumulator with d = y.d * x.d, and the
// mins as a scalar FMA chain with dmin = -y.d * x.dmin, added after the lane sum.
float vec_dot_q5_K_avx2(int64_t n, const void* vx, const void* vy) {
  const block_q5_K* x = (const block_q5_K*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  const __m256i m4 = _mm256_set1_epi8(0xF);
  __m256 acc = _mm256_setzero_ps();
  float summs = 0.0f;
  for (int64_t i = 0; i < n / QK_K; i++) {
    uint8_t sc[8], mn[8];
    unpack_scales_mins_k4(x[i].scales, sc, mn);
    const float d = y[i].d * _cvtsh_ss(x[i].d);
    const float dmin = -y[i].d * _cvtsh_ss(x[i].dmin);
    summs = fmadd_ss(dmin, (float)kquant_min_sum(mn, y[i].bsums), summs);
    const __m256i qh = _mm256_loadu_si256((const __m256i*)x[i].qh);
    __m256i sumi = _mm256_setzero_si256();
    for (int j = 0; j < QK_K / 64; j++) {
      const __m256i bits = _mm256_loadu_si256((const __m256i*)(x[i].qs + 32 * j));
      const __m256i q0 = _mm256_or_si256(_mm256_and_si256(bits, m4), q5k_high(qh, 2 * j));
      const __m256i q1 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), m4), q5k_high(qh, 2 * j + 1));
      const __m256i p0 = _mm256_maddubs_epi16(q0, _mm256_loadu_si256((const __m256i*)(y[i].qs + 64 * j)));
      const __m256i p1 = _mm256_maddubs_epi16(q1, _mm256_loadu_si256((const __m256i*)(y[i].qs + 64 * j + 32)));
      sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(_mm256_madd_epi16(p0, _mm256_set1_epi16(sc[2 * j])),
                                                     _mm256_madd_epi16(p1, _mm256_set1_epi16(sc[2 * j + 1]))));
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum_ps(acc) + summs;
}

// Q5_K for TileK (simd_avx2.h): nibbles plus the 5th bit from qh; the mins as vec_dot_q5_K_avx2
// chains them (an fma with -d_a * dmin_w per superblock, added at the end).
struct Q5KBlk {
  using Block = block_q5_K;
  static inline void chunks(const Block& b, int j, __m256i& q0, __m256i& q1) {
    const __m256i m4 = _mm256_set1_epi8(0xF);
    const __m256i qh = _mm256_loadu_si256((const __m256i*)b.qh);
    const __m256i bits = _mm256_loadu_si256((const __m256i*)(b.qs + 32 * j));
    q0 = _mm256_or_si256(_mm256_and_si256(bits, m4), q5k_high(qh, 2 * j));
    q1 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), m4), q5k_high(qh, 2 * j + 1));
  }
  using Mins = float;
  static inline Mins min_zero() { return 0.0f; }
  static inline void min_step(Mins& m, float dmin_w, float d_a, const uint8_t* mn, const int16_t* bsums) {
    m = fmadd_ss(-d_a * dmin_w, (float)kquant_min_sum(mn, bsums), m);
  }
  static inline float finish(float sum, Mins m) { return sum + m; }
};
template <int R, int C> using TileQ5K = TileK<Q5KBlk>::K<R, C>;

void gemm_q5_K_avx2(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc == 1) return gemm_rows(vec_dot_q5_K_avx2, n, x, bx, nr, y, s);
  gemm_drive<2, 2, TileQ5K>(n, (const uint8_t*)x, bx, nr, (const uint8_t*)y, by, nc, s, bs);
}

// ---- Q8_K activations ----

// The 16 sums of 16 consecutive values from 32 vectors of 8 int32 (q[2j], q[2j+1] = group j).
static inline void q8k_bsums(const __m256i* q, int16_t* out) {
  __m128i s4[4];
  for (int g = 0; g < 4; g++) {
    const __m256i* v = q + 8 * g;
    const __m256i t01 = _mm256_hadd_epi32(_mm256_add_epi32(v[0], v[1]), _mm256_add_epi32(v[2], v[3]));
    const __m256i t23 = _mm256_hadd_epi32(_mm256_add_epi32(v[4], v[5]), _mm256_add_epi32(v[6], v[7]));
    const __m256i t = _mm256_hadd_epi32(t01, t23);  // groups 4g..4g+3: low half + high half
    s4[g] = _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
  }
  _mm_storeu_si128((__m128i*)out, _mm_packs_epi32(s4[0], s4[1]));
  _mm_storeu_si128((__m128i*)(out + 8), _mm_packs_epi32(s4[2], s4[3]));
}

// Byte-identical to the scalar quantize_row_q8_K (ggml's quantize_row_q8_K_ref, which is what
// llama.cpp runs on x86): the scale comes from the FIRST value of largest magnitude with its sign
// (found by a second pass once the maximum is known), iscale = -127/max, products rounded to
// nearest even. The scalar MIN(127, v) is the packs' signed saturation here (v >= -127 always), and
// lanes the scalar turns into 0 through lrintf's out-of-range result (inf/NaN products when max is
// infinite or denormal) are zeroed explicitly.
void quantize_row_q8_K_avx2(const float* x, void* vy, int64_t n) {
  block_q8_K* y = (block_q8_K*)vy;
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const int rnd = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
    __m256 m = _mm256_setzero_ps();
    // max_ps returns its second operand when the first is NaN: NaNs are skipped as by `ax > amax`
    for (int k = 0; k < QK_K / 8; k++) m = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * k)), m);
    __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    if (amax == 0.0f) {
      y[i].d = 0.0f;
      std::memset(y[i].qs, 0, sizeof y[i].qs);
      std::memset(y[i].bsums, 0, sizeof y[i].bsums);
      continue;
    }
    const __m256 av = _mm256_set1_ps(amax);
    int first = 0;
    for (int k = 0; k < QK_K / 8; k++) {
      const int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * k)), av, _CMP_EQ_OQ));
      if (hit) {
        first = 8 * k + __builtin_ctz((unsigned)hit);
        break;
      }
    }
    const float iscale = -127.0f / x[first];
    const __m256 is = _mm256_set1_ps(iscale);
    const __m256i bad = _mm256_set1_epi32(INT32_MIN);
    __m256i q[QK_K / 8];
    for (int k = 0; k < QK_K / 8; k++) {
      const __m256i v = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(is, _mm256_loadu_ps(x + 8 * k)), rnd));
      q[k] = _mm256_andnot_si256(_mm256_cmpeq_epi32(v, bad), v);
    }
    for (int k = 0; k < QK_K / 8; k += 4) {
      const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(q[k], q[k + 1]), _mm256_packs_epi32(q[k + 2], q[k + 3]));
      _mm256_storeu_si256((__m256i*)(y[i].qs + 8 * k), _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    }
    q8k_bsums(q, y[i].bsums);
    y[i].d = 1.0f / iscale;
  }
}

}  // namespace lg
