import { describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, f32Bits, f32FromBits, f32ToBf16, f32ToF16 } from '../../../src/engine/quant/half.js';
import { quantTypeByName } from '../../../src/engine/quant/registry.js';

describe('f16', () => {
  it('every one of the 65536 f16 bit patterns round-trips (NaN -> canonical quiet NaN, as ggml)', () => {
    for (let h = 0; h < 65536; h++) {
      const f = f16ToF32(h);
      const back = f32ToF16(f);
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) {
        expect(Number.isNaN(f)).toBe(true);
        if (back !== ((h & 0x8000) | 0x7e00)) expect.fail(`NaN ${h.toString(16)} -> ${back.toString(16)}`);
      } else if (back !== h) {
        expect.fail(`f16 ${h.toString(16)} -> ${f} -> ${back.toString(16)}`);
      }
    }
  });

  it('decodes exactly', () => {
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0xc000)).toBe(-2);
    expect(f16ToF32(0x3555)).toBe(0.333251953125);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0x0400)).toBe(2 ** -14);
    expect(f16ToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(f16ToF32(0xfc00)).toBe(-Infinity);
    expect(f16ToF32(0x7e00)).toBeNaN();
  });

  it('every midpoint between neighbouring f16 values rounds to the even one, and just off it to the nearer', () => {
    for (let h = 0; h < 0x7bff; h++) {
      const a = f16ToF32(h);
      const b = f16ToF32(h + 1);
      const mid = (a + b) / 2; // exact in f32: needs 12 significant bits
      expect(Math.fround(mid)).toBe(mid);
      const even = h % 2 === 0 ? h : h + 1;
      const up = f32FromBits(f32Bits(mid) + 1);
      const down = f32FromBits(f32Bits(mid) - 1);
      if (f32ToF16(mid) !== even || f32ToF16(-mid) !== (even | 0x8000) || f32ToF16(up) !== h + 1 || (mid > 0 && f32ToF16(down) !== h)) {
        expect.fail(`around ${h.toString(16)}: mid ${mid}`);
      }
    }
  });

  it('rounds the specific edge cases', () => {
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(65519.99)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00); // tie between 65504 (odd) and 65536 (inf) goes to inf
    expect(f32ToF16(1e6)).toBe(0x7c00);
    expect(f32ToF16(-1e6)).toBe(0xfc00);
    expect(f32ToF16(Infinity)).toBe(0x7c00);
    expect(f32ToF16(-Infinity)).toBe(0xfc00);
    expect(f32ToF16(NaN)).toBe(0x7e00);
    expect(f32ToF16(f32FromBits(0xffc00001))).toBe(0xfe00);
    expect(f32ToF16(-0)).toBe(0x8000);
    expect(f32ToF16(2 ** -25)).toBe(0); // half the smallest subnormal: tie to even (0)
    expect(f32ToF16(2 ** -25 * 1.0000001)).toBe(1);
    expect(f32ToF16(3 * 2 ** -25)).toBe(2); // 1.5 subnormal steps: tie to even (2)
    expect(f32ToF16(1e-10)).toBe(0);
    expect(f32ToF16(f32FromBits(1))).toBe(0); // smallest f32 subnormal
    expect(f32ToF16(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up out of the subnormal range (tie, 0x400 even)
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie, even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, even
    expect(f32ToF16(0.1)).toBe(0x2e66);
    expect(f32ToF16(-2.5)).toBe(0xc100);
  });

  it('the F16 type encodes little-endian and decodes all patterns', () => {
    const F16 = quantTypeByName('F16')!;
    expect(Array.from(F16.quantize(new Float32Array([1, -2])))).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    const all = new Uint8Array(131072);
    for (let h = 0; h < 65536; h++) { all[2 * h] = h & 0xff; all[2 * h + 1] = h >> 8; }
    const y = new Float32Array(65536);
    F16.dequantize(all, y);
    for (let h = 0; h < 65536; h += 997) expect(Object.is(y[h], f16ToF32(h)) || Number.isNaN(y[h])).toBe(true);
  });
});

describe('bf16', () => {
  it('every one of the 65536 bf16 bit patterns round-trips (NaN forced quiet)', () => {
    for (let h = 0; h < 65536; h++) {
      const back = f32ToBf16(bf16ToF32(h));
      const isNaN = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      // NaN payloads may not survive a JS number, but the result must be a quiet NaN of the same sign
      if (isNaN ? (back & 0xffc0) !== ((h & 0x8000) | 0x7fc0) : back !== h) expect.fail(`bf16 ${h.toString(16)} -> ${back.toString(16)}`);
    }
  });

  it('rounds to nearest even on the bits, keeps subnormals, quiets NaN', () => {
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(f32ToBf16(-3)).toBe(0xc040);
    expect(f32ToBf16(f32FromBits(0x3f808000))).toBe(0x3f80); // tie, even
    expect(f32ToBf16(f32FromBits(0x3f818000))).toBe(0x3f82); // tie, even
    expect(f32ToBf16(f32FromBits(0x3f808001))).toBe(0x3f81);
    expect(f32ToBf16(f32FromBits(0x7f7fffff))).toBe(0x7f80); // FLT_MAX rounds to inf
    expect(f32ToBf16(f32FromBits(0x00018000))).toBe(0x0002); // subnormal, tie to even, not flushed
    expect(f32ToBf16(f32FromBits(0x00008000))).toBe(0x0000);
    expect(f32ToBf16(f32FromBits(0x0000c000))).toBe(0x0001);
    expect(f32ToBf16(-0)).toBe(0x8000);
    expect(f32ToBf16(Infinity)).toBe(0x7f80);
    expect(f32ToBf16(NaN)).toBe(0x7fc0);
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0xc049)).toBe(-3.140625);
  });
});
