/**
 * Small helpers shared by the per-type files: float32 emulation, ggml's rounding helpers, block
 * argument checks and little-endian f16 access.
 *
 * JS numbers are doubles. ggml computes in float32, so every float operation is followed by
 * Math.fround. For +, -, *, / and sqrt on float32 inputs, computing in double and rounding once to
 * float32 gives exactly the float32 result (double has more than 2*24+2 bits), so `fr(a * b)` is
 * bit-identical to C's `a * b` on floats (without FMA contraction).
 */
import { f16ToF32, f32ToF16 } from './half.js';

export const fr = Math.fround;

const nearestScratchF = new Float32Array(1);
const nearestScratchI = new Int32Array(nearestScratchF.buffer);

/**
 * ggml's nearest_int: add 1.5*2^23 in float32 and read the low mantissa bits. For |x| <= 4194303
 * this is round-half-to-even (Math.round differs on .5); outside that range we reproduce the same
 * bit arithmetic ggml does (its assert is compiled out in release builds).
 */
export function nearestInt(x: number): number {
  nearestScratchF[0] = x + 12582912; // float32 store rounds like C's float add
  return (nearestScratchI[0] & 0x007fffff) - 0x00400000;
}

/** C roundf: round half away from zero (used by Q8_0). */
export function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/**
 * C's `(int8_t)f` for a float, as compiled on x86-64 (cvttss2si to int32, keep the low byte):
 * truncate toward zero, wrap to -128..127; NaN, infinities and values outside int32 become
 * 0x80000000, whose low byte is 0. Only reachable with degenerate scales (e.g. a block of float32
 * subnormals, where 1/d overflows to inf); ISO C leaves it undefined and ARM saturates instead.
 */
export function cFloatToInt8(x: number): number {
  if (!(Math.abs(x) < 2147483648)) return 0;
  return (Math.trunc(x) << 24) >> 24;
}

export function readF16(src: Uint8Array, off: number): number {
  return f16ToF32(src[off] | (src[off + 1] << 8));
}

export function writeF16(dst: Uint8Array, off: number, value: number): void {
  const h = f32ToF16(value);
  dst[off] = h & 0xff;
  dst[off + 1] = h >>> 8;
}

/** Validate dequantize arguments; returns the number of blocks. */
export function checkDequantArgs(
  name: string,
  blockSize: number,
  bytesPerBlock: number,
  src: Uint8Array,
  out: Float32Array,
): number {
  if (out.length % blockSize !== 0) {
    throw new RangeError(`${name} dequantize: output length ${out.length} is not a multiple of the block size ${blockSize}`);
  }
  const nb = out.length / blockSize;
  const need = nb * bytesPerBlock;
  if (src.length < need) {
    throw new RangeError(
      `${name} dequantize: ${out.length} values need ${need} bytes (${nb} blocks of ${bytesPerBlock}), got ${src.length}`,
    );
  }
  return nb;
}

/** Validate quantize arguments; returns the number of blocks. */
export function checkQuantArgs(name: string, blockSize: number, src: Float32Array): number {
  if (src.length % blockSize !== 0) {
    throw new RangeError(`${name} quantize: input length ${src.length} is not a multiple of the block size ${blockSize}`);
  }
  return src.length / blockSize;
}

/**
 * The value of largest magnitude in src[off .. off+n), keeping its sign (the first one on ties):
 * the reference point of ggml's symmetric quantisers (Q4_0, Q5_0, Q8_K), whose scale is max / -2^k.
 */
export function signedAbsMax(src: Float32Array, off: number, n: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < n; j++) {
    const v = src[off + j];
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  return max;
}

const FLT_MAX = 3.4028234663852886e38;

/** [min, max] of n values from off, as ggml's Q4_1/Q5_1 quantisers scan them (from +-FLT_MAX, NaN skipped). */
export function blockMinMax(src: Float32Array, off: number, n: number): [number, number] {
  let min = FLT_MAX;
  let max = -FLT_MAX;
  for (let j = 0; j < n; j++) {
    const v = src[off + j];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** A little-endian u32 (a Q5 block's fifth bits) at off. */
export function readU32(src: Uint8Array, off: number): number {
  return (src[off] | (src[off + 1] << 8) | (src[off + 2] << 16) | (src[off + 3] << 24)) >>> 0;
}

export function writeU32(dst: Uint8Array, off: number, value: number): void {
  dst[off] = value & 0xff;
  dst[off + 1] = (value >>> 8) & 0xff;
  dst[off + 2] = (value >>> 16) & 0xff;
  dst[off + 3] = (value >>> 24) & 0xff;
}
