import { describe, expect, it } from 'vitest';
import { quantModel, type QuantModelInput } from '../../../src/engine/model/quant-model.js';
import { useMoreBits } from '../../../src/engine/model/quant-rules.js';
import { QUANT_SCHEMES, resolveScheme, tensorTypeFor } from '../../../src/engine/model/quant-scheme.js';
import { GGMLType, ggmlTypeName } from '../../../src/engine/quant/ggml-type.js';

/**
 * The rules without llama.cpp at hand, on the shape of real files (test/conformance/quantize.test.ts
 * holds them against llama_model_quantize itself): a Llama-3-8B-like model, 32 layers, 32 query
 * heads over 8 kv heads, rows of 4096 and 14336.
 */
const LAYERS = 32;
const names = ['token_embd.weight', 'output_norm.weight', 'output.weight'];
for (let i = 0; i < LAYERS; i++) for (const t of ['attn_norm', 'attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_norm', 'ffn_gate', 'ffn_up', 'ffn_down']) names.push(`blk.${i}.${t}.weight`);
const llama8B: QuantModelInput = { arch: 'llama', blockCount: LAYERS, headCount: 32, headCountKv: 8, expertCount: 0, tensorNames: names };
const dims = (name: string): number[] => (name.endsWith('_norm.weight') ? [4096] : name.includes('ffn_down') ? [14336, 4096] : [4096, 4096]);
const typeOf = (scheme: string, name: string, input = llama8B, pure = false) =>
  ggmlTypeName(tensorTypeFor(resolveScheme(scheme, { pure }), { name, dims: dims(name) }, quantModel(input)));
const layersWith = (scheme: string, tensor: string, type: string, input = llama8B) =>
  Array.from({ length: LAYERS }, (_, i) => i).filter((i) => typeOf(scheme, `blk.${i}.${tensor}.weight`, input) === type);

describe('quantisation schemes: llama-quantize rules', () => {
  it('use_more_bits: the first and last eighth, and every third layer between', () => {
    expect(Array.from({ length: 32 }, (_, i) => i).filter((i) => useMoreBits(i, 32))).toEqual([0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]);
    expect(Array.from({ length: 8 }, (_, i) => i).filter((i) => useMoreBits(i, 8))).toEqual([0, 3, 6, 7]);
  });

  it('Q4_K_M: Q6_K for attn_v and ffn_down where use_more_bits says, the output matrix Q6_K, Q4_K elsewhere', () => {
    const more = [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31];
    expect(layersWith('Q4_K_M', 'attn_v', 'Q6_K')).toEqual(more);
    expect(layersWith('Q4_K_M', 'ffn_down', 'Q6_K')).toEqual(more);
    expect(layersWith('Q4_K_M', 'attn_q', 'Q4_K')).toHaveLength(LAYERS);
    expect([typeOf('Q4_K_M', 'output.weight'), typeOf('Q4_K_M', 'token_embd.weight'), typeOf('Q4_K_M', 'output_norm.weight')]).toEqual(['Q6_K', 'Q4_K', 'F32']);
  });

  it('Q3_K_M, Q3_K_L, Q4_K_S and Q2_K: their attn_v, ffn_down and attn_output rules', () => {
    expect(layersWith('Q3_K_M', 'attn_v', 'Q5_K')).toEqual([0, 1]);
    expect(layersWith('Q3_K_M', 'ffn_down', 'Q5_K')).toEqual([0, 1]);
    expect(typeOf('Q3_K_M', 'blk.5.attn_output.weight')).toBe('Q4_K');
    expect([typeOf('Q3_K_L', 'blk.9.attn_v.weight'), typeOf('Q3_K_L', 'blk.9.ffn_down.weight'), typeOf('Q3_K_L', 'blk.9.attn_q.weight')]).toEqual(['Q5_K', 'Q5_K', 'Q3_K']);
    expect(layersWith('Q4_K_S', 'attn_v', 'Q5_K')).toEqual([0, 1, 2, 3]);
    // 4 query heads per kv head: Q2_K's attn_v takes Q4_K; with 1 it takes Q3_K.
    expect(typeOf('Q2_K', 'blk.0.attn_v.weight')).toBe('Q4_K');
    expect(typeOf('Q2_K', 'blk.0.attn_v.weight', { ...llama8B, headCountKv: 32 })).toBe('Q3_K');
  });

  it('tied embeddings: token_embd takes the output matrix type; experts and 70B move attn_v', () => {
    const tied = { ...llama8B, tensorNames: names.filter((n) => n !== 'output.weight') };
    expect([typeOf('Q4_K_M', 'token_embd.weight', tied), typeOf('Q4_0', 'token_embd.weight', tied), typeOf('Q8_0', 'token_embd.weight', tied)]).toEqual(['Q6_K', 'Q6_K', 'Q8_0']);
    expect(typeOf('Q4_K_M', 'blk.4.attn_v.weight', { ...llama8B, expertCount: 8 })).toBe('Q8_0');
    const seventy = { ...llama8B, blockCount: 80 };
    expect(typeOf('Q3_K_S', 'blk.4.attn_v.weight', seventy)).toBe('Q5_K');
    expect(typeOf('Q3_K_S', 'blk.4.attn_v.weight', { ...seventy, headCountKv: 32 })).toBe('Q3_K');
  });

  it('--pure and the bare K names: one type for every matrix, with the fallbacks for short rows', () => {
    expect(typeOf('Q2_K', 'output.weight', llama8B, true)).toBe('Q2_K');
    expect(typeOf('Q4_K', 'blk.0.attn_v.weight')).toBe('Q4_K');
    expect(typeOf('Q4_K', 'output.weight')).toBe('Q4_K');
    expect(resolveScheme('q4_k')).toEqual({ name: 'Q4_K', ftype: 14, type: GGMLType.Q4_K, pure: true });
    const narrow = { name: 'blk.0.ffn_down.weight', dims: [352, 64] };
    expect(['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q4_0'].map((s) => ggmlTypeName(tensorTypeFor(resolveScheme(s, { pure: true }), narrow, quantModel(llama8B))))).toEqual(['Q4_0', 'Q4_0', 'Q5_0', 'Q5_1', 'Q8_0', 'Q4_0']);
    const odd = { name: 'blk.0.ffn_down.weight', dims: [80, 64] };
    expect(ggmlTypeName(tensorTypeFor('Q4_K_M', odd, quantModel(llama8B)))).toBe('F16');
  });

  it('every scheme has its llama_ftype; tensors llama.cpp never quantises keep their type', () => {
    expect(Object.fromEntries(QUANT_SCHEMES.map((s) => [s, resolveScheme(s).ftype]))).toEqual({
      F32: 0, F16: 1, BF16: 32, Q8_0: 7, Q4_0: 2, Q4_1: 3, Q5_0: 8, Q5_1: 9, Q2_K: 10, Q3_K_S: 11, Q3_K_M: 12, Q3_K_L: 13,
      Q4_K_S: 14, Q4_K_M: 15, Q5_K_S: 16, Q5_K_M: 17, Q6_K: 18, IQ4_NL: 25, IQ4_XS: 30, Q3_K: 11, Q4_K: 14, Q5_K: 16,
    });
    const m = quantModel(llama8B);
    expect(tensorTypeFor('Q4_K_M', { name: 'position_embd.weight', dims: [4096, 1024], type: GGMLType.F16 }, m)).toBe(GGMLType.F16);
    expect(tensorTypeFor('F16', { name: 'blk.0.attn_norm.weight', dims: [4096] }, m)).toBe(GGMLType.F32);
    expect(tensorTypeFor('F16', { name: 'blk.0.ffn_down.weight', dims: [80, 64] }, m)).toBe(GGMLType.F16);
    expect(() => resolveScheme('IQ3_S')).toThrow(/unknown quantisation scheme "IQ3_S"/);
  });
});
