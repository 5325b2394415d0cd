/**
 * Bench models: synthetic GGUF files with seeded random weights and a real (cut) GPT-2 vocabulary,
 * written once and cached under bench/.cache/models/ (names encode every input). Both LocalGPT and
 * llama.cpp read the same file.
 */
import { existsSync } from 'node:fs';
import { openGGUF } from '../../src/engine/gguf/reader.js';
import { writeGGUF } from '../../src/engine/gguf/writer.js';
import { gpt2Vocabulary } from '../../src/engine/model/gpt2-vocab.js';
import { syntheticModel } from '../../src/engine/model/synthetic.js';
import { ggmlTypeName } from '../../src/engine/quant/ggml-type.js';
import { quantTypeByName } from '../../src/engine/quant/registry.js';
import type { ModelShape } from './plan.js';
import { cachePath } from './paths.js';

export const MODEL_SEED = 42;

export function modelPath(shape: ModelShape, quant: string): string {
  const m = shape;
  return cachePath('models', `${m.name}-${quant}-v${m.vocab}-e${m.embedding}-l${m.layers}-f${m.ff}-h${m.heads}x${m.headsKv}-c${m.context}-s${MODEL_SEED}-b2.gguf`);
}

export function ensureModel(shape: ModelShape, quant: string, log: (s: string) => void): string {
  const path = modelPath(shape, quant);
  if (existsSync(path)) return path;
  log(`writing ${shape.name} ${quant} (cached in bench/.cache/models) ...`);
  const t0 = performance.now();
  writeGGUF(path, syntheticModel({
    arch: shape.arch,
    vocab: gpt2Vocabulary(shape.vocab),
    embeddingLength: shape.embedding,
    blockCount: shape.layers,
    feedForwardLength: shape.ff,
    headCount: shape.heads,
    headCountKv: shape.headsKv,
    contextLength: shape.context,
    quant,
    seed: MODEL_SEED,
    name: `bench-${shape.name}-${quant}`,
  }));
  log(`  ${((performance.now() - t0) / 1e3).toFixed(1)} s`);
  return path;
}

export interface ModelCost {
  readonly parameters: number;
  /** Bytes of weights one decode step reads: every matrix, one row of token_embd. */
  readonly weightBytesPerToken: number;
  /** Multiply-adds x 2 per token through the matrices (token_embd is a lookup). */
  readonly matmulFlopsPerToken: number;
  /** The arithmetic the matrices mostly use: 'int8' for block-quantised types (activations go to Q8), else 'f32'. */
  readonly arithmetic: 'int8' | 'f32';
  readonly mainType: string;
  readonly vocabSize: number;
  readonly layers: number;
  readonly embedding: number;
}

export function modelCost(path: string): ModelCost {
  const f = openGGUF(path);
  try {
    let parameters = 0;
    let bytes = 0;
    let flops = 0;
    const byType = new Map<string, number>();
    for (const t of f.tensors) {
      parameters += t.elements;
      if (t.name === 'token_embd.weight') {
        bytes += t.byteSize / (t.dims[1] ?? 1);
        continue;
      }
      bytes += t.byteSize;
      if (t.dims.length >= 2) {
        flops += 2 * t.elements;
        const n = ggmlTypeName(t.type);
        byType.set(n, (byType.get(n) ?? 0) + t.byteSize);
      }
    }
    const mainType = [...byType.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'F32';
    const q = quantTypeByName(mainType);
    const arithmetic = q && q.blockSize > 1 ? 'int8' : 'f32';
    const tokens = f.metadata.get('tokenizer.ggml.tokens')?.value;
    const arch = String(f.metadata.get('general.architecture')?.value ?? '');
    return {
      parameters,
      weightBytesPerToken: bytes,
      matmulFlopsPerToken: flops,
      arithmetic,
      mainType,
      vocabSize: Array.isArray(tokens) ? tokens.length : 0,
      layers: Number(f.metadata.get(`${arch}.block_count`)?.value ?? 0),
      embedding: Number(f.metadata.get(`${arch}.embedding_length`)?.value ?? 0),
    };
  } finally {
    f.close();
  }
}

/** FLOPs of a prefill of n tokens: matrices, plus causal attention (QK^T and AV over n^2/2 pairs). */
export function prefillFlops(c: ModelCost, n: number): number {
  return c.matmulFlopsPerToken * n + c.layers * 2 * 2 * c.embedding * ((n * (n + 1)) / 2);
}
