/** Cases shared by golden.test.ts and oracle/gen-golden.ts (inputs are regenerated, only digests are stored). */
import { createHash } from 'node:crypto';
import type { QuantType } from '../../../src/engine/quant/registry.js';
import { DISTRIBUTIONS, makeData, rng } from './data.js';

/** 512 values = 2 K-quant super-blocks = 16 legacy blocks. */
export const GOLDEN_N = 512;

export const GOLDEN_CASES = [
  ...DISTRIBUTIONS.flatMap((dist) => [1, 2].map((s) => ({ id: `${dist}/${s}`, data: () => makeData(dist, GOLDEN_N, s * 7919) }))),
  // Magnitudes whose scales overflow f16: a K-quant sub-block scale of 0 times an infinite d is
  // NaN, which ggml's `if (!d)` does not skip (Q6_K's quantiser once did).
  ...[1, 2, 3, 4].map((s) => ({ id: `huge/${s}`, data: () => makeData('mixed-scale', GOLDEN_N, s * 104729).map((v) => v * 1e8) })),
];

/** Seeded random bytes covering GOLDEN_N values of type `t` (any bit pattern, scales included). */
export function randomBlocks(t: QuantType, seed: number): { bytes: Uint8Array; n: number } {
  const r = rng(seed);
  const bytes = new Uint8Array((GOLDEN_N / t.blockSize) * t.bytesPerBlock);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
  return { bytes, n: GOLDEN_N };
}

export function digest(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Digest of float32 bit patterns, with every NaN canonicalised (JS does not keep NaN payloads). */
export function floatDigest(y: Float32Array): string {
  const bits = new Uint32Array(y.length);
  const view = new Uint32Array(y.buffer, y.byteOffset, y.length);
  for (let i = 0; i < y.length; i++) bits[i] = Number.isNaN(y[i]) ? 0x7fc00000 : view[i];
  return digest(new Uint8Array(bits.buffer));
}
