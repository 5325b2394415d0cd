import { nearestInt, signedAbsMax } from './common.js';

/**
 * Q8_K: ggml's intermediate format for activations multiplied by K-quant weights (never stored in
 * model files). Block of 256: f32 d, int8 qs[256], int16 bsums[16] (sums of 16 quants, which the
 * K-quant dot products use for their mins).
 */
export const Q8_K_BLOCK = 256;
export const Q8_K_BYTES = 4 + 256 + 32;

/** ggml's quantize_row_q8_K_ref: scale from the signed value of largest magnitude, -127/max. */
export function quantizeQ8K(x: Float32Array): Uint8Array {
  const nb = x.length / Q8_K_BLOCK;
  const out = new Uint8Array(nb * Q8_K_BYTES);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    const base = b * Q8_K_BLOCK;
    const o = b * Q8_K_BYTES;
    const max = signedAbsMax(x, base, Q8_K_BLOCK);
    if (max === 0) continue; // d = 0 and zero quants, as ggml
    const iscale = Math.fround(-127 / max);
    for (let j = 0; j < Q8_K_BLOCK; j++) {
      const v = Math.min(127, nearestInt(Math.fround(iscale * x[base + j])));
      dv.setInt8(o + 4 + j, v);
    }
    for (let g = 0; g < 16; g++) {
      let sum = 0;
      for (let j = 0; j < 16; j++) sum += dv.getInt8(o + 4 + g * 16 + j);
      dv.setInt16(o + 4 + 256 + g * 2, sum, true);
    }
    dv.setFloat32(o, Math.fround(1 / iscale), true);
  }
  return out;
}

export function dequantizeQ8K(src: Uint8Array, out: Float32Array): void {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const nb = out.length / Q8_K_BLOCK;
  for (let b = 0; b < nb; b++) {
    const o = b * Q8_K_BYTES;
    const d = dv.getFloat32(o, true);
    for (let j = 0; j < Q8_K_BLOCK; j++) out[b * Q8_K_BLOCK + j] = Math.fround(d * dv.getInt8(o + 4 + j));
  }
}
