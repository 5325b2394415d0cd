// Shared helpers of the K-quant files.
#pragma once
#include <cstdint>
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
}  // namespace lg
