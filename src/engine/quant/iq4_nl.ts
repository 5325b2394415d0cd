import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs, fr, readF16 } from './common.js';
import { IQ4_VALUES, type Iq4Layout, quantizeIq4Block } from './iq4-util.js';
import type { QuantType } from './quant-type.js';

const QK = 32;
const BYTES = 18; // block_iq4_nl: f16 d; u8 qs[16] (low nibble = element j, high nibble = element j+16)
const LAYOUT: Iq4Layout = { values: QK, d: 0, qs: 2 };

/** IQ4_NL: value = d * IQ4_VALUES[q], Q4_0's layout with non-linear levels. */
export const IQ4_NL: QuantType = {
  type: GGMLType.IQ4_NL,
  name: 'IQ4_NL',
  blockSize: QK,
  bytesPerBlock: BYTES,
  dequantize(src, out) {
    const nb = checkDequantArgs('IQ4_NL', QK, BYTES, src, out);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      const d = readF16(src, o);
      for (let j = 0; j < QK / 2; j++) {
        const b = src[o + 2 + j];
        out[i * QK + j] = fr(d * IQ4_VALUES[b & 0x0f]);
        out[i * QK + j + QK / 2] = fr(d * IQ4_VALUES[b >> 4]);
      }
    }
  },
  quantize(src) {
    const nb = checkQuantArgs('IQ4_NL', QK, src);
    const dst = new Uint8Array(nb * BYTES);
    for (let i = 0; i < nb; i++) quantizeIq4Block(src, i * QK, dst, i * BYTES, LAYOUT);
    return dst;
  },
};
