/**
 * Blocks built by hand from ggml's layout (ggml-common.h), with the values worked out on paper.
 * These pin nibble order, high-bit placement, scale packing and field order independently of
 * any implementation, ours or ggml's.
 */
import { describe, expect, it } from 'vitest';
import { quantTypeByName, type QuantType } from '../../../src/engine/quant/registry.js';

const T = (name: string): QuantType => quantTypeByName(name)!;
const deq = (name: string, bytes: number[] | Uint8Array, n: number) => {
  const y = new Float32Array(n);
  T(name).dequantize(Uint8Array.from(bytes), y);
  return Array.from(y, (v) => v + 0); // + 0 folds -0 into 0
};
const fill = (n: number, v: number) => new Array<number>(n).fill(v);

describe('hand-built blocks', () => {
  it('F32 is little-endian IEEE', () => {
    expect(deq('F32', [0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x20, 0xc1], 2)).toEqual([1.5, -10]);
    expect(Array.from(T('F32').quantize(new Float32Array([1.5])))).toEqual([0x00, 0x00, 0xc0, 0x3f]);
  });

  it('F16 / BF16 are little-endian', () => {
    expect(deq('F16', [0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0xff, 0x7b], 4)).toEqual([1, -2, 2 ** -24, 65504]);
    expect(deq('BF16', [0x80, 0x3f, 0x40, 0xc0], 2)).toEqual([1, -3]);
    expect(Array.from(T('BF16').quantize(new Float32Array([1, -3])))).toEqual([0x80, 0x3f, 0x40, 0xc0]);
  });

  it('Q8_0: f16 d then 32 int8', () => {
    // d = 0.5 (f16 0x3800); qs = 1, -1, 127, -128, then zeros
    const b = [0x00, 0x38, 0x01, 0xff, 0x7f, 0x80, ...fill(28, 0)];
    expect(deq('Q8_0', b, 32)).toEqual([0.5, -0.5, 63.5, -64, ...fill(28, 0)]);
    // quantise: amax 127 -> d = 1; 2.5 -> 3 and -2.5 -> -3 (roundf: halves away from zero)
    const x = new Float32Array(32);
    x.set([127, -127, 2.5, -2.5, 0.4]);
    expect(Array.from(T('Q8_0').quantize(x))).toEqual([0x00, 0x3c, 0x7f, 0x81, 0x03, 0xfd, 0x00, ...fill(27, 0)]);
  });

  it('Q4_0: low nibbles are elements 0..15, high nibbles 16..31, value (q-8)*d', () => {
    // d = 1; qs[0] = 0x9f: element 0 = 15-8 = 7, element 16 = 9-8 = 1; qs[1] = 0x08: element 1 = 0, element 17 = -8
    const b = [0x00, 0x3c, 0x9f, 0x08, ...fill(14, 0x88)];
    const want = fill(32, 0);
    want[0] = 7; want[16] = 1; want[17] = -8;
    expect(deq('Q4_0', b, 32)).toEqual(want);
    // quantise x_j = (j mod 16) - 8: largest |x| is x_0 = -8, so d = -8/-8 = 1 and q_j = j mod 16
    const x = Float32Array.from({ length: 32 }, (_, j) => (j % 16) - 8);
    const q = Array.from({ length: 16 }, (_, j) => j | (j << 4));
    expect(Array.from(T('Q4_0').quantize(x))).toEqual([0x00, 0x3c, ...q]);
  });

  it('Q4_1: d, m then nibbles, value q*d + m', () => {
    // d = 0.5 (0x3800), m = -1 (0xbc00); qs[0] = 0xf0: element 0 = 0*0.5-1, element 16 = 15*0.5-1
    const b = [0x00, 0x38, 0x00, 0xbc, 0xf0, ...fill(15, 0x11)];
    const want = fill(32, -0.5);
    want[0] = -1; want[16] = 6.5;
    expect(deq('Q4_1', b, 32)).toEqual(want);
  });

  it('Q5_0: d, qh (u32 LE, bit j = 5th bit of element j), nibbles; value (q-16)*d', () => {
    // qh bits 0, 16, 31 set -> bytes 01 00 01 80
    const qs = fill(16, 0x00);
    qs[0] = 0x21; // element 0: 1|16 -> 1; element 16: 2|16 -> 2
    qs[15] = 0xf0; // element 15: 0 (no high bit) -> -16; element 31: 15|16 -> 15
    const b = [0x00, 0x3c, 0x01, 0x00, 0x01, 0x80, ...qs];
    const want = fill(32, -16);
    want[0] = 1; want[16] = 2; want[15] = -16; want[31] = 15;
    expect(deq('Q5_0', b, 32)).toEqual(want);
  });

  it('Q5_1: d, m, qh (u32 LE, bit j = 5th bit of element j), nibbles; value q*d + m', () => {
    // d = 0.5 (0x3800), m = -1 (0xbc00); qh bits 0, 16, 31 set -> bytes 01 00 01 80
    const qs = fill(16, 0x00);
    qs[0] = 0x21; // element 0: 1|16 = 17; element 16: 2|16 = 18
    qs[15] = 0xf0; // element 15: 0 (no high bit); element 31: 15|16 = 31
    const b = [0x00, 0x38, 0x00, 0xbc, 0x01, 0x00, 0x01, 0x80, ...qs];
    const want = fill(32, -1);
    want[0] = 7.5; want[16] = 8; want[31] = 14.5;
    expect(deq('Q5_1', b, 32)).toEqual(want);
  });

  // 6-bit scales sc = [1,2,3,4,17,33,49,63], mins m = [0,1,2,3,16,32,48,63], packed by hand:
  // bytes 0-3: sc[j] | (sc[j+4] >> 4) << 6; bytes 4-7: m[j] | (m[j+4] >> 4) << 6;
  // bytes 8-11: (sc[j+4] & 15) | (m[j+4] & 15) << 4
  const KSCALES = [0x41, 0x82, 0xc3, 0xc4, 0x40, 0x81, 0xc2, 0xc3, 0x01, 0x01, 0x01, 0xff];
  const subBlocks = (vals: number[]) => vals.flatMap((v) => fill(32, v));

  it('Q4_K: d, dmin, packed scales, 4 chunks of 32 bytes (sub-block 2c low nibbles, 2c+1 high)', () => {
    // d = 1, dmin = 0.5; every qs byte 0x21: even sub-blocks q = 1, odd q = 2; value = d*sc*q - dmin*m
    const b = [0x00, 0x3c, 0x00, 0x38, ...KSCALES, ...fill(128, 0x21)];
    expect(deq('Q4_K', b, 256)).toEqual(subBlocks([1, 3.5, 2, 6.5, 9, 50, 25, 94.5]));
    // one element: chunk 1, byte 5 high nibble = sub-block 3, element 5 -> q = 15: 4*15 - 1.5
    b[4 + 12 + 32 + 5] = 0xf1;
    expect(deq('Q4_K', b, 256)[3 * 32 + 5]).toBe(58.5);
    expect(deq('Q4_K', b, 256)[2 * 32 + 5]).toBe(2);
  });

  it('Q5_K: as Q4_K plus qh[32] before qs; bit s of qh[l] is the 5th bit of sub-block s element l', () => {
    const b = [0x00, 0x3c, 0x00, 0x38, ...KSCALES, ...fill(32, 0x81), ...fill(128, 0x21)];
    // sub-block 0: (1+16)*1 - 0; sub-block 7: (2+16)*63 - 31.5
    expect(deq('Q5_K', b, 256)).toEqual(subBlocks([17, 3.5, 2, 6.5, 9, 50, 25, 1102.5]));
  });

  it('Q2_K: scales[16] (low nibble scale, high nibble min), qs[64], d, dmin LAST; value d*sc*q - dmin*m', () => {
    // Sub-block j (16 elements) has scale S[j] and min M[j]: byte j = M[j] << 4 | S[j].
    const S = [1, 2, 3, 15, 5, 0, 7, 4, 9, 10, 11, 12, 13, 14, 6, 8];
    const M = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    const b = new Uint8Array(84);
    b.set([0x01, 0x12, 0x23, 0x3f, 0x45, 0x50, 0x67, 0x74, 0x89, 0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xe6, 0xf8], 0);
    expect(Array.from(b.subarray(0, 16))).toEqual(S.map((sc, j) => (M[j] << 4) | sc)); // the bytes above are S and M
    b[80] = 0x00; b[81] = 0x38; // d = 0.5
    b[82] = 0x00; b[83] = 0x34; // dmin = 0.25
    // All qs 0: sub-block j reads -0.25*M[j].
    const want = M.flatMap((m) => fill(16, -0.25 * m + 0)); // + 0: sub-block 0 reads 0, not -0
    expect(deq('Q2_K', b, 256)).toEqual(want);
    // qs: byte l of 32-byte half h holds elements 128h + l, +32, +64, +96 in bits 0-1, 2-3, 4-5, 6-7.
    b[16 + 0] = 0xe4; // 0b11_10_01_00: element 0 -> 0, 32 -> 1, 64 -> 2, 96 -> 3
    want[32] = 0.5 * 3 * 1 - 0.25 * 2; // sub-block 2: 1
    want[64] = 0.5 * 5 * 2 - 0.25 * 4; // sub-block 4: 4
    want[96] = 0.5 * 7 * 3 - 0.25 * 6; // sub-block 6: 9
    b[16 + 16] = 0x32; // element 16 -> 2 (sub-block 1), element 80 -> 3 (sub-block 5, scale 0: stays -dmin*5)
    want[16] = 0.5 * 2 * 2 - 0.25 * 1; // 1.75
    b[16 + 32 + 17] = 0x03; // second half: element 128 + 17 = 145 (sub-block 9) -> 3
    want[145] = 0.5 * 10 * 3 - 0.25 * 9; // 12.75
    b[16 + 32 + 31] = 0xc0; // element 128 + 96 + 31 = 255 (sub-block 15) -> 3
    want[255] = 0.5 * 8 * 3 - 0.25 * 15; // 8.25
    expect(deq('Q2_K', b, 256)).toEqual(want);
    // quantise a constant -1: each sub-block has max == min, so scale 0, min 1 (levels 0); the mins
    // map to 15 (bytes 0xf0), d = 0 and dmin = f16(1/15) = 0x2c44; every value reads -15*dmin
    const qNeg = T('Q2_K').quantize(new Float32Array(256).fill(-1));
    expect(Array.from(qNeg)).toEqual([...fill(16, 0xf0), ...fill(64, 0), 0x00, 0x00, 0x44, 0x2c]);
    expect(deq('Q2_K', qNeg, 256)).toEqual(fill(256, -15 * 0.066650390625));
    // quantise a constant +1: min clamps to 0, scale 1/3 with every level 3 (exact, so the search
    // keeps it); the scales map to 15 (bytes 0x0f), d = f16(1/45) = 0x25b0, dmin = 0; qs all 0xff
    const qPos = T('Q2_K').quantize(new Float32Array(256).fill(1));
    expect(Array.from(qPos)).toEqual([...fill(16, 0x0f), ...fill(64, 0xff), 0xb0, 0x25, 0x00, 0x00]);
    expect(deq('Q2_K', qPos, 256)).toEqual(fill(256, 0.022216796875 * 15 * 3));
  });

  it('Q3_K: hmask[32], qs[64], 6-bit scales[12] (stored +32), d LAST; value d*(sc-32)*(q-4)', () => {
    // Stored scales S (0..63) and their signed values E = S - 32, one per 16-element sub-block:
    //   S = 33 31 34  0 63 35 16 48 | 36 28 40 20  1 62 39 24
    //   E =  1 -1  2 -32 31 3 -16 16 |  4 -4  8 -12 -31 30 7 -8
    // bytes 0..7: low nibble = S[j] & 15, high nibble = S[j+8] & 15;
    // bytes 8..11: byte 8+k holds S>>4 of sub-blocks k, k+4, k+8, k+12 in bits 0-1, 2-3, 4-5, 6-7.
    const scales = [0x41, 0xcf, 0x82, 0x40, 0x1f, 0xe3, 0x70, 0x80, 0x2e, 0xd9, 0xa6, 0x5c];
    const E = [1, -1, 2, -32, 31, 3, -16, 16, 4, -4, 8, -12, -31, 30, 7, -8];
    const b = new Uint8Array(110);
    b.set(scales, 96);
    b[108] = 0x00; b[109] = 0x38; // d = 0.5
    // All qs 0 and all hmask bits clear: every element is q - 4 = -4, so sub-block j reads 0.5*E[j]*-4.
    const want = E.flatMap((e) => fill(16, -2 * e));
    expect(deq('Q3_K', b, 256)).toEqual(want);
    // qs: byte l of 32-byte half h holds elements 128h + l, +32, +64, +96 in bits 0-1, 2-3, 4-5, 6-7.
    b[32 + 0] = 0xe4; // 0b11_10_01_00: element 0 -> 0, 32 -> 1, 64 -> 2, 96 -> 3 (hmask clear: minus 4)
    want[32] = 0.5 * 2 * (1 - 4); // sub-block 2: -3
    want[64] = 0.5 * 31 * (2 - 4); // sub-block 4: -31
    want[96] = 0.5 * -16 * (3 - 4); // sub-block 6: 8
    b[32 + 32 + 17] = 0x03; // second half: element 128 + 17 = 145 (sub-block 9) -> 3
    want[145] = 0.5 * -4 * (3 - 4); // 2
    // hmask: bit k of byte l is the third bit of element 32k + l (a SET bit means "no minus 4").
    b[5] = 0x81; // element 5 (bit 0) and element 7*32 + 5 = 229 (bit 7)
    want[5] = 0; // sub-block 0, low bits 0, third bit set: 0.5*1*0
    b[32 + 32 + 5] = 0xc0; // element 128 + 96 + 5 = 229 low bits 3
    want[229] = 0.5 * 7 * 3; // sub-block 14: 10.5, the top level
    b[20] = 0x10; // element 4*32 + 20 = 148 (bit 4), sub-block 9
    b[32 + 32 + 20] = 0x02; // element 148 low bits 2; element 180 (bits 2-3) stays 0
    want[148] = 0.5 * -4 * 2; // -4
    expect(deq('Q3_K', b, 256)).toEqual(want);
    // quantise a constant -1: every sub-block's scale is 1/4 (all levels -4), the largest scale maps to
    // stored 0 (= -32), d = -1/128 (f16 0xa000), and all levels sit at 0 (q - 4 = -4): only d is non-zero
    expect(Array.from(T('Q3_K').quantize(new Float32Array(256).fill(-1)))).toEqual([...fill(108, 0), 0x00, 0xa0]);
  });

  it('Q6_K: ql[128], qh[64], int8 scales[16], d LAST; value d*sc*(q-32)', () => {
    const b = new Uint8Array(210);
    b[0] = 0x3a; // ql[0]: element 0 low bits 10, element 64 low bits 3
    b[128] = 0xe4; // qh[0] = 0b11100100: element 0 -> 0, element 32 -> 1, element 64 -> 2, element 96 -> 3
    b[64] = 0x01; // second half: ql[64] low nibble -> element 128
    b[192 + 0] = 2; b[192 + 2] = 0xfd; b[192 + 4] = 4; b[192 + 6] = 0xff; b[192 + 8] = 1; // scales 2, -3, 4, -1, 1
    b[208] = 0x00; b[209] = 0x34; // d = 0.25
    const want = fill(256, 0);
    want[0] = 0.25 * 2 * (10 - 32); // -11
    want[32] = 0.25 * -3 * (16 - 32); // 12   (ql[32] = 0, high bits 1)
    want[64] = 0.25 * 4 * (3 + 32 - 32); // 3
    want[96] = 0.25 * -1 * (48 - 32); // -4
    for (let l = 1; l < 16; l++) { want[l] = 0.25 * 2 * -32; want[l + 64] = 0.25 * 4 * -32; want[l + 96] = 0.25 * -1 * -32; }
    for (let l = 33; l < 48; l++) want[l] = 0.25 * -3 * -32;
    want[128] = 0.25 * 1 * (1 - 32);
    for (let l = 129; l < 144; l++) want[l] = 0.25 * 1 * -32;
    expect(deq('Q6_K', b, 256)).toEqual(want);
  });

  it('an all-zero input gives the blocks ggml writes', () => {
    // Q4_0/Q5_0: d = 0/-8 = -0 (f16 0x8000) and every element on the zero level (8, resp. 16 =
    // low nibble 0 with the qh bit set). Everything else: all bytes zero.
    const zeros = (name: string) => Array.from(T(name).quantize(new Float32Array(T(name).blockSize)));
    expect(zeros('Q4_0')).toEqual([0x00, 0x80, ...fill(16, 0x88)]);
    expect(zeros('Q5_0')).toEqual([0x00, 0x80, 0xff, 0xff, 0xff, 0xff, ...fill(16, 0)]);
    for (const name of ['Q8_0', 'Q4_1', 'Q5_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K']) expect(zeros(name).every((v) => v === 0), name).toBe(true);
  });
});
