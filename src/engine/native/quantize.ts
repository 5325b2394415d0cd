import { quantType } from '../quant/registry.js';
import { loadNative } from './load.js';

/**
 * Quantise f32 weights to a registry type as llama-quantize writes them. The addon's C++
 * quantisers give the registry's bytes (test/native/quantize.test.ts holds them to it) a hundred
 * times faster; without the addon, the registry's TypeScript does it.
 */
export function quantizeWeights(type: number, values: Float32Array): Uint8Array {
  const t = quantType(type);
  const native = loadNative();
  if (native?.quantizeWeights && values.length % t.blockSize === 0) return native.quantizeWeights(type, values);
  return t.quantize(values);
}
