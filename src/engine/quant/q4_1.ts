import { GGMLType } from './ggml-type.js';
import { blockMinMax, checkDequantArgs, checkQuantArgs, cFloatToInt8, fr, readF16, writeF16 } from './common.js';
import type { QuantType } from './quant-type.js';

const QK = 32;
const BYTES = 20; // block_q4_1: f16 d; f16 m; u8 qs[16] (low nibble = j, high nibble = j+16)

/** Q4_1: value = q * d + m. Reference quantiser: m = min, d = (max - min)/15. */
export const Q4_1: QuantType = {
  type: GGMLType.Q4_1,
  name: 'Q4_1',
  blockSize: QK,
  bytesPerBlock: BYTES,
  dequantize(src, out) {
    const nb = checkDequantArgs('Q4_1', QK, BYTES, src, out);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      const y = i * QK;
      const d = readF16(src, o);
      const m = readF16(src, o + 2);
      for (let j = 0; j < QK / 2; j++) {
        const b = src[o + 4 + j];
        out[y + j] = fr(fr((b & 0x0f) * d) + m);
        out[y + j + QK / 2] = fr(fr((b >> 4) * d) + m);
      }
    }
  },
  quantize(src) {
    const nb = checkQuantArgs('Q4_1', QK, src);
    const dst = new Uint8Array(nb * BYTES);
    for (let i = 0; i < nb; i++) {
      const x = i * QK;
      const o = i * BYTES;
      const [min, max] = blockMinMax(src, x, QK);
      const d = fr(fr(max - min) / 15);
      const id = d ? fr(1 / d) : 0;
      writeF16(dst, o, d);
      writeF16(dst, o + 2, min);
      for (let j = 0; j < QK / 2; j++) {
        const x0 = fr(fr(src[x + j] - min) * id);
        const x1 = fr(fr(src[x + QK / 2 + j] - min) * id);
        const q0 = Math.min(15, cFloatToInt8(fr(x0 + 0.5)));
        const q1 = Math.min(15, cFloatToInt8(fr(x1 + 0.5)));
        dst[o + 4 + j] = (q0 | (q1 << 4)) & 0xff; // C: uint8_t stores, so negative levels wrap
      }
    }
    return dst;
  },
};
