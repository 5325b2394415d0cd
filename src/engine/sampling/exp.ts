/**
 * e^x from IEEE double additions, multiplications and one floor, in an order that
 * native/ops/exp64.h repeats operation for operation: the sampler's probabilities (its
 * softmax, top-p's cumulative sum) then come out bit for bit the same in JS and in the addon's
 * sampling loop. Math.exp cannot give that: V8 and the C library each have their own exp, which
 * differ in the last bit now and then, and a draw near a boundary would pick another token.
 *
 * x = k ln2 + r with |r| <= ln2 / 2 (ln2 split in two so k * LN2_HI is exact), e^r by its Taylor
 * series to r^13 (truncation below 1e-17 relative), then times 2^k. Within 1 ulp of Math.exp on the
 * sampler's range (test/engine/sampling.test.ts).
 */
export function exp64(x: number): number {
  if (x !== x) return x;
  if (x > 709.782712893384) return Infinity;
  if (x < -745.1332191019412) return 0;
  const k = Math.floor(x * INV_LN2 + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = C[13]!;
  for (let i = 12; i >= 0; i--) p = p * r + C[i]!;
  // 2^k in two exact steps where k is outside the normal range of a double.
  if (k > 1023) return p * 2 * POW2[1023 + 1074]!;
  if (k < -1022) return p * POW2[k + 54 + 1074]! * POW2[-54 + 1074]!;
  return p * POW2[k + 1074]!;
}

const INV_LN2 = 1.4426950408889634;
/** ln 2 = LN2_HI + LN2_LO, LN2_HI with its low 32 bits zero. */
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;

/** 1/n! for n = 0..13, each by one division of exact integers (so each correctly rounded). */
const C: readonly number[] = (() => {
  const out: number[] = [];
  let f = 1;
  for (let n = 0; n <= 13; n++) {
    if (n > 0) f *= n; // 13! < 2^53: exact
    out.push(1 / f);
  }
  return out;
})();

/** 2^e for e = -1074..1023 at POW2[e + 1074], by exact halvings and doublings. */
const POW2: Float64Array = (() => {
  const out = new Float64Array(1074 + 1024);
  let v = 1;
  for (let e = 0; e <= 1023; e++, v *= 2) out[e + 1074] = v;
  v = 1;
  for (let e = 0; e >= -1074; e--, v /= 2) out[e + 1074] = v;
  return out;
})();
