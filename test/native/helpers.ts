/** Shared helpers of the native suites: seeded data, ggml-valid random blocks, the addon. */
import { mulberry32 as rng } from '../fixtures/random.js';
import { loadNative, nativeUnavailableReason, type NativeAddon } from '../../src/engine/native/load.js';
import { f32ToF16 } from '../../src/engine/quant/half.js';
import { expect } from 'vitest';
import type { ModelWeights, WeightTensor } from '../../src/engine/backend/backend.js';
import type { Architecture, ModelConfig } from '../../src/engine/model/config.js';
import { syntheticTensors } from '../../src/engine/model/synthetic.js';
import { quantModelForConfig } from '../../src/engine/model/quant-model.js';
import { tensorTypeFor } from '../../src/engine/model/quant-scheme.js';
import { quantType, type QuantType } from '../../src/engine/quant/registry.js';

export const native: NativeAddon | undefined = loadNative();
export const skipReason = native ? '' : nativeUnavailableReason();

export { rng };

export function gaussian(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - r();
    const v = r();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  // awkward content: an outlier, a zero run (a whole zero block for the block types)
  if (n >= 64) {
    out[Math.floor(r() * n)] = 40 * scale;
    out.fill(0, 32, 64);
  }
  return out;
}

/** Offsets (within a block) of the f16 scale fields of each block type. */
const F16_FIELDS: Record<string, number[]> = {
  Q4_0: [0], Q4_1: [0, 2], Q5_0: [0], Q5_1: [0, 2], Q8_0: [0], Q2_K: [80, 82], Q3_K: [108], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208],
};

/**
 * Random raw blocks: every quant bit pattern possible (Q8_0's -128, Q6_K's -128 scales, all 6-bit
 * K-scales), with the f16 scales set to finite small values so the sums stay finite.
 */
export function randomBlocks(t: QuantType, rows: number, cols: number, seed: number): Uint8Array | undefined {
  const fields = F16_FIELDS[t.name];
  if (!fields) return undefined;
  const r = rng(seed);
  const nb = (rows * cols) / t.blockSize;
  const out = new Uint8Array(nb * t.bytesPerBlock);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    for (const off of fields) dv.setUint16(b * t.bytesPerBlock + off, f32ToF16((r() - 0.3) * 0.02), true);
  }
  return out;
}

/** The activation formats' ids. */
export const Q8_0 = 8;
export const Q8_K = 15;

// ---- small random models (initial scales as src/engine/model/synthetic.ts) ----

export function makeConfig(arch: Architecture, over: Partial<ModelConfig> = {}): ModelConfig {
  const gpt2 = arch === 'gpt2';
  const E = 256, H = 4;
  return {
    arch,
    vocabSize: 300,
    trainContextLength: 64,
    embeddingLength: E,
    blockCount: 2,
    feedForwardLength: 512,
    headCount: H,
    headCountKv: gpt2 ? H : 2,
    headDim: E / H,
    ropeType: gpt2 ? 'none' : arch === 'qwen2' ? 'neox' : 'norm',
    ropeFreqBase: 10000,
    ropeScaleLinear: 1,
    ropeDims: gpt2 ? 0 : E / H,
    normType: gpt2 ? 'layer' : 'rms',
    normEps: 1e-5,
    activation: gpt2 ? 'gelu' : 'silu',
    tiedEmbeddings: false,
    ...over,
  };
}

export function makeWeights(config: ModelConfig, scheme: string, seed: number): ModelWeights {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const tensors = new Map<string, WeightTensor>();
  const present = syntheticTensors(config);
  const model = quantModelForConfig(config, present.map((t) => t.name));
  for (const t of present) {
    const n = t.dims.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    let mean = 0, std = 1 / Math.sqrt(t.dims[0]);
    if (t.name.endsWith('_norm.weight')) { mean = 1; std = 0.1; }
    else if (t.name.endsWith('.bias')) std = 0.1;
    else if (t.name === 'token_embd.weight' || t.name === 'position_embd.weight') std = 1;
    else if (t.name === 'output.weight') std = 8 / Math.sqrt(t.dims[0]);
    for (let i = 0; i < n; i++) v[i] = mean + std * gauss();
    const type = tensorTypeFor(scheme, t, model);
    tensors.set(t.name, { name: t.name, type, dims: t.dims, data: quantType(type).quantize(v) });
  }
  return { config, tensors };
}

export function tokens(n: number, vocab: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
}

export function argmax(x: Float32Array, off = 0, n = x.length): number {
  let b = off;
  for (let i = off; i < off + n; i++) if (x[i] > x[b]) b = i;
  return b - off;
}

export function expectClose(got: Float32Array, want: Float32Array, vocab: number, rel: number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let t = 0; t < got.length / vocab; t++) {
    let max = 0, diff = 0;
    for (let i = t * vocab; i < (t + 1) * vocab; i++) {
      max = Math.max(max, Math.abs(want[i]));
      diff = Math.max(diff, Math.abs(got[i] - want[i]));
    }
    if (diff > rel * (max + 1)) throw new Error(`${what}: token ${t} max |diff| ${diff} > ${rel} * (${max} + 1)`);
    expect(argmax(got, t * vocab, vocab), `${what}: argmax of token ${t}`).toBe(argmax(want, t * vocab, vocab));
  }
}

