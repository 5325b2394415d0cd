// Which weight quantiser a ggml type takes (quantize_ref.h).
#include "quant.h"
#include "quantize_ref.h"
namespace lg {
quantize_ref_fn quantize_ref_for(int type) {
  switch (type) {
    // The float types convert value by value, as ggml's row converters (the scalar ones here).
    case T_F32: return quantize_row_f32;
    case T_F16: return quantize_row_f16;
    case T_BF16: return quantize_row_bf16;
    case T_Q4_0: return quantize_row_q4_0_ref;
    case T_Q4_1: return quantize_row_q4_1_ref;
    case T_Q5_0: return quantize_row_q5_0_ref;
    case T_Q5_1: return quantize_row_q5_1_ref;
    case T_Q8_0: return quantize_row_q8_0_ref;
    case T_Q2_K: return quantize_row_q2_K_ref;
    case T_Q3_K: return quantize_row_q3_K_ref;
    case T_Q4_K: return quantize_row_q4_K_ref;
    case T_Q5_K: return quantize_row_q5_K_ref;
    case T_Q6_K: return quantize_row_q6_K_ref;
    case T_IQ4_NL: return quantize_row_iq4_nl_ref;
    case T_IQ4_XS: return quantize_row_iq4_xs_ref;
    default: return nullptr;
  }
}
}  // namespace lg
