import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs, fr, readF16 } from './common.js';
import { QK_K, getScaleMinK4, quantizeScaleMinSuperBlock } from './k-quant-util.js';
import type { QuantType } from './quant-type.js';

/**
 * block_q5_K (176 bytes): f16 d @0, f16 dmin @2, u8 scales[12] @4 (as Q4_K), u8 qh[32] @16,
 * u8 qs[128] @48. Eight sub-blocks of 32; value = d*sc*q - dmin*m with q in 0..31.
 * Low 4 bits: qs chunk c (32 bytes) holds sub-block 2c low nibbles, 2c+1 high nibbles.
 * 5th bit of element l of sub-block s is bit s of qh[l].
 */
const BYTES = 176;

export const Q5_K: QuantType = {
  type: GGMLType.Q5_K,
  name: 'Q5_K',
  blockSize: QK_K,
  bytesPerBlock: BYTES,
  dequantize(src, out) {
    const nb = checkDequantArgs('Q5_K', QK_K, BYTES, src, out);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      const d = readF16(src, o);
      const dmin = readF16(src, o + 2);
      const qh = o + 16;
      let y = i * QK_K;
      for (let c = 0; c < 4; c++) {
        const [sc1, m1i] = getScaleMinK4(2 * c, src, o + 4);
        const [sc2, m2i] = getScaleMinK4(2 * c + 1, src, o + 4);
        const d1 = fr(d * sc1), m1 = fr(dmin * m1i);
        const d2 = fr(d * sc2), m2 = fr(dmin * m2i);
        const u1 = 1 << (2 * c), u2 = 2 << (2 * c);
        const ql = o + 48 + 32 * c;
        for (let l = 0; l < 32; l++) out[y++] = fr(fr(d1 * ((src[ql + l] & 0x0f) + (src[qh + l] & u1 ? 16 : 0))) - m1);
        for (let l = 0; l < 32; l++) out[y++] = fr(fr(d2 * ((src[ql + l] >> 4) + (src[qh + l] & u2 ? 16 : 0))) - m2);
      }
    }
  },
  quantize(src) {
    const nb = checkQuantArgs('Q5_K', QK_K, src);
    const dst = new Uint8Array(nb * BYTES);
    const L = new Uint8Array(QK_K);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      quantizeScaleMinSuperBlock(src, i * QK_K, dst, o, L, { nmax: 31, rmin: -0.5, nstep: 15 });
      const qh = o + 16;
      for (let c = 0; c < 4; c++) {
        const ql = o + 48 + 32 * c;
        const m1 = 1 << (2 * c), m2 = 2 << (2 * c);
        for (let j = 0; j < 32; j++) {
          let l1 = L[64 * c + j];
          let l2 = L[64 * c + j + 32];
          if (l1 > 15) { l1 -= 16; dst[qh + j] |= m1; }
          if (l2 > 15) { l2 -= 16; dst[qh + j] |= m2; }
          dst[ql + j] = l1 | (l2 << 4);
        }
      }
    }
    return dst;
  },
};
