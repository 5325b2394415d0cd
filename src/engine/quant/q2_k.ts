import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs, fr, nearestInt, readF16, writeF16 } from './common.js';
import { QK_K, makeQkx2Quants } from './k-quant-util.js';
import type { QuantType } from './quant-type.js';

/**
 * block_q2_K (84 bytes): u8 scales[16] @0 (sub-block j: low nibble = scale, high nibble = min),
 * u8 qs[64] @16 (2-bit levels), f16 d @80, f16 dmin @82 (d and dmin are LAST).
 * Sixteen sub-blocks of 16; value = d*(sc&15)*q - dmin*(sc>>4) with q in 0..3.
 * Element e (0..255): qs[32*(e>>7) + (e&31)] bits 2*((e>>5)&3) .. +1; sub-block e>>4.
 */
const BYTES = 84;
const SCALES = 0;
const QS = 16;
const D = 80;
const DMIN = 82;

/** quantize_row_q2_K_ref's make_qkx2_quants arguments: rmin -0.5, rdelta 0.1, 15 steps, absolute error. */
const RMIN = -0.5;
const RDELTA = fr(0.1);
const NSTEP = 15;
const NMAX = 3;
/** The 4-bit sub-scales and sub-mins map the largest onto 15. */
const Q4SCALE = 15;

export const Q2_K: QuantType = {
  type: GGMLType.Q2_K,
  name: 'Q2_K',
  blockSize: QK_K,
  bytesPerBlock: BYTES,
  dequantize(src, out) {
    const nb = checkDequantArgs('Q2_K', QK_K, BYTES, src, out);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      const d = readF16(src, o + D);
      const min = readF16(src, o + DMIN);
      let y = i * QK_K;
      let is = 0;
      for (let h = 0; h < 2; h++) {
        const q = o + QS + 32 * h;
        for (let j = 0; j < 4; j++) {
          const shift = 2 * j;
          for (let k = 0; k < 2; k++) {
            const sc = src[o + SCALES + is++];
            const dl = fr(d * (sc & 0x0f));
            const ml = fr(min * (sc >> 4));
            for (let l = 16 * k; l < 16 * k + 16; l++) out[y++] = fr(fr(dl * ((src[q + l] >> shift) & 3)) - ml);
          }
        }
      }
    }
  },
  quantize(src) {
    const nb = checkQuantArgs('Q2_K', QK_K, src);
    const dst = new Uint8Array(nb * BYTES);
    const L = new Uint8Array(QK_K);
    const laux = new Uint8Array(16);
    const weights = new Float32Array(16);
    const scales = new Float32Array(16);
    const mins = new Float32Array(16);
    for (let i = 0; i < nb; i++) {
      const x = i * QK_K;
      const o = i * BYTES;
      let maxScale = 0;
      let maxMin = 0;
      for (let j = 0; j < 16; j++) {
        const xo = x + 16 * j;
        for (let l = 0; l < 16; l++) weights[l] = Math.abs(src[xo + l]);
        const r = makeQkx2Quants(16, NMAX, src, xo, weights, L, 16 * j, laux, RMIN, RDELTA, NSTEP, true);
        scales[j] = r.scale;
        mins[j] = r.min;
        if (scales[j] > maxScale) maxScale = scales[j];
        if (mins[j] > maxMin) maxMin = mins[j];
      }
      // No clamps in C: nearest_int(...) goes straight into the uint8_t byte (mod 256), and the
      // min's l << 4 is OR-ed in and truncated to 8 bits the same way.
      if (maxScale > 0) {
        const iscale = fr(Q4SCALE / maxScale);
        for (let j = 0; j < 16; j++) dst[o + SCALES + j] = nearestInt(fr(iscale * scales[j])) & 0xff;
        writeF16(dst, o + D, fr(maxScale / Q4SCALE));
      } // else: scales and d stay zero bytes (f16 +0)
      if (maxMin > 0) {
        const iscale = fr(Q4SCALE / maxMin);
        for (let j = 0; j < 16; j++) dst[o + SCALES + j] |= (nearestInt(fr(iscale * mins[j])) << 4) & 0xff;
        writeF16(dst, o + DMIN, fr(maxMin / Q4SCALE));
      } // else: dmin stays f16 +0
      const dAll = readF16(dst, o + D);
      const mAll = readF16(dst, o + DMIN);
      for (let j = 0; j < 16; j++) {
        const sc = dst[o + SCALES + j];
        const d = fr(dAll * (sc & 0x0f));
        // C's `if (!d) continue`: only zero skips (a NaN d, from an f16-overflowed d times 0, does not)
        if (d === 0) continue; // keep the levels from the search
        const dm = fr(mAll * (sc >> 4));
        for (let ii = 0; ii < 16; ii++) {
          const l = nearestInt(fr(fr(src[x + 16 * j + ii] + dm) / d));
          L[16 * j + ii] = Math.max(0, Math.min(3, l));
        }
      }
      // byte l of 32-byte half h holds elements 128h + l, +32, +64, +96 in bits 0-1, 2-3, 4-5, 6-7
      for (let h = 0; h < 2; h++) {
        const b = 128 * h;
        for (let l = 0; l < 32; l++) {
          dst[o + QS + 32 * h + l] = L[b + l] | (L[b + l + 32] << 2) | (L[b + l + 64] << 4) | (L[b + l + 96] << 6);
        }
      }
    }
    return dst;
  },
};
