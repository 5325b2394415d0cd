import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs, cFloatToInt8, fr, readF16, readU32, writeF16, writeU32, signedAbsMax } from './common.js';
import type { QuantType } from './quant-type.js';

const QK = 32;
/**
 * block_q5_0: f16 d; u8 qh[4] (a little-endian u32 whose bit j is the 5th bit of element j);
 * u8 qs[16] (low nibble = element j, high nibble = element j+16).
 */
const BYTES = 22;

/** Q5_0: value = (q - 16) * d, q in 0..31. Reference quantiser: d = max/-16. */
export const Q5_0: QuantType = {
  type: GGMLType.Q5_0,
  name: 'Q5_0',
  blockSize: QK,
  bytesPerBlock: BYTES,
  dequantize(src, out) {
    const nb = checkDequantArgs('Q5_0', QK, BYTES, src, out);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      const y = i * QK;
      const d = readF16(src, o);
      const qh = readU32(src, o + 2);
      for (let j = 0; j < QK / 2; j++) {
        const b = src[o + 6 + j];
        const h0 = ((qh >>> j) << 4) & 0x10;
        const h1 = (qh >>> (j + 12)) & 0x10;
        out[y + j] = fr((((b & 0x0f) | h0) - 16) * d);
        out[y + j + QK / 2] = fr((((b >> 4) | h1) - 16) * d);
      }
    }
  },
  quantize(src) {
    const nb = checkQuantArgs('Q5_0', QK, src);
    const dst = new Uint8Array(nb * BYTES);
    for (let i = 0; i < nb; i++) {
      const x = i * QK;
      const o = i * BYTES;
      const max = signedAbsMax(src, x, QK);
      const d = fr(max / -16);
      const id = d ? fr(1 / d) : 0;
      writeF16(dst, o, d);
      let qh = 0;
      for (let j = 0; j < QK / 2; j++) {
        const q0 = Math.min(31, cFloatToInt8(fr(fr(src[x + j] * id) + 16.5)));
        const q1 = Math.min(31, cFloatToInt8(fr(fr(src[x + QK / 2 + j] * id) + 16.5)));
        dst[o + 6 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
        qh |= ((q0 & 0x10) >>> 4) << j;
        qh |= ((q1 & 0x10) >>> 4) << (j + QK / 2);
      }
      writeU32(dst, o + 2, qh);
    }
    return dst;
  },
};
