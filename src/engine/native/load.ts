/**
 * Finds and loads the native addon (localgpt_native.node). Lookup order, as node-gyp-build does:
 * LOCALGPT_NATIVE (an explicit path), prebuilds/<platform>-<arch>/*.node, build/Release, build/Debug.
 * Never throws: when the addon is absent or fails to load, returns undefined and records a one-line
 * reason (nativeUnavailableReason) so the engine falls back to the reference backend.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A weight tensor as the addon takes it (data is a view into the file, never copied). */
export interface NativeTensor {
  readonly type: number;
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

export interface NativeInfo {
  /** ISA paths compiled into the binary ('scalar', 'avx2', 'avx512' on x86-64; 'scalar', 'neon' on AArch64). */
  readonly compiled: string[];
  /** Those this CPU can run. */
  readonly available: string[];
  /** The path in use (LOCALGPT_ISA forces one). */
  readonly isa: string;
  /** Default thread count (CPUs in this process's affinity mask). */
  readonly threads: number;
  readonly cpuFeatures: string;
  readonly types: { type: number; name: string; blockSize: number; bytesPerBlock: number; vecDotType: number; kernels: string[] }[];
}

export interface NativeModelParams {
  readonly arch: string;
  readonly vocabSize: number;
  readonly embeddingLength: number;
  readonly blockCount: number;
  readonly feedForwardLength: number;
  readonly headCount: number;
  readonly headCountKv: number;
  readonly headDim: number;
  readonly ropeType: string;
  readonly ropeFreqBase: number;
  readonly ropeScaleLinear?: number;
  readonly ropeDims?: number;
  readonly normType: string;
  readonly normEps: number;
  readonly activation: string;
}

/** An opaque model+KV-cache handle owned by the addon. */
export type NativeModelHandle = { readonly __nativeModel: unique symbol };

export interface NativeAddon {
  info(): NativeInfo;
  /** Forces an ISA path process-wide; false when it cannot run here. */
  setIsa(isa: 'scalar' | 'avx2' | 'avx512' | 'neon'): boolean;
  /** Scalar reference dequantise of n values of a ggml type. */
  dequantize(type: number, src: Uint8Array, n: number): Float32Array;
  /** Converts activations to an activation format (F32, F16, BF16, Q8_0 = 8, Q8_K = 15), ggml's ref quantiser. */
  quantizeActivation(type: number, src: Float32Array): Uint8Array;
  /**
   * Quantises f32 weights as llama-quantize writes them (the registry's quantize, byte for byte),
   * blocks shared out to `threads` (default: the machine's). Absent from addons built before it.
   */
  quantizeWeights?(type: number, src: Float32Array, threads?: number): Uint8Array;
  /**
   * out[b*rows + r] = dot(W[r], x[b]) with the kernels of the given (or active) ISA; rows8: in the
   * rows-of-8 arithmetic; repack: from the type's repacked tiles where it and the ISA have them, as
   * a model reads its matrices.
   */
  matmul(type: number, w: Uint8Array, rows: number, cols: number, x: Float32Array, batch: number, threads?: number, isa?: string, tiled?: boolean, rows8?: boolean, repack?: boolean): Float32Array;
  /** Tasks that did not run exactly once over `jobs` thread-pool jobs (the pool's own test). */
  poolCheck(threads: number, jobs: number): number;
  /** silu(gate) * up element by element, as the forward pass computes it on the given (or active) ISA. */
  swiglu(gate: Float32Array, up: Float32Array, isa?: string): Float32Array;
  /** GELU as the forward pass applies it (ggml's f16 table), for the tests. */
  gelu(x: Float32Array): Float32Array;
  /** The forward pass's rotary embedding of `heads` heads at position pos (neox: pairs (i, i + ropeDims/2)), for the tests. */
  rope(x: Float32Array, heads: number, headDim: number, ropeDims: number, pos: number, base: number, neox: boolean, isa?: string): Float32Array;
  /**
   * One head's attention value sum over p.length cache positions (value row j at v[j*stride..],
   * f32 or f16 bits) in llama.cpp's order for `lanes` accumulator lanes (64, 32, 16, 8 or 1), folded
   * to four and summed (0+1)+(2+3) when `adjacent`, else (0+2)+(1+3). For the tests.
   * With `heads`, p holds that many heads' probabilities (heads x n) for one value head (a GQA
   * group), summed at once where the ISA has a grouped kernel: heads x d values.
   */
  kqv(p: Float32Array, v: Float32Array | Uint16Array, stride: number, d: number, lanes: number, adjacent: boolean, isa?: string, heads?: number): Float32Array;
  createModel(
    params: NativeModelParams,
    tensors: Record<string, NativeTensor>,
    options: { contextLength: number; threads?: number; kvType?: 'f16' | 'f32'; repack?: boolean },
  ): NativeModelHandle;
  /** Logits of the last token (or of every token with allLogits): a new array, or `into` filled. */
  evalModel(handle: NativeModelHandle, tokens: Int32Array, pos: number, allLogits: boolean, into?: Float32Array): Promise<Float32Array>;
  /**
   * Greedy decoding without a JS round trip per token: evaluates `token` at `pos`, takes the argmax
   * (ties to the lowest id, NaN never wins), evaluates that, and so on. Each returned id is the
   * argmax after one eval (the cache grows by the count returned; the last id is not evaluated).
   * Stops after maxSteps evals, at an id in stopIds, or once budgetMs have passed.
   */
  greedyModel(handle: NativeModelHandle, token: number, pos: number, maxSteps: number, stopIds: Int32Array, budgetMs: number): Promise<Int32Array>;
  /**
   * greedyModel with each token drawn by the native sampler chain (native/ops/sampler.h):
   * config [temperature, topK, topP, minP, ln(minP), repeatPenalty, presencePenalty,
   * frequencyPenalty, penaltyLastN], the penalty window oldest first, the PRNG's four state words.
   * Five values a step: the id, then the PRNG state after its draw.
   */
  sampledModel(
    handle: NativeModelHandle,
    token: number,
    pos: number,
    maxSteps: number,
    stopIds: Int32Array,
    budgetMs: number,
    config: Float64Array,
    window: Int32Array,
    rng: Uint32Array,
  ): Promise<Uint32Array>;
  /**
   * The native sampler chain (sampledModel's arguments) drawing once from each of `rows` rows of
   * logits in turn, as its loop does: the tokens, the PRNG state after the last draw and that
   * draw's distribution (Sampler.distribution's ids and probabilities). For tests.
   */
  sampleLogits(
    config: Float64Array,
    window: Int32Array,
    rng: Uint32Array,
    logits: Float32Array,
    rows?: number,
  ): { tokens: Int32Array; rng: Uint32Array; ids: Int32Array; probs: Float64Array };
  /** The native sampler's exp, elementwise (src/engine/sampling/exp.ts's arithmetic). For tests. */
  exp64(x: Float64Array): Float64Array;
  /** Mean over tokens (run from position 0, replacing the cache) of the final normalised hidden state. */
  embedModel(handle: NativeModelHandle, tokens: Int32Array): Promise<Float32Array>;
  /** The KV cache of positions 0..n-1 (per layer: K then V, in the cache's element type). */
  saveState(handle: NativeModelHandle, n: number): Uint8Array;
  loadState(handle: NativeModelHandle, state: Uint8Array, n: number): void;
  disposeModel(handle: NativeModelHandle): void;
  /** lastEvalMs: native time of the latest eval or embed (the forward pass alone, on the worker thread). */
  /** repackedBytes: weights the model copied into its ISA's tiles at load (0: it reads the mapping). */
  modelInfo(handle: NativeModelHandle): { threads: number; isa: string; kvType: string; lastEvalMs: number; repackedBytes: number };
  /** The whole file as a read-only ArrayBuffer over mmap (unmapped when garbage-collected). */
  mapFile(path: string): ArrayBuffer;
  /**
   * Calls fn() with the process's standard error (descriptor 2) captured, for native libraries that
   * print there synchronously; restored before returning, also when fn throws. `stderr` is empty
   * where the system cannot capture it (then it went to standard error as usual).
   */
  captureStderr<T>(fn: () => T): { value: T; stderr: string };
}

const ADDON_NAME = 'localgpt_native.node';

let loaded: NativeAddon | undefined;
let attempted = false;
let reason = '';

/** The package root: the nearest ancestor of this file holding package.json (works from src/ and dist/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'CMakeLists.txt'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
}

/** Candidate paths, most specific first. */
export function nativeCandidates(root = packageRoot()): string[] {
  const out: string[] = [];
  const explicit = process.env.LOCALGPT_NATIVE;
  if (explicit) out.push(resolve(explicit));
  // A local build is the freshest (it is what the source says); the prebuild serves machines
  // that could not compile one.
  out.push(join(root, 'build', 'Release', ADDON_NAME));
  const pre = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (existsSync(pre)) {
    for (const f of readdirSync(pre).sort()) if (f.endsWith('.node')) out.push(join(pre, f));
  }
  out.push(join(root, 'build', 'Debug', ADDON_NAME));
  return out;
}

/** The addon, or undefined (see nativeUnavailableReason). Loads once per process. */
export function loadNative(): NativeAddon | undefined {
  if (attempted) return loaded;
  attempted = true;
  if (process.env.LOCALGPT_NO_NATIVE === '1') {
    reason = 'native addon disabled by LOCALGPT_NO_NATIVE=1';
    return undefined;
  }
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const path of nativeCandidates()) {
    if (!existsSync(path)) continue;
    try {
      const mod = require(path) as NativeAddon;
      if (typeof mod.info !== 'function' || typeof mod.evalModel !== 'function' || typeof mod.embedModel !== 'function' || typeof mod.saveState !== 'function' || typeof mod.captureStderr !== 'function') throw new Error('not the LocalGPT addon (or an older build of it)');
      loaded = mod;
      reason = '';
      return loaded;
    } catch (e) {
      tried.push(`${path}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  reason = tried.length
    ? `native addon failed to load (${tried.join('; ')})`
    : 'native addon not built (no prebuilds/ entry or build/Release/localgpt_native.node; run the cmake build)';
  return undefined;
}

/** Why loadNative() returned undefined ('' when it loaded or was not tried yet). */
export function nativeUnavailableReason(): string {
  return reason;
}
