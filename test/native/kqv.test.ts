/**
 * Attention's value sum (KQV of one head) on every ISA path here, bit for bit against llama.cpp's
 * order written out the plain way: position j into accumulator lane j % lanes by one fma each, the
 * lanes folded in memory by halving, the last four summed in the order's pairs. The kernels
 * evaluate the same tree in registers (native/quant/kqv_tree.h); any change of an operand or of
 * the order of a dependent add shows up as a bit.
 */
import { describe, expect, it } from 'vitest';
import { f16ToF32, f32ToF16 } from '../../src/engine/quant/half.js';
import { gaussian, native, rng, skipReason } from './helpers.js';

const ISAS = native?.info().available ?? [];
/** The orders llama.cpp's kernels take (native/ops/attention.cc, kqv_order). */
const ORDERS = [
  { lanes: 64, adjacent: false }, // AVX-512 decode
  { lanes: 32, adjacent: true }, // AVX2 decode
  { lanes: 16, adjacent: false }, // AVX-512 tinyBLAS (prefill)
  { lanes: 8, adjacent: false }, // AVX2 tinyBLAS
  { lanes: 1, adjacent: false }, // scalar
];
// Fewer positions than lanes, exact multiples, one over, long; head sizes that leave every tail.
const POSITIONS = [1, 3, 7, 63, 64, 65, 100, 257, 700];
const DIMS = [64, 128, 40, 7];

describe.skipIf(!native)(`native KQV value sum${skipReason ? ` (${skipReason})` : ''}`, () => {
  for (const f16 of [true, false])
    for (const o of ORDERS)
      it(`${f16 ? 'f16' : 'f32'} cache, ${o.lanes} lanes${o.adjacent ? ' (adjacent pairs)' : ''}: every ISA equals the plain fold`, () => {
        for (const n of POSITIONS)
          for (const d of DIMS) {
            const stride = d + 24; // one head inside a wider cache row
            const seed = n * 1009 + d * 31 + o.lanes + (f16 ? 7 : 0);
            const p = probabilities(n, seed);
            const raw = gaussian(n * stride, seed + 1);
            const v = f16 ? Uint16Array.from(raw, f32ToF16) : raw;
            const want = plainFold(p, (j, i) => (f16 ? f16ToF32(v[j * stride + i]) : v[j * stride + i]), n, d, o.lanes, o.adjacent);
            for (const isa of ISAS) {
              const got = native!.kqv(p, v, stride, d, o.lanes, o.adjacent, isa);
              expect(bitsOf(got), `${isa}: n ${n}, d ${d}`).toEqual(bitsOf(want));
            }
          }
      });

  for (const f16 of [true, false])
    it(`${f16 ? 'f16' : 'f32'} cache: up to four heads of a GQA group at once equal the plain fold, head by head`, () => {
      // attention.cc hands a group's heads to the grouped kernel together (kqv_group): each value
      // row widened once, every head's lanes in registers. Each head must still get its own sum.
      for (const o of ORDERS)
        for (const heads of [2, 3, 4, 5])
          for (const n of [1, 2, 3, 5, 63, 65, 257])
            for (const d of [64, 128, 40]) {
              const stride = d + 24;
              const seed = n * 131 + d * 7 + heads + o.lanes + (f16 ? 3 : 0);
              const p = new Float32Array(heads * n);
              for (let h = 0; h < heads; h++) p.set(probabilities(n, seed + 10 * h), h * n);
              const raw = gaussian(n * stride, seed + 1);
              const v = f16 ? Uint16Array.from(raw, f32ToF16) : raw;
              const value = (j: number, i: number) => (f16 ? f16ToF32(v[j * stride + i]) : v[j * stride + i]);
              for (const isa of ISAS) {
                const got = native!.kqv(p, v, stride, d, o.lanes, o.adjacent, isa, heads);
                for (let h = 0; h < heads; h++) {
                  const want = plainFold(p.subarray(h * n, (h + 1) * n), value, n, d, o.lanes, o.adjacent);
                  expect(bitsOf(got.subarray(h * d, (h + 1) * d)), `${isa} ${o.lanes} lanes: head ${h} of ${heads}, n ${n}, d ${d}`).toEqual(bitsOf(want));
                }
              }
            }
    });

  it('rejects a lane count with no tree and a value buffer too short', () => {
    const p = new Float32Array(4).fill(0.25);
    expect(() => native!.kqv(p, new Float32Array(4 * 8), 8, 8, 12, false)).toThrow(/lanes must be/);
    expect(() => native!.kqv(p, new Float32Array(3 * 8), 8, 8, 64, false)).toThrow(/too short/);
    expect(() => native!.kqv(p, new Float32Array(4 * 8), 8, 8, 64, false, undefined, 3)).toThrow(/heads x n/);
  });
});

/** Softmax-like weights: positive, summing to about one, some exact zeros (masked cells). */
function probabilities(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const p = new Float32Array(n);
  for (let j = 0; j < n; j++) p[j] = r() < 0.05 ? 0 : (r() * 2) / n;
  return p;
}

/** llama.cpp's KQV order with the accumulators in memory (what the kernels evaluated before). */
function plainFold(p: Float32Array, value: (j: number, i: number) => number, n: number, d: number, lanes: number, adjacent: boolean): Float32Array {
  const acc = Array.from({ length: lanes }, () => new Float32Array(d));
  for (let j = 0; j < n; j++) {
    const a = acc[j % lanes];
    for (let i = 0; i < d; i++) a[i] = fma32(p[j], value(j, i), a[i]);
  }
  if (lanes === 1) return acc[0];
  for (let l = lanes; l > 4; l /= 2)
    for (let k = 0; k < l / 2; k++)
      for (let i = 0; i < d; i++) acc[k][i] = acc[k + l / 2][i] + acc[k][i];
  const out = new Float32Array(d);
  const [a0, a1, a2, a3] = acc;
  for (let i = 0; i < d; i++)
    out[i] = adjacent ? Math.fround(a0[i] + a1[i]) + Math.fround(a2[i] + a3[i]) : Math.fround(a0[i] + a2[i]) + Math.fround(a1[i] + a3[i]);
  return out;
}

/**
 * fmaf(a, b, c) for float32 operands, rounded once. a * b is exact in float64; a * b + c rounded
 * to float64 and then to float32 rounds the same as once except where the float64 sum lands exactly
 * on a float32 midpoint with a non-zero remainder: then the remainder's sign decides.
 */
function fma32(a: number, b: number, c: number): number {
  const ab = a * b;
  const s = ab + c;
  const r = Math.fround(s);
  if (r === s) return r;
  const bb = s - ab;
  const e = ab - (s - bb) + (c - bb);
  if (e === 0) return r;
  const other = nextFloat32(r, s > r);
  if ((r + other) / 2 !== s) return r;
  return e > 0 === other > r ? other : r;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function nextFloat32(x: number, up: boolean): number {
  if (x === 0) return up ? 1.401298464324817e-45 : -1.401298464324817e-45;
  f32[0] = x;
  u32[0] += x > 0 === up ? 1 : -1;
  return f32[0];
}

function bitsOf(x: Float32Array): number[] {
  return Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
}
