/**
 * IEEE binary16 (f16) and bfloat16 (bf16) conversions, bit-exact with ggml's scalar converters
 * (ggml-impl.h: ggml_compute_fp32_to_fp16 / ggml_compute_fp16_to_fp32 / ggml_compute_fp32_to_bf16).
 *
 * - f32 -> f16: round to nearest, ties to even; overflow to +-inf; f16 subnormals produced exactly;
 *   NaN becomes sign | 0x7E00 (ggml's generic converter discards the payload; that converter is
 *   what ggml-base, and so llama-quantize, uses).
 * - f16 -> f32: exact (every f16 is representable in f32); NaN payloads are kept.
 * - f32 -> bf16: round to nearest, ties to even on the raw bits; NaN forced quiet (bit 6 set);
 *   subnormals are NOT flushed (current ggml behaviour).
 * - bf16 -> f32: exact (bits << 16).
 *
 * Inputs given as JS numbers are first rounded to float32 (Math.fround), as C would when storing
 * into a float.
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Raw IEEE bits of `x` rounded to float32. */
export function f32Bits(x: number): number {
  scratchF32[0] = x;
  return scratchU32[0];
}

/** The float32 whose raw bits are `bits` (as a JS number; NaN payloads may not survive). */
export function f32FromBits(bits: number): number {
  scratchU32[0] = bits >>> 0;
  return scratchF32[0];
}

/** Round a non-negative double to the nearest integer, ties to even. */
function rintEven(x: number): number {
  const fl = Math.floor(x);
  const diff = x - fl;
  if (diff > 0.5) return fl + 1;
  if (diff < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

/** float32 -> f16 bits (0..65535), round-to-nearest-even. */
export function f32ToF16(x: number): number {
  const w = f32Bits(x);
  const sign = (w >>> 16) & 0x8000;
  const a = w & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00; // NaN, canonical quiet
  // 65520 (0x477ff000) is the midpoint between 65504 (max f16, odd mantissa) and 65536: ties go up to inf.
  if (a >= 0x477ff000) return sign | 0x7c00;
  if (a < 0x38800000) {
    // Below 2^-14: an f16 subnormal (or zero). Units of 2^-24; a rounded-up 1024 is the smallest
    // normal (0x0400), which falls out of the bit layout naturally.
    const v = Math.abs(f32FromBits(a));
    return sign | rintEven(v * 16777216);
  }
  // Normal: rebias exponent (127 -> 15) and round the 13 dropped mantissa bits to nearest even;
  // a mantissa carry correctly bumps the exponent.
  const rebased = a - 0x38000000;
  return sign | ((rebased + 0xfff + ((rebased >>> 13) & 1)) >>> 13);
}

let f16Table_: Float32Array | undefined;

function buildF16Table(): Float32Array {
  const t = new Float32Array(65536);
  const bits = new Uint32Array(t.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) {
      // zero / subnormal: mant * 2^-24, exact in f32
      t[h] = (h & 0x8000 ? -1 : 1) * mant * 5.960464477539063e-8;
    } else if (exp === 31) {
      bits[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
    } else {
      bits[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
    }
  }
  return t;
}

/** The f16 table: index by f16 bits to get the exact float32 value. Built on first use (256 KiB). */
export function f16Table(): Float32Array {
  return (f16Table_ ??= buildF16Table());
}

/** f16 bits -> float32 value (exact). */
export function f16ToF32(h: number): number {
  return (f16Table_ ??= buildF16Table())[h & 0xffff];
}

/** float32 -> bf16 bits, as ggml: round-to-nearest-even on the bits, NaN forced quiet. */
export function f32ToBf16(x: number): number {
  const w = f32Bits(x);
  if ((w & 0x7fffffff) > 0x7f800000) return ((w >>> 16) | 64) & 0xffff;
  return ((w + 0x7fff + ((w >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bf16 bits -> float32 value (exact). */
export function bf16ToF32(h: number): number {
  return f32FromBits((h & 0xffff) << 16);
}
