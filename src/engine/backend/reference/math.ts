import { f16ToF32, f32ToF16 } from '../../quant/half.js';

/**
 * The reference backend's arithmetic: plain loops in float32 storage with float64 accumulation,
 * written to be obviously right rather than fast. Every faster backend is tested against these.
 */

/** out[r] = sum_c w[r*cols + c] * x[c] (+ bias[r]) for each of `rows` rows. */
export function matvec(out: Float32Array, w: Float32Array, x: Float32Array, rows: number, cols: number, bias?: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const base = r * cols;
    for (let c = 0; c < cols; c++) s += w[base + c] * x[c];
    out[r] = bias ? s + bias[r] : s;
  }
}

export function rmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, eps: number): void {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
  const scale = 1 / Math.sqrt(ss / x.length + eps);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * scale * weight[i];
}

export function layernorm(out: Float32Array, x: Float32Array, weight: Float32Array, bias: Float32Array, eps: number): void {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  let variance = 0;
  for (let i = 0; i < x.length; i++) variance += (x[i] - mean) ** 2;
  variance /= x.length;
  const scale = 1 / Math.sqrt(variance + eps);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - mean) * scale * weight[i] + bias[i];
}

export interface RopeParams {
  readonly mode: 'norm' | 'neox';
  readonly dims: number;
  readonly base: number;
  /** Positions are divided by this (linear scaling). */
  readonly scale: number;
  /** Per-pair divisors of the angle (rope_freqs.weight, Llama 3.1 style), when the model has them. */
  readonly freqFactors?: Float32Array;
}

/**
 * Rotates each head's first `dims` values in place by angles pos * base^(-2i/dims). 'norm' pairs
 * adjacent values (x[2i], x[2i+1]); 'neox' pairs the halves (x[i], x[i + dims/2]).
 */
export function rope(vec: Float32Array, heads: number, headDim: number, pos: number, p: RopeParams): void {
  const half = p.dims / 2;
  for (let i = 0; i < half; i++) {
    const factor = p.freqFactors ? p.freqFactors[i] : 1;
    const theta = (pos / p.scale) * Math.pow(p.base, (-2 * i) / p.dims) / factor;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    for (let h = 0; h < heads; h++) {
      const o = h * headDim;
      const a = p.mode === 'norm' ? o + 2 * i : o + i;
      const b = p.mode === 'norm' ? a + 1 : a + half;
      const x0 = vec[a];
      const x1 = vec[b];
      vec[a] = x0 * cos - x1 * sin;
      vec[b] = x0 * sin + x1 * cos;
    }
  }
}

export function softmaxInPlace(x: Float32Array | Float64Array, n = x.length): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < n; i++) {
    x[i] = Math.exp(x[i] - max);
    sum += x[i];
  }
  for (let i = 0; i < n; i++) x[i] /= sum;
}

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/**
 * GELU, tanh approximation, as ggml's CPU backend evaluates it: through a table indexed by the
 * input rounded to f16 and holding f16 results (exact outside [-10, 10]). Matching that rounding
 * is what keeps GPT-2 continuations identical to llama.cpp's.
 */
export function gelu(x: number): number {
  if (x <= -10) return 0;
  if (x >= 10) return x;
  const h = f16ToF32(f32ToF16(x));
  return f16ToF32(f32ToF16(Math.fround(0.5 * h * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (h + 0.044715 * h * h * h))))));
}
