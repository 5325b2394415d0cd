import { GGMLType } from './ggml-type.js';
import { blockMinMax, checkDequantArgs, checkQuantArgs, cFloatToInt8, fr, readF16, readU32, writeF16, writeU32 } from './common.js';
import type { QuantType } from './quant-type.js';

const QK = 32;
/**
 * block_q5_1: f16 d; f16 m; u8 qh[4] (a little-endian u32 whose bit j is the 5th bit of element j);
 * u8 qs[16] (low nibble = element j, high nibble = element j+16).
 */
const BYTES = 24;

/**
 * Q5_1: value = q * d + m, q in 0..31. Reference quantiser: m = min, d = (max - min)/31. llama-quantize
 * gives it to the Q5_K rows that are not whole 256-value super-blocks, so Q5_K_M files carry it.
 */
export const Q5_1: QuantType = {
  type: GGMLType.Q5_1,
  name: 'Q5_1',
  blockSize: QK,
  bytesPerBlock: BYTES,
  dequantize(src, out) {
    const nb = checkDequantArgs('Q5_1', QK, BYTES, src, out);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      const y = i * QK;
      const d = readF16(src, o);
      const m = readF16(src, o + 2);
      const qh = readU32(src, o + 4);
      for (let j = 0; j < QK / 2; j++) {
        const b = src[o + 8 + j];
        const h0 = ((qh >>> j) << 4) & 0x10;
        const h1 = (qh >>> (j + 12)) & 0x10;
        // q * d is exact in float32 (5 x 11 significant bits), so only the add rounds
        out[y + j] = fr(((b & 0x0f) | h0) * d + m);
        out[y + j + QK / 2] = fr(((b >> 4) | h1) * d + m);
      }
    }
  },
  quantize(src) {
    const nb = checkQuantArgs('Q5_1', QK, src);
    const dst = new Uint8Array(nb * BYTES);
    for (let i = 0; i < nb; i++) {
      const x = i * QK;
      const o = i * BYTES;
      const [min, max] = blockMinMax(src, x, QK);
      const d = fr(fr(max - min) / 31);
      const id = d ? fr(1 / d) : 0;
      writeF16(dst, o, d);
      writeF16(dst, o + 2, min);
      let qh = 0;
      for (let j = 0; j < QK / 2; j++) {
        // C: (uint8_t)(x + 0.5f), a truncation to 0..31 here
        const q0 = cFloatToInt8(fr(fr(fr(src[x + j] - min) * id) + 0.5)) & 0xff;
        const q1 = cFloatToInt8(fr(fr(fr(src[x + QK / 2 + j] - min) * id) + 0.5)) & 0xff;
        dst[o + 8 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
        qh |= ((q0 & 0x10) >>> 4) << j;
        qh |= ((q1 & 0x10) >>> 4) << (j + QK / 2);
      }
      writeU32(dst, o + 4, qh);
    }
    return dst;
  },
};
