/**
 * The native greedy loop (InferenceContext.greedySteps on the cpu backend): the same tokens and the
 * same cache as evaluating one token at a time and taking the sampler's argmax in JS, its stop
 * conditions, and its argument checks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cpuBackend, type CpuContextOptions } from '../../src/engine/backend/cpu/index.js';
import { argmax as samplerArgmax } from '../../src/engine/sampling/sampler.js';
import { makeConfig, makeWeights, native, tokens } from './helpers.js';

describe.skipIf(!native)('native greedy steps', () => {
  const disposers: (() => void)[] = [];
  afterAll(() => disposers.forEach((d) => d()));
  const config = makeConfig('llama');
  const weights = makeWeights(config, 'Q8_0', 5);
  const opts: CpuContextOptions = { contextLength: 48, threads: 2, kvType: 'f16' };
  const open = async () => {
    const ctx = await cpuBackend.createContext(weights, opts);
    disposers.push(() => ctx.dispose());
    return ctx;
  };
  const prompt = tokens(9, config.vocabSize, 4);

  it('gives the argmax after every eval, and leaves the cache as token-by-token decoding does', async () => {
    const a = await open();
    const b = await open();
    const first = samplerArgmax(await a.eval(prompt, 0));
    await b.eval(prompt, 0);
    const want: number[] = [];
    let t = first;
    for (let s = 0; s < 12; s++) {
      t = samplerArgmax(await a.eval([t], prompt.length + s));
      want.push(t);
    }
    const got = await b.greedySteps!(first, prompt.length, 12, new Set(), 1e9);
    expect(got).toEqual(want);
    // Both caches hold prompt + first + 11 tokens: the next eval gives the same logits.
    const la = await a.eval([want[11]], prompt.length + 12);
    const lb = await b.eval([got[11]], prompt.length + 12);
    expect(Array.from(lb)).toEqual(Array.from(la));
  });

  it('stops at a stop id (returned, not evaluated), after maxSteps, and after one step when the budget is spent', async () => {
    const ctx = await open();
    const first = samplerArgmax(await ctx.eval(prompt, 0));
    const run = await ctx.greedySteps!(first, prompt.length, 10, new Set(), 1e9);
    ctx.truncate(prompt.length);
    const stopAt = await ctx.greedySteps!(first, prompt.length, 10, new Set([run[4]]), 1e9);
    expect(stopAt).toEqual(run.slice(0, run.indexOf(run[4]) + 1));
    ctx.truncate(prompt.length);
    expect(await ctx.greedySteps!(first, prompt.length, 3, new Set(), 1e9)).toEqual(run.slice(0, 3));
    ctx.truncate(prompt.length);
    expect(await ctx.greedySteps!(first, prompt.length, 10, new Set(), 0)).toEqual(run.slice(0, 1));
  });

  it('refuses runs past the context, gaps in the cache and bad tokens', async () => {
    const ctx = await open();
    await ctx.eval(prompt, 0);
    await expect(ctx.greedySteps!(1, prompt.length, 48, new Set(), 10)).rejects.toThrow(/do not fit the context/);
    await expect(ctx.greedySteps!(1, prompt.length + 1, 2, new Set(), 10)).rejects.toThrow(/leave a gap/);
    await expect(ctx.greedySteps!(config.vocabSize, prompt.length, 2, new Set(), 10)).rejects.toThrow(/out of range/);
    // the context still works
    expect(await ctx.greedySteps!(1, prompt.length, 2, new Set(), 10)).toHaveLength(2);
  });
});
