/// <reference types="@webgpu/types" />
import type { Backend, ContextOptions, InferenceContext, ModelWeights } from '../backend.js';
import { WebGPUContext, uploadWeights, type GpuWeights } from './context.js';
import { checked, getDevice, probedAdapter, probeWebGPU, webgpuInfo, withoutFeatures, type KernelFeature, type WebGPUDevice } from './device.js';
import { kernelsFor } from './kernels.js';
import { Ops } from './ops.js';

export { probeWebGPU, webgpuAvailable, webgpuHardwareReady, webgpuInfo, webgpuUnavailableReason, type KernelFeature } from './device.js';
export { WebGPUContext } from './context.js';

export interface WebGPUBackendOptions {
  /**
   * Largest storage binding to use, in bytes (default: the adapter's maxStorageBufferBindingSize).
   * Tests set it small to exercise the splitting of big matrices into several bindings.
   */
  readonly maxBindingBytes?: number;
  /**
   * Optional kernel features to leave unused even where the device has them ('subgroups',
   * 'shader-f16', 'dot4'): each has a portable fallback, and tests run both. The environment's
   * LOCALGPT_WEBGPU_DISABLE applies on top.
   */
  readonly disable?: readonly KernelFeature[];
}

/** Uploaded weights per device and model: a model is uploaded once, however many contexts use it. */
const uploaded = new WeakMap<GPUDevice, WeakMap<ModelWeights, Map<number, Promise<GpuWeights>>>>();
const opsPerDevice = new WeakMap<GPUDevice, Map<string, Ops>>();

function opsFor(gpu: WebGPUDevice, disable: readonly KernelFeature[]): Ops {
  let byFeatures = opsPerDevice.get(gpu.device);
  if (!byFeatures) opsPerDevice.set(gpu.device, (byFeatures = new Map()));
  const key = [...new Set(disable)].sort().join(',');
  let o = byFeatures.get(key);
  if (!o) {
    o = new Ops(gpu, kernelsFor(gpu, withoutFeatures(gpu, disable)));
    byFeatures.set(key, o);
  }
  return o;
}

async function weightsOn(gpu: WebGPUDevice, weights: ModelWeights, maxBindingBytes: number): Promise<GpuWeights> {
  let byModel = uploaded.get(gpu.device);
  if (!byModel) uploaded.set(gpu.device, (byModel = new WeakMap()));
  let byLimit = byModel.get(weights);
  if (!byLimit) byModel.set(weights, (byLimit = new Map()));
  let w = byLimit.get(maxBindingBytes);
  if (!w) {
    w = checked(gpu, 'uploading the weights', () => uploadWeights(gpu, weights, maxBindingBytes));
    w.catch(() => byLimit!.delete(maxBindingBytes));
    byLimit.set(maxBindingBytes, w);
  }
  return w;
}

export function createWebGPUBackend(options: WebGPUBackendOptions = {}): Backend {
  return {
    name: 'webgpu',
    describe() {
      const a = probedAdapter();
      const name = a ? [a.vendor, a.architecture, a.description].filter((x) => x).join(' ') || 'unknown adapter' : 'adapter not yet probed';
      return `webgpu (${name}${a?.software ? ', software' : ''}; WGSL kernels through Dawn, weights decoded in the shaders; Q8_0/Q4_0/Q4_1/Q5_0/Q5_1/IQ4_NL projections on Q8-rounded activations with integer dot products where the compiler has dot4I8Packed, f32 activations elsewhere)`;
    },
    async createContext(weights: ModelWeights, ctx: ContextOptions): Promise<InferenceContext> {
      const gpu = await getDevice();
      const limit = Math.min(options.maxBindingBytes ?? Infinity, gpu.adapter.limits.maxStorageBufferBindingSize, gpu.adapter.limits.maxBufferSize);
      const w = await weightsOn(gpu, weights, limit);
      return WebGPUContext.create(gpu, opsFor(gpu, options.disable ?? []), weights.config, w, ctx);
    },
  };
}

/** The WebGPU backend with the adapter's own limits. */
export const webgpuBackend: Backend = createWebGPUBackend();

/** For callers that want the adapter described before choosing (e.g. `localgpt info`). */
export async function describeWebGPU(): Promise<string> {
  await probeWebGPU();
  return webgpuInfo();
}
