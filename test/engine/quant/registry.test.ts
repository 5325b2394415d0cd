import { describe, expect, it } from 'vitest';
import { GGML_TYPE_GEOMETRY, GGMLType } from '../../../src/engine/quant/ggml-type.js';
import {
  QUANT_TYPES,
  findQuantType,
  quantType,
  quantTypeByName,
  rowByteSize,
} from '../../../src/engine/quant/registry.js';

describe('quant registry', () => {
  it('lists the types the engine computes with, each once, in id order', () => {
    const names = QUANT_TYPES.map((t) => t.name);
    expect(names).toEqual(['F32', 'F16', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'IQ4_NL', 'IQ4_XS', 'BF16']);
    expect(new Set(QUANT_TYPES.map((t) => t.type)).size).toBe(QUANT_TYPES.length);
    expect(Object.isFrozen(QUANT_TYPES)).toBe(true);
  });

  it.each(QUANT_TYPES.map((t) => [t.name, t] as const))('%s geometry agrees with ggml-type.ts', (name, t) => {
    const g = GGML_TYPE_GEOMETRY.get(t.type);
    expect(g).toBeDefined();
    expect(g!.name).toBe(name);
    expect(t.blockSize).toBe(g!.blockSize);
    expect(t.bytesPerBlock).toBe(g!.typeSize);
    expect(GGMLType[t.type]).toBe(name);
  });

  it.each(QUANT_TYPES.map((t) => [t.name, t] as const))('%s lookups', (name, t) => {
    expect(quantType(t.type)).toBe(t);
    expect(findQuantType(t.type)).toBe(t);
    expect(quantTypeByName(name)).toBe(t);
    expect(quantTypeByName(name.toLowerCase())).toBe(t);
    expect(rowByteSize(t.type, 4 * t.blockSize)).toBe(4 * t.bytesPerBlock);
    expect(rowByteSize(t.type, 0)).toBe(0);
  });

  it('unsupported and unknown type ids are clear errors', () => {
    expect(() => quantType(GGMLType.IQ3_S)).toThrow(/unsupported quantisation type IQ3_S \(ggml type 21\)/);
    expect(() => quantType(GGMLType.IQ2_XXS)).toThrow(/IQ2_XXS/);
    expect(() => quantType(999)).toThrow(/unknown ggml type id 999/);
    expect(() => quantType(-1)).toThrow(/-1/);
    expect(findQuantType(GGMLType.IQ3_S)).toBeUndefined();
    expect(findQuantType(4)).toBeUndefined(); // removed Q4_2
    expect(quantTypeByName('q4_2')).toBeUndefined();
    expect(quantTypeByName('')).toBeUndefined();
    expect(() => rowByteSize(GGMLType.IQ2_XXS, 256)).toThrow(/IQ2_XXS/);
  });

  it('rowByteSize rejects partial blocks', () => {
    expect(() => rowByteSize(GGMLType.Q4_0, 33)).toThrow(/Q4_0.*33.*32/);
    expect(() => rowByteSize(GGMLType.Q6_K, 128)).toThrow(/Q6_K/);
    expect(() => rowByteSize(GGMLType.F16, 1.5)).toThrow(RangeError);
    expect(() => rowByteSize(GGMLType.F32, -4)).toThrow(RangeError);
    expect(rowByteSize(GGMLType.F16, 3)).toBe(6);
  });

  describe.each(QUANT_TYPES.map((t) => [t.name, t] as const))('%s length checks', (name, t) => {
    it('quantize rejects a partial block', () => {
      if (t.blockSize === 1) return; // every length is whole blocks
      expect(() => t.quantize(new Float32Array(t.blockSize + 1))).toThrow(new RegExp(`${name} quantize.*${t.blockSize + 1}`));
    });
    it('dequantize rejects a partial output block and short input', () => {
      if (t.blockSize > 1) {
        expect(() => t.dequantize(new Uint8Array(2 * t.bytesPerBlock), new Float32Array(t.blockSize - 1))).toThrow(
          new RegExp(`${name} dequantize.*not a multiple`),
        );
      }
      expect(() => t.dequantize(new Uint8Array(2 * t.bytesPerBlock - 1), new Float32Array(2 * t.blockSize))).toThrow(
        new RegExp(`${name} dequantize.*need ${2 * t.bytesPerBlock} bytes`),
      );
    });
    it('dequantize accepts extra trailing bytes and empty input', () => {
      const q = t.quantize(new Float32Array(t.blockSize).fill(1));
      const padded = new Uint8Array(q.length + 7);
      padded.set(q);
      const a = new Float32Array(t.blockSize);
      const b = new Float32Array(t.blockSize);
      t.dequantize(q, a);
      t.dequantize(padded, b);
      expect(b).toEqual(a);
      t.dequantize(new Uint8Array(0), new Float32Array(0));
      expect(t.quantize(new Float32Array(0)).length).toBe(0);
    });
    it('works on subarray views (byteOffset != 0)', () => {
      const x = new Float32Array(3 * t.blockSize).map((_, i) => Math.sin(i) * 0.1);
      const view = x.subarray(t.blockSize, 2 * t.blockSize);
      const q = t.quantize(view);
      expect(q).toEqual(t.quantize(x.slice(t.blockSize, 2 * t.blockSize)));
      const bytes = new Uint8Array(q.length + 3);
      bytes.set(q, 3);
      const out = new Float32Array(3 * t.blockSize);
      t.dequantize(bytes.subarray(3), out.subarray(t.blockSize, 2 * t.blockSize));
      const ref = new Float32Array(t.blockSize);
      t.dequantize(q, ref);
      expect(out.subarray(t.blockSize, 2 * t.blockSize)).toEqual(ref);
      expect(out[0]).toBe(0);
      expect(out[2 * t.blockSize]).toBe(0);
    });
  });
});
