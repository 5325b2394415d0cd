import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs, fr, readF16, roundf, writeF16 } from './common.js';
import type { QuantType } from './quant-type.js';

const QK = 32;
const BYTES = 34; // block_q8_0: f16 d; int8 qs[32]

/** Q8_0: value = qs[j] * d. Reference quantiser: d = amax/127, q = roundf(x/d) (half away from zero). */
export const Q8_0: QuantType = {
  type: GGMLType.Q8_0,
  name: 'Q8_0',
  blockSize: QK,
  bytesPerBlock: BYTES,
  dequantize(src, out) {
    const nb = checkDequantArgs('Q8_0', QK, BYTES, src, out);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      const d = readF16(src, o);
      for (let j = 0; j < QK; j++) out[i * QK + j] = fr(((src[o + 2 + j] << 24) >> 24) * d);
    }
  },
  quantize(src) {
    const nb = checkQuantArgs('Q8_0', QK, src);
    const dst = new Uint8Array(nb * BYTES);
    for (let i = 0; i < nb; i++) {
      const x = i * QK;
      const o = i * BYTES;
      let amax = 0;
      // ggml's MAX(a, b) macro, a > b ? a : b: a NaN is taken, then dropped by the next value
      // (Math.max would keep it).
      for (let j = 0; j < QK; j++) {
        const a = Math.abs(src[x + j]);
        amax = amax > a ? amax : a;
      }
      const d = fr(amax / 127);
      const id = d ? fr(1 / d) : 0;
      writeF16(dst, o, d);
      for (let j = 0; j < QK; j++) dst[o + 2 + j] = roundf(fr(src[x + j] * id)) & 0xff;
    }
    return dst;
  },
};
