/**
 * Seeded test data for the quant suites (deterministic across runs and machines: a 32-bit
 * xorshift-style PRNG and Box-Muller in double, rounded to float32 on store).
 */

import { mulberry32 as rng } from '../../fixtures/random.js';

export { rng };

function gauss(r: () => number): number {
  const u = 1 - r();
  const v = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export type Distribution =
  | 'gaussian'
  | 'uniform'
  | 'zeros'
  | 'outlier'
  | 'negative'
  | 'positive'
  | 'tiny'
  | 'subnormal'
  | 'mixed-scale'
  | 'integers'
  | 'constant'
  | 'sparse';

export const DISTRIBUTIONS: readonly Distribution[] = [
  'gaussian', 'uniform', 'zeros', 'outlier', 'negative', 'positive', 'tiny', 'subnormal',
  'mixed-scale', 'integers', 'constant', 'sparse',
];

/** `n` float32 values of the given distribution from `seed`. */
export function makeData(dist: Distribution, n: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  switch (dist) {
    case 'gaussian':
      for (let i = 0; i < n; i++) x[i] = gauss(r) * 0.05; // weight-like magnitudes
      break;
    case 'uniform':
      for (let i = 0; i < n; i++) x[i] = r() * 2 - 1;
      break;
    case 'zeros':
      break;
    case 'outlier':
      for (let i = 0; i < n; i++) x[i] = gauss(r) * 0.02;
      for (let i = 0; i < n; i += 64) x[i + Math.floor(r() * 64) % n] = (r() < 0.5 ? -1 : 1) * 40;
      break;
    case 'negative':
      for (let i = 0; i < n; i++) x[i] = -Math.abs(gauss(r)) - 0.01;
      break;
    case 'positive':
      for (let i = 0; i < n; i++) x[i] = r() * 3 + 0.5;
      break;
    case 'tiny':
      for (let i = 0; i < n; i++) x[i] = gauss(r) * 1e-6;
      break;
    case 'subnormal':
      // float32 subnormals (< 2^-126): every type must treat these as (near) zero without NaN
      for (let i = 0; i < n; i++) x[i] = gauss(r) * 1e-39;
      break;
    case 'mixed-scale':
      for (let i = 0; i < n; i++) x[i] = gauss(r) * 10 ** (((i >> 4) % 7) - 4);
      break;
    case 'integers':
      // exact small integers: lots of exact .5 ties after scaling
      for (let i = 0; i < n; i++) x[i] = Math.floor(r() * 17) - 8;
      break;
    case 'constant':
      x.fill(0.3);
      break;
    case 'sparse':
      for (let i = 0; i < n; i++) x[i] = r() < 0.1 ? gauss(r) : 0;
      break;
  }
  return x;
}
