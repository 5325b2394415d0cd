/**
 * quantize -> dequantize error stays within a bound derived from each format, on seeded data of
 * several distributions; and requantising a dequantised block is stable where the format
 * guarantees it.
 */
import { describe, expect, it } from 'vitest';
import { QUANT_TYPES, type QuantType } from '../../../src/engine/quant/registry.js';
import { DISTRIBUTIONS, makeData } from './data.js';

/** f16 absolute rounding error of a scale d: half an ulp, never below half the smallest subnormal. */
const f16Err = (d: number) => Math.max(Math.abs(d) * 2 ** -11, 2 ** -25);

interface Stats { amax: number; min: number; max: number }

/**
 * Per-element error bound for a block with the given stats. For the scaled types the bound is
 *   (how far a value can be from its level, in steps) * step + (largest level) * f16Err(scale)
 * because the quantiser picks levels with the exact float32 scale but the file stores it as f16.
 */
const BOUNDS: Record<string, (s: Stats, x: number) => number> = {
  F32: () => 0,
  // round to nearest f16: half an ulp relative (2^-11), half a subnormal step (2^-25) absolute
  F16: (_s, x) => Math.max(Math.abs(x) * 2 ** -11, 2 ** -25),
  // bf16 keeps 8 significant bits: half an ulp is 2^-8 relative; f32 subnormals round at 2^-134
  BF16: (_s, x) => Math.max(Math.abs(x) * 2 ** -8, 2 ** -134),
  // d = amax/127, q = round(x/d): half a step, plus |q| <= 127 times the f16 error of d
  Q8_0: (s) => s.amax / 254 + 127 * f16Err(s.amax / 127),
  // d = max/-8 puts the largest |x| on level -8; its opposite sign would be +8, clamped to 7: one full step
  Q4_0: (s) => s.amax / 8 + 8 * f16Err(s.amax / 8),
  // same with 5 bits: levels -16..15, one full step at the clamped end
  Q5_0: (s) => s.amax / 16 + 16 * f16Err(s.amax / 16),
  // m = min, d = (max-min)/15: half a step, plus 15 * f16 error of d, plus f16 error of m
  Q4_1: (s) => (s.max - s.min) / 30 + 15 * f16Err((s.max - s.min) / 15) + f16Err(s.min),
  // m = min, d = (max-min)/31: the same with 31 levels
  Q5_1: (s) => (s.max - s.min) / 62 + 31 * f16Err((s.max - s.min) / 31) + f16Err(s.min),
  // K-quants: the least-squares search may clip the extremes and the sub-block scales/mins are
  // themselves 6-bit, so allow 1.5 steps of the super-block range (worst seen ~1.05); plus the
  // absolute floor of the f16 super-scales (63 * nmax * 2^-25 for d, 63 * 2^-25 for dmin) and
  // their relative error. A layout mistake moves values by about half the range, far outside this.
  Q4_K: (s) => (1.5 * kRange(s)) / 15 + (63 * 15 + 63) * 2 ** -25 + kRange(s) * 2 ** -10,
  Q5_K: (s) => (1.5 * kRange(s)) / 31 + (63 * 31 + 63) * 2 ** -25 + kRange(s) * 2 ** -10,
  // scale + min, levels 0..3 in 16-value sub-blocks, step ~ kRange/3. Rounding with the stored
  // scales is half a step; the 4-bit sub-scales and sub-mins round by up to max_scale/30 per level
  // (3 levels: ~0.1 step) and max_min/30 (<= kRange/30: 0.1 step). The search weighs each element
  // by |x| and minimises the absolute error, so it may leave elements near zero (weight ~0, e.g.
  // the zeros of 'sparse') outside the fitted span, clamped to its nearest end: worst seen ~0.98
  // step over 300 seeds ('negative', 'sparse'; ~0.71 on the seeds here), so allow 1.25 steps. Plus
  // the absolute floor of the f16 super-scales (15 * 3 * 2^-25 for d, 15 * 2^-25 for dmin: 'tiny'
  // and 'subnormal' blocks, whose d is an f16 subnormal or 0, go past a step only by this much)
  // and their relative error. A layout mistake moves values by whole levels (up to 3 steps).
  Q2_K: (s) => (1.25 * kRange(s)) / 3 + (15 * 3 + 15) * 2 ** -25 + kRange(s) * 2 ** -10,
  // symmetric, levels -4..3, step ~ amax/4: the clamped end loses one full step (as Q4_0), and the
  // least-squares search may shrink a sub-block's scale and the 6-bit sub-scales round (up to
  // max_scale/64 per level), so allow 1.5 steps (worst seen ~1.2, on 'integers'); plus |q| <= 4
  // times |sc| <= 32 times the f16 error of d (absolute floor 2^-25, which also covers a d that
  // flushes to zero: that needs max_scale = 32*d <= 2^-20, i.e. amax of a few 2^-18), and its relative error.
  Q3_K: (s) => (1.5 * s.amax) / 4 + 4 * 32 * 2 ** -25 + s.amax * 2 ** -10,
  // non-linear levels -127..113 (in units of d ~ amax/127): the widest gap is 24 units, half of it
  // 12; the scale search may stretch d so the far end clips (one level 113 against -127: 14 units),
  // so allow 0.15 of amax. IQ4_XS's six-bit sub-scales round by up to max_scale/64, about amax/64
  // at the far level: inside the same allowance. Plus 127 units times |ls - 32| <= 32 times the
  // f16 floor of d, and its relative error. A layout mistake moves values by whole levels.
  IQ4_NL: (s) => 0.15 * s.amax + 127 * 2 ** -25 + s.amax * 2 ** -10,
  IQ4_XS: (s) => 0.15 * s.amax + 127 * 32 * 2 ** -25 + s.amax * 2 ** -10,
  // symmetric, levels -32..31 with int8 sub-scales (worst seen ~0.3 of a step of 2*amax/32)
  Q6_K: (s) => (2 * s.amax) / 32 / 2 + 128 * 32 * 2 ** -25 + s.amax * 2 ** -10,
};
function kRange(s: Stats): number {
  return Math.max(s.max, 0) - Math.min(s.min, 0);
}

function stats(x: Float32Array, from: number, to: number): Stats {
  let amax = 0, min = Infinity, max = -Infinity;
  for (let i = from; i < to; i++) {
    amax = Math.max(amax, Math.abs(x[i]));
    min = Math.min(min, x[i]);
    max = Math.max(max, x[i]);
  }
  return { amax, min, max };
}

function roundTrip(t: QuantType, x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  t.dequantize(t.quantize(x), y);
  return y;
}

const N = 1024;

describe.each(QUANT_TYPES.map((t) => [t.name, t] as const))('%s round trip', (name, t) => {
  const bound = BOUNDS[name];

  it('has an error bound (add one to BOUNDS when adding a type)', () => {
    expect(bound).toBeTypeOf('function');
  });

  it.each(DISTRIBUTIONS)('%s data stays within the bound', (dist) => {
    for (const seed of [11, 12]) {
      const x = makeData(dist, N, seed);
      const y = roundTrip(t, x);
      const span = Math.max(t.blockSize, 1);
      for (let b = 0; b < N; b += span) {
        const s = stats(x, b, b + span);
        for (let i = b; i < b + span; i++) {
          if (!Number.isFinite(y[i])) expect.fail(`${name} ${dist} [${i}] not finite: ${y[i]}`);
          const err = Math.abs(y[i] - x[i]);
          if (err > bound(s, x[i])) {
            expect.fail(`${name} ${dist} seed ${seed} [${i}]: x=${x[i]} y=${y[i]} err=${err} > bound ${bound(s, x[i])}`);
          }
        }
      }
      if (dist === 'zeros') expect(y.every((v) => v === 0)).toBe(true);
    }
  });

  it('requantising dequantised values is stable', () => {
    for (const dist of DISTRIBUTIONS) {
      const x = makeData(dist, N, 5);
      const y1 = roundTrip(t, x);
      const q1 = t.quantize(x);
      const y2 = roundTrip(t, y1);
      if (EXACT_FIXED_POINT.has(name) && !(UNDERFLOW.has(dist) && name !== 'F16' && name !== 'BF16' && name !== 'F32')) {
        // Formats whose reference quantiser maps its own output back onto the same levels and
        // scale exactly: the values (and, for plain floats, the bytes) are a fixed point.
        expect(Array.from(y2), `${name} ${dist}`).toEqual(Array.from(y1));
        if (t.blockSize === 1) expect(t.quantize(y1)).toEqual(q1);
      } else {
        // Search-based (K-quants) or min-offset formats need not be a fixed point, but a second
        // pass must stay within the same bound of the first.
        for (let b = 0; b < N; b += t.blockSize) {
          const s = stats(y1, b, b + t.blockSize);
          for (let i = b; i < b + t.blockSize; i++) {
            const err = Math.abs(y2[i] - y1[i]);
            if (err > bound(s, y1[i])) expect.fail(`${name} ${dist} [${i}]: ${y1[i]} -> ${y2[i]}`);
          }
        }
      }
    }
  });
});

/**
 * F32/F16/BF16 are exact on their own values. Q8_0/Q4_0/Q5_0: the largest |value| sits on the
 * extreme level, so the recomputed scale is exactly the stored f16 scale and every value maps
 * back to its level. Q4_1 usually is too, but (15*d + m) - m can round, so it is not guaranteed.
 */
const EXACT_FIXED_POINT = new Set(['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q5_0']);
/** Data so small the f16 scale underflows; the first pass already flushed it, no exactness claim. */
const UNDERFLOW = new Set(['tiny', 'subnormal']);
