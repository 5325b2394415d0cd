import { roundActivations } from '../../quant/activation.js';
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
  const bytes = MIN_BLOCK_BYTES.get(type);
  return { data: dequantised, type, blockMins: bytes ? blockMins(raw, bytes) : undefined };
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

/** Block bytes of the types with a min term: their blocks start with f16 d, then f16 m. */
const MIN_BLOCK_BYTES = new Map<number, number>([
  [GGMLType.Q4_1, 20],
  [GGMLType.Q5_1, 24],
]);

/** The f16 min of every block (d at byte 0, m at byte 2). */
function blockMins(data: Uint8Array, blockBytes: number): Float32Array {
  const out = new Float32Array(data.byteLength / blockBytes);
  for (let b = 0; b < out.length; b++) out[b] = readF16(data, b * blockBytes + 2);
  return out;
}
