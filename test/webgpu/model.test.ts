import { describe, expect, it } from 'vitest';
import type { Backend, ModelWeights, WeightTensor } from '../../src/engine/backend/backend.js';
import { referenceBackend } from '../../src/engine/backend/reference/index.js';
import { getDevice } from '../../src/engine/backend/webgpu/device.js';
import { createWebGPUBackend, probeWebGPU, webgpuBackend, WebGPUContext } from '../../src/engine/backend/webgpu/index.js';
import { hasIntPath } from '../../src/engine/backend/webgpu/kernels.js';
import { openGGUF } from '../../src/engine/gguf/reader.js';
import type { Architecture } from '../../src/engine/model/config.js';
import { loadWeights } from '../../src/engine/model/load-weights.js';
import { QUANT_SCHEMES } from '../../src/engine/model/quant-scheme.js';
import { GGMLType, quantType } from '../../src/engine/quant/registry.js';
import { testModelPath } from '../conformance/models.js';
import { smallGpt2Vocab } from '../fixtures/small-vocab.js';
import { noGpu, skipReason } from './helpers.js';

/**
 * The whole forward pass on the GPU against the reference backend, for every architecture x
 * quantisation scheme of the conformance models (width 256, 2 layers, ff 352, 4 heads / 2 kv heads,
 * a 1024-token GPT-2 vocabulary).
 *
 * Which oracle: the reference rounds activations before each matrix product the way ggml's CPU
 * dot products do (Q8_0 / Q8_1 / Q8_K for quantised weights, f16/bf16 for half weights); the GPU
 * kernels multiply the dequantised weights by f32 activations. Those are different computations:
 * one Q8 rounding step moves these logits by ~0.1. So the tight comparison is against an
 * f32-activation reference: the same model with every tensor dequantised and stored as F32 (the
 * reference does not round F32 activations), run by the reference backend. What remains is f32
 * summation order, f32 vs float64 transcendental functions and rope angles (the reference keeps
 * angles in double), and (gpt2) GELU's f16 rounding landing on the other side of an f16 step.
 * Observed on logits spanning +-30: at most 1.4e-5 for llama/qwen2 (summation order only) and
 * 8.4e-4 for gpt2 (GELU f16 steps); ABS_TOL is 2e-4 and 5e-3 respectively (6x or more headroom).
 *
 * Against the true reference (ggml's activation rounding) we check the greedy continuations of the
 * F32 and F16 models of every architecture are identical (F32: the two compute the same thing;
 * F16: f16 activation rounding is 2^-11 relative, far below these models' top-1 margins), and bound
 * the logit gap for every scheme by ROUNDING_TOL: observed 0.015 (F16), 0.12 (BF16) and up to
 * 0.54 (Q8_K activations of the K-quants), the size of the activation-rounding effect (the
 * reason the tight oracle exists), so a gross error still fails there too.
 *
 * The integer path (dot4I8Packed, on by default where the WGSL compiler has it) rounds the
 * activations of Q8_0/Q4_0/Q4_1/Q5_0/Q5_1 projections exactly as ggml does, so its oracle keeps
 * those tensors quantised (the reference then rounds their activations the same way) and
 * dequantises the rest. Every scheme runs both ways. On that path a token's logits can move by one
 * activation quantisation step where an activation lands within f32 summation noise of a Q8
 * rounding tie (the GPU and the reference sum the norms, attention and the FFN in different
 * orders; with ~2500 activations quantised per token, a few land within that noise of a tie).
 * One flip moves these small random models' logits by up to 0.31 (seen on 45-token prompts; on
 * the 8-token prompt here at most one token per model, by at most 1.1e-2, except the one in
 * KNOWN_TIE_ROWS), and through the KV cache it reaches later tokens. So all but TIE_ROWS token
 * rows must meet ABS_TOL and every row TIE_TOL; the other rows stay at summation-order level
 * (observed <= 1.5e-5, and exactly 0 for the all-Q8_0 models, where the GPU does ggml's
 * per-block arithmetic in ggml's order).
 */
const ARCHS: readonly Architecture[] = ['llama', 'qwen2', 'gpt2'];
const PROMPT = [10, 200, 300, 400, 17, 5, 900, 33];
const GREEDY = 12;
const ABS_TOL = (arch: Architecture): number => (arch === 'gpt2' ? 5e-3 : 2e-4);
const ROUNDING_TOL = 1.0;
const TIE_ROWS = 2;
const TIE_TOL = 0.5;
/**
 * Models whose tie sits early in the prompt, so its flip reaches every later token: there the
 * rows from it on may miss ABS_TOL. qwen2 Q3_K_L (llama-quantize's mix: its integer-path tensors
 * are the two ffn_down, Q5_1 by the fallback for rows of 352): token 0 already differs by 1.6e-2
 * and, through the KV cache, every later row by 4e-4..2.7e-2; on three other prompts all rows
 * agree to 1.3e-5 but one (3.3e-3, a second tie), as llama and qwen2 Q5_K with the same tensors
 * do on this one. (The gpt2 Q5_1 tie once listed here, an f16 scale tie in token 3's QKV input,
 * went when gpt2's position_embd stopped being quantised.)
 */
const KNOWN_TIE_ROWS = new Map<string, number>([['qwen2 Q3_K_L', 8]]);

/** The f32-activation path everywhere (the integer path withheld). */
const f32Backend = createWebGPUBackend({ disable: ['dot4'] });
const gpuInfo = await probeWebGPU();
/** Whether webgpuBackend takes the integer path where it can (the WGSL compiler has dot4I8Packed). */
const intPathOn = gpuInfo.adapter !== undefined && (await getDevice()).dot4;

/**
 * The model with every tensor dequantised to F32 (the reference then computes in pure f32
 * activations), except the types `keep` names, whose activations the reference rounds as ggml.
 */
function asF32(w: ModelWeights, keep: (type: number) => boolean = () => false): ModelWeights {
  const tensors = new Map<string, WeightTensor>();
  for (const [name, t] of w.tensors) {
    if (t.type === GGMLType.F32 || keep(t.type)) {
      tensors.set(name, t);
      continue;
    }
    const n = t.dims.reduce((a, b) => a * b, 1);
    const f = new Float32Array(n);
    quantType(t.type).dequantize(t.data, f);
    tensors.set(name, { name, type: GGMLType.F32, dims: t.dims, data: new Uint8Array(f.buffer) });
  }
  return { config: w.config, tensors };
}

async function logits(backend: Backend, w: ModelWeights): Promise<Float32Array> {
  const ctx = await backend.createContext(w, { contextLength: 64 });
  try {
    return await ctx.eval(PROMPT, 0, { allLogits: true });
  } finally {
    ctx.dispose();
  }
}

async function greedy(backend: Backend, w: ModelWeights): Promise<number[]> {
  const ctx = await backend.createContext(w, { contextLength: 64 });
  try {
    const out: number[] = [];
    let l = await ctx.eval(PROMPT, 0);
    for (let i = 0; i < GREEDY; i++) {
      let best = 0;
      for (let v = 1; v < l.length; v++) if (l[v] > l[best]) best = v;
      out.push(best);
      l = await ctx.eval([best], PROMPT.length + i);
    }
    return out;
  } finally {
    ctx.dispose();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
}

/** The oracle for webgpuBackend's logits: integer-path tensors stay quantised when that path is on. */
function intOracle(w: ModelWeights): ModelWeights {
  return asF32(w, intPathOn ? hasIntPath : () => false);
}

/** Integer-path logits (rows of V) against their oracle, allowing tieRows rows at a Q8 rounding tie. */
function expectIntPathClose(gpu: Float32Array, ref: Float32Array, V: number, tol: number, tieRows = TIE_ROWS): void {
  const rows = Array.from({ length: gpu.length / V }, (_, t) => maxAbsDiff(gpu.subarray(t * V, (t + 1) * V), ref.subarray(t * V, (t + 1) * V)));
  expect(Math.max(...rows), `per-token max differences ${rows.map((r) => r.toExponential(1)).join(' ')}`).toBeLessThan(TIE_TOL);
  expect(rows.filter((r) => r >= tol).length, `per-token max differences ${rows.map((r) => r.toExponential(1)).join(' ')}`).toBeLessThanOrEqual(tieRows);
}

/** Loaded once per model, so the reference's dequantised copy (cached per ModelWeights) is reused. */
const loaded = new Map<string, ModelWeights>();
function load(arch: Architecture, quant: string): ModelWeights {
  const key = `${arch} ${quant}`;
  let w = loaded.get(key);
  if (!w) {
    w = loadWeights(openGGUF(testModelPath({ arch, quant, vocabName: 'gpt2-1024', vocab: () => smallGpt2Vocab(1024) })));
    loaded.set(key, w);
  }
  return w;
}

describe.skipIf(noGpu)(`webgpu forward pass against the reference${skipReason}`, () => {
  for (const arch of ARCHS) {
    for (const quant of QUANT_SCHEMES) {
      it(`${arch} ${quant}: all logits vs the f32-activation reference (< ${ABS_TOL(arch)}), vs the ggml-rounding reference (< ${ROUNDING_TOL}); the integer path vs its oracle`, async () => {
        const w = load(arch, quant);
        const gpu = await logits(f32Backend, w);
        const f32ref = await logits(referenceBackend, asF32(w));
        expect(maxAbsDiff(gpu, f32ref)).toBeLessThan(ABS_TOL(arch));
        expect(maxAbsDiff(gpu, await logits(referenceBackend, w))).toBeLessThan(ROUNDING_TOL);
        const anyInt = [...w.tensors.values()].some((t) => hasIntPath(t.type));
        if (intPathOn && anyInt) {
          expectIntPathClose(await logits(webgpuBackend, w), await logits(referenceBackend, intOracle(w)), w.config.vocabSize, ABS_TOL(arch), KNOWN_TIE_ROWS.get(`${arch} ${quant}`));
        }
      });
    }
    for (const quant of ['F32', 'F16']) {
      it(`${arch} ${quant}: greedy continuation equals the reference's, and the GPU argmax agrees`, async () => {
        const w = load(arch, quant);
        const ours = await greedy(webgpuBackend, w);
        expect(ours).toEqual(await greedy(referenceBackend, w));
        const ctx = (await webgpuBackend.createContext(w, { contextLength: 64 })) as WebGPUContext;
        const seq = [...PROMPT];
        for (let i = 0; i < 4; i++) seq.push(await ctx.evalArgmax(i === 0 ? PROMPT : [seq[seq.length - 1]], i === 0 ? 0 : seq.length - 1));
        expect(seq.slice(PROMPT.length)).toEqual(ours.slice(0, 4));
        ctx.dispose();
      });
    }
  }

  /** Prefill (tiled matmul) and decode (matvec) sum in different orders: f32 rounding apart. */
  const KERNEL_TOL = 2e-4;

  it.each(ARCHS)('%s: embeddings (mean of the final hidden states) match the f32-activation reference', async (arch) => {
    const w = asF32(load(arch, 'F16'));
    const gpu = await webgpuBackend.createContext(w, { contextLength: 64 });
    const ref = await referenceBackend.createContext(w, { contextLength: 64 });
    try {
      const a = await gpu.embed!(PROMPT);
      const b = await ref.embed!(PROMPT);
      expect(a).toHaveLength(w.config.embeddingLength);
      expect(maxAbsDiff(a, b)).toBeLessThan(ABS_TOL(arch));
    } finally {
      gpu.dispose();
      ref.dispose();
    }
  });

  it('splitting matrices across bindings, prefill (batched, over several submits) vs token-by-token decode, truncate and re-eval', async () => {
    // The f32-activation path: decode and prefill then differ by summation order only (the
    // integer path's own prefill/decode agreement is the next test).
    const w = load('qwen2', 'Q4_K_M');
    const whole = await logits(f32Backend, w);
    const split = await logits(createWebGPUBackend({ maxBindingBytes: 4096, disable: ['dot4'] }), w);
    expect(maxAbsDiff(split, whole)).toBeLessThan(1e-5);
    const ctx = await f32Backend.createContext(w, { contextLength: 16 });
    const V = w.config.vocabSize;
    for (let i = 0; i < PROMPT.length; i++) {
      const l = await ctx.eval([PROMPT[i]], i);
      expect(maxAbsDiff(l, whole.subarray(i * V, (i + 1) * V))).toBeLessThan(KERNEL_TOL);
    }
    ctx.truncate(3);
    const again = await ctx.eval(PROMPT.slice(3), 3);
    expect(maxAbsDiff(again, whole.subarray((PROMPT.length - 1) * V))).toBeLessThan(KERNEL_TOL);
    // A prompt longer than the prefill batch: several submits, one readback.
    const long = Array.from({ length: 45 }, (_, i) => (i * 37 + 11) % V);
    const big = (await f32Backend.createContext(w, { contextLength: 64 })) as WebGPUContext;
    expect(big.batch).toBeLessThan(long.length);
    const allAtOnce = await big.eval(long, 0, { allLogits: true });
    const ref = await referenceBackend.createContext(asF32(w), { contextLength: 64 });
    expect(maxAbsDiff(allAtOnce, await ref.eval(long, 0, { allLogits: true }))).toBeLessThan(ABS_TOL('qwen2'));
    big.dispose();
    await expect(ctx.eval([1], 12)).rejects.toThrow(/gap/);
    await expect(ctx.eval([5000], 8)).rejects.toThrow(/vocabulary/);
    await expect(ctx.eval(Array(9).fill(1), 8)).rejects.toThrow(/exceed the context/);
    ctx.dispose();
    await expect(ctx.eval([1], 0)).rejects.toThrow(/disposed/);
  });
  it.skipIf(!intPathOn)('integer path: an all-Q8_0 model prefilled over several submits equals token-by-token decode, split or not', async () => {
    // Both kernels quantise the same activations with the same kernel and sum whole blocks as
    // ggml does, so no tie can separate them: observed bit-identical; 1e-4 allows reordering.
    const w = load('qwen2', 'Q8_0');
    const V = w.config.vocabSize;
    const long = Array.from({ length: 45 }, (_, i) => (i * 37 + 11) % V);
    const big = (await webgpuBackend.createContext(w, { contextLength: 64 })) as WebGPUContext;
    expect(big.batch).toBeLessThan(long.length);
    const prefill = await big.eval(long, 0, { allLogits: true });
    big.dispose();
    const dec = await createWebGPUBackend({ maxBindingBytes: 4096 }).createContext(w, { contextLength: 64 });
    for (let i = 0; i < long.length; i++) {
      expect(maxAbsDiff(await dec.eval([long[i]], i), prefill.subarray(i * V, (i + 1) * V)), `token ${i}`).toBeLessThan(1e-4);
    }
    dec.dispose();
  });

});
