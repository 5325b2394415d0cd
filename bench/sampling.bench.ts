/**
 * Sampler benchmark: time per token on a 150k vocabulary (Qwen2-sized), with the default top-k
 * (partial selection) and with top-k off (the full-vocabulary path).
 *
 *   npx tsx bench/sampling.bench.ts
 *
 * Expectation: about 1 ms per token with top-k, well under 200 ms without; a sampler should
 * never be what limits decode speed.
 */
import { Rng, Sampler } from '../src/engine/sampling/index.js';

const r = new Rng(1);
const row = Float32Array.from({ length: 151_936 }, () => r.nextFloat() * 20 - 10);
for (const [name, sampler, n] of [
  ['default (top-k 40)', new Sampler({ seed: 1 }), 50],
  ['top-k off', new Sampler({ seed: 1, topK: 0 }), 5],
] as const) {
  sampler.sample(row); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sampler.sample(row);
  console.log(`${name}: ${((performance.now() - t0) / n).toFixed(2)} ms per token (151936-entry vocabulary)`);
}
