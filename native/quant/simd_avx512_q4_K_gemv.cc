// AVX-512 Q4_K decode (one activation row) as four streams of rows: a four-row tile for the
// rows-of-8 kernel's arithmetic (q4_K_tile512_gemv, simd_avx512_rows8.cc), bit for bit.
//
// Why: the rows-of-8 tile reads eight adjacent rows; as decode streams it would walk eight, and on
// this host four streams a thread read faster than eight (Q8_0, Q4_0: bench/native-notes.md
// section 13). Here two rows share a 512-bit vector, each row's 32 bytes of a sub-block pair in
// one half (one insert per two rows), so a dpbusd against the pair's activations (laid out once per
// call, the same 32 bytes in both halves) gives each row eight partial sums of a sub-block; they
// pack to int16 (at most 4 x 15 x 128) for one dpwssd with the sub-block scales.
//
// Bit-exactness: each row's superblock sum (sum over sub-blocks of scale x products) and its mins
// term (sum of min x the sub-block's activation sum) are the same exact integers, and the float
// steps are the rows-of-8 kernel's: per superblock acc = fma(sum, d_w x d_y, acc) and accm =
// fma(mins, dmin_w x d_y, accm), the output acc - accm.
#include <cstring>
#include <vector>
#include "simd_avx2.h"
namespace lg {
namespace {

// One superblock of activations: lo[p] / hi[p] = the 32 values of sub-block 2p / 2p + 1 in both
// 256-bit halves; asum = the eight sub-block sums as int16 in every 128-bit lane.
struct SuperY {
  __m512i lo[4], hi[4];
  __m512i asum;
  float d;
};

void prepare_super(const block_q8_K* y, int64_t nb, std::vector<SuperY>& out) {
  out.resize((size_t)nb);
  for (int64_t b = 0; b < nb; b++) {
    SuperY& s = out[(size_t)b];
    for (int p = 0; p < 4; p++) {
      s.lo[p] = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y[b].qs + 64 * p)));
      s.hi[p] = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(y[b].qs + 64 * p + 32)));
    }
    const __m256i bsums = _mm256_loadu_si256((const __m256i*)y[b].bsums);
    s.asum = _mm512_broadcast_i32x4(_mm256_cvtepi32_epi16(_mm256_madd_epi16(bsums, _mm256_set1_epi16(1))));  // |32 int8| fits int16
    s.d = y[b].d;
  }
}

// A row's eight 6-bit scales (bytes 0-7 of sc) and mins (bytes 0-7 of mn): ggml's unpacking of
// the 12 packed bytes.
inline void scales_mins(const uint8_t* packed, uint64_t& sc, uint64_t& mn) {
  uint32_t u[3];
  std::memcpy(u, packed, 12);
  const uint32_t k1 = 0x3f3f3f3f, k2 = 0x0f0f0f0f, k3 = 0x03030303;
  const uint32_t sc_hi = (u[2] & k2) | (((u[0] >> 6) & k3) << 4);
  const uint32_t mn_hi = ((u[2] >> 4) & k2) | (((u[1] >> 6) & k3) << 4);
  sc = (u[0] & k1) | (uint64_t)sc_hi << 32;
  mn = (u[1] & k1) | (uint64_t)mn_hi << 32;
}

// pshufb indices that spread a row's scale bytes 2p (words 0-3 of each 128-bit lane) and 2p + 1
// (words 4-7) as int16 (0xFF: a zero high byte).
inline __m512i scale_index(int p) {
  const long long a = (long long)(0xFF00FF00FF00FF00ull + 0x0001000100010001ull * (uint64_t)(2 * p));
  const long long b = a + 0x0001000100010001ll;
  return _mm512_set_epi64(b, a, b, a, b, a, b, a);
}

// Rows 2k and 2k + 1 (at r0, r1) of superblock b: their integer sums, row 2k in lanes 0-7 and row
// 2k + 1 in lanes 8-15 (to be added up), and their mins (sc / mn bytes out).
inline __m512i row_pair(const block_q4_K* r0, const block_q4_K* r1, const SuperY& Y, uint64_t& mn0, uint64_t& mn1) {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  uint64_t sc0, sc1;
  scales_mins(r0->scales, sc0, mn0);
  scales_mins(r1->scales, sc1, mn1);
  // int16 scales per 128-bit lane: [sub-block 2p x4, 2p + 1 x4], row 2k in lanes 0-1, 2k + 1 in 2-3
  const __m512i sc = _mm512_inserti64x4(_mm512_set1_epi64((long long)sc0), _mm256_set1_epi64x((long long)sc1), 1);
  __m512i ib = _mm512_setzero_si512();
  for (int p = 0; p < 4; p++) {
    const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i*)(r0->qs + 32 * p))),
                                         _mm256_loadu_si256((const __m256i*)(r1->qs + 32 * p)), 1);
    const __m512i slo = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_and_si512(v, m4), Y.lo[p]);
    const __m512i shi = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_and_si512(_mm512_srli_epi16(v, 4), m4), Y.hi[p]);
    ib = _mm512_dpwssd_epi32(ib, _mm512_packs_epi32(slo, shi), _mm512_shuffle_epi8(sc, scale_index(p)));
  }
  return ib;
}

// Four rows (row r at x + r * rs) of nb superblocks into out[0..4).
void q4_K_rows4(int64_t nb, const uint8_t* x, size_t rs, const SuperY* ys, float* out) {
  __m128 acc = _mm_setzero_ps(), accm = _mm_setzero_ps();
  const __m512i pick = _mm512_setr_epi32(0, 8, 1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i pick_mins = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  for (int64_t b = 0; b < nb; b++) {
    const SuperY& Y = ys[b];
    const block_q4_K* r[4];
    for (int k = 0; k < 4; k++) r[k] = (const block_q4_K*)(x + k * rs) + b;
    uint64_t mn[4];
    const __m512i i01 = row_pair(r[0], r[1], Y, mn[0], mn[1]);
    const __m512i i23 = row_pair(r[2], r[3], Y, mn[2], mn[3]);
    // Lanes 0-7 / 8-15 of i01 are rows 0 / 1, of i23 rows 2 / 3: add each eight up.
    const __m512i s = _mm512_add_epi32(_mm512_unpacklo_epi32(i01, i23), _mm512_unpackhi_epi32(i01, i23));
    const __m512i s2 = _mm512_add_epi32(s, _mm512_shuffle_epi32(s, _MM_PERM_BADC));
    const __m512i t = _mm512_add_epi32(s2, _mm512_shuffle_i32x4(s2, s2, _MM_SHUFFLE(2, 3, 0, 1)));
    // t: 128-bit lane 0 = [row 0, row 2, ..], lane 2 = [row 1, row 3, ..]
    const __m128i sums = _mm512_castsi512_si128(_mm512_permutexvar_epi32(pick, t));
    const __m512i mn16 = _mm512_cvtepu8_epi16(_mm256_setr_epi64x((long long)mn[0], (long long)mn[1], (long long)mn[2], (long long)mn[3]));
    const __m512i mp = _mm512_madd_epi16(mn16, Y.asum);  // 128-bit lane k: four partials of row k
    const __m512i mq = _mm512_add_epi32(mp, _mm512_shuffle_epi32(mp, _MM_PERM_BADC));
    const __m512i mr = _mm512_add_epi32(mq, _mm512_shuffle_epi32(mq, _MM_PERM_CDAB));
    const __m128i mins = _mm512_castsi512_si128(_mm512_permutexvar_epi32(pick_mins, mr));
    // d and dmin of the four rows: their first four bytes, then halves 0, 2, 4, 6 and 1, 3, 5, 7
    uint32_t h[4];
    for (int k = 0; k < 4; k++) std::memcpy(&h[k], r[k], 4);
    const __m256 dd = _mm256_cvtph_ps(_mm_setr_epi32((int)h[0], (int)h[1], (int)h[2], (int)h[3]));
    const __m128 lo4 = _mm256_castps256_ps128(dd), hi4 = _mm256_extractf128_ps(dd, 1);
    const __m128 dw = _mm_shuffle_ps(lo4, hi4, _MM_SHUFFLE(2, 0, 2, 0)), mw = _mm_shuffle_ps(lo4, hi4, _MM_SHUFFLE(3, 1, 3, 1));
    const __m128 dy = _mm_set1_ps(Y.d);
    acc = _mm_fmadd_ps(_mm_cvtepi32_ps(sums), _mm_mul_ps(dw, dy), acc);
    accm = _mm_fmadd_ps(_mm_cvtepi32_ps(mins), _mm_mul_ps(mw, dy), accm);
  }
  _mm_storeu_ps(out, _mm_sub_ps(acc, accm));
}

}  // namespace

int64_t gemv_streams_q4_K_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, float* s) {
  const int64_t nb = n / QK_K;
  thread_local std::vector<SuperY> ys;
  bool prepared = false;
  return decode_streams<4>((const uint8_t*)vx, bx, nr, s, [&](const uint8_t* rows, size_t rs, float* out) {
    if (!prepared) {
      prepare_super((const block_q8_K*)vy, nb, ys);
      prepared = true;
    }
    q4_K_rows4(nb, rows, rs, ys.data(), out);
  });
}

}  // namespace lg
