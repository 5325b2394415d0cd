/**
 * The hyperparameters every backend needs to run a forward pass, read from GGUF metadata by
 * hparams.ts. Backends switch on `arch` and the flags below, never on metadata keys.
 */
export type Architecture = 'llama' | 'qwen2' | 'gpt2';

export interface ModelConfig {
  readonly arch: Architecture;
  readonly vocabSize: number;
  /** Context length the model was trained for (`{arch}.context_length`). */
  readonly trainContextLength: number;
  readonly embeddingLength: number;
  readonly blockCount: number;
  readonly feedForwardLength: number;
  readonly headCount: number;
  readonly headCountKv: number;
  readonly headDim: number;
  /** 'norm': rotate adjacent pairs (llama); 'neox': rotate halves (qwen2); 'none': learned positions (gpt2). */
  readonly ropeType: 'norm' | 'neox' | 'none';
  readonly ropeFreqBase: number;
  /** Linear rope scaling factor (positions are divided by it); 1 when absent. */
  readonly ropeScaleLinear: number;
  /** Number of head dims rotated (`rope.dimension_count`), defaults to headDim. */
  readonly ropeDims: number;
  readonly normType: 'rms' | 'layer';
  readonly normEps: number;
  readonly activation: 'silu' | 'gelu';
  /** Output projection shares the token embedding matrix. */
  readonly tiedEmbeddings: boolean;
}
