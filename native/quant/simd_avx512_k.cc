// AVX-512 Q6_K x Q8_K products (decode and batches) and Q5_K decode: vec_dot_q6_K_avx2's and
// vec_dot_q5_K_avx2's arithmetic (llama.cpp's AVX2 loops, which its AVX-512 builds run too), two
// weight rows per 512-bit vector. The same instructions as the AVX2 kernels at twice the width
// (AVX512BW has maddubs and madd), so every int32 lane is the AVX2 lane's integer and the float
// steps are their own: bit for bit.
#include "pair_decode_avx512.h"
namespace lg {

namespace {

inline __m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }
inline __m512i load_pair(const uint8_t* a, const uint8_t* b) {
  return join(_mm256_loadu_si256((const __m256i*)a), _mm256_loadu_si256((const __m256i*)b));
}

// One superblock of a row pair: the 6-bit values of chunk k of half h (32 bytes per row, row 0 in
// the low 256 bits) and the int16 scales beside them, as vec_dot_q6_K_avx2 builds them.
struct PairQ6K {
  __m512i q[2][4], sc[2][4];
  __m512i scales;  // words 0-15: row a's 16 scales, 16-31: row b's
  void load(const block_q6_K& a, const block_q6_K& b) {
    const __m512i m4 = _mm512_set1_epi8(0xF), m2 = _mm512_set1_epi8(0x30);
    scales = join(q6_K_scales16(a), q6_K_scales16(b));
    for (int h = 0; h < 2; h++) {
      const __m512i l0 = load_pair(a.ql + 64 * h, b.ql + 64 * h);
      const __m512i l1 = load_pair(a.ql + 64 * h + 32, b.ql + 64 * h + 32);
      const __m512i hb = load_pair(a.qh + 32 * h, b.qh + 32 * h);
      q[h][0] = _mm512_or_si512(_mm512_and_si512(l0, m4), _mm512_and_si512(_mm512_slli_epi16(hb, 4), m2));
      q[h][1] = _mm512_or_si512(_mm512_and_si512(l1, m4), _mm512_and_si512(_mm512_slli_epi16(hb, 2), m2));
      q[h][2] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l0, 4), m4), _mm512_and_si512(hb, m2));
      q[h][3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l1, 4), m4), _mm512_and_si512(_mm512_srli_epi16(hb, 2), m2));
      // Each row's words 8h..8h+7 in both of its 128-bit lanes, then one byte shuffle a chunk.
      const __m512i half = h ? _mm512_shuffle_i64x2(scales, scales, 0xF5) : _mm512_shuffle_i64x2(scales, scales, 0xA0);
      for (int k = 0; k < 4; k++) sc[h][k] = _mm512_shuffle_epi8(half, _mm512_broadcast_i64x4(q6_K_scale_spread(k)));
    }
  }
};

// vec_dot_q6_K_avx2's offset (32 * scale * bsum per lane pair), for both rows of a pair.
inline __m512i offset_pair(const PairQ6K& w, const block_q8_K& y) {
  const __m512i bs = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)y.bsums));
  return _mm512_slli_epi32(_mm512_madd_epi16(bs, w.scales), 5);
}

struct Q6KTiles : GemmOperands {
  int64_t nb;
  bool prefetch;  // decode: fetch the next tile's rows (off when the rows are streams: decode_streams)
  template <int H, int C>
  void tile(int64_t r0, int64_t c0) const {
    constexpr int P = H / 2;
    const uint8_t* xr = x + r0 * bx;
    const uint8_t* yc = y + c0 * by;
    if (H % 2) {  // a last odd row: the AVX2 dot product, the same arithmetic
      for (int c = 0; c < C; c++) s[(c0 + c) * bs + r0 + H - 1] = vec_dot_q6_K_avx2(nb * QK_K, xr + (H - 1) * bx, yc + c * by);
    }
    if (P == 0) return;
    __m512 acc[P > 0 ? P : 1][C];
    for (int p = 0; p < P; p++)
      for (int c = 0; c < C; c++) acc[p][c] = _mm512_setzero_ps();
    PrefetchShare pf(xr + H * bx, C == 1 && prefetch ? H * bx : 0, nb);  // decode: the next tile's rows
    for (int64_t i = 0; i < nb; i++) {
      pf.step();
      const block_q8_K* yb[C];
      for (int c = 0; c < C; c++) yb[c] = (const block_q8_K*)(yc + c * by) + i;
      for (int p = 0; p < P; p++) {
        const block_q6_K& a = *((const block_q6_K*)(xr + 2 * p * bx) + i);
        const block_q6_K& b = *((const block_q6_K*)(xr + (2 * p + 1) * bx) + i);
        PairQ6K w;
        w.load(a, b);
        const __m512 dw = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(_cvtsh_ss(a.d))), _mm256_set1_ps(_cvtsh_ss(b.d)), 1);
        for (int c = 0; c < C; c++) {
          __m512i sumi = _mm512_setzero_si512();
          for (int h = 0; h < 2; h++)
            for (int k = 0; k < 4; k++) {
              const __m512i yv = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(yb[c]->qs + 128 * h + 32 * k)));
              sumi = _mm512_add_epi32(sumi, _mm512_madd_epi16(_mm512_maddubs_epi16(w.q[h][k], yv), w.sc[h][k]));
            }
          sumi = _mm512_sub_epi32(sumi, offset_pair(w, *yb[c]));
          const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(yb[c]->d));
          acc[p][c] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(sumi), acc[p][c]);
        }
      }
    }
    for (int c = 0; c < C; c++) {
      float* out = s + (c0 + c) * bs + r0;
      for (int p = 0; p < P; p++) {
        out[2 * p] = hsum_ps(_mm512_castps512_ps256(acc[p][c]));
        out[2 * p + 1] = hsum_ps(_mm512_extractf32x8_ps(acc[p][c], 1));
      }
    }
  }
};

// ---- Q5_K decode: vec_dot_q5_K_avx2's arithmetic (simd_avx2_k.cc), two rows per 512-bit vector.
// The same maddubs / madd steps at twice the width give each row's half the AVX2 lanes' integers,
// and the float steps (one fma per superblock, the mins as a scalar fma chain added at the end) are
// the AVX2 kernel's: each output equals vec_dot_q5_K_avx2 bit for bit.

// 0x10 in each byte whose bit b of qh is set (both rows' halves): simd_avx2_k.cc's q5k_high.
inline __m512i q5k_high512(__m512i qh, int b) {
  const __m512i sh = b <= 4 ? _mm512_sll_epi16(qh, _mm_cvtsi32_si128(4 - b)) : _mm512_srl_epi16(qh, _mm_cvtsi32_si128(b - 4));
  return _mm512_and_si512(sh, _mm512_set1_epi8(0x10));
}

// A row's eight sub-block scales (bytes of sc8) as int16 in both 128-bit lanes of its 256-bit half,
// so one byte shuffle spreads scale k over the half (word_spread).
inline __m256i scales_twice(uint64_t sc8) {
  return _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)sc8)));
}
inline __m512i word_spread(int k) { return _mm512_set1_epi16((short)((2 * k + 1) << 8 | 2 * k)); }

// Q5_K decode (PairDecode): the AVX2 kernel's steps per 64-value chunk pair, both rows at once.
struct Q5K {
  using Block = block_q5_K;
  using ActBlock = block_q8_K;
  static constexpr int64_t kValues = QK_K;
  struct Act {
    const block_q8_K& y;
    explicit Act(const block_q8_K& b) : y(b) {}
  };
  static float dot(int64_t n, const void* x, const void* y) { return vec_dot_q5_K_avx2(n, x, y); }
  static void pair(const Block& a, const Block& b, const Act& act, __m512& acc, float& ca, float& cb) {
    const block_q8_K& y = act.y;
    const __m512i m4 = _mm512_set1_epi8(0xF);
    uint64_t sca, mna, scb, mnb;
    scales_mins_k4_words(a.scales, sca, mna);
    scales_mins_k4_words(b.scales, scb, mnb);
    ca = fmadd_ss(-y.d * _cvtsh_ss(a.dmin), (float)kquant_min_sum(_mm_cvtsi64_si128((long long)mna), y.bsums), ca);
    cb = fmadd_ss(-y.d * _cvtsh_ss(b.dmin), (float)kquant_min_sum(_mm_cvtsi64_si128((long long)mnb), y.bsums), cb);
    const __m512i sc = join(scales_twice(sca), scales_twice(scb));
    const __m512i qh = load_pair(a.qh, b.qh);
    __m512i sumi = _mm512_setzero_si512();
    for (int j = 0; j < QK_K / 64; j++) {
      const __m512i bits = load_pair(a.qs + 32 * j, b.qs + 32 * j);
      const __m512i q0 = _mm512_or_si512(_mm512_and_si512(bits, m4), q5k_high512(qh, 2 * j));
      const __m512i q1 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(bits, 4), m4), q5k_high512(qh, 2 * j + 1));
      const __m512i p0 = _mm512_maddubs_epi16(q0, _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y.qs + 64 * j))));
      const __m512i p1 = _mm512_maddubs_epi16(q1, _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y.qs + 64 * j + 32))));
      sumi = _mm512_add_epi32(sumi, _mm512_add_epi32(_mm512_madd_epi16(p0, _mm512_shuffle_epi8(sc, word_spread(2 * j))),
                                                     _mm512_madd_epi16(p1, _mm512_shuffle_epi8(sc, word_spread(2 * j + 1)))));
    }
    acc = _mm512_fmadd_ps(halves(y.d * _cvtsh_ss(a.d), y.d * _cvtsh_ss(b.d)), _mm512_cvtepi32_ps(sumi), acc);
  }
};

}  // namespace

// Q5_K: decode in row pairs (pair_decode_avx512.h); batches take the AVX2 tiles, whose arithmetic
// this is.
void gemm_q5_K_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  if (nc != 1) return gemm_q5_K_avx2(n, x, bx, nr, y, by, nc, s, bs);
  pair_decode<Q5K>(n, x, bx, nr, y, s);
}

void gemm_q6_K_avx512(int64_t n, const void* x, size_t bx, int64_t nr, const void* y, size_t by, int64_t nc, float* s, size_t bs) {
  const uint8_t* xb = (const uint8_t*)x;
  const int64_t nb = n / QK_K;
  if (nc == 1) {  // decode: the row pairs as two streams of rows (tile_drive.h); four streams measured slower
    drive_decode<2>(xb, bx, nr, s, [&](const uint8_t* rows, size_t rs, float* out, bool prefetch) {
      return Q6KTiles{{rows, rs, (const uint8_t*)y, by, out, bs}, nb, prefetch};
    });
    return;
  }
  drive_tiles<2, 4>(nr, nc, Q6KTiles{{xb, bx, (const uint8_t*)y, by, s, bs}, nb, true});
}

}  // namespace lg
