// Shared helpers of the K-quant files.
#pragma once
#include <cstdint>
#include <cstring>
namespace lg {
// 6-bit scale and min of sub-block j (0..7) packed in Q4_K/Q5_K's 12 scale bytes (ggml get_scale_min_k4).
static inline void get_scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
  }
}
// Q4_K/Q5_K scales and mins (8 each, 6-bit) unpacked from the 12 packed bytes.
static inline void unpack_scales_mins_k4(const uint8_t* s, uint8_t* sc, uint8_t* mn) {
  for (int j = 0; j < 4; j++) {
    sc[j] = s[j] & 63;
    mn[j] = s[j + 4] & 63;
  }
  for (int j = 4; j < 8; j++) {
    sc[j] = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    mn[j] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}
// Q3_K's sixteen 6-bit scales (ggml's aux shuffle in dequantize_row_q3_K), minus their bias of 32:
// scale j's low four bits are nibble j % 8 of bytes 0-7 (low nibbles for j < 8), its high two bits
// bits 2(j / 4)..+1 of byte 8 + j % 4.
static inline void unpack_scales_q3_K(const uint8_t* s, int8_t* out) {
  for (int j = 0; j < 16; j++) {
    const int lo = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
    const int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    out[j] = (int8_t)((lo | hi << 4) - 32);
  }
}
// The same eight scales and eight mins as unpack_scales_mins_k4, each set as the bytes of one
// 64-bit word (byte j = sub-block j), from three 32-bit words without byte stores: a kernel that
// loads them into a vector right after would otherwise wait on store forwarding.
static inline void scales_mins_k4_words(const uint8_t* s, uint64_t& sc, uint64_t& mn) {
  uint32_t a, b, c;
  std::memcpy(&a, s, 4);
  std::memcpy(&b, s + 4, 4);
  std::memcpy(&c, s + 8, 4);
  const uint32_t m6 = 0x3f3f3f3f, m4 = 0x0f0f0f0f, m2 = 0x03030303;
  sc = (a & m6) | (uint64_t)((c & m4) | (((a >> 6) & m2) << 4)) << 32;
  mn = (b & m6) | (uint64_t)(((c >> 4) & m4) | (((b >> 6) & m2) << 4)) << 32;
}
}  // namespace lg
