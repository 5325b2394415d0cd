import { getDevice, probeWebGPU, withoutFeatures, type KernelFeature } from '../../src/engine/backend/webgpu/device.js';
import { hasIntPath, Kernels, kernelsFor } from '../../src/engine/backend/webgpu/kernels.js';
import { roundActivations } from '../../src/engine/quant/activation.js';
import { f16ToF32 } from '../../src/engine/quant/half.js';
import type { QuantType } from '../../src/engine/quant/quant-type.js';
import { encode, Ops, readBuffer, storage, storageFrom, type Dispatch } from '../../src/engine/backend/webgpu/ops.js';

/** Probed once per test file: the suites skip, naming the reason, when there is no adapter. */
export const probe = await probeWebGPU();
export const noGpu = !probe.adapter;
export const skipReason = noGpu ? ` (skipped: no WebGPU adapter: ${probe.reason})` : '';

export async function gpuOps(): Promise<Ops> {
  const gpu = await getDevice();
  return new Ops(gpu, kernelsFor(gpu));
}

/**
 * Ops with and without an optional feature: [`feature`, ops] when the device has it, then
 * [`no feature`, ops] with it withheld (the portable fallback), so both paths are tested wherever
 * the adapter allows.
 */
export async function featureVariants(feature: KernelFeature): Promise<[string, Ops][]> {
  const gpu = await getDevice();
  const has = { subgroups: gpu.subgroups, 'shader-f16': gpu.shaderF16, dot4: gpu.dot4 }[feature];
  const list: [string, Ops][] = [];
  if (has) list.push([feature, new Ops(gpu, kernelsFor(gpu))]);
  list.push([`no ${feature}`, new Ops(gpu, new Kernels(gpu, withoutFeatures(gpu, [feature])))]);
  return list;
}

/**
 * Ops for every on/off combination of `features` that the device allows (all on first, the
 * portable fallbacks after), named like 'subgroups+dot4' or 'none'.
 */
export async function featureCombos(features: readonly KernelFeature[]): Promise<[string, Ops][]> {
  const gpu = await getDevice();
  const has = (f: KernelFeature): boolean => ({ subgroups: gpu.subgroups, 'shader-f16': gpu.shaderF16, dot4: gpu.dot4 })[f];
  let sets: KernelFeature[][] = [[]];
  for (const f of features) sets = has(f) ? sets.flatMap((on) => [[...on, f], on]) : sets;
  return sets.map((on) => [on.join('+') || 'none', new Ops(gpu, new Kernels(gpu, withoutFeatures(gpu, features.filter((f) => !on.includes(f)))))]);
}

/** Runs recorded dispatches in one pass, checking for validation errors. */
export async function runDispatches(ops: Ops, list: Dispatch[]): Promise<void> {
  const device = ops.device;
  device.pushErrorScope('validation');
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  encode(pass, list);
  pass.end();
  device.queue.submit([enc.finish()]);
  const err = await device.popErrorScope();
  if (err) throw new Error(err.message);
}

export async function readF32(ops: Ops, b: GPUBuffer, n: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(ops.device, b, n * 4));
}

export { storage, storageFrom };

/** Deterministic pseudo-random floats in [-scale, scale). */
export function randomFloats(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

/** max |a - b| / (max |b| + tiny). */
export function relErr(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  let mag = 1e-12;
  for (let i = 0; i < b.length; i++) {
    mag = Math.max(mag, Math.abs(b[i]));
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst / mag;
}

/** W . X in float64 per row, and the sum of |w x| (the scale of its f32 rounding error). */
export function reference(w: Float32Array, x: Float32Array, rows: number, cols: number): { y: Float64Array; scale: Float64Array } {
  const y = new Float64Array(rows);
  const scale = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      y[r] += w[r * cols + c] * x[c];
      scale[r] += Math.abs(w[r * cols + c] * x[c]);
    }
  }
  return { y, scale };
}

/** A step uniform: first position, token count. */
export function stepBuffer(ops: Ops, pos: number, n = 1): GPUBuffer {
  const b = ops.device.createBuffer({ size: 16, usage: 0x40 | 0x8 });
  ops.device.queue.writeBuffer(b, 0, new Uint32Array([pos, n, 0, 0]));
  return b;
}

/**
 * W . X as ggml's CPU computes it for the integer-path types: X rounded as ggml's x86 quantiser
 * rounds it, and for Q4_1/Q5_1 (f16 m at byte 2 of each block) the min term taken from Q8_1's
 * stored block sums.
 */
export function intReference(q: QuantType, bytes: Uint8Array, w: Float32Array, x: Float32Array, rows: number, cols: number): { y: Float64Array; scale: Float64Array } | undefined {
  if (!hasIntPath(q.type)) return undefined;
  const a = roundActivations(q.type, x);
  const out = reference(w, a.values, rows, cols);
  if (a.blockSums) {
    const nb = cols / 32;
    for (let r = 0; r < rows; r++) {
      for (let b = 0; b < nb; b++) {
        const o = (r * nb + b) * q.bytesPerBlock;
        const min = f16ToF32(bytes[o + 2] | (bytes[o + 3] << 8));
        let s = 0;
        for (let j = 0; j < 32; j++) s += a.values[b * 32 + j];
        out.y[r] += min * (a.blockSums[b] - s);
      }
    }
  }
  return out;
}
