// AVX-512 (VNNI) IQ4_XS batches: llama.cpp's IQ panel (iq4_panel.h) with dpbusd on the levels + 128.
#include "iq4_panel.h"
namespace lg {

void gemm_rows8_iq4_xs_avx512(int64_t n, const void* vx, size_t bx, int64_t nr, const void* vy, size_t by, const int32_t* ysum,
                              int64_t nc, float* s, size_t bs) {
  if (nc < kIq4PanelBatch) return gemm_rows8_iq4_xs_avx2(n, vx, bx, nr, vy, by, ysum, nc, s, bs);
  iq4_panel::gemm<iq4_panel::UnsignedVnni>(n, (const uint8_t*)vx, bx, nr, (const uint8_t*)vy, by, nc, s, bs);
}
}  // namespace lg
