/** Shared helpers of the native suites: seeded data, ggml-valid random blocks, the addon. */
import { loadNative, nativeUnavailableReason, type NativeAddon } from '../../src/engine/native/load.js';
import { f32ToF16 } from '../../src/engine/quant/half.js';
import type { QuantType } from '../../src/engine/quant/registry.js';

export const native: NativeAddon | undefined = loadNative();
export const skipReason = native ? '' : nativeUnavailableReason();

/** mulberry32 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - r();
    const v = r();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  // awkward content: an outlier, a zero run (a whole zero block for the block types)
  if (n >= 64) {
    out[Math.floor(r() * n)] = 40 * scale;
    out.fill(0, 32, 64);
  }
  return out;
}

/** Offsets (within a block) of the f16 scale fields of each block type. */
const F16_FIELDS: Record<string, number[]> = {
  Q4_0: [0], Q4_1: [0, 2], Q5_0: [0], Q8_0: [0], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208],
};

/**
 * Random raw blocks: every quant bit pattern possible (Q8_0's -128, Q6_K's -128 scales, all 6-bit
 * K-scales), with the f16 scales set to finite small values so the sums stay finite.
 */
export function randomBlocks(t: QuantType, rows: number, cols: number, seed: number): Uint8Array | undefined {
  const fields = F16_FIELDS[t.name];
  if (!fields) return undefined;
  const r = rng(seed);
  const nb = (rows * cols) / t.blockSize;
  const out = new Uint8Array(nb * t.bytesPerBlock);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    for (const off of fields) dv.setUint16(b * t.bytesPerBlock + off, f32ToF16((r() - 0.3) * 0.02), true);
  }
  return out;
}

/** The activation formats' ids. */
export const Q8_0 = 8;
export const Q8_K = 15;
