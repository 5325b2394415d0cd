import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs } from './common.js';
import type { QuantType } from './quant-type.js';

/** F32: plain little-endian IEEE float32; quantize/dequantize are bit copies. */
export const F32: QuantType = {
  type: GGMLType.F32,
  name: 'F32',
  blockSize: 1,
  bytesPerBlock: 4,
  dequantize(src, out) {
    const n = checkDequantArgs('F32', 1, 4, src, out);
    new Uint8Array(out.buffer, out.byteOffset, n * 4).set(src.subarray(0, n * 4));
    if (!LITTLE_ENDIAN) byteSwap32(new Uint8Array(out.buffer, out.byteOffset, n * 4));
  },
  quantize(src) {
    checkQuantArgs('F32', 1, src);
    const bytes = new Uint8Array(src.length * 4);
    bytes.set(new Uint8Array(src.buffer, src.byteOffset, src.length * 4));
    if (!LITTLE_ENDIAN) byteSwap32(bytes);
    return bytes;
  },
};

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function byteSwap32(b: Uint8Array): void {
  for (let i = 0; i < b.length; i += 4) {
    const t0 = b[i], t1 = b[i + 1];
    b[i] = b[i + 3]; b[i + 1] = b[i + 2]; b[i + 2] = t1; b[i + 3] = t0;
  }
}
