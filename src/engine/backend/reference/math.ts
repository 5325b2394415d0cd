import { f16ToF32, f32ToF16 } from '../../quant/half.js';

/**
 * The reference backend's arithmetic: plain loops in float32 storage with float64 accumulation,
 * written to be obviously right rather than fast. Every faster backend is tested against these.
 */

/**
 * out[r] = sum_c w[r*cols + c] * x[c] (+ bias[r]) for each of `rows` rows. Like ggml's dot
 * products, each 32-element block is summed exactly (products of float32 values, summed in
 * float64) and the block sums are accumulated in float32: matching that accumulation precision is
 * what keeps rounding-boundary cases (an activation landing on a quantisation tie) the same as
 * llama.cpp's.
 */
export function matvec(
  out: Float32Array,
  w: Float32Array,
  x: Float32Array,
  rows: number,
  cols: number,
  bias?: Float32Array,
  minTerm?: MinTerm,
): void {
  const fr = Math.fround;
  const blocks = Math.ceil(cols / 32);
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    const base = r * cols;
    for (let b = 0; b < blocks; b++) {
      let block = 0;
      const end = Math.min(cols, b * 32 + 32);
      for (let c = b * 32; c < end; c++) block += w[base + c] * x[c];
      if (minTerm) block += minTerm.mins[r * blocks + b] * minTerm.correction[b];
      acc = fr(acc + fr(block));
    }
    out[r] = bias ? fr(acc + bias[r]) : acc;
  }
}

/**
 * Q4_1-style dot products take a block's min term from the activation's stored block sum: each
 * block adds mins[row, block] * correction[block] (stored sum minus the sum of the values).
 */
export interface MinTerm {
  readonly mins: Float32Array;
  readonly correction: Float64Array;
}

/** ggml's rms_norm then the weight multiply, with its float32 steps (the sum of squares in double). */
export function rmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, eps: number): void {
  const fr = Math.fround;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += fr(x[i] * x[i]);
  const scale = fr(1 / fr(Math.sqrt(fr(fr(ss / x.length) + eps))));
  for (let i = 0; i < x.length; i++) out[i] = fr(fr(x[i] * scale) * weight[i]);
}

/** ggml's norm (mean and variance summed in double), then the weight multiply and bias add. */
export function layernorm(out: Float32Array, x: Float32Array, weight: Float32Array, bias: Float32Array, eps: number): void {
  const fr = Math.fround;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  const mean = fr(fr(sum) / x.length);
  let sum2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = fr(x[i] - mean);
    sum2 += fr(v * v);
  }
  const scale = fr(1 / fr(Math.sqrt(fr(fr(sum2 / x.length) + eps))));
  for (let i = 0; i < x.length; i++) out[i] = fr(fr(fr(fr(x[i] - mean) * scale) * weight[i]) + bias[i]);
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
 * GELU, tanh approximation, as ggml's CPU backend evaluates it: a 65536-entry table indexed by the
 * input rounded to f16, holding f16 results of the float32 formula (exact outside [-10, 10]).
 * Matching that rounding is what keeps GPT-2 continuations identical to llama.cpp's.
 */
export function gelu(x: number): number {
  if (x <= -10) return 0;
  if (x >= 10) return x;
  return geluTable()[f32ToF16(x)];
}

let table: Float32Array | undefined;
function geluTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  const fr = Math.fround;
  const a = fr(0.044715);
  const s = fr(0.7978845608028654);
  for (let bits = 0; bits < 65536; bits++) {
    const h = f16ToF32(bits);
    // 0.5f*x*(1.0f + tanhf(SQRT_2_OVER_PI*x*(1.0f + GELU_COEF_A*x*x))) in float32, left to right,
    // with 1 + (a*x)*x fused as llama.cpp's build fuses it (the product is exact in float64).
    const inner = fr(fr(s * h) * fr(fr(a * h) * h + 1));
    const y = fr(fr(0.5 * h) * fr(1 + fr(Math.tanh(inner))));
    table[bits] = f16ToF32(f32ToF16(y));
  }
  return table;
}
