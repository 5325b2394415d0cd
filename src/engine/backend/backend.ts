import type { ModelConfig } from '../model/config.js';
import type { SamplerSnapshot } from '../sampling/sampler.js';

/**
 * A tensor of the model as stored in the GGUF file: raw ggml bytes (a view into the mapped or
 * read file, never a copy) plus its type and shape. dims[0] is the contiguous row length, so a
 * matrix of dims [cols, rows] has `rows` rows of `cols` elements each.
 */
export interface WeightTensor {
  readonly name: string;
  readonly type: number;
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** Everything a backend needs to build an inference context. */
export interface ModelWeights {
  readonly config: ModelConfig;
  /** Tensors by their GGUF name (e.g. 'blk.0.attn_q.weight'). */
  readonly tensors: ReadonlyMap<string, WeightTensor>;
}

export type BackendName = 'reference' | 'cpu' | 'webgpu';

export interface Backend {
  readonly name: BackendName;
  /** One line describing what runs (ISA path, threads, adapter...). */
  describe(): string;
  createContext(weights: ModelWeights, options: ContextOptions): Promise<InferenceContext>;
}

export interface ContextOptions {
  /** KV cache capacity in tokens. */
  readonly contextLength: number;
  readonly threads?: number;
  /**
   * Let the backend copy weights into a layout of its own where it reads that one faster (cpu: Q4_K,
   * Q4_0 and IQ4_NL matrices into 8-row tiles on AVX-512 CPUs, as llama.cpp repacks them, and Q5_0,
   * Q5_1 and Q4_1 ones in their own arithmetic). Default
   * true; false, or LOCALGPT_NO_REPACK=1, reads every weight from the mapped file only.
   */
  readonly repackWeights?: boolean;
}

export interface EvalOptions {
  /** Logits of every token, not only the last one's. */
  readonly allLogits?: boolean;
  /** An array of exactly the result's length to fill and return instead of a new one. */
  readonly into?: Float32Array;
}

/** The array an eval fills: `into` (checked before anything runs), or a new one of n values. */
export function logitsArray(n: number, into: Float32Array | undefined): Float32Array {
  if (!into) return new Float32Array(n);
  if (into.length !== n) throw new RangeError(`into must be a Float32Array of ${n} values, got ${into.length}`);
  return into;
}

/** One token of InferenceContext.sampledSteps and the sampler's PRNG state after drawing it. */
export interface SampledStep {
  token: number;
  rng: Uint32Array;
}

/**
 * A model plus its KV cache. Positions are absolute: eval(tokens, pos) runs tokens at positions
 * pos .. pos+tokens.length-1, attending to the cache entries 0 .. pos-1 written earlier.
 */
export interface InferenceContext {
  readonly contextLength: number;
  /**
   * Runs a batch (prefill) or one token (decode). Returns the logits of the last token
   * (vocabSize floats) or, with allLogits, of every token (tokens.length * vocabSize): a new array,
   * or `into` (exactly that length) filled and returned, so a decode loop can keep one array
   * instead of a fresh one per token (fresh memory is a page fault per 4 KiB each time).
   */
  eval(tokens: readonly number[], pos: number, options?: EvalOptions): Promise<Float32Array>;
  /** Forget cache entries at positions >= pos (so generation can rewind or reuse a prefix). */
  truncate(pos: number): void;
  /**
   * Greedy decoding without a round trip per token: evaluates `token` at `pos`, takes the argmax of
   * its logits (the sampler's greedy rule: ties to the lowest id, NaN never wins), evaluates that,
   * and so on. Each returned id is the argmax after one eval, so the cache grows by the number
   * returned and the last id is not evaluated yet. Stops after `maxSteps` evals, at an id in
   * `stopIds` (returned), or once `budgetMs` have passed (after one step at least). Absent where a
   * backend has no such loop: generation then evaluates token by token.
   */
  greedySteps?(token: number, pos: number, maxSteps: number, stopIds: ReadonlySet<number>, budgetMs: number): Promise<number[]>;
  /**
   * greedySteps with each token drawn by the sampler chain (src/engine/sampling/sampler.ts) from
   * `sampler`'s snapshot instead of taken by argmax: the same tokens and PRNG states Sampler.sample
   * would give on the same logits. Each step comes back with the PRNG state after its draw (for
   * Sampler.acceptDrawn). Undefined (not a rejection) where the backend cannot run such a loop
   * after all (an older native build): generation then samples in JS token by token.
   */
  sampledSteps?(
    token: number,
    pos: number,
    maxSteps: number,
    stopIds: ReadonlySet<number>,
    budgetMs: number,
    sampler: SamplerSnapshot,
  ): Promise<SampledStep[]> | undefined;
  /**
   * The mean over `tokens` (evaluated from position 0, replacing the cache) of the final
   * normalised hidden state: embeddingLength floats, llama.cpp's mean pooling. Absent on backends
   * that cannot return hidden states yet.
   */
  embed?(tokens: readonly number[]): Promise<Float32Array>;
  /**
   * The KV cache of positions 0..positions-1 as bytes, so a conversation can resume later without
   * re-reading it; `stateLayout` names the format (backend and element type), and importState
   * accepts only bytes of the same layout and size. Absent on backends that cannot export it.
   */
  readonly stateLayout?: string;
  exportState?(positions: number): Uint8Array;
  importState?(state: Uint8Array, positions: number): void;
  dispose(): void;
}
