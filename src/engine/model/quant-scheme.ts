import { GGMLType } from '../quant/ggml-type.js';
import type { QuantModel } from './quant-model.js';
import { FTYPE, fallbackType, mixType, quantisable } from './quant-rules.js';

/**
 * How a whole model is quantised, by llama-quantize's names: the file types ('Q4_K_M', 'Q8_0',
 * 'F16', ...) with its per-tensor mixes, and our older bare K names ('Q3_K', 'Q4_K', 'Q5_K'),
 * which put every matrix in that one type as `llama-quantize --pure` does (llama-quantize itself
 * reads those three as aliases of the _M mixes; we kept their meaning for existing users).
 */
export type QuantScheme = string;

export interface ResolvedScheme {
  readonly name: string;
  /** llama.cpp's llama_ftype, written as general.file_type. */
  readonly ftype: number;
  /** The file type's main tensor type. */
  readonly type: GGMLType;
  /** Every quantisable tensor in `type` (only the fallbacks for short rows apply), as --pure. */
  readonly pure: boolean;
}

/**
 * Every spelling `resolveScheme` takes. Left out: llama.cpp's IQ1-IQ3, TQ*, MXFP4, NVFP4, Q1_0 and
 * Q2_0 file types (their main types are not in our registry; IQ2/IQ3 also want an importance matrix) and Q2_K_S (its Q2_K tensors require an
 * importance matrix, which we do not compute).
 */
export const QUANT_SCHEMES: readonly QuantScheme[] = [
  'F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K_S', 'Q3_K_M', 'Q3_K_L',
  'Q4_K_S', 'Q4_K_M', 'Q5_K_S', 'Q5_K_M', 'Q6_K', 'IQ4_NL', 'IQ4_XS', 'Q3_K', 'Q4_K', 'Q5_K',
];

export function resolveScheme(scheme: QuantScheme, options: { pure?: boolean } = {}): ResolvedScheme {
  const name = scheme.toUpperCase();
  const alias = PURE_ALIASES.get(name);
  const file = FILE_TYPES.get(alias ?? name);
  if (!file) throw new Error(`unknown quantisation scheme "${scheme}" (known: ${QUANT_SCHEMES.join(', ')})`);
  return { name, ftype: file.ftype, type: file.type, pure: alias !== undefined || options.pure === true };
}

/** The ggml type a tensor gets under a scheme, given the tensor's current type (F32 for fresh weights). */
export function tensorTypeFor(
  scheme: QuantScheme | ResolvedScheme,
  tensor: { readonly name: string; readonly dims: readonly number[]; readonly type?: GGMLType },
  model: QuantModel,
): GGMLType {
  const s = typeof scheme === 'string' ? resolveScheme(scheme) : scheme;
  if (!quantisable(tensor)) return tensor.type ?? GGMLType.F32;
  // F32, F16 and BF16 files convert every quantisable tensor and apply no rule.
  if (s.type === GGMLType.F32 || s.type === GGMLType.F16 || s.type === GGMLType.BF16) return s.type;
  const type = s.pure ? s.type : mixType(s.ftype, s.type, tensor, model);
  return fallbackType(type, tensor.dims[0] ?? 0);
}

const FILE_TYPES = new Map<string, { ftype: number; type: GGMLType }>([
  ['F32', { ftype: FTYPE.ALL_F32, type: GGMLType.F32 }],
  ['F16', { ftype: FTYPE.F16, type: GGMLType.F16 }],
  ['BF16', { ftype: FTYPE.BF16, type: GGMLType.BF16 }],
  ['Q8_0', { ftype: FTYPE.Q8_0, type: GGMLType.Q8_0 }],
  ['Q4_0', { ftype: FTYPE.Q4_0, type: GGMLType.Q4_0 }],
  ['Q4_1', { ftype: FTYPE.Q4_1, type: GGMLType.Q4_1 }],
  ['Q5_0', { ftype: FTYPE.Q5_0, type: GGMLType.Q5_0 }],
  ['Q5_1', { ftype: FTYPE.Q5_1, type: GGMLType.Q5_1 }],
  ['Q2_K', { ftype: FTYPE.Q2_K, type: GGMLType.Q2_K }],
  ['Q3_K_S', { ftype: FTYPE.Q3_K_S, type: GGMLType.Q3_K }],
  ['Q3_K_M', { ftype: FTYPE.Q3_K_M, type: GGMLType.Q3_K }],
  ['Q3_K_L', { ftype: FTYPE.Q3_K_L, type: GGMLType.Q3_K }],
  ['Q4_K_S', { ftype: FTYPE.Q4_K_S, type: GGMLType.Q4_K }],
  ['Q4_K_M', { ftype: FTYPE.Q4_K_M, type: GGMLType.Q4_K }],
  ['Q5_K_S', { ftype: FTYPE.Q5_K_S, type: GGMLType.Q5_K }],
  ['Q5_K_M', { ftype: FTYPE.Q5_K_M, type: GGMLType.Q5_K }],
  ['Q6_K', { ftype: FTYPE.Q6_K, type: GGMLType.Q6_K }],
  ['IQ4_NL', { ftype: FTYPE.IQ4_NL, type: GGMLType.IQ4_NL }],
  ['IQ4_XS', { ftype: FTYPE.IQ4_XS, type: GGMLType.IQ4_XS }],
]);

/** Pure single-type files under the _S file type's number, as `llama-quantize --pure Q4_K_S` labels them. */
const PURE_ALIASES = new Map<string, string>([
  ['Q3_K', 'Q3_K_S'],
  ['Q4_K', 'Q4_K_S'],
  ['Q5_K', 'Q5_K_S'],
]);
