/// <reference types="@webgpu/types" />
import type { ModelConfig } from '../../model/config.js';
import { quantType } from '../../quant/registry.js';
import { logitsArray, type ContextOptions, type EvalOptions, type InferenceContext, type ModelWeights, type WeightTensor } from '../backend.js';
import { BufferUsage, checkAlive, checked, MapModeRead, type WebGPUDevice } from './device.js';
import { encode, Ops, q8Words, storage, storageFrom, uploadMatrix, type Dispatch, type GpuMatrix } from './ops.js';

/**
 * The forward pass on the GPU, mirroring the reference's context.ts step by step (llama, qwen2,
 * gpt2): every layer's ops are recorded once when the context is built, twice over: decode (one
 * token, matrix x vector kernels) and prefill (up to `batch` tokens, tiled matrix x matrix
 * kernels, batched norms/rope/attention). A step is one command buffer (one compute pass
 * replaying the list) and one submit, and nothing comes back but the logits (or, for greedy
 * decoding, the argmax); a long prompt is several prefill submits and a single readback.
 */

/** A model's weights on one device: uploaded once, shared by its contexts. */
export interface GpuWeights {
  readonly tokenEmbd: GpuMatrix;
  readonly positionEmbd?: GpuMatrix;
  readonly outputNorm: GPUBuffer;
  readonly outputNormBias?: GPUBuffer;
  readonly output: GpuMatrix;
  /** Per rope pair: base^(-2i/dims) / scale / freq_factor[i], computed in double precision. */
  readonly ropeFreqs: GPUBuffer;
  readonly layers: readonly GpuLayer[];
}

interface GpuLayer {
  attnNorm: GPUBuffer; attnNormBias?: GPUBuffer;
  wq?: GpuMatrix; wk?: GpuMatrix; wv?: GpuMatrix; bq?: GPUBuffer; bk?: GPUBuffer; bv?: GPUBuffer;
  wqkv?: GpuMatrix; bqkv?: GPUBuffer;
  wo: GpuMatrix; bo?: GPUBuffer;
  ffnNorm: GPUBuffer; ffnNormBias?: GPUBuffer;
  wGate?: GpuMatrix; wUp: GpuMatrix; bUp?: GPUBuffer; wDown: GpuMatrix; bDown?: GPUBuffer;
}

export function uploadWeights(gpu: WebGPUDevice, weights: ModelWeights, maxBindingBytes: number): GpuWeights {
  const c = weights.config;
  const device = gpu.device;
  const tensor = (name: string): WeightTensor => {
    const t = weights.tensors.get(name);
    if (!t) throw new Error(`missing tensor ${name}`);
    return t;
  };
  const vec = (name: string): GPUBuffer => storageFrom(device, dequantize(tensor(name)), name);
  const optVec = (name: string): GPUBuffer | undefined => (weights.tensors.has(name) ? vec(name) : undefined);
  const mat = (name: string): GpuMatrix => uploadMatrix(device, tensor(name), maxBindingBytes);
  const optMat = (name: string): GpuMatrix | undefined => (weights.tensors.has(name) ? mat(name) : undefined);

  const half = c.ropeDims / 2;
  const freqFactors = weights.tensors.has('rope_freqs.weight') ? dequantize(tensor('rope_freqs.weight')) : undefined;
  const freqs = new Float32Array(Math.max(1, half));
  for (let i = 0; i < half; i++) {
    freqs[i] = Math.pow(c.ropeFreqBase, (-2 * i) / c.ropeDims) / c.ropeScaleLinear / (freqFactors ? freqFactors[i] : 1);
  }
  const layers: GpuLayer[] = [];
  for (let i = 0; i < c.blockCount; i++) {
    const b = `blk.${i}.`;
    layers.push({
      attnNorm: vec(`${b}attn_norm.weight`), attnNormBias: optVec(`${b}attn_norm.bias`),
      wq: optMat(`${b}attn_q.weight`), wk: optMat(`${b}attn_k.weight`), wv: optMat(`${b}attn_v.weight`),
      bq: optVec(`${b}attn_q.bias`), bk: optVec(`${b}attn_k.bias`), bv: optVec(`${b}attn_v.bias`),
      wqkv: optMat(`${b}attn_qkv.weight`), bqkv: optVec(`${b}attn_qkv.bias`),
      wo: mat(`${b}attn_output.weight`), bo: optVec(`${b}attn_output.bias`),
      ffnNorm: vec(`${b}ffn_norm.weight`), ffnNormBias: optVec(`${b}ffn_norm.bias`),
      wGate: optMat(`${b}ffn_gate.weight`),
      wUp: mat(`${b}ffn_up.weight`), bUp: optVec(`${b}ffn_up.bias`),
      wDown: mat(`${b}ffn_down.weight`), bDown: optVec(`${b}ffn_down.bias`),
    });
  }
  const tokenEmbd = mat('token_embd.weight');
  return {
    tokenEmbd,
    positionEmbd: optMat('position_embd.weight'),
    outputNorm: vec('output_norm.weight'),
    outputNormBias: optVec('output_norm.bias'),
    output: c.tiedEmbeddings ? tokenEmbd : mat('output.weight'),
    ropeFreqs: storageFrom(device, freqs, 'rope_freqs'),
    layers,
  };
}

function dequantize(t: WeightTensor): Float32Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  quantType(t.type).dequantize(t.data, out);
  return out;
}

/** Largest prefill batch (tokens per submit); smaller when the scores scratch or logits would not fit one binding. */
const MAX_BATCH = 32;

interface Recorded {
  readonly embed: Dispatch[];
  readonly body: Dispatch[];
  readonly argmax: Dispatch;
}

export class WebGPUContext implements InferenceContext {
  readonly contextLength: number;
  /** Tokens per submit in prefill. */
  readonly batch: number;
  private filled = 0;
  private disposed = false;
  private readonly owned: GPUBuffer[] = [];
  private readonly step: GPUBuffer;
  private readonly tokenIds: GPUBuffer;
  private readonly logits: GPUBuffer;
  private readonly argmaxResult: GPUBuffer;
  private readLast?: GPUBuffer;
  private readArgmax?: GPUBuffer;
  /** Decode: one token, matrix x vector kernels. */
  /** After a pass, rows 0..n-1 hold each token's final normalised hidden state (what embed reads). */
  private hidden!: GPUBuffer;
  private decode!: Recorded;
  /** Prefill: up to `batch` tokens, tiled matrix x matrix kernels. */
  private prefill!: Recorded;
  /** Serialises evals: the step uniform and activation buffers are shared by all of them. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly gpu: WebGPUDevice, private readonly c: ModelConfig, private readonly w: GpuWeights, options: ContextOptions, batch: number) {
    this.contextLength = options.contextLength;
    this.batch = batch;
    const device = gpu.device;
    this.step = device.createBuffer({ size: 16, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, label: 'step' });
    this.owned.push(this.step);
    this.tokenIds = this.buf(batch, 'token_ids');
    this.logits = this.buf(batch * c.vocabSize, 'logits');
    this.argmaxResult = this.buf(1, 'argmax');
  }

  private buf(floats: number, label: string): GPUBuffer {
    const b = storage(this.gpu.device, floats * 4, label);
    this.owned.push(b);
    return b;
  }

  static async create(gpu: WebGPUDevice, ops: Ops, c: ModelConfig, w: GpuWeights, options: ContextOptions): Promise<WebGPUContext> {
    const limit = gpu.adapter.limits.maxStorageBufferBindingSize;
    const kvDim = c.headCountKv * c.headDim;
    const ctxLen = options.contextLength;
    if (!Number.isInteger(ctxLen) || ctxLen < 1) throw new RangeError(`context length must be a positive integer, got ${ctxLen}`);
    if (ctxLen * kvDim * 4 > limit) throw new Error(`context of ${ctxLen} tokens: a layer's KV cache needs ${ctxLen * kvDim * 4} bytes, over the GPU's storage binding limit of ${limit}`);
    const perToken = Math.max(ctxLen * c.headCount, c.vocabSize, c.feedForwardLength, (c.headCount + 2 * c.headCountKv) * c.headDim) * 4;
    const batch = Math.max(1, Math.min(MAX_BATCH, ctxLen, Math.floor(limit / perToken)));
    if (perToken > limit) throw new Error(`context of ${ctxLen} tokens: a token's scratch needs ${perToken} bytes, over the GPU's storage binding limit of ${limit}`);
    const ctx = new WebGPUContext(gpu, c, w, options, batch);
    await checked(gpu, 'recording the forward pass', () => undefined);
    await ctx.record(ops);
    await checked(gpu, 'recording the forward pass', () => undefined);
    return ctx;
  }

  private async record(ops: Ops): Promise<void> {
    const { c, w, step } = this;
    const B = this.batch;
    const d = c.embeddingLength;
    const qDim = c.headCount * c.headDim;
    const kvDim = c.headCountKv * c.headDim;
    const qkvDim = qDim + 2 * kvDim;
    const ff = c.feedForwardLength;
    const V = c.vocabSize;
    const x = this.buf(B * d, 'x');
    const h = this.buf(B * d, 'h');
    this.hidden = h;
    const qkv = this.buf(B * qkvDim, 'qkv');
    const attnOut = this.buf(B * qDim, 'attn_out');
    const up = this.buf(B * ff, 'up');
    const gate = this.buf(B * ff, 'gate');
    const scores = this.buf(B * c.headCount * this.contextLength, 'scores');
    const caches = Array.from({ length: c.blockCount }, (_, l) => [this.buf(this.contextLength * kvDim, `k${l}`), this.buf(this.contextLength * kvDim, `v${l}`)]);
    const mode = c.normType === 'layer' ? 'layer' : 'rms';

    // Q8 blocks of whichever activation rows the integer-path projections read next (sized for the widest input).
    const needsXq = [w.output, ...w.layers.flatMap((L) => [L.wq, L.wk, L.wv, L.wqkv, L.wo, L.wGate, L.wUp, L.wDown])]
      .some((m) => m !== undefined && ops.intPath(m.type));
    const xq = needsXq ? this.buf((B * q8Words(Math.max(d, qDim, ff))), 'xq') : undefined;

    const build = async (prefill: boolean): Promise<Recorded> => {
      const n = prefill ? B : 1;
      const body: Dispatch[] = [];
      /** The buffer whose rows xq holds, until something rewrites it: its projections share one quantisation. */
      let quantized: GPUBuffer | undefined;
      /** Records an op that is not a projection (it may rewrite a projection input). */
      const op = (dispatch: Dispatch): void => {
        quantized = undefined;
        body.push(dispatch);
      };
      /** Y = W X (+ bias, + Y): matvec for one token, tiled matmul for a batch. xw/yw: row widths. */
      const proj = async (m: GpuMatrix, xIn: GPUBuffer, y: GPUBuffer, xw: number, yw: number, o: { outOffset?: number; accumulate?: boolean; bias?: GPUBuffer } = {}): Promise<void> => {
        const int = ops.intPath(m.type);
        if (int && quantized !== xIn) {
          body.push(await ops.quantizeQ8({ x: xIn, xq: xq!, cols: m.cols, xStride: xw, tokens: n, step }));
          quantized = xIn;
        }
        const xqIn = int ? xq : undefined;
        body.push(...(prefill ? await ops.matmul({ m, x: xIn, xq: xqIn, y, tokens: B, xStride: xw, yStride: yw, step, ...o }) : await ops.matvec({ m, x: xIn, xq: xqIn, y, ...o })));
        if (y === quantized) quantized = undefined;
      };
      const norm = async (weight: GPUBuffer, bias: GPUBuffer | undefined): Promise<void> =>
        op(await ops.norm({ step, x, y: h, n: d, mode, eps: c.normEps, weight, bias, batch: n }));

      const embed = await ops.getRows(w.tokenEmbd, step, this.tokenIds, x, 'token', false, n);
      if (w.positionEmbd) embed.push(...await ops.getRows(w.positionEmbd, step, this.tokenIds, x, 'position', true, n));
      for (let l = 0; l < c.blockCount; l++) {
        const L = w.layers[l];
        const [kCache, vCache] = caches[l];
        await norm(L.attnNorm, L.attnNormBias);
        if (L.wqkv) {
          await proj(L.wqkv, h, qkv, d, qkvDim, { bias: L.bqkv });
        } else {
          await proj(L.wq!, h, qkv, d, qkvDim, { bias: L.bq });
          await proj(L.wk!, h, qkv, d, qkvDim, { outOffset: qDim, bias: L.bk });
          await proj(L.wv!, h, qkv, d, qkvDim, { outOffset: qDim + kvDim, bias: L.bv });
        }
        if (c.ropeType !== 'none') {
          op(await ops.rope({ step, qkv, freqs: w.ropeFreqs, heads: c.headCount, headsKv: c.headCountKv, headDim: c.headDim, dims: c.ropeDims, mode: c.ropeType, batch: n }));
        }
        op(await ops.kvStore(step, qkv, kCache, vCache, qDim, kvDim, n));
        op(await ops.attention({ step, q: qkv, k: kCache, v: vCache, scores, out: attnOut, heads: c.headCount, headsKv: c.headCountKv, headDim: c.headDim, ctx: this.contextLength, batch: n }));
        await proj(L.wo, attnOut, x, qDim, d, { accumulate: true, bias: L.bo });

        await norm(L.ffnNorm, L.ffnNormBias);
        await proj(L.wUp, h, up, d, ff, { bias: L.bUp });
        if (L.wGate) {
          await proj(L.wGate, h, gate, d, ff);
          op(await ops.activation(step, up, ff, 'swiglu', gate, n));
        } else {
          op(await ops.activation(step, up, ff, c.activation === 'gelu' ? 'gelu' : 'silu', undefined, n));
        }
        await proj(L.wDown, up, x, ff, d, { accumulate: true, bias: L.bDown });
      }
      await norm(w.outputNorm, w.outputNormBias);
      await proj(w.output, h, this.logits, d, V);
      return { embed, body, argmax: await ops.argmax(step, this.logits, V, this.argmaxResult) };
    };
    this.decode = await build(false);
    this.prefill = B > 1 ? await build(true) : this.decode;
  }

  eval(tokens: readonly number[], pos: number, options?: EvalOptions): Promise<Float32Array> {
    return this.serialised(async () => {
      const all = options?.allLogits === true;
      const V = this.c.vocabSize;
      const n = all ? tokens.length * V : V;
      const into = options?.into && logitsArray(n, options.into);
      return this.run(tokens, pos, all ? 'all' : 'last', (mapped) => {
        const logits = new Float32Array(mapped, 0, n);
        if (!into) return logits.slice();
        into.set(logits);
        return into;
      });
    });
  }

  embed(tokens: readonly number[]): Promise<Float32Array> {
    return this.serialised(async () => {
      this.filled = 0;
      const d = this.c.embeddingLength;
      const rows = await this.run(tokens, 0, 'hidden', (mapped) => new Float32Array(mapped).slice());
      const mean = new Float32Array(d);
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let t = 0; t < tokens.length; t++) s += rows[t * d + j];
        mean[j] = s / tokens.length;
      }
      return mean;
    });
  }

  /** Like eval, but returns only the greedy next token (argmax of the last logits, computed on the GPU). */
  evalArgmax(tokens: readonly number[], pos: number): Promise<number> {
    return this.serialised(() => this.run(tokens, pos, 'argmax', (mapped) => new Uint32Array(mapped, 0, 1)[0]));
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  // The result is read from the mapped range by `read`, which must copy what it keeps: the range is
  // gone once it returns. A decode step's readback (one row of logits, or the argmax) is a buffer
  // kept for the context's life, not one made and destroyed per token.
  private async run<T>(tokens: readonly number[], pos: number, out: 'all' | 'last' | 'argmax' | 'hidden', read: (mapped: ArrayBuffer) => T): Promise<T> {
    if (this.disposed) throw new Error('the inference context was disposed');
    checkAlive(this.gpu);
    const c = this.c;
    if (tokens.length === 0) throw new RangeError('eval needs at least one token');
    if (!Number.isInteger(pos) || pos < 0 || pos > this.filled) throw new RangeError(`eval at position ${pos} leaves a gap: the cache holds ${this.filled} positions`);
    if (pos + tokens.length > this.contextLength) {
      throw new RangeError(`positions ${pos}..${pos + tokens.length - 1} exceed the context of ${this.contextLength} tokens`);
    }
    for (const t of tokens) if (!Number.isInteger(t) || t < 0 || t >= c.vocabSize) throw new RangeError(`token id ${t} is outside the vocabulary of ${c.vocabSize}`);
    if (c.arch === 'gpt2' && pos + tokens.length > c.trainContextLength) {
      throw new RangeError(`gpt2 has learned positions for ${c.trainContextLength} tokens only`);
    }
    const device = this.gpu.device;
    const V = c.vocabSize;
    const d = c.embeddingLength;
    const bytes = out === 'argmax' ? 4 : out === 'all' ? tokens.length * V * 4 : out === 'hidden' ? tokens.length * d * 4 : V * 4;
    const kept = out === 'last' || out === 'argmax';
    let readback: GPUBuffer | undefined;
    try {
      await checked(this.gpu, 'the forward pass', () => {
        readback = kept ? this.keptReadback(out, bytes) : device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: 'readback' });
        // One submit per batch of up to `batch` tokens (one token in decode): all layers in one pass.
        for (let start = 0; start < tokens.length; start += this.batch) {
          const n = Math.min(this.batch, tokens.length - start);
          const rec = n === 1 ? this.decode : this.prefill;
          device.queue.writeBuffer(this.step, 0, new Uint32Array([pos + start, n, 0, 0]));
          device.queue.writeBuffer(this.tokenIds, 0, Uint32Array.from(tokens.slice(start, start + n)));
          const enc = device.createCommandEncoder();
          const pass = enc.beginComputePass();
          encode(pass, rec.embed);
          encode(pass, rec.body);
          const last = start + n === tokens.length;
          if (out === 'argmax' && last) encode(pass, [rec.argmax]);
          pass.end();
          if (out === 'all') enc.copyBufferToBuffer(this.logits, 0, readback, start * V * 4, n * V * 4);
          else if (out === 'last' && last) enc.copyBufferToBuffer(this.logits, (n - 1) * V * 4, readback, 0, V * 4);
          else if (out === 'argmax' && last) enc.copyBufferToBuffer(this.argmaxResult, 0, readback, 0, 4);
          else if (out === 'hidden') enc.copyBufferToBuffer(this.hidden, 0, readback, start * d * 4, n * d * 4);
          device.queue.submit([enc.finish()]);
        }
      });
      const rb = readback!;
      try {
        await rb.mapAsync(MapModeRead);
      } catch (e) {
        checkAlive(this.gpu);
        throw new Error(`reading the logits back failed: ${(e as Error).message}`);
      }
      try {
        const result = read(rb.getMappedRange(0, bytes));
        this.filled = pos + tokens.length;
        return result;
      } finally {
        rb.unmap();
      }
    } finally {
      if (!kept) readback?.destroy(); // a per-call buffer, also when the pass failed; the kept ones live with the context
    }
  }

  private keptReadback(out: 'last' | 'argmax', bytes: number): GPUBuffer {
    let b = out === 'last' ? this.readLast : this.readArgmax;
    if (!b) {
      b = this.gpu.device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: `readback (${out})` });
      this.owned.push(b);
      if (out === 'last') this.readLast = b;
      else this.readArgmax = b;
    }
    return b;
  }

  truncate(pos: number): void {
    this.filled = Math.max(0, Math.min(this.filled, pos));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.owned) b.destroy();
    for (const rec of new Set([this.decode, this.prefill])) {
      if (!rec) continue;
      for (const d of [...rec.embed, ...rec.body, rec.argmax]) d.params?.destroy();
    }
  }
}
