import { GGMLType } from './ggml-type.js';
import { quantType } from './registry.js';
import { dequantizeQ8K, quantizeQ8K } from './q8_k.js';

/**
 * ggml's CPU backend never multiplies a quantised weight by float activations: it first converts
 * the activations to the weight type's "vec_dot_type" (Q8_0 for the 32-blocks, Q8_K for the
 * K-quants, F16/BF16 for the half types) and takes an integer or half-precision dot product.
 * The reference backend rounds activations the same way, so it computes what llama.cpp computes
 * (up to summation order), and greedy continuations agree token for token.
 */
export function activationTypeFor(weightType: number): GGMLType {
  switch (weightType) {
    case GGMLType.F16: return GGMLType.F16;
    case GGMLType.BF16: return GGMLType.BF16;
    case GGMLType.Q4_0: case GGMLType.Q5_0: case GGMLType.Q8_0: return GGMLType.Q8_0;
    // Q8_1 holds the same values as Q8_0 plus a precomputed block sum.
    case GGMLType.Q4_1: case GGMLType.Q5_1: return GGMLType.Q8_1;
    case GGMLType.Q2_K: case GGMLType.Q3_K: case GGMLType.Q4_K: case GGMLType.Q5_K: case GGMLType.Q6_K: return GGMLType.Q8_K;
    default: return GGMLType.F32;
  }
}

/** The activations as the dot product with a `weightType` matrix sees them. */
export function roundActivations(weightType: number, x: Float32Array): Float32Array {
  const act = activationTypeFor(weightType);
  if (act === GGMLType.F32) return x;
  const out = new Float32Array(x.length);
  if (act === GGMLType.Q8_K) {
    if (x.length % 256 !== 0) throw new RangeError(`a Q8_K activation row must be whole 256-blocks, got ${x.length}`);
    dequantizeQ8K(quantizeQ8K(x), out);
    return out;
  }
  const codec = quantType(act === GGMLType.Q8_1 ? GGMLType.Q8_0 : act);
  codec.dequantize(codec.quantize(x), out);
  return out;
}
