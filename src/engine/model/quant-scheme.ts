import { GGMLType } from '../quant/ggml-type.js';
import { quantTypeByName } from '../quant/registry.js';

/**
 * How a whole model is quantised: one type for every matrix ('Q4_0', 'F16', ...) or a
 * llama-quantize-style mix ('Q4_K_M', 'Q5_K_M'). Norms and biases always stay F32, as in ggml.
 */
export type QuantScheme = string;

export const QUANT_SCHEMES: readonly QuantScheme[] = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q4_K', 'Q5_K', 'Q6_K', 'Q3_K', 'Q2_K', 'Q4_K_M', 'Q5_K_M'];

/** The ggml type a tensor gets under a scheme, with ggml's fallbacks for rows that are not whole 256-blocks. */
export function tensorTypeFor(scheme: QuantScheme, name: string, dims: readonly number[]): GGMLType {
  if (dims.length < 2 || name.endsWith('.bias') || name.endsWith('_norm.weight') || name === 'rope_freqs.weight') return GGMLType.F32;
  let type = choose(scheme, name);
  if (dims[0] % 256 !== 0) type = K_FALLBACK.get(type) ?? type;
  return type;
}

/** llama-quantize's substitutes when a row cannot hold whole super-blocks (llama-quant.cpp). */
const K_FALLBACK = new Map<GGMLType, GGMLType>([
  // llama-quant.cpp's tensor_type_fallback at the pinned commit demotes Q2_K and Q3_K to Q4_0; some
  // llama.cpp versions used IQ4_NL there instead, which we do not have, so Q4_0 is our choice either way.
  [GGMLType.Q2_K, GGMLType.Q4_0],
  [GGMLType.Q3_K, GGMLType.Q4_0],
  [GGMLType.Q4_K, GGMLType.Q5_0],
  [GGMLType.Q5_K, GGMLType.Q5_1],
  [GGMLType.Q6_K, GGMLType.Q8_0],
]);

const K_MIXES = new Map<string, GGMLType>([
  ['Q4_K_M', GGMLType.Q4_K],
  ['Q5_K_M', GGMLType.Q5_K],
]);

function choose(scheme: QuantScheme, name: string): GGMLType {
  const upper = scheme.toUpperCase();
  const mix = K_MIXES.get(upper);
  if (mix !== undefined) {
    // The shape of llama.cpp's _M mixes: Q6_K where quantisation error hurts most, the mix's type elsewhere.
    if (name === 'output.weight' || name.endsWith('attn_v.weight') || name.endsWith('ffn_down.weight')) return GGMLType.Q6_K;
    return mix;
  }
  const t = quantTypeByName(upper);
  if (!t) throw new Error(`unknown quantisation scheme "${scheme}" (known: ${QUANT_SCHEMES.join(', ')})`);
  // Real "Q4_0"/"Q4_1"/"Q5_0"/"Q5_1" files keep the output matrix in Q6_K; we do as they do.
  if (name === 'output.weight' && ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1'].includes(t.name)) return GGMLType.Q6_K;
  return t.type;
}
