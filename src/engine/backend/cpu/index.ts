/**
 * The native CPU backend: a whole forward step (all layers, a batch of tokens) runs in C++ in one
 * N-API call on a worker thread (native/addon.cc), with quantised dot-product kernels picked for the
 * CPU at run time. Weights are passed as views into the model file; the addon copies only those it
 * reads faster repacked (ContextOptions.repackWeights).
 */
import type { Backend, ContextOptions, EvalOptions, InferenceContext, ModelWeights, SampledStep } from '../backend.js';
import type { SamplerSnapshot } from '../../sampling/sampler.js';
import type { ModelConfig } from '../../model/config.js';
import { loadNative, nativeUnavailableReason, type NativeAddon, type NativeModelHandle, type NativeTensor } from '../../native/load.js';
import { nativeSamplerArgs, unpackSteps } from './sampling.js';

/** Extra knobs of the cpu backend beyond the shared ContextOptions. */
export interface CpuContextOptions extends ContextOptions {
  /** KV cache element type: 'f16' (llama.cpp's default, half the memory) or 'f32'. Default 'f16'. */
  readonly kvType?: 'f16' | 'f32';
}

/** True when the addon loads here; otherwise cpuUnavailableReason() says why. */
export function cpuAvailable(): boolean {
  return loadNative() !== undefined;
}

export function cpuUnavailableReason(): string {
  loadNative();
  return nativeUnavailableReason();
}

function addon(): NativeAddon {
  const a = loadNative();
  if (!a) throw new Error(`cpu backend unavailable: ${nativeUnavailableReason()}`);
  return a;
}

export const cpuBackend: Backend = {
  name: 'cpu',
  describe(): string {
    const a = loadNative();
    if (!a) return `cpu (unavailable: ${nativeUnavailableReason()})`;
    const i = a.info();
    return `cpu (native, ${i.isa} kernels, ${i.threads} threads; compiled: ${i.compiled.join('/')})`;
  },
  async createContext(weights: ModelWeights, options: ContextOptions): Promise<InferenceContext> {
    return new CpuContext(addon(), weights, options as CpuContextOptions);
  },
};

function nativeParams(c: ModelConfig) {
  return {
    arch: c.arch,
    vocabSize: c.vocabSize,
    embeddingLength: c.embeddingLength,
    blockCount: c.blockCount,
    feedForwardLength: c.feedForwardLength,
    headCount: c.headCount,
    headCountKv: c.headCountKv,
    headDim: c.headDim,
    ropeType: c.ropeType,
    ropeFreqBase: c.ropeFreqBase,
    ropeScaleLinear: c.ropeScaleLinear,
    ropeDims: c.ropeDims,
    normType: c.normType,
    normEps: c.normEps,
    activation: c.activation,
  };
}

class CpuContext implements InferenceContext {
  readonly contextLength: number;
  readonly stateLayout: string;
  private handle: NativeModelHandle | undefined;
  private filled = 0;
  /** Evals run one after another (the addon rejects overlapping ones on a context). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly native: NativeAddon,
    weights: ModelWeights,
    options: CpuContextOptions,
  ) {
    this.contextLength = options.contextLength;
    this.stateLayout = `cpu/${options.kvType ?? 'f16'}/v1`;
    const tensors: Record<string, NativeTensor> = {};
    for (const [name, t] of weights.tensors) tensors[name] = { type: t.type, dims: t.dims, data: t.data };
    this.handle = native.createModel(nativeParams(weights.config), tensors, {
      contextLength: options.contextLength,
      threads: options.threads,
      kvType: options.kvType ?? 'f16',
      repack: (options.repackWeights ?? true) && process.env.LOCALGPT_NO_REPACK !== '1',
    });
  }

  eval(tokens: readonly number[], pos: number, options?: EvalOptions): Promise<Float32Array> {
    const run = async (): Promise<Float32Array> => {
      const h = this.handle;
      if (!h) throw new Error('the inference context was disposed');
      if (tokens.length === 0) throw new RangeError('eval needs at least one token');
      if (!Number.isInteger(pos) || pos < 0 || pos > this.filled) {
        throw new RangeError(`eval at position ${pos} leaves a gap: the cache holds ${this.filled} positions`);
      }
      if (pos + tokens.length > this.contextLength) {
        throw new RangeError(`positions ${pos}..${pos + tokens.length - 1} exceed the context of ${this.contextLength} tokens`);
      }
      const ids = Int32Array.from(tokens);
      const out = await this.native.evalModel(h, ids, pos, options?.allLogits === true, options?.into);
      this.filled = pos + tokens.length;
      return out;
    };
    return this.serialised(run);
  }

  greedySteps(token: number, pos: number, maxSteps: number, stopIds: ReadonlySet<number>, budgetMs: number): Promise<number[]> {
    return this.serialised(async () => {
      const h = this.stepsHandle(pos, maxSteps);
      const ids = await this.native.greedyModel(h, token, pos, maxSteps, Int32Array.from(stopIds), budgetMs);
      this.filled = pos + ids.length;
      return Array.from(ids);
    });
  }

  sampledSteps(
    token: number,
    pos: number,
    maxSteps: number,
    stopIds: ReadonlySet<number>,
    budgetMs: number,
    sampler: SamplerSnapshot,
  ): Promise<SampledStep[]> | undefined {
    // An addon older than this file (LOCALGPT_NATIVE pointing at another build) has no such loop.
    if (typeof this.native.sampledModel !== 'function') return undefined;
    const args = nativeSamplerArgs(sampler);
    return this.serialised(async () => {
      const h = this.stepsHandle(pos, maxSteps);
      const words = await this.native.sampledModel(h, token, pos, maxSteps, Int32Array.from(stopIds), budgetMs, args.config, args.window, args.rng);
      const steps = unpackSteps(words);
      this.filled = pos + steps.length;
      return steps;
    });
  }

  /** The handle for a run of decoding steps from `pos`, after the checks both loops share. */
  private stepsHandle(pos: number, maxSteps: number): NativeModelHandle {
    const h = this.handle;
    if (!h) throw new Error('the inference context was disposed');
    if (!Number.isInteger(pos) || pos < 0 || pos > this.filled) {
      throw new RangeError(`decoding steps at position ${pos} leave a gap: the cache holds ${this.filled} positions`);
    }
    if (!Number.isInteger(maxSteps) || maxSteps < 1 || pos + maxSteps > this.contextLength) {
      throw new RangeError(`${maxSteps} decoding steps from position ${pos} do not fit the context of ${this.contextLength} tokens`);
    }
    return h;
  }

  embed(tokens: readonly number[]): Promise<Float32Array> {
    return this.serialised(async () => {
      const h = this.handle;
      if (!h) throw new Error('the inference context was disposed');
      if (tokens.length === 0) throw new RangeError('embed needs at least one token');
      if (tokens.length > this.contextLength) throw new RangeError(`${tokens.length} tokens exceed the context of ${this.contextLength}`);
      this.filled = 0;
      const out = await this.native.embedModel(h, Int32Array.from(tokens));
      this.filled = tokens.length;
      return out;
    });
  }

  /** Call between evals (the Model API serialises them); the addon refuses while one runs. */
  exportState(positions: number): Uint8Array {
    if (!this.handle) throw new Error('the inference context was disposed');
    if (positions > this.filled) throw new RangeError(`the cache holds ${this.filled} positions, not ${positions}`);
    return this.native.saveState(this.handle, positions);
  }

  importState(state: Uint8Array, positions: number): void {
    if (!this.handle) throw new Error('the inference context was disposed');
    this.native.loadState(this.handle, state, positions);
    this.filled = positions;
  }

  private serialised<T>(run: () => Promise<T>): Promise<T> {
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  truncate(pos: number): void {
    this.filled = Math.max(0, Math.min(this.filled, pos));
  }

  dispose(): void {
    if (this.handle) this.native.disposeModel(this.handle);
    this.handle = undefined;
  }
}
