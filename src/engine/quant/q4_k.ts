import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs, fr, nearestInt, readF16, writeF16 } from './common.js';
import { f16ToF32, f32ToF16 } from './half.js';
import { QK_K, getScaleMinK4, makeQkx2Quants, packScaleMinK4 } from './k-quant-util.js';
import type { QuantType } from './quant-type.js';

/**
 * block_q4_K (144 bytes): f16 d @0, f16 dmin @2, u8 scales[12] @4 (8 six-bit scales + 8 six-bit
 * mins, see getScaleMinK4), u8 qs[128] @16. Eight sub-blocks of 32; value = d*sc*q - dmin*m.
 * qs is four 32-byte chunks; chunk c holds sub-block 2c in its low nibbles and 2c+1 in its high.
 */
const BYTES = 144;

export const Q4_K: QuantType = {
  type: GGMLType.Q4_K,
  name: 'Q4_K',
  blockSize: QK_K,
  bytesPerBlock: BYTES,
  dequantize(src, out) {
    const nb = checkDequantArgs('Q4_K', QK_K, BYTES, src, out);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      const d = readF16(src, o);
      const dmin = readF16(src, o + 2);
      let y = i * QK_K;
      for (let c = 0; c < 4; c++) {
        const [sc1, m1i] = getScaleMinK4(2 * c, src, o + 4);
        const [sc2, m2i] = getScaleMinK4(2 * c + 1, src, o + 4);
        const d1 = fr(d * sc1), m1 = fr(dmin * m1i);
        const d2 = fr(d * sc2), m2 = fr(dmin * m2i);
        const q = o + 16 + 32 * c;
        for (let l = 0; l < 32; l++) out[y++] = fr(fr(d1 * (src[q + l] & 0x0f)) - m1);
        for (let l = 0; l < 32; l++) out[y++] = fr(fr(d2 * (src[q + l] >> 4)) - m2);
      }
    }
  },
  quantize(src) {
    const nb = checkQuantArgs('Q4_K', QK_K, src);
    const dst = new Uint8Array(nb * BYTES);
    const L = new Uint8Array(QK_K);
    const laux = new Uint8Array(32);
    const weights = new Float32Array(32);
    const scales = new Float32Array(8);
    const mins = new Float32Array(8);
    const ls = new Uint8Array(8);
    const lm = new Uint8Array(8);
    for (let i = 0; i < nb; i++) {
      const x = i * QK_K;
      const o = i * BYTES;
      let maxScale = 0;
      let maxMin = 0;
      for (let j = 0; j < 8; j++) {
        const xo = x + 32 * j;
        let sumX2 = 0;
        for (let l = 0; l < 32; l++) sumX2 = fr(sumX2 + fr(src[xo + l] * src[xo + l]));
        const avX = fr(Math.sqrt(fr(sumX2 / 32)));
        for (let l = 0; l < 32; l++) weights[l] = fr(avX + Math.abs(src[xo + l]));
        const r = makeQkx2Quants(32, 15, src, xo, weights, L, 32 * j, laux, -1, fr(0.1), 20, false);
        scales[j] = r.scale;
        mins[j] = r.min;
        if (scales[j] > maxScale) maxScale = scales[j];
        if (mins[j] > maxMin) maxMin = mins[j];
      }
      const invScale = maxScale > 0 ? fr(63 / maxScale) : 0;
      const invMin = maxMin > 0 ? fr(63 / maxMin) : 0;
      for (let j = 0; j < 8; j++) {
        // C stores nearest_int(...) into a uint8_t (mod 256) before clamping to 63.
        ls[j] = Math.min(63, nearestInt(fr(invScale * scales[j])) & 0xff);
        lm[j] = Math.min(63, nearestInt(fr(invMin * mins[j])) & 0xff);
      }
      packScaleMinK4(ls, lm, dst, o + 4);
      writeF16(dst, o, fr(maxScale / 63));
      writeF16(dst, o + 2, fr(maxMin / 63));
      const dAll = f16ToF32(f32ToF16(fr(maxScale / 63)));
      const mAll = f16ToF32(f32ToF16(fr(maxMin / 63)));
      for (let j = 0; j < 8; j++) {
        const [sc, m] = getScaleMinK4(j, dst, o + 4);
        const d = fr(dAll * sc);
        if (!d) continue; // keep the levels from the search
        const dm = fr(mAll * m);
        for (let ii = 0; ii < 32; ii++) {
          const l = nearestInt(fr(fr(src[x + 32 * j + ii] + dm) / d));
          L[32 * j + ii] = Math.max(0, Math.min(15, l));
        }
      }
      for (let c = 0; c < 4; c++) {
        const q = o + 16 + 32 * c;
        for (let l = 0; l < 32; l++) dst[q + l] = L[64 * c + l] | (L[64 * c + l + 32] << 4);
      }
    }
    return dst;
  },
};
