// Weight quantisers, byte-exact with what llama-quantize writes without an importance matrix
// (ggml's quantize_row_*_ref; for the i-quants quantize_iq4_nl/_xs with their scale search), so
// `localgpt quantize` and the synthetic models need not take the TypeScript registry's pace. Each
// takes n values (a whole number of the type's blocks) and writes n / block_size blocks. The
// float arithmetic is ggml's step for step: these files build with -ffp-contract=off.
#pragma once
#include <cstdint>

namespace lg {
using quantize_ref_fn = void (*)(const float* x, void* y, int64_t n);

void quantize_row_q4_0_ref(const float* x, void* y, int64_t n);  // quantize_b32.cc
void quantize_row_q4_1_ref(const float* x, void* y, int64_t n);
void quantize_row_q5_0_ref(const float* x, void* y, int64_t n);
void quantize_row_q5_1_ref(const float* x, void* y, int64_t n);
void quantize_row_q8_0_ref(const float* x, void* y, int64_t n);
void quantize_row_iq4_nl_ref(const float* x, void* y, int64_t n);  // quantize_iq4.cc
void quantize_row_iq4_xs_ref(const float* x, void* y, int64_t n);
void quantize_row_q2_K_ref(const float* x, void* y, int64_t n);  // quantize_k.cc
void quantize_row_q3_K_ref(const float* x, void* y, int64_t n);
void quantize_row_q4_K_ref(const float* x, void* y, int64_t n);
void quantize_row_q5_K_ref(const float* x, void* y, int64_t n);
void quantize_row_q6_K_ref(const float* x, void* y, int64_t n);

// The quantiser for a ggml type id (F32/F16/BF16 included), or null where there is none.
quantize_ref_fn quantize_ref_for(int type);
}  // namespace lg
