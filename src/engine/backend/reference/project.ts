import { activationTypeFor, roundActivations } from '../../quant/activation.js';
import { quantType } from '../../quant/registry.js';
import { readF16 } from '../../quant/common.js';
import { GGMLType } from '../../quant/ggml-type.js';
import { matvec, type MinTerm } from './math.js';

/** A weight matrix, dequantised, remembering its stored type (which decides activation rounding). */
export interface Matrix {
  readonly data: Float32Array;
  readonly type: number;
  /** Per-block mins (rows x blocks), for the types whose dot product has a min term (Q4_1, Q5_1). */
  readonly blockMins?: Float32Array;
}

/** Wraps dequantised weights with what the dot product needs from the raw blocks. */
export function matrixOf(type: number, raw: Uint8Array, dequantised: Float32Array): Matrix {
  // The types dotted with Q8_1 activations (whose blocks store their sums) are the ones with a min.
  const withMin = activationTypeFor(type) === GGMLType.Q8_1;
  return { data: dequantised, type, blockMins: withMin ? blockMins(raw, quantType(type).bytesPerBlock) : undefined };
}

/**
 * A matrix-vector product as ggml's CPU backend computes it: activations first converted to the
 * weight type's dot format, and for Q4_1 / Q5_1 the min term taken from the activation's stored block sum.
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

/** The f16 min of every block (d at byte 0, m at byte 2, as in block_q4_1 and block_q5_1). */
function blockMins(data: Uint8Array, blockBytes: number): Float32Array {
  const out = new Float32Array(data.byteLength / blockBytes);
  for (let b = 0; b < out.length; b++) out[b] = readF16(data, b * blockBytes + 2);
  return out;
}
