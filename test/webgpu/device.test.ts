import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backend/select.js';
import { destroyDeviceForTest, disabledFeatures, getDevice, withoutFeatures } from '../../src/engine/backend/webgpu/device.js';
import { probeWebGPU, webgpuAvailable, webgpuBackend, webgpuInfo, webgpuUnavailableReason } from '../../src/engine/backend/webgpu/index.js';
import { moduleSource, quantKernelFile } from '../../src/engine/backend/webgpu/kernels.js';
import { openGGUF } from '../../src/engine/gguf/reader.js';
import { loadWeights } from '../../src/engine/model/load-weights.js';
import { GGMLType, QUANT_TYPES } from '../../src/engine/quant/registry.js';
import { testModelPath } from '../conformance/models.js';
import { smallGpt2Vocab } from '../fixtures/small-vocab.js';
import { noGpu, skipReason } from './helpers.js';

describe('webgpu availability (runs with or without an adapter)', () => {
  it('answers available, or gives a reason', async () => {
    const p = await probeWebGPU();
    expect(webgpuAvailable()).toBe(p.adapter !== undefined);
    if (!p.adapter) {
      expect(webgpuUnavailableReason()).toMatch(/\w/);
      expect(await webgpuInfo()).toMatch(/^webgpu: unavailable \(/);
      expect(() => selectBackend('webgpu')).toThrow(/webgpu backend is not available/);
    } else {
      expect(await webgpuInfo()).toMatch(/^webgpu: .*max storage binding \d+ MiB/);
      expect(selectBackend('webgpu').backend.name).toBe('webgpu');
      // 'auto' never picks a software adapter (llvmpipe is slower than the native CPU path).
      if (p.adapter.software) expect(selectBackend('auto').backend.name).not.toBe('webgpu');
    }
  });

  it('every registry type has a WGSL dequantiser, and an unknown type is a clear error', () => {
    for (const q of QUANT_TYPES) expect(quantKernelFile(q.type), q.name).toBeDefined();
    const none = { subgroups: false, shaderF16: false, dot4: false };
    for (const f of [none, { subgroups: true, shaderF16: true, dot4: true }]) for (const q of QUANT_TYPES) expect(moduleSource('matvec', f, q.type)).toContain('fn unit_w(');
    // f16 appears only where the feature is on, and only for the F16 weight tile.
    expect(moduleSource('matmul', { ...none, shaderF16: true }, GGMLType.F16)).toMatch(/^enable f16;[^]*alias WT = f16;/);
    expect(moduleSource('matmul', none, GGMLType.F16)).not.toContain('f16;');
    expect(moduleSource('matmul', { ...none, shaderF16: true }, GGMLType.Q8_0)).toContain('alias WT = f32;');
    expect(() => moduleSource('matvec', none, GGMLType.IQ3_S)).toThrow(/unsupported quantisation type IQ3_S/);
  });

  it('LOCALGPT_WEBGPU_DISABLE names the features to withhold; a typo is an error', () => {
    expect([...disabledFeatures({})]).toEqual([]);
    expect([...disabledFeatures({ LOCALGPT_WEBGPU_DISABLE: 'shader-f16, dot4' })].sort()).toEqual(['dot4', 'shader-f16']);
    expect([...disabledFeatures({ LOCALGPT_WEBGPU_DISABLE: 'all' })].sort()).toEqual(['dot4', 'shader-f16', 'subgroups']);
    expect([...disabledFeatures({ LOCALGPT_WEBGPU_NO_SUBGROUPS: '1' })]).toEqual(['subgroups']);
    expect(() => disabledFeatures({ LOCALGPT_WEBGPU_DISABLE: 'f16' })).toThrow(/unknown feature "f16"/);
    const all = { subgroups: true, shaderF16: true, dot4: true };
    expect(withoutFeatures(all, ['dot4'])).toEqual({ subgroups: true, shaderF16: true, dot4: false });
    expect(withoutFeatures({ ...all, shaderF16: false }, [])).toEqual({ subgroups: true, shaderF16: false, dot4: true });
  });
});

describe.skipIf(noGpu)(`webgpu device${skipReason}`, () => {
  it('takes the adapter limits, not the defaults', async () => {
    const gpu = await getDevice();
    expect(gpu.device.limits.maxStorageBufferBindingSize).toBe(gpu.adapter.limits.maxStorageBufferBindingSize);
    expect(gpu.device.limits.maxComputeWorkgroupStorageSize).toBe(gpu.adapter.limits.maxComputeWorkgroupStorageSize);
    expect(gpu.subgroups).toBe(gpu.device.features.has('subgroups'));
  });

  it('a lost device fails evals with a clear error, and the model loads again on a new device', async () => {
    const w = loadWeights(openGGUF(testModelPath({ arch: 'llama', quant: 'Q8_0', vocabName: 'gpt2-1024', vocab: () => smallGpt2Vocab(1024) })));
    const ctx = await webgpuBackend.createContext(w, { contextLength: 16 });
    const before = await ctx.eval([1, 2, 3], 0);
    const first = await getDevice();
    await destroyDeviceForTest();
    await expect(ctx.eval([4], 3)).rejects.toThrow(/WebGPU device was lost.*load the model again/);
    const again = await webgpuBackend.createContext(w, { contextLength: 16 });
    expect(await getDevice()).not.toBe(first);
    const after = await again.eval([1, 2, 3], 0);
    expect(Array.from(after)).toEqual(Array.from(before));
    again.dispose();
    ctx.dispose();
  });
});
