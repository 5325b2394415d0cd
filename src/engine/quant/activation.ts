import { fr, nearestInt } from './common.js';
import { GGMLType } from './ggml-type.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './half.js';
import { dequantizeQ8K, quantizeQ8K } from './q8_k.js';

/**
 * ggml's CPU backend never multiplies a quantised weight by float activations: it first converts
 * the activations to the weight type's "vec_dot_type" (Q8_0 for the 32-blocks, Q8_1 for the
 * types with a min, Q8_K for the K-quants, F16/BF16 for the half types) and takes an integer or
 * half-precision dot product. The reference backend rounds activations the same way — with the
 * conversions ggml's x86 CPU code uses, not its *_ref quantisers, which differ on ties — so it
 * computes what llama.cpp computes up to summation order.
 */
export function activationTypeFor(weightType: number): GGMLType {
  switch (weightType) {
    case GGMLType.F16: return GGMLType.F16;
    case GGMLType.BF16: return GGMLType.BF16;
    case GGMLType.Q4_0: case GGMLType.Q5_0: case GGMLType.Q8_0: case GGMLType.IQ4_NL: return GGMLType.Q8_0;
    case GGMLType.Q4_1: case GGMLType.Q5_1: return GGMLType.Q8_1;
    case GGMLType.Q2_K: case GGMLType.Q3_K: case GGMLType.Q4_K: case GGMLType.Q5_K: case GGMLType.Q6_K: case GGMLType.IQ4_XS: return GGMLType.Q8_K;
    default: return GGMLType.F32;
  }
}

export interface RoundedActivations {
  /** The activations as the dot product sees them. */
  readonly values: Float32Array;
  /**
   * Q8_1 only: each 32-block's stored sum s = f16(d * sum(q)). Dot products with Q4_1/Q5_1 use
   * it for the weights' min term instead of the sum of `values`, so a faithful dot adds
   * min * (s - sum(values)) per block.
   */
  readonly blockSums?: Float32Array;
}

export function roundActivations(weightType: number, x: Float32Array): RoundedActivations {
  switch (activationTypeFor(weightType)) {
    case GGMLType.F32: return { values: x };
    case GGMLType.F16: return { values: x.map((v) => f16ToF32(f32ToF16(v))) };
    case GGMLType.BF16: return { values: x.map((v) => bf16ToF32(f32ToBf16(v))) };
    case GGMLType.Q8_0: return quantizeQ8x86(x, false);
    case GGMLType.Q8_1: return quantizeQ8x86(x, true);
    case GGMLType.Q8_K: {
      if (x.length % 256 !== 0) throw new RangeError(`a Q8_K activation row must be whole 256-blocks, got ${x.length}`);
      const values = new Float32Array(x.length);
      dequantizeQ8K(quantizeQ8K(x), values);
      return { values };
    }
    default: throw new Error(`no activation rounding for ggml type ${weightType}`);
  }
}

/**
 * ggml's x86 quantize_row_q8_0 / q8_1: d = amax/127 stored as f16, but the multiplier is
 * 127/amax (not 1/d) and rounding is to nearest even; q8_1 also stores f16(d * sum(q)).
 */
function quantizeQ8x86(x: Float32Array, withSums: boolean): RoundedActivations {
  if (x.length % 32 !== 0) throw new RangeError(`a Q8_0 activation row must be whole 32-blocks, got ${x.length}`);
  const values = new Float32Array(x.length);
  const blockSums = withSums ? new Float32Array(x.length / 32) : undefined;
  for (let b = 0; b < x.length; b += 32) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b + j]));
    const d = fr(amax / 127);
    const id = amax !== 0 ? fr(127 / amax) : 0;
    const dStored = f16ToF32(f32ToF16(d));
    let sum = 0;
    for (let j = 0; j < 32; j++) {
      const q = nearestInt(fr(x[b + j] * id));
      sum += q;
      values[b + j] = fr(dStored * q);
    }
    if (blockSums) blockSums[b / 32] = f16ToF32(f32ToF16(fr(d * sum)));
  }
  return { values, blockSums };
}
