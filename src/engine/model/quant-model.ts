import type { GGUFMetadata } from '../gguf/types.js';
import type { ModelConfig } from './config.js';

/**
 * What llama-quantize's per-tensor rules look at besides a tensor's own name and shape: the layer
 * count, grouped-query attention, experts, the architecture, whether output.weight exists, and
 * where each attn_v-like tensor falls in the order llama.cpp visits them.
 */
export interface QuantModelInput {
  readonly arch: string;
  readonly blockCount: number;
  readonly headCount: number;
  readonly headCountKv: number;
  /** 0 for dense models. */
  readonly expertCount: number;
  /** Every tensor the file holds, in any order. */
  readonly tensorNames: readonly string[];
}

export interface QuantModel {
  readonly arch: string;
  readonly blockCount: number;
  /** n_head / n_head_kv in whole numbers, as llama.cpp's hparams give it (0 without kv heads). */
  readonly gqa: number;
  readonly expertCount: number;
  /** No output.weight: token_embd is the output matrix too, and gets its type. */
  readonly tiedEmbeddings: boolean;
  /** llama.cpp classes this model as 70B (its attn_v rules differ there). */
  readonly is70B: boolean;
  /** How many attn_v-like tensors the file holds. */
  readonly attnVCount: number;
  /** Each attn_v-like tensor's place in llama.cpp's visiting order. */
  readonly attnVIndex: ReadonlyMap<string, number>;
  /** Each quantisable ffn_down tensor's place in that order (llama.cpp's layer counter for dense models). */
  readonly ffnDownIndex: ReadonlyMap<string, number>;
}

/** How llama.cpp's quantiser groups tensors; the first matching name rule wins, as there. */
export type TensorCategory = 'output' | 'token_embd' | 'attn_qkv' | 'attn_kv_b' | 'attn_v' | 'attn_k' | 'attn_q' | 'attn_output' | 'ffn_up' | 'ffn_gate' | 'ffn_down' | 'other';

export function tensorCategory(name: string): TensorCategory {
  if (name === 'output.weight') return 'output';
  if (name === 'token_embd.weight' || name === 'per_layer_token_embd.weight') return 'token_embd';
  for (const [part, category] of SUBSTRING_CATEGORIES) if (name.includes(part)) return category;
  return 'other';
}

/** attn_v and the fused tensors that hold it: the rules treat them alike. */
export function isAttnVLike(c: TensorCategory): boolean {
  return c === 'attn_v' || c === 'attn_qkv' || c === 'attn_kv_b';
}

/** The block index in a "blk.N." name, -1 for tensors outside the blocks (as llama.cpp's sscanf leaves it). */
export function layerOf(name: string): number {
  const m = /^blk\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : -1;
}

export function quantModel(input: QuantModelInput): QuantModel {
  // llama.cpp walks its weights map, which sorts by block index, then by name.
  const order = [...input.tensorNames].sort((a, b) => layerOf(a) - layerOf(b) || (a < b ? -1 : a > b ? 1 : 0));
  const attnVIndex = new Map<string, number>();
  const ffnDownIndex = new Map<string, number>();
  for (const name of order) {
    const c = tensorCategory(name);
    if (isAttnVLike(c)) attnVIndex.set(name, attnVIndex.size);
    // Only the tensors the rules are asked about move llama.cpp's ffn_down counter: the weights, not biases.
    if (c === 'ffn_down' && name.endsWith('weight')) ffnDownIndex.set(name, ffnDownIndex.size);
  }
  const gqa = input.headCountKv > 0 ? Math.floor(input.headCount / input.headCountKv) : 0;
  return {
    arch: input.arch,
    blockCount: input.blockCount,
    gqa,
    expertCount: input.expertCount,
    tiedEmbeddings: !input.tensorNames.includes('output.weight'),
    is70B: is70B(input),
    attnVCount: attnVIndex.size,
    attnVIndex,
    ffnDownIndex,
  };
}

/** The rule inputs for a model we build from a config (our architectures have no experts). */
export function quantModelForConfig(config: ModelConfig, tensorNames: readonly string[]): QuantModel {
  const { arch, blockCount, headCount, headCountKv } = config;
  return quantModel({ arch, blockCount, headCount, headCountKv, expertCount: 0, tensorNames });
}

/** The rule inputs from a GGUF file's metadata and tensor names (any architecture). */
export function quantModelFromGGUF(metadata: GGUFMetadata, tensorNames: readonly string[]): QuantModel {
  const arch = String(metadata.get('general.architecture')?.value ?? '');
  const headCount = firstNumber(metadata, `${arch}.attention.head_count`) ?? 0;
  return quantModel({
    arch,
    blockCount: firstNumber(metadata, `${arch}.block_count`) ?? 0,
    headCount,
    headCountKv: firstNumber(metadata, `${arch}.attention.head_count_kv`) ?? headCount,
    expertCount: firstNumber(metadata, `${arch}.expert_count`) ?? 0,
    tensorNames,
  });
}

const SUBSTRING_CATEGORIES: readonly (readonly [string, TensorCategory])[] = [
  ['attn_qkv.weight', 'attn_qkv'],
  ['attn_kv_b.weight', 'attn_kv_b'],
  ['attn_v.weight', 'attn_v'],
  ['attn_k.weight', 'attn_k'],
  ['attn_q.weight', 'attn_q'],
  ['attn_output.weight', 'attn_output'],
  ['ffn_up', 'ffn_up'],
  ['ffn_gate', 'ffn_gate'],
  ['ffn_down', 'ffn_down'],
];

/**
 * llama.cpp's model-size classes that reach the quantiser: only 70B matters. It is decided per
 * architecture from the layer count (llama: 80 layers with grouped kv heads, else it is 65B).
 */
function is70B(m: QuantModelInput): boolean {
  if (m.arch === 'llama') return m.expertCount !== 8 && m.blockCount === 80 && m.headCount !== m.headCountKv;
  if (m.arch === 'qwen2' || m.arch === 'deci' || m.arch === 'olmo') return m.blockCount === 80;
  if (m.arch === 'jais2') return m.blockCount === 68;
  return false;
}

/** A number, or the first element of a per-layer array (llama.cpp's n_head(0) and friends). */
function firstNumber(metadata: GGUFMetadata, key: string): number | undefined {
  const v = metadata.get(key)?.value;
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : undefined;
}
