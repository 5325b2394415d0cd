/**
 * The native forward step (one N-API call per batch, all layers in C++) against the reference
 * backend (src/engine/backend/reference/), on small random models of each architecture and several
 * quantisation schemes.
 *
 * Both backends round activations to the weight type's vec_dot_type, so they compute the same thing
 * up to float summation order, and most tokens agree to ~1e-7 relative. But activation rounding is
 * discontinuous: a 1e-7 difference occasionally flips one Q8 rounding (a whole quantisation step,
 * amax/127, on one element), and on these small random models a flip moves logits by up to ~1e-2 of
 * their range and then travels through the KV cache (measured: 2 of 8 gpt2 Q8_0 seeds). So:
 * - F32 weights (no activation rounding; only summation order and GELU's f16 table) must agree to
 *   2e-4 * (max|logit| + 1): the strict check of every op;
 * - quantised schemes must agree to 3e-2 * (max|logit| + 1) with the same argmax (logits are peaked,
 *   std ~8, so a flip never changes the greedy token here);
 * - an F16 KV cache (llama.cpp's default) rounds keys/values to 11 bits: 3e-2 too.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Architecture, ModelConfig } from '../../src/engine/model/config.js';
import { referenceBackend } from '../../src/engine/backend/reference/index.js';
import { cpuBackend, type CpuContextOptions } from '../../src/engine/backend/cpu/index.js';
import type { NativeAddon, NativeModelHandle } from '../../src/engine/native/load.js';
import { argmax, expectClose, makeConfig, makeWeights, native, tokens } from './helpers.js';

const tol = (scheme: string) => (scheme === 'F32' ? 2e-4 : 3e-2);

const CASES: { arch: Architecture; scheme: string; over?: Partial<ModelConfig> }[] = [
  { arch: 'llama', scheme: 'F32' },
  { arch: 'qwen2', scheme: 'F32' },
  { arch: 'gpt2', scheme: 'F32' },
  { arch: 'llama', scheme: 'Q4_0' },
  { arch: 'llama', scheme: 'Q4_K_M', over: { tiedEmbeddings: true } },
  { arch: 'qwen2', scheme: 'Q8_0' },
  { arch: 'qwen2', scheme: 'Q5_K', over: { ropeDims: 32 } },
  { arch: 'gpt2', scheme: 'F16' },
  { arch: 'gpt2', scheme: 'Q4_1' },
  { arch: 'llama', scheme: 'Q5_1' },
];

describe.skipIf(!native)('native forward step vs the reference backend', () => {
  const disposers: (() => void)[] = [];
  afterAll(() => disposers.forEach((d) => d()));

  for (const c of CASES) {
    it(`${c.arch} ${c.scheme}${c.over ? ' ' + JSON.stringify(c.over) : ''}: prefill (all logits) then decode`, async () => {
      const config = makeConfig(c.arch, c.over);
      const weights = makeWeights(config, c.scheme, 42);
      const V = config.vocabSize;
      const opts: CpuContextOptions = { contextLength: 64, threads: 2, kvType: 'f32' };
      const ref = await referenceBackend.createContext(weights, { contextLength: 64 });
      const cpu = await cpuBackend.createContext(weights, opts);
      disposers.push(() => cpu.dispose());
      const prompt = tokens(11, V, 7);
      const want = await ref.eval(prompt, 0, { allLogits: true });
      const got = await cpu.eval(prompt, 0, { allLogits: true });
      expectClose(got, want, V, tol(c.scheme), `${c.arch}/${c.scheme} prefill`);
      let pos = prompt.length;
      let next = argmax(want, (prompt.length - 1) * V, V);
      for (let s = 0; s < 4; s++) {
        const w = await ref.eval([next], pos);
        const g = await cpu.eval([next], pos);
        expectClose(g, w, V, tol(c.scheme), `${c.arch}/${c.scheme} decode ${s}`);
        next = argmax(w);
        pos++;
      }
    });
  }

  it.each(['llama', 'qwen2', 'gpt2'] as Architecture[])('%s: embeddings (mean of the final hidden states, over > 64 tokens) match the reference', async (arch) => {
    const config = makeConfig(arch);
    const weights = makeWeights(config, 'F32', 9);
    const ref = await referenceBackend.createContext(weights, { contextLength: 128 });
    const cpu = await cpuBackend.createContext(weights, { contextLength: 128, kvType: 'f32' } as CpuContextOptions);
    disposers.push(() => cpu.dispose());
    // More than one 64-token chunk where the model has the positions (gpt2's learned ones end at 64).
    const prompt = tokens(arch === 'gpt2' ? 60 : 70, config.vocabSize, 3);
    const want = await ref.embed!(prompt);
    const got = await cpu.embed!(prompt);
    expectClose(got, want, config.embeddingLength, tol('F32'), `${arch} embedding`);
    // The cache now holds the prompt: decoding on from it works as after an eval.
    const next = await cpu.eval([1], prompt.length);
    expect(next).toHaveLength(config.vocabSize);
  });

  it('batched prefill equals token-by-token decode, rewinds with truncate, and f16 KV stays close', async () => {
    const config = makeConfig('llama');
    const weights = makeWeights(config, 'Q4_0', 3);
    const V = config.vocabSize;
    const prompt = tokens(70, V, 9); // > one 64-token native chunk
    const a = await cpuBackend.createContext(weights, { contextLength: 80, threads: 2, kvType: 'f32' } as CpuContextOptions);
    const b = await cpuBackend.createContext(weights, { contextLength: 80, threads: 1, kvType: 'f32' } as CpuContextOptions);
    const h = await cpuBackend.createContext(weights, { contextLength: 80, threads: 2 });
    disposers.push(() => a.dispose(), () => b.dispose(), () => h.dispose());
    const batched = await a.eval(prompt, 0, { allLogits: true });
    // the addon times the forward pass itself (bench/eval-overhead.ts subtracts it from the round trip)
    const internals = a as unknown as { native: NativeAddon; handle: NativeModelHandle };
    const forwardMs = internals.native.modelInfo(internals.handle).lastEvalMs;
    expect(forwardMs).toBeGreaterThan(0);
    const lastOnly = await h.eval(prompt, 0);
    for (let i = 0; i < prompt.length; i++) {
      const one = await b.eval([prompt[i]], i);
      expectClose(one, batched.subarray(i * V, (i + 1) * V), V, 3e-2, `token ${i}`);
    }
    expectClose(lastOnly, batched.subarray((prompt.length - 1) * V), V, 3e-2, 'f16 KV cache');
    // rewind: re-evaluating position 5 with another token after truncate
    a.truncate(5);
    await expect(a.eval([1], 6)).rejects.toThrow(/gap/);
    const re = await a.eval(prompt.slice(5, 8), 5, { allLogits: true });
    expectClose(re, batched.subarray(5 * V, 8 * V), V, 1e-6, 'after truncate');
  });

  it('forced scalar kernels give the same logits as the best ISA', async () => {
    const info = native!.info();
    const config = makeConfig('qwen2');
    const weights = makeWeights(config, 'Q4_K_M', 5);
    const prompt = tokens(9, config.vocabSize, 2);
    const best = await cpuBackend.createContext(weights, { contextLength: 16, threads: 2 });
    const fast = await best.eval(prompt, 0, { allLogits: true });
    best.dispose();
    try {
      expect(native!.setIsa('scalar')).toBe(true);
      const ctx = await cpuBackend.createContext(weights, { contextLength: 16, threads: 2 });
      const slow = await ctx.eval(prompt, 0, { allLogits: true });
      ctx.dispose();
      expectClose(slow, fast, config.vocabSize, 3e-2, 'scalar vs ' + info.isa);
    } finally {
      native!.setIsa(info.isa as 'scalar' | 'avx2' | 'avx512' | 'neon');
    }
  });

  it('prefill and decode logits do not depend on the thread count, bit for bit', async () => {
    // Decode splits a step's matrices (Q, K and V in one job; gate and up in one) into per-thread
    // shares taken in pieces of eight rows and more (matmul.cc decode_shares); every row's output must
    // be the same whichever piece and thread computes it. Vocabulary 300: a partial last piece.
    for (const scheme of ['Q4_0', 'Q4_K_M', 'Q8_0', 'F16']) {
      const config = makeConfig('llama');
      const weights = makeWeights(config, scheme, 11);
      const prompt = tokens(6, config.vocabSize, 4);
      const runs: Float32Array[][] = [];
      for (const threads of [1, 2, 3]) {
        const ctx = await cpuBackend.createContext(weights, { contextLength: 16, threads });
        const out = [await ctx.eval(prompt, 0, { allLogits: true })];
        for (let s = 0; s < 3; s++) out.push(await ctx.eval([s + 1], prompt.length + s));
        ctx.dispose();
        runs.push(out);
      }
      for (let k = 1; k < runs.length; k++)
        runs[k]!.forEach((o, i) => expect(o.every((v, j) => Object.is(v, runs[0]![i]![j])), `${scheme}: ${k + 1} threads, step ${i}`).toBe(true));
    }
  });

  it.skipIf(!native || native.info().isa !== 'avx512')('Q4_K, Q4_0, IQ4_NL, Q5_0 and Q5_1 matrices repacked into tiles give the logits of the mapped rows, bit for bit, at 1-3 threads', async () => {
    // The model copies those matrices into 8-row tiles at load (quant.h repack_tiles8) where the
    // active ISA has a tile kernel; LOCALGPT_NO_REPACK / repackWeights: false keep the mapped rows.
    for (const [scheme, threads] of [['Q4_K_M', 1], ['Q4_K_M', 2], ['Q4_K_M', 3], ['Q4_0', 2], ['IQ4_NL', 3], ['Q5_0', 2], ['Q5_1', 1]] as const) {
      const config = makeConfig('llama');
      const weights = makeWeights(config, scheme, 13);
      const prompt = tokens(7, config.vocabSize, 3);
      const runs: Float32Array[][] = [];
      for (const repackWeights of [false, true]) {
        const ctx = await cpuBackend.createContext(weights, { contextLength: 16, threads, repackWeights });
        const internals = ctx as unknown as { native: NativeAddon; handle: NativeModelHandle };
        // the bytes of the scheme's Q4_K / Q4_0 / IQ4_NL / Q5_0 / Q5_1 matrices, when repacked
        const repacked = internals.native.modelInfo(internals.handle).repackedBytes;
        if (repackWeights) expect(repacked, scheme).toBeGreaterThan(0);
        else expect(repacked).toBe(0);
        const out = [await ctx.eval(prompt, 0, { allLogits: true })];
        for (let s = 0; s < 3; s++) out.push(await ctx.eval([s + 5], prompt.length + s));
        ctx.dispose();
        runs.push(out);
      }
      runs[1]!.forEach((o, i) => expect(o.every((v, j) => Object.is(v, runs[0]![i]![j])), `${scheme}, ${threads} threads, step ${i}`).toBe(true));
    }
  });

  it('five query heads per kv head past 256 positions (grouped value sums) match the reference at 1, 2 and 3 threads', async () => {
    // Past 4 positions per accumulator lane attention hands up to four heads of a group to one
    // task (attention.cc kqv_group): five heads split 3 + 2, or further at more threads. Prefill
    // (16 lanes on AVX-512) and decode (64 lanes) both cross that line here.
    const config = makeConfig('llama', { embeddingLength: 640, headCount: 10, headCountKv: 2, headDim: 64, ropeDims: 64 });
    const weights = makeWeights(config, 'F32', 21);
    const V = config.vocabSize;
    const prompt = tokens(262, V, 5);
    const ref = await referenceBackend.createContext(weights, { contextLength: 272 });
    const want = [await ref.eval(prompt, 0)];
    for (let s = 0; s < 2; s++) want.push(await ref.eval([s + 3], prompt.length + s));
    for (const kvType of ['f32', 'f16'] as const) {
      const runs: Float32Array[][] = [];
      for (const threads of [1, 2, 3]) {
        const ctx = await cpuBackend.createContext(weights, { contextLength: 272, threads, kvType } as CpuContextOptions);
        const out = [await ctx.eval(prompt, 0)];
        for (let s = 0; s < 2; s++) out.push(await ctx.eval([s + 3], prompt.length + s));
        ctx.dispose();
        // An f16 cache rounds keys, values, queries and probabilities: close to the f32 reference only.
        out.forEach((o, i) => expectClose(o, want[i]!, V, kvType === 'f32' ? tol('F32') : 3e-2, `${kvType} cache, ${threads} threads, step ${i}`));
        runs.push(out);
      }
      // More threads split a group's heads into more, smaller tasks (3 + 2, then 2 + 2 + 1): the
      // heads a task takes together (value sums, and with an f16 cache the key products too) must
      // give each head what it gets alone.
      for (let k = 1; k < runs.length; k++)
        runs[k]!.forEach((o, i) => expect(o.every((v, j) => Object.is(v, runs[0]![i]![j])), `${kvType} cache, ${k + 1} threads, step ${i}`).toBe(true));
    }
  });

  it('rejects bad input with one-line errors', async () => {
    const config = makeConfig('gpt2');
    const weights = makeWeights(config, 'F32', 1);
    const ctx = await cpuBackend.createContext(weights, { contextLength: 8 });
    disposers.push(() => ctx.dispose());
    await expect(ctx.eval([config.vocabSize], 0)).rejects.toThrow(/out of range/);
    await expect(ctx.eval(tokens(9, 10, 1), 0)).rejects.toThrow(/exceed the context/);
    const bad = new Map(weights.tensors);
    bad.delete('blk.1.ffn_up.weight');
    await expect(cpuBackend.createContext({ config, tensors: bad }, { contextLength: 8 })).rejects.toThrow(/missing tensor blk.1.ffn_up.weight/);
    ctx.dispose();
    await expect(ctx.eval([1], 0)).rejects.toThrow(/disposed/);
  });
});
