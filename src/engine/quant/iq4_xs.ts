import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs, fr, readF16 } from './common.js';
import { IQ4_VALUES, type Iq4Layout, quantizeIq4Block } from './iq4-util.js';
import { QK_K } from './k-quant-util.js';
import type { QuantType } from './quant-type.js';

/**
 * block_iq4_xs (136 bytes): f16 d @0, u16 scales_h @2, u8 scales_l[4] @4, u8 qs[128] @8. Eight
 * sub-blocks of 32, each IQ4_NL's nibble layout, scaled by d * (ls - 32) with the six-bit ls =
 * low nibble (scales_l[ib/2], nibble ib%2) | two high bits (scales_h bits 2*ib..2*ib+1) << 4.
 */
const BYTES = 136;
const LAYOUT: Iq4Layout = { values: QK_K, d: 0, scalesH: 2, scalesL: 4, qs: 8 };

/** IQ4_XS: IQ4_NL's levels in 256-value super-blocks with six-bit sub-block scales. */
export const IQ4_XS: QuantType = {
  type: GGMLType.IQ4_XS,
  name: 'IQ4_XS',
  blockSize: QK_K,
  bytesPerBlock: BYTES,
  dequantize(src, out) {
    const nb = checkDequantArgs('IQ4_XS', QK_K, BYTES, src, out);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      const d = readF16(src, o);
      const scalesH = src[o + LAYOUT.scalesH!] | (src[o + LAYOUT.scalesH! + 1] << 8);
      for (let ib = 0; ib < QK_K / 32; ib++) {
        const ls = ((src[o + LAYOUT.scalesL! + (ib >> 1)] >> (4 * (ib % 2))) & 0xf) | (((scalesH >> (2 * ib)) & 3) << 4);
        const dl = fr(d * (ls - 32));
        const y = i * QK_K + 32 * ib;
        for (let j = 0; j < 16; j++) {
          const b = src[o + LAYOUT.qs + 16 * ib + j];
          out[y + j] = fr(dl * IQ4_VALUES[b & 0x0f]);
          out[y + j + 16] = fr(dl * IQ4_VALUES[b >> 4]);
        }
      }
    }
  },
  quantize(src) {
    const nb = checkQuantArgs('IQ4_XS', QK_K, src);
    const dst = new Uint8Array(nb * BYTES);
    for (let i = 0; i < nb; i++) quantizeIq4Block(src, i * QK_K, dst, i * BYTES, LAYOUT);
    return dst;
  },
};
