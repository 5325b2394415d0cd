import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs, fr, readF16 } from './common.js';
import { QK_K, getScaleMinK4, quantizeScaleMinSuperBlock } from './k-quant-util.js';
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
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      quantizeScaleMinSuperBlock(src, i * QK_K, dst, o, L, { nmax: 15, rmin: -1, nstep: 20 });
      for (let c = 0; c < 4; c++) {
        const q = o + 16 + 32 * c;
        for (let l = 0; l < 32; l++) dst[q + l] = L[64 * c + l] | (L[64 * c + l + 32] << 4);
      }
    }
    return dst;
  },
};
