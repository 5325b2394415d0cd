import { gguf } from '../gguf/metadata.js';
import type { GGUFMetadataValue } from '../gguf/types.js';
import type { GGUFTensorInput, GGUFWriteInput } from '../gguf/writer.js';
import { quantizeWeights } from '../native/quantize.js';
import type { Architecture, ModelConfig } from './config.js';
import { quantModelForConfig } from './quant-model.js';
import { resolveScheme, tensorTypeFor, type QuantScheme } from './quant-scheme.js';
import { expectedTensors, type TensorSpec } from './tensors.js';

/**
 * A model of any supported architecture with seeded random weights, for tests, benchmarks and
 * `localgpt demo` (weights cannot be downloaded here). Given the same spec it writes the same
 * bytes, so llama.cpp and every backend can be compared on it.
 */
export interface SyntheticModelSpec {
  readonly arch: Architecture;
  /** tokenizer.* metadata entries (a real vocabulary); its token count sets the vocab size. */
  readonly vocab: ReadonlyMap<string, GGUFMetadataValue>;
  readonly embeddingLength: number;
  readonly blockCount: number;
  readonly feedForwardLength: number;
  readonly headCount: number;
  readonly headCountKv?: number;
  readonly contextLength: number;
  readonly quant: QuantScheme;
  readonly seed: number;
  readonly tiedEmbeddings?: boolean;
  readonly ropeFreqBase?: number;
  readonly name?: string;
}

export function syntheticModel(spec: SyntheticModelSpec): GGUFWriteInput {
  const tokens = spec.vocab.get('tokenizer.ggml.tokens')?.value;
  if (!Array.isArray(tokens)) throw new Error('the vocabulary has no tokenizer.ggml.tokens');
  const a = spec.arch;
  const isGpt2 = a === 'gpt2';
  const config: ModelConfig = {
    arch: a,
    vocabSize: tokens.length,
    trainContextLength: spec.contextLength,
    embeddingLength: spec.embeddingLength,
    blockCount: spec.blockCount,
    feedForwardLength: spec.feedForwardLength,
    headCount: spec.headCount,
    headCountKv: spec.headCountKv ?? spec.headCount,
    headDim: spec.embeddingLength / spec.headCount,
    ropeType: isGpt2 ? 'none' : a === 'qwen2' ? 'neox' : 'norm',
    ropeFreqBase: spec.ropeFreqBase ?? 10000,
    ropeScaleLinear: 1,
    ropeDims: isGpt2 ? 0 : spec.embeddingLength / spec.headCount,
    normType: isGpt2 ? 'layer' : 'rms',
    normEps: 1e-5,
    activation: isGpt2 ? 'gelu' : 'silu',
    tiedEmbeddings: spec.tiedEmbeddings ?? false,
  };

  const scheme = resolveScheme(spec.quant);
  const metadata: [string, GGUFMetadataValue][] = [
    ['general.architecture', gguf.str(a)],
    ['general.name', gguf.str(spec.name ?? `synthetic-${a}-${spec.quant}`)],
    ['general.file_type', gguf.u32(scheme.ftype)],
    [`${a}.context_length`, gguf.u32(spec.contextLength)],
    [`${a}.embedding_length`, gguf.u32(spec.embeddingLength)],
    [`${a}.block_count`, gguf.u32(spec.blockCount)],
    [`${a}.feed_forward_length`, gguf.u32(spec.feedForwardLength)],
    [`${a}.attention.head_count`, gguf.u32(spec.headCount)],
  ];
  if (isGpt2) {
    metadata.push([`${a}.attention.layer_norm_epsilon`, gguf.f32(config.normEps)]);
  } else {
    metadata.push(
      [`${a}.attention.head_count_kv`, gguf.u32(config.headCountKv)],
      [`${a}.attention.layer_norm_rms_epsilon`, gguf.f32(config.normEps)],
      [`${a}.rope.freq_base`, gguf.f32(config.ropeFreqBase)],
      [`${a}.rope.dimension_count`, gguf.u32(config.ropeDims)],
    );
  }
  for (const [k, v] of spec.vocab) metadata.push([k, v]);

  const rng = new Gaussian(spec.seed);
  const tensors: GGUFTensorInput[] = [];
  const present = syntheticTensors(config);
  const model = quantModelForConfig(config, present.map((t) => t.name));
  for (const t of present) {
    const values = initialValues(t.name, t.dims, rng);
    const type = tensorTypeFor(scheme, t, model);
    tensors.push({ name: t.name, dims: t.dims, type, data: quantizeWeights(type, values) });
  }
  return { metadata, tensors };
}

/** The tensors a synthetic model holds: the required ones, qwen2's biases, and output.weight unless tied. */
export function syntheticTensors(config: ModelConfig): TensorSpec[] {
  return expectedTensors(config).filter((t) => !t.optional || (t.name.endsWith('.bias') && config.arch === 'qwen2') || (t.name === 'output.weight' && !config.tiedEmbeddings));
}

/**
 * Scales chosen so activations stay O(1) through the layers and the output logits are peaked
 * (std ~ 8 over the vocabulary): a sharp argmax keeps greedy continuations stable under the
 * rounding differences between backends, which is what conformance tests compare.
 */
function initialValues(name: string, dims: readonly number[], rng: Gaussian): Float32Array {
  const n = dims.reduce((x, y) => x * y, 1);
  const out = new Float32Array(n);
  const fanIn = dims[0];
  let mean = 0;
  let std: number;
  if (name.endsWith('_norm.weight')) { mean = 1; std = 0.1; }
  else if (name.endsWith('.bias')) std = 0.1;
  else if (name === 'token_embd.weight' || name === 'position_embd.weight') std = 1;
  else if (name === 'output.weight') std = 8 / Math.sqrt(fanIn);
  else std = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < n; i++) out[i] = mean + std * rng.next();
  return out;
}

/** splitmix32 driving Box-Muller: small, seeded and the same on every platform. */
class Gaussian {
  private state: number;
  private spare: number | undefined;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  private uniform(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return (z + 0.5) / 4294967296;
  }
  next(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const t = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }
}
