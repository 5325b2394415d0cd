import { metaInteger, metaNumber, metaString } from '../gguf/metadata.js';
import type { GGUFMetadata, GGUFTensorInfo } from '../gguf/types.js';
import type { Architecture, ModelConfig } from './config.js';
import { ModelError } from './errors.js';

export const SUPPORTED_ARCHITECTURES: readonly Architecture[] = ['llama', 'qwen2', 'gpt2'];

/**
 * Reads the hyperparameters of a GGUF model and checks them against each other and the tensors,
 * so that a contradictory file fails here with a message naming the key, not deep in a kernel.
 */
export function configFromGGUF(meta: GGUFMetadata, tensors: readonly GGUFTensorInfo[]): ModelConfig {
  const archName = metaString(meta, 'general.architecture');
  if (archName === undefined) throw new ModelError('the file has no general.architecture: is it a model?');
  if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(archName)) {
    throw new ModelError(`architecture "${archName}" is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
  }
  const arch = archName as Architecture;
  const key = (k: string) => `${arch}.${k}`;
  const required = (k: string): number => {
    const v = metaInteger(meta, key(k));
    if (v === undefined) throw new ModelError(`missing hyperparameter ${key(k)}`);
    if (v <= 0) throw new ModelError(`hyperparameter ${key(k)} must be positive, got ${v}`);
    return v;
  };

  const embeddingLength = required('embedding_length');
  const blockCount = required('block_count');
  const feedForwardLength = required('feed_forward_length');
  const headCount = required('attention.head_count');
  const headCountKv = metaInteger(meta, key('attention.head_count_kv')) ?? headCount;
  const trainContextLength = required('context_length');
  const headDim = metaInteger(meta, key('attention.key_length')) ?? embeddingLength / headCount;
  const valueLength = metaInteger(meta, key('attention.value_length')) ?? headDim;

  if (!Number.isInteger(headDim)) {
    throw new ModelError(`${key('embedding_length')} ${embeddingLength} is not divisible by ${key('attention.head_count')} ${headCount}`);
  }
  if (valueLength !== headDim) throw new ModelError(`different key (${headDim}) and value (${valueLength}) head sizes are not supported`);
  if (headCountKv <= 0 || headCount % headCountKv !== 0) {
    throw new ModelError(`${key('attention.head_count')} ${headCount} is not a multiple of ${key('attention.head_count_kv')} ${headCountKv}`);
  }

  const tokenEmbd = tensors.find((t) => t.name === 'token_embd.weight');
  if (!tokenEmbd) throw new ModelError('missing tensor token_embd.weight');
  const tokenCount = (meta.get('tokenizer.ggml.tokens')?.value as unknown[] | undefined)?.length;
  const vocabSize = metaInteger(meta, key('vocab_size')) ?? tokenCount ?? tokenEmbd.dims[1];
  if (tokenEmbd.dims[0] !== embeddingLength || tokenEmbd.dims[1] !== vocabSize) {
    throw new ModelError(
      `token_embd.weight is [${tokenEmbd.dims.join(', ')}] but the metadata says ${vocabSize} tokens of ${embeddingLength}`,
    );
  }

  const isGpt2 = arch === 'gpt2';
  const ropeDims = isGpt2 ? 0 : metaInteger(meta, key('rope.dimension_count')) ?? headDim;
  if (ropeDims > headDim || ropeDims % 2 !== 0) throw new ModelError(`${key('rope.dimension_count')} ${ropeDims} does not fit head size ${headDim}`);
  const normEps = isGpt2
    ? metaNumber(meta, key('attention.layer_norm_epsilon')) ?? 1e-5
    : metaNumber(meta, key('attention.layer_norm_rms_epsilon')) ?? 1e-5;

  return {
    arch,
    vocabSize,
    trainContextLength,
    embeddingLength,
    blockCount,
    feedForwardLength,
    headCount,
    headCountKv,
    headDim,
    ropeType: isGpt2 ? 'none' : arch === 'qwen2' ? 'neox' : 'norm',
    ropeFreqBase: metaNumber(meta, key('rope.freq_base')) ?? 10000,
    ropeScaleLinear: ropeScale(meta, arch),
    ropeDims,
    normType: isGpt2 ? 'layer' : 'rms',
    normEps,
    activation: isGpt2 ? 'gelu' : 'silu',
    tiedEmbeddings: !tensors.some((t) => t.name === 'output.weight'),
  };
}

function ropeScale(meta: GGUFMetadata, arch: Architecture): number {
  const type = metaString(meta, `${arch}.rope.scaling.type`) ?? 'none';
  const factor = metaNumber(meta, `${arch}.rope.scaling.factor`) ?? metaNumber(meta, `${arch}.rope.scale_linear`);
  if (type === 'none') return 1;
  if (type === 'linear') {
    if (factor === undefined || !(factor > 0)) throw new ModelError(`${arch}.rope.scaling.factor must be positive for linear rope scaling`);
    return factor;
  }
  throw new ModelError(`rope scaling type "${type}" is not supported yet (supported: none, linear)`);
}
