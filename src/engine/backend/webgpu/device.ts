/// <reference types="@webgpu/types" />
import { createRequire } from 'node:module';
import { loadNative } from '../../native/load.js';

/**
 * WebGPU device acquisition through the `webgpu` package (Dawn for Node). One device per process,
 * created on first use with the adapter's own limits (not the spec defaults: a model's matrices
 * need the largest storage bindings the adapter allows) and the optional features we use
 * (shader-f16, subgroups) when present. A lost device is forgotten, so the next createContext
 * gets a fresh one and the model can be loaded again.
 */

/** GPUBufferUsage / GPUMapMode values from the spec, so we need not install Dawn's globals. */
export const BufferUsage = {
  MAP_READ: 0x1,
  MAP_WRITE: 0x2,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;
export const MapModeRead = 0x1;

export interface AdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** True for software adapters (lavapipe/llvmpipe, SwiftShader, WARP): correct but slow. */
  readonly software: boolean;
  readonly features: readonly string[];
  /** The WGSL language features the compiler offers (packed_4x8_integer_dot_product, ...). */
  readonly wgslFeatures: readonly string[];
  readonly limits: {
    readonly maxStorageBufferBindingSize: number;
    readonly maxBufferSize: number;
    readonly maxComputeWorkgroupStorageSize: number;
    readonly maxComputeInvocationsPerWorkgroup: number;
    readonly maxComputeWorkgroupsPerDimension: number;
    readonly maxStorageBuffersPerShaderStage: number;
  };
}

/**
 * The optional capabilities the kernels can use, each with a portable fallback:
 * - subgroups: subgroupAdd/Max in workgroup reductions (else a shared-memory tree);
 * - shaderF16: f16 storage for F16 weight tiles in workgroup memory (else f32);
 * - dot4: dot4I8Packed (the packed_4x8_integer_dot_product WGSL language feature) for the
 *   integer decode path of the 32-value quant types (else their f32-activation kernels).
 */
export interface KernelFeatures {
  readonly subgroups: boolean;
  readonly shaderF16: boolean;
  readonly dot4: boolean;
}
export type KernelFeature = 'subgroups' | 'shader-f16' | 'dot4';
export const KERNEL_FEATURES: readonly KernelFeature[] = ['subgroups', 'shader-f16', 'dot4'];

/**
 * The features LOCALGPT_WEBGPU_DISABLE (a comma list of KERNEL_FEATURES names, or 'all') turns
 * off, plus subgroups under the older LOCALGPT_WEBGPU_NO_SUBGROUPS=1. An unknown name throws, so
 * a typo cannot silently test the wrong path.
 */
export function disabledFeatures(env: NodeJS.ProcessEnv = process.env): Set<KernelFeature> {
  const out = new Set<KernelFeature>();
  for (const raw of (env.LOCALGPT_WEBGPU_DISABLE ?? '').split(',')) {
    const name = raw.trim().toLowerCase();
    if (!name) continue;
    if (name === 'all') KERNEL_FEATURES.forEach((f) => out.add(f));
    else if ((KERNEL_FEATURES as readonly string[]).includes(name)) out.add(name as KernelFeature);
    else throw new Error(`LOCALGPT_WEBGPU_DISABLE: unknown feature "${raw.trim()}" (known: ${KERNEL_FEATURES.join(', ')}, all)`);
  }
  if (env.LOCALGPT_WEBGPU_NO_SUBGROUPS === '1') out.add('subgroups');
  return out;
}

/** `base` with the named features turned off (features can be withheld, never added). */
export function withoutFeatures(base: KernelFeatures, off: Iterable<KernelFeature>): KernelFeatures {
  const o = new Set(off);
  return {
    subgroups: base.subgroups && !o.has('subgroups'),
    shaderF16: base.shaderF16 && !o.has('shader-f16'),
    dot4: base.dot4 && !o.has('dot4'),
  };
}

export interface WebGPUDevice extends KernelFeatures {
  readonly device: GPUDevice;
  readonly adapter: AdapterSummary;
  /** Set when the device is lost; every later use fails with this reason. */
  lostReason?: string;
  /** The first error no error scope caught (reported by the next checked call). */
  uncaptured?: string;
}

type DawnModule = { create(options: string[]): GPU };

let dawn: DawnModule | undefined;
let dawnError: string | undefined;

/** Loads the Dawn binding synchronously (it is a native addon behind an ESM wrapper). */
function loadDawn(): DawnModule | undefined {
  if (dawn || dawnError) return dawn;
  try {
    // The package's ESM index only locates dist/<platform>-<arch>/dawn.node; do the same here so
    // availability can be answered synchronously.
    const require = createRequire(import.meta.url);
    const pkgJson = require.resolve('webgpu/package.json');
    const arch = process.platform === 'darwin' ? 'universal' : process.arch;
    const mod = require(pkgJson.replace(/package\.json$/, `dist/${process.platform}-${arch}/dawn.node`)) as DawnModule;
    if (typeof mod?.create !== 'function') throw new Error('dawn.node exports no create()');
    dawn = mod;
  } catch (e) {
    dawnError = `the webgpu package (Dawn) could not be loaded: ${(e as Error).message.split('\n')[0]}`;
  }
  return dawn;
}

let gpu: GPU | undefined;
let current: Promise<WebGPUDevice> | undefined;
let probed: { adapter?: AdapterSummary; reason?: string } | undefined;

/** Whether the WebGPU binding loads here (an adapter may still be missing: see probeWebGPU). */
export function webgpuAvailable(): boolean {
  if (probed) return probed.adapter !== undefined;
  return loadDawn() !== undefined;
}

/**
 * True once probeWebGPU() (or a device creation) found a hardware adapter: what 'auto' needs to
 * prefer the GPU. Synchronous and loads nothing, so choosing a backend never starts Dawn.
 */
export function webgpuHardwareReady(): boolean {
  return probed?.adapter !== undefined && !probed.adapter.software;
}

/** Why webgpu cannot run here, or undefined when nothing is known to be wrong. */
export function webgpuUnavailableReason(): string | undefined {
  loadDawn();
  if (dawnError) return dawnError;
  return probed?.reason;
}

/**
 * Asks for an adapter once (cached) and describes it, or gives the reason there is none. Does not
 * create a device. After it, webgpuAvailable() answers for the adapter, not just the binding.
 */
export async function probeWebGPU(): Promise<{ adapter?: AdapterSummary; reason?: string }> {
  if (probed) return probed;
  try {
    const adapter = await requestAdapter();
    probed = { adapter: summarise(adapter) };
  } catch (e) {
    probed = { reason: (e as Error).message };
  }
  return probed;
}

/** The adapter found by the last probe or device creation, if any (synchronous). */
export function probedAdapter(): AdapterSummary | undefined {
  return probed?.adapter;
}

/** A one-line description of the adapter for `localgpt info`, or why there is none. */
export async function webgpuInfo(): Promise<string> {
  const p = await probeWebGPU();
  if (!p.adapter) return `webgpu: unavailable (${p.reason})`;
  const a = p.adapter;
  const name = [a.vendor, a.architecture, a.device, a.description].filter((s) => s).join(' ');
  return `webgpu: ${name || 'unknown adapter'}${a.software ? ' (software rasteriser: correct, slow)' : ''}; ` +
    `max storage binding ${(a.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB; ` +
    `features ${[...a.features.filter((f) => f === 'shader-f16' || f === 'subgroups'), ...(a.wgslFeatures.includes('packed_4x8_integer_dot_product') ? ['dot4I8Packed'] : [])].join(', ') || 'none of shader-f16/subgroups/dot4I8Packed'}`;
}

async function requestAdapter(): Promise<GPUAdapter> {
  const mod = loadDawn();
  if (!mod) throw new Error(dawnError);
  const g = (gpu ??= mod.create([]));
  let adapter: GPUAdapter | null;
  try {
    adapter = await quietDawn(() => g.requestAdapter({ powerPreference: 'high-performance' }));
  } catch (e) {
    throw new Error(`requesting a WebGPU adapter failed: ${(e as Error).message}`);
  }
  if (!adapter) throw new Error('no WebGPU adapter found (no Vulkan/Metal/D3D12 driver, or the GPU is not exposed here)');
  return adapter;
}

function summarise(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const text = `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.device ?? ''} ${info?.description ?? ''}`.toLowerCase();
  const l = adapter.limits;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    software: (info as unknown as { isFallbackAdapter?: boolean })?.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|warp|software/.test(text),
    features: [...adapter.features].map(String).sort(),
    wgslFeatures: [...(gpu?.wgslLanguageFeatures ?? [])].map(String).sort(),
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  };
}

/** The process's device, created on first call; a lost device is replaced on the next call. */
export function getDevice(): Promise<WebGPUDevice> {
  current ??= createDevice().catch((e) => {
    current = undefined;
    throw e;
  });
  return current;
}

async function createDevice(): Promise<WebGPUDevice> {
  const adapter = await requestAdapter();
  const summary = summarise(adapter);
  probed = { adapter: summary };
  const want: GPUFeatureName[] = [];
  const off = disabledFeatures();
  const shaderF16 = adapter.features.has('shader-f16') && !off.has('shader-f16');
  const subgroups = adapter.features.has('subgroups') && !off.has('subgroups');
  // A language feature of the WGSL compiler, not a device feature: nothing to request.
  const dot4 = gpu!.wgslLanguageFeatures?.has('packed_4x8_integer_dot_product') === true && !off.has('dot4');
  if (shaderF16) want.push('shader-f16');
  if (subgroups) want.push('subgroups' as GPUFeatureName);
  const l = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures: want, requiredLimits, label: 'localgpt' });
  } catch (e) {
    throw new Error(`creating the WebGPU device failed: ${(e as Error).message}`);
  }
  const d: WebGPUDevice = { device, adapter: summary, subgroups, shaderF16, dot4 };
  void device.lost.then((info) => {
    d.lostReason = `the WebGPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''}); load the model again`;
    if (current) {
      // Forget it so the next getDevice() makes a new one.
      void current.then((c) => { if (c === d) current = undefined; }, () => undefined);
    }
  });
  device.addEventListener('uncapturederror', (ev) => {
    d.uncaptured ??= (ev as GPUUncapturedErrorEvent).error.message;
  });
  return d;
}

/** Throws the device-lost error, if any. */
export function checkAlive(d: WebGPUDevice): void {
  if (d.lostReason) throw new Error(d.lostReason);
}

/**
 * Runs `fn` inside validation and out-of-memory error scopes and throws the first error either
 * caught, prefixed with `what`.
 */
export async function checked<T>(d: WebGPUDevice, what: string, fn: () => T): Promise<T> {
  checkAlive(d);
  d.device.pushErrorScope('out-of-memory');
  d.device.pushErrorScope('validation');
  let result: T;
  let thrown: unknown;
  try {
    result = fn();
  } catch (e) {
    thrown = e;
  }
  const validation = await d.device.popErrorScope();
  const oom = await d.device.popErrorScope();
  if (thrown !== undefined) throw thrown;
  if (validation) throw new Error(`WebGPU validation error in ${what}: ${validation.message}`);
  if (oom) throw new Error(`WebGPU out of memory in ${what}: ${oom.message}`);
  if (d.uncaptured) {
    const m = d.uncaptured;
    d.uncaptured = undefined;
    throw new Error(`WebGPU error before ${what}: ${m}`);
  }
  checkAlive(d);
  return result!;
}

/** For tests: simulate a lost device (destroys it; the lost promise then resolves). */
export async function destroyDeviceForTest(): Promise<void> {
  if (!current) return;
  const d = await current;
  d.device.destroy();
  await d.device.lost;
  await new Promise((r) => setTimeout(r, 0));
}

/**
 * Dawn prints warnings to standard error while it enumerates adapters, synchronously inside
 * requestAdapter(): on every host with Mesa's lavapipe installed (most Linux desktops, and this
 * project's CI), two lines saying it clamped lavapipe's "dynamic buffers per pipeline layout"
 * limits, on every command, GPU or not. Those are dropped; anything else Dawn says is passed on.
 * Without the native addon (which captures the descriptor) they stay.
 */
function quietDawn<T>(call: () => T): T {
  const native = loadNative();
  if (!native) return call();
  const { value, stderr } = native.captureStderr(call);
  const rest = stderr.split('\n').filter((line) => line !== '' && !DAWN_LIMIT_CLAMP.test(line));
  if (rest.length) process.stderr.write(rest.join('\n') + '\n');
  return value;
}
const DAWN_LIMIT_CLAMP = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

