import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs, cFloatToInt8, fr, readF16, writeF16, signedAbsMax } from './common.js';
import type { QuantType } from './quant-type.js';

const QK = 32;
const BYTES = 18; // block_q4_0: f16 d; u8 qs[16] (low nibble = element j, high nibble = element j+16)

/** Q4_0: value = (q - 8) * d. Reference quantiser: d = max/-8 where max is the signed value of largest |x|. */
export const Q4_0: QuantType = {
  type: GGMLType.Q4_0,
  name: 'Q4_0',
  blockSize: QK,
  bytesPerBlock: BYTES,
  dequantize(src, out) {
    const nb = checkDequantArgs('Q4_0', QK, BYTES, src, out);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      const y = i * QK;
      const d = readF16(src, o);
      for (let j = 0; j < QK / 2; j++) {
        const b = src[o + 2 + j];
        out[y + j] = fr(((b & 0x0f) - 8) * d);
        out[y + j + QK / 2] = fr(((b >> 4) - 8) * d);
      }
    }
  },
  quantize(src) {
    const nb = checkQuantArgs('Q4_0', QK, src);
    const dst = new Uint8Array(nb * BYTES);
    for (let i = 0; i < nb; i++) {
      const x = i * QK;
      const o = i * BYTES;
      const max = signedAbsMax(src, x, QK);
      const d = fr(max / -8);
      const id = d ? fr(1 / d) : 0;
      writeF16(dst, o, d);
      for (let j = 0; j < QK / 2; j++) {
        const x0 = fr(src[x + j] * id);
        const x1 = fr(src[x + QK / 2 + j] * id);
        const q0 = Math.min(15, cFloatToInt8(fr(x0 + 8.5)));
        const q1 = Math.min(15, cFloatToInt8(fr(x1 + 8.5)));
        dst[o + 2 + j] = (q0 | (q1 << 4)) & 0xff; // C: uint8_t stores, so negative levels wrap
      }
    }
    return dst;
  },
};
