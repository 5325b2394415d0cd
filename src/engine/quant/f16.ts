import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs } from './common.js';
import { f16Table, f32ToF16 } from './half.js';
import type { QuantType } from './quant-type.js';

/** F16: little-endian IEEE binary16 (ggml_fp32_to_fp16_row / ggml_fp16_to_fp32_row). */
export const F16: QuantType = {
  type: GGMLType.F16,
  name: 'F16',
  blockSize: 1,
  bytesPerBlock: 2,
  dequantize(src, out) {
    const n = checkDequantArgs('F16', 1, 2, src, out);
    const t = f16Table();
    for (let i = 0; i < n; i++) out[i] = t[src[2 * i] | (src[2 * i + 1] << 8)];
  },
  quantize(src) {
    checkQuantArgs('F16', 1, src);
    const out = new Uint8Array(src.length * 2);
    for (let i = 0; i < src.length; i++) {
      const h = f32ToF16(src[i]);
      out[2 * i] = h & 0xff;
      out[2 * i + 1] = h >>> 8;
    }
    return out;
  },
};
