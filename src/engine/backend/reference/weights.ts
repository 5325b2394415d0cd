import type { ModelConfig } from '../../model/config.js';
import { quantType } from '../../quant/registry.js';
import type { ModelWeights, WeightTensor } from '../backend.js';

/**
 * Every tensor dequantised once to float32, so the forward pass reads like llama2.c. Memory is
 * 4 bytes per parameter: fine for the oracle's test models, the reason real use picks `cpu`.
 */
import { matrixOf, type Matrix } from './project.js';

export interface LayerWeights {
  attnNorm: Float32Array;
  attnNormBias?: Float32Array;
  wq?: Matrix; wk?: Matrix; wv?: Matrix;
  bq?: Float32Array; bk?: Float32Array; bv?: Float32Array;
  wqkv?: Matrix; bqkv?: Float32Array;
  wo: Matrix; bo?: Float32Array;
  ffnNorm: Float32Array;
  ffnNormBias?: Float32Array;
  wGate?: Matrix;
  wUp: Matrix; bUp?: Float32Array;
  wDown: Matrix; bDown?: Float32Array;
}

export interface DenseWeights {
  tokenEmbd: Float32Array;
  positionEmbd?: Float32Array;
  outputNorm: Float32Array;
  outputNormBias?: Float32Array;
  output: Matrix;
  ropeFreqs?: Float32Array;
  layers: LayerWeights[];
}

export function dequantizeTensor(t: WeightTensor): Float32Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  quantType(t.type).dequantize(t.data, out);
  return out;
}

export function denseWeights(weights: ModelWeights): DenseWeights {
  const c: ModelConfig = weights.config;
  const get = (name: string): Float32Array => {
    const t = weights.tensors.get(name);
    if (!t) throw new Error(`missing tensor ${name}`);
    return dequantizeTensor(t);
  };
  const opt = (name: string): Float32Array | undefined => (weights.tensors.has(name) ? get(name) : undefined);
  const mat = (name: string): Matrix => matrixOf(weights.tensors.get(name)!.type, weights.tensors.get(name)!.data, get(name));
  const optMat = (name: string): Matrix | undefined => (weights.tensors.has(name) ? mat(name) : undefined);
  const tokenEmbd = get('token_embd.weight');
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.blockCount; i++) {
    const b = `blk.${i}.`;
    layers.push({
      attnNorm: get(`${b}attn_norm.weight`),
      attnNormBias: opt(`${b}attn_norm.bias`),
      wq: optMat(`${b}attn_q.weight`), wk: optMat(`${b}attn_k.weight`), wv: optMat(`${b}attn_v.weight`),
      bq: opt(`${b}attn_q.bias`), bk: opt(`${b}attn_k.bias`), bv: opt(`${b}attn_v.bias`),
      wqkv: optMat(`${b}attn_qkv.weight`), bqkv: opt(`${b}attn_qkv.bias`),
      wo: mat(`${b}attn_output.weight`), bo: opt(`${b}attn_output.bias`),
      ffnNorm: get(`${b}ffn_norm.weight`), ffnNormBias: opt(`${b}ffn_norm.bias`),
      wGate: optMat(`${b}ffn_gate.weight`),
      wUp: mat(`${b}ffn_up.weight`), bUp: opt(`${b}ffn_up.bias`),
      wDown: mat(`${b}ffn_down.weight`), bDown: opt(`${b}ffn_down.bias`),
    });
  }
  return {
    tokenEmbd,
    positionEmbd: opt('position_embd.weight'),
    outputNorm: get('output_norm.weight'),
    outputNormBias: opt('output_norm.bias'),
    output: mat(c.tiedEmbeddings ? 'token_embd.weight' : 'output.weight'),
    ropeFreqs: opt('rope_freqs.weight'),
    layers,
  };
}
