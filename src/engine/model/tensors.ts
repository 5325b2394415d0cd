import type { ModelConfig } from './config.js';
import { ModelError } from './errors.js';

/** The GGUF tensor names and shapes (ggml order) each architecture needs, optional ones marked. */
export interface TensorSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly optional?: boolean;
}

export function expectedTensors(c: ModelConfig): TensorSpec[] {
  const d = c.embeddingLength;
  const q = c.headCount * c.headDim;
  const kv = c.headCountKv * c.headDim;
  const ff = c.feedForwardLength;
  const specs: TensorSpec[] = [
    { name: 'token_embd.weight', dims: [d, c.vocabSize] },
    { name: 'output_norm.weight', dims: [d] },
    { name: 'output.weight', dims: [d, c.vocabSize], optional: c.tiedEmbeddings },
  ];
  if (c.arch === 'gpt2') {
    specs.push({ name: 'position_embd.weight', dims: [d, c.trainContextLength] }, { name: 'output_norm.bias', dims: [d] });
  }
  for (let i = 0; i < c.blockCount; i++) {
    const b = `blk.${i}.`;
    if (c.arch === 'gpt2') {
      specs.push(
        { name: `${b}attn_norm.weight`, dims: [d] },
        { name: `${b}attn_norm.bias`, dims: [d] },
        { name: `${b}attn_qkv.weight`, dims: [d, q + 2 * kv] },
        { name: `${b}attn_qkv.bias`, dims: [q + 2 * kv] },
        { name: `${b}attn_output.weight`, dims: [q, d] },
        { name: `${b}attn_output.bias`, dims: [d] },
        { name: `${b}ffn_norm.weight`, dims: [d] },
        { name: `${b}ffn_norm.bias`, dims: [d] },
        { name: `${b}ffn_up.weight`, dims: [d, ff] },
        { name: `${b}ffn_up.bias`, dims: [ff] },
        { name: `${b}ffn_down.weight`, dims: [ff, d] },
        { name: `${b}ffn_down.bias`, dims: [d] },
      );
      continue;
    }
    const biased = c.arch === 'qwen2';
    specs.push(
      { name: `${b}attn_norm.weight`, dims: [d] },
      { name: `${b}attn_q.weight`, dims: [d, q] },
      { name: `${b}attn_k.weight`, dims: [d, kv] },
      { name: `${b}attn_v.weight`, dims: [d, kv] },
      { name: `${b}attn_q.bias`, dims: [q], optional: !biased },
      { name: `${b}attn_k.bias`, dims: [kv], optional: !biased },
      { name: `${b}attn_v.bias`, dims: [kv], optional: !biased },
      { name: `${b}attn_output.weight`, dims: [q, d] },
      { name: `${b}ffn_norm.weight`, dims: [d] },
      { name: `${b}ffn_gate.weight`, dims: [d, ff] },
      { name: `${b}ffn_up.weight`, dims: [d, ff] },
      { name: `${b}ffn_down.weight`, dims: [ff, d] },
    );
  }
  if (c.ropeType !== 'none') specs.push({ name: 'rope_freqs.weight', dims: [c.ropeDims / 2], optional: true });
  return specs;
}

/** Every required tensor present with the right shape; optional ones right when present. */
export function checkTensors(c: ModelConfig, shapes: ReadonlyMap<string, readonly number[]>): void {
  for (const spec of expectedTensors(c)) {
    const dims = shapes.get(spec.name);
    if (!dims) {
      if (spec.optional) continue;
      throw new ModelError(`missing tensor ${spec.name} (needed by ${c.arch})`);
    }
    const trimmed = trimTrailingOnes(dims);
    if (trimmed.length !== spec.dims.length || trimmed.some((x, i) => x !== spec.dims[i])) {
      throw new ModelError(`tensor ${spec.name} is [${dims.join(', ')}], expected [${spec.dims.join(', ')}] from the hyperparameters`);
    }
  }
}

function trimTrailingOnes(dims: readonly number[]): readonly number[] {
  let n = dims.length;
  while (n > 1 && dims[n - 1] === 1) n--;
  return dims.slice(0, n);
}
