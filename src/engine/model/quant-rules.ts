import { GGMLType, GGML_TYPE_GEOMETRY } from '../quant/ggml-type.js';
import { isAttnVLike, layerOf, type QuantModel, tensorCategory } from './quant-model.js';

/**
 * llama-quantize's rules (llama-quant.cpp at the llama.cpp commit node-llama-cpp pins), restated
 * for the file types we can write: which tensors it quantises at all, the type a mix gives each
 * tensor, and the substitutes when a row does not hold whole blocks. The IQ1-IQ3, TQ and MXFP4
 * branches are left out: no file type we offer reaches them. IQ4_NL and IQ4_XS files are written
 * without an importance matrix, as all of ours are.
 */

/** The llama_ftype values whose rules are stated here (llama.h). */
export const FTYPE = {
  ALL_F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q8_0: 7, Q5_0: 8, Q5_1: 9, Q2_K: 10, Q3_K_S: 11, Q3_K_M: 12, Q3_K_L: 13,
  Q4_K_S: 14, Q4_K_M: 15, Q5_K_S: 16, Q5_K_M: 17, Q6_K: 18, IQ4_NL: 25, IQ4_XS: 30, BF16: 32,
} as const;

export interface RuleTensor {
  readonly name: string;
  readonly dims: readonly number[];
}

/** Whether llama.cpp quantises this tensor at all; the others are copied in their own type. */
export function quantisable(t: RuleTensor): boolean {
  if (significantDims(t.dims) < 2 || !t.name.endsWith('weight') || t.name.includes('_norm.weight')) return false;
  if (t.name === 'position_embd.weight' || t.name === 'token_types.weight') return false;
  return !NEVER_QUANTISED.some((part) => t.name.includes(part));
}

/** The type an ftype's mix gives a quantisable tensor, before the fallbacks (llama_tensor_get_type_impl). */
export function mixType(ftype: number, type: GGMLType, t: RuleTensor, m: QuantModel): GGMLType {
  const c = tensorCategory(t.name);
  if (c === 'output' || (c === 'token_embd' && m.tiedEmbeddings)) {
    if (m.arch === 'falcon' || (t.dims[0] ?? 0) % blockSize(type) !== 0) return GGMLType.Q8_0;
    return type === GGMLType.Q8_0 ? type : GGMLType.Q6_K;
  }
  if (isAttnVLike(c)) return attnV(ftype, type, t.name, m);
  if (c === 'attn_k') return m.expertCount === 8 ? GGMLType.Q8_0 : type;
  if (c === 'ffn_down') return ffnDown(ftype, type, t.name, m);
  if (c === 'attn_output') return attnOutput(ftype, type, m);
  // attn_qkv has its own branch in llama.cpp, after the attn_v-like one that already takes it;
  // ffn_gate and ffn_up only change under IQ3_XS.
  return type;
}

/**
 * ggml's substitute when a row is not a whole number of the type's blocks (tensor_type_fallback):
 * a 32-block type of about the same size, or F16 when even that does not fit.
 */
export function fallbackType(type: GGMLType, rowLength: number): GGMLType {
  if (rowLength % blockSize(type) === 0) return type;
  const smaller = K_FALLBACK.get(type) ?? type;
  return rowLength % blockSize(smaller) === 0 ? smaller : GGMLType.F16;
}

export function blockSize(type: GGMLType): number {
  return GGML_TYPE_GEOMETRY.get(type)?.blockSize ?? 1;
}

/** llama.cpp's use_more_bits: the first and last eighth of the layers, and every third one between. */
export function useMoreBits(i: number, n: number): boolean {
  const eighth = Math.floor(n / 8);
  return i < eighth || i >= Math.floor((7 * n) / 8) || (i - eighth) % 3 === 2;
}

const K_FALLBACK = new Map<GGMLType, GGMLType>([
  [GGMLType.Q2_K, GGMLType.Q4_0],
  [GGMLType.Q3_K, GGMLType.Q4_0],
  [GGMLType.Q4_K, GGMLType.Q5_0],
  [GGMLType.Q5_K, GGMLType.Q5_1],
  [GGMLType.Q6_K, GGMLType.Q8_0],
  [GGMLType.IQ4_XS, GGMLType.IQ4_NL],
]);

/** Name parts llama.cpp never quantises (tensor_allows_quantization): routers, tiny or positional tables. */
const NEVER_QUANTISED = [
  'ffn_gate_inp.weight', 'ffn_gate_tid2eid.weight', 'altup', 'laurel', 'per_layer_model_proj', 'ssm_conv1d',
  'shortconv.conv.weight', 'indexer.k_proj.weight', 'indexer.q_proj.weight', 'time_mix_first.weight',
  'time_mix_w0.weight', 'time_mix_w1.weight', 'time_mix_w2.weight', 'time_mix_v0.weight', 'time_mix_v1.weight',
  'time_mix_v2.weight', 'time_mix_a0.weight', 'time_mix_a1.weight', 'time_mix_a2.weight', 'time_mix_g1.weight',
  'time_mix_g2.weight', 'time_mix_decay_w1.weight', 'time_mix_decay_w2.weight', 'time_mix_lerp_fused.weight',
  'attn_rel_b.weight', '.position_embd', 'sam.pos_embd', 'sam.neck.', 'sam.net_', '.rel_pos', '.patch_embd',
  '.patch_merger', 'a.rvq.codebook', 'mm.a.code_embd',
];

/** ggml_n_dims: trailing dimensions of 1 do not count. */
function significantDims(dims: readonly number[]): number {
  let n = dims.length;
  while (n > 1 && dims[n - 1] === 1) n--;
  return n;
}

function attnV(ftype: number, type: GGMLType, name: string, m: QuantModel): GGMLType {
  const i = m.attnVIndex.get(name) ?? 0;
  let t = type;
  if (ftype === FTYPE.Q2_K) t = m.gqa >= 4 ? GGMLType.Q4_K : GGMLType.Q3_K;
  else if (ftype === FTYPE.Q3_K_M) t = i < 2 ? GGMLType.Q5_K : GGMLType.Q4_K;
  else if (ftype === FTYPE.Q3_K_L) t = GGMLType.Q5_K;
  else if ((ftype === FTYPE.IQ4_NL || ftype === FTYPE.IQ4_XS) && m.gqa >= 4) t = GGMLType.Q5_K;
  else if ((ftype === FTYPE.Q4_K_M || ftype === FTYPE.Q5_K_M) && useMoreBits(i, m.attnVCount)) t = GGMLType.Q6_K;
  else if (ftype === FTYPE.Q4_K_S && i < 4) t = GGMLType.Q5_K;
  // 70B models share one attn_v among 8 heads: more bits there cost little.
  if (m.is70B && (t === GGMLType.Q3_K || t === GGMLType.Q4_K)) t = GGMLType.Q5_K;
  if (m.expertCount === 8) t = GGMLType.Q8_0;
  return t;
}

function ffnDown(ftype: number, type: GGMLType, name: string, m: QuantModel): GGMLType {
  // With experts llama.cpp reads the layer from the name; otherwise it counts ffn_down tensors.
  const i = m.expertCount > 1 ? layerOf(name) : (m.ffnDownIndex.get(name) ?? 0);
  const n = m.blockCount;
  const falcon = m.arch === 'falcon';
  const more = useMoreBits(i, n);
  switch (ftype) {
    case FTYPE.Q2_K: return GGMLType.Q3_K;
    case FTYPE.Q3_K_M: return i < Math.floor(n / 16) ? GGMLType.Q5_K : !falcon || more ? GGMLType.Q4_K : GGMLType.Q3_K;
    case FTYPE.Q3_K_L: return falcon ? GGMLType.Q4_K : GGMLType.Q5_K;
    case FTYPE.Q4_K_M:
      if (falcon) return i < Math.floor(n / 16) ? GGMLType.Q6_K : more ? GGMLType.Q5_K : GGMLType.Q4_K;
      return more ? GGMLType.Q6_K : type;
    case FTYPE.Q5_K_M: return more ? GGMLType.Q6_K : type;
    // llama.cpp spares the first eighth of the layers only without an importance matrix, as here.
    case FTYPE.IQ4_NL: case FTYPE.IQ4_XS: return i < Math.floor(n / 8) ? GGMLType.Q5_K : type;
    case FTYPE.Q4_K_S: return !falcon && i < Math.floor(n / 8) ? GGMLType.Q5_K : type;
    default: return type;
  }
}

function attnOutput(ftype: number, type: GGMLType, m: QuantModel): GGMLType {
  if (m.arch === 'falcon') return ftype === FTYPE.Q3_K_L ? GGMLType.Q4_K : type;
  if (m.expertCount === 8) return MOE_ATTN_OUTPUT_Q5_K.has(ftype) ? GGMLType.Q5_K : type;
  if (ftype === FTYPE.Q2_K) return GGMLType.Q3_K;
  if (ftype === FTYPE.Q3_K_M) return GGMLType.Q4_K;
  if (ftype === FTYPE.Q3_K_L) return GGMLType.Q5_K;
  return type;
}

const MOE_ATTN_OUTPUT_Q5_K = new Set<number>([FTYPE.Q2_K, FTYPE.Q3_K_S, FTYPE.Q3_K_M, FTYPE.Q4_K_S, FTYPE.Q4_K_M, FTYPE.IQ4_NL, FTYPE.IQ4_XS]);
