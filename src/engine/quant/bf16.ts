import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs } from './common.js';
import { f32ToBf16 } from './half.js';
import type { QuantType } from './quant-type.js';

/** BF16: little-endian bfloat16, the top half of a float32 (ggml_fp32_to_bf16_row_ref). */
export const BF16: QuantType = {
  type: GGMLType.BF16,
  name: 'BF16',
  blockSize: 1,
  bytesPerBlock: 2,
  dequantize(src, out) {
    const n = checkDequantArgs('BF16', 1, 2, src, out);
    // Write raw bits through an integer view so NaN payloads survive.
    const bits = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) bits[i] = ((src[2 * i] | (src[2 * i + 1] << 8)) << 16) >>> 0;
  },
  quantize(src) {
    checkQuantArgs('BF16', 1, src);
    const out = new Uint8Array(src.length * 2);
    for (let i = 0; i < src.length; i++) {
      const h = f32ToBf16(src[i]);
      out[2 * i] = h & 0xff;
      out[2 * i + 1] = h >>> 8;
    }
    return out;
  },
};
