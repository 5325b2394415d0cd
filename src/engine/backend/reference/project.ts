import { roundActivations } from '../../quant/activation.js';
import { readF16 } from '../../quant/common.js';
import { GGMLType } from '../../quant/ggml-type.js';
import { matvec, type MinTerm } from './math.js';

/** A weight matrix, dequantised, remembering its stored type (which decides activation rounding). */
export interface Matrix {
  readonly data: Float32Array;
  readonly type: number;
  /** Per-block mins (rows x blocks), for the types whose dot product has a min term (Q4_1). */
  readonly blockMins?: Float32Array;
}

/** Wraps dequantised weights with what the dot product needs from the raw blocks. */
export function matrixOf(type: number, raw: Uint8Array, dequantised: Float32Array): Matrix {
  return { data: dequantised, type, blockMins: type === GGMLType.Q4_1 ? q4_1Mins(raw) : undefined };
}

/**
 * A matrix-vector product as ggml's CPU backend computes it: activations first converted to the
 * weight type's dot format, and for Q4_1 the min term taken from the activation's stored block sum.
 */
export function project(out: Float32Array, m: Matrix, x: Float32Array, rows: number, cols: number, bias?: Float32Array): void {
  const a = roundActivations(m.type, x);
  let minTerm: MinTerm | undefined;
  if (m.blockMins && a.blockSums) {
    const correction = new Float64Array(cols / 32);
    for (let b = 0; b < correction.length; b++) {
      let s = 0;
      for (let j = 0; j < 32; j++) s += a.values[b * 32 + j];
      correction[b] = a.blockSums[b] - s;
    }
    minTerm = { mins: m.blockMins, correction };
  }
  matvec(out, m.data, a.values, rows, cols, bias, minTerm);
}

/** The f16 min of every 20-byte Q4_1 block (d at byte 0, m at byte 2). */
function q4_1Mins(data: Uint8Array): Float32Array {
  const out = new Float32Array(data.byteLength / 20);
  for (let b = 0; b < out.length; b++) out[b] = readF16(data, b * 20 + 2);
  return out;
}
