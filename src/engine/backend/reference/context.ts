import type { ModelConfig } from '../../model/config.js';
import { logitsArray, type ContextOptions, type EvalOptions, type InferenceContext } from '../backend.js';
import { gelu, layernorm, rmsnorm, rope, silu, softmaxInPlace, type RopeParams } from './math.js';
import { project } from './project.js';
import type { DenseWeights } from './weights.js';

/**
 * The oracle's forward pass: one token at a time through every layer, llama2.c-style, for the
 * llama, qwen2 and gpt2 architectures. A batch is evaluated token by token: slow, and obviously
 * the same as running the tokens one after another.
 */
export class ReferenceContext implements InferenceContext {
  readonly contextLength: number;
  private readonly c: ModelConfig;
  private readonly w: DenseWeights;
  private readonly kvDim: number;
  private readonly keys: Float32Array[];
  private readonly values: Float32Array[];
  private readonly ropeParams: RopeParams;
  /** Positions 0..filled-1 hold valid cache entries. */
  private filled = 0;
  private disposed = false;

  constructor(config: ModelConfig, weights: DenseWeights, options: ContextOptions) {
    this.c = config;
    this.w = weights;
    this.contextLength = options.contextLength;
    this.kvDim = config.headCountKv * config.headDim;
    this.keys = Array.from({ length: config.blockCount }, () => new Float32Array(options.contextLength * this.kvDim));
    this.values = Array.from({ length: config.blockCount }, () => new Float32Array(options.contextLength * this.kvDim));
    this.ropeParams = {
      mode: config.ropeType === 'neox' ? 'neox' : 'norm',
      dims: config.ropeDims,
      base: config.ropeFreqBase,
      scale: config.ropeScaleLinear,
      freqFactors: weights.ropeFreqs,
    };
  }

  async eval(tokens: readonly number[], pos: number, options?: EvalOptions): Promise<Float32Array> {
    if (this.disposed) throw new Error('the inference context was disposed');
    if (tokens.length === 0) throw new RangeError('eval needs at least one token');
    if (pos < 0 || pos > this.filled) throw new RangeError(`eval at position ${pos} leaves a gap: the cache holds ${this.filled} positions`);
    if (pos + tokens.length > this.contextLength) {
      throw new RangeError(`positions ${pos}..${pos + tokens.length - 1} exceed the context of ${this.contextLength} tokens`);
    }
    const V = this.c.vocabSize;
    const all = options?.allLogits === true;
    const out = logitsArray(all ? tokens.length * V : V, options?.into);
    for (let i = 0; i < tokens.length; i++) {
      const logits = this.step(tokens[i], pos + i);
      if (all) out.set(logits, i * V);
      else if (i === tokens.length - 1) out.set(logits);
    }
    this.filled = pos + tokens.length;
    return out;
  }

  truncate(pos: number): void {
    this.filled = Math.max(0, Math.min(this.filled, pos));
  }

  readonly stateLayout = 'reference/f32/v1';

  exportState(positions: number): Uint8Array {
    this.checkStatePositions(positions);
    const per = positions * this.kvDim;
    const out = new Float32Array(2 * this.c.blockCount * per);
    for (let l = 0; l < this.c.blockCount; l++) {
      out.set(this.keys[l].subarray(0, per), 2 * l * per);
      out.set(this.values[l].subarray(0, per), (2 * l + 1) * per);
    }
    return new Uint8Array(out.buffer);
  }

  importState(state: Uint8Array, positions: number): void {
    this.checkStatePositions(positions);
    const per = positions * this.kvDim;
    if (state.byteLength !== 2 * this.c.blockCount * per * 4) throw new RangeError('the state does not fit this context (size mismatch)');
    const f = new Float32Array(state.slice().buffer);
    for (let l = 0; l < this.c.blockCount; l++) {
      this.keys[l].set(f.subarray(2 * l * per, (2 * l + 1) * per));
      this.values[l].set(f.subarray((2 * l + 1) * per, (2 * l + 2) * per));
    }
    this.filled = positions;
  }

  private checkStatePositions(positions: number): void {
    if (!Number.isInteger(positions) || positions < 0 || positions > this.contextLength) {
      throw new RangeError(`a state of ${positions} positions does not fit the context of ${this.contextLength}`);
    }
  }

  async embed(tokens: readonly number[]): Promise<Float32Array> {
    if (this.disposed) throw new Error('the inference context was disposed');
    if (tokens.length === 0) throw new RangeError('embed needs at least one token');
    if (tokens.length > this.contextLength) throw new RangeError(`${tokens.length} tokens exceed the context of ${this.contextLength}`);
    this.filled = 0;
    const sum = new Float64Array(this.c.embeddingLength);
    for (let i = 0; i < tokens.length; i++) {
      const h = this.hidden(tokens[i], i);
      for (let j = 0; j < h.length; j++) sum[j] += h[j];
      this.filled = i + 1;
    }
    return Float32Array.from(sum, (v) => v / tokens.length);
  }

  dispose(): void {
    this.disposed = true;
  }

  private step(token: number, pos: number): Float32Array {
    const h = this.hidden(token, pos);
    const logits = new Float32Array(this.c.vocabSize);
    project(logits, this.w.output, h, this.c.vocabSize, this.c.embeddingLength);
    return logits;
  }

  /** Every layer for one token, then the output norm: the state the output matrix reads. */
  private hidden(token: number, pos: number): Float32Array {
    const { c, w } = this;
    const d = c.embeddingLength;
    if (!Number.isInteger(token) || token < 0 || token >= c.vocabSize) throw new RangeError(`token id ${token} is outside the vocabulary of ${c.vocabSize}`);
    if (c.arch === 'gpt2' && pos >= c.trainContextLength) {
      throw new RangeError(`gpt2 has learned positions for ${c.trainContextLength} tokens only`);
    }

    const x = w.tokenEmbd.slice(token * d, (token + 1) * d);
    if (w.positionEmbd) for (let i = 0; i < d; i++) x[i] += w.positionEmbd[pos * d + i];

    const h = new Float32Array(d);
    const qDim = c.headCount * c.headDim;
    const q = new Float32Array(qDim);
    const attnOut = new Float32Array(qDim);
    const proj = new Float32Array(d);
    const ff = c.feedForwardLength;
    const up = new Float32Array(ff);
    const gate = new Float32Array(ff);
    const scores = new Float64Array(pos + 1);

    for (let l = 0; l < c.blockCount; l++) {
      const L = w.layers[l];
      this.norm(h, x, L.attnNorm, L.attnNormBias);

      const kCache = this.keys[l];
      const vCache = this.values[l];
      const k = kCache.subarray(pos * this.kvDim, (pos + 1) * this.kvDim);
      const v = vCache.subarray(pos * this.kvDim, (pos + 1) * this.kvDim);
      if (L.wqkv) {
        const qkv = new Float32Array(qDim + 2 * this.kvDim);
        project(qkv, L.wqkv, h, qkv.length, d, L.bqkv);
        q.set(qkv.subarray(0, qDim));
        k.set(qkv.subarray(qDim, qDim + this.kvDim));
        v.set(qkv.subarray(qDim + this.kvDim));
      } else {
        project(q, L.wq!, h, qDim, d, L.bq);
        project(k, L.wk!, h, this.kvDim, d, L.bk);
        project(v, L.wv!, h, this.kvDim, d, L.bv);
      }
      if (c.ropeType !== 'none') {
        rope(q, c.headCount, c.headDim, pos, this.ropeParams);
        rope(k, c.headCountKv, c.headDim, pos, this.ropeParams);
      }

      const group = c.headCount / c.headCountKv;
      const scale = 1 / Math.sqrt(c.headDim);
      for (let head = 0; head < c.headCount; head++) {
        const kvOff = Math.floor(head / group) * c.headDim;
        const qOff = head * c.headDim;
        for (let t = 0; t <= pos; t++) {
          let s = 0;
          const base = t * this.kvDim + kvOff;
          for (let i = 0; i < c.headDim; i++) s += q[qOff + i] * kCache[base + i];
          scores[t] = s * scale;
        }
        softmaxInPlace(scores, pos + 1);
        for (let i = 0; i < c.headDim; i++) {
          let s = 0;
          for (let t = 0; t <= pos; t++) s += scores[t] * vCache[t * this.kvDim + kvOff + i];
          attnOut[qOff + i] = s;
        }
      }
      project(proj, L.wo, attnOut, d, qDim, L.bo);
      for (let i = 0; i < d; i++) x[i] += proj[i];

      this.norm(h, x, L.ffnNorm, L.ffnNormBias);
      project(up, L.wUp, h, ff, d, L.bUp);
      if (L.wGate) {
        project(gate, L.wGate, h, ff, d);
        for (let i = 0; i < ff; i++) up[i] *= silu(gate[i]);
      } else {
        for (let i = 0; i < ff; i++) up[i] = c.activation === 'gelu' ? gelu(up[i]) : silu(up[i]);
      }
      project(proj, L.wDown, up, d, ff, L.bDown);
      for (let i = 0; i < d; i++) x[i] += proj[i];
    }

    this.norm(h, x, w.outputNorm, w.outputNormBias);
    return h;
  }

  private norm(out: Float32Array, x: Float32Array, weight: Float32Array, bias: Float32Array | undefined): void {
    if (this.c.normType === 'layer') layernorm(out, x, weight, bias ?? new Float32Array(x.length), this.c.normEps);
    else rmsnorm(out, x, weight, this.c.normEps);
  }
}
