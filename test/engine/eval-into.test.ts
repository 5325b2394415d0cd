/**
 * InferenceContext.eval's `into` (EvalOptions): the caller's array filled with exactly the logits a
 * new array would hold and returned, on every backend available here; a wrong array refused before
 * anything runs; on the cpu backend an array detached while the eval runs rejects it, and the
 * context goes on working.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, InferenceContext } from '../../src/engine/backend/backend.js';
import { cpuBackend } from '../../src/engine/backend/cpu/index.js';
import { referenceBackend } from '../../src/engine/backend/reference/index.js';
import { webgpuBackend } from '../../src/engine/backend/webgpu/index.js';
import { makeConfig, makeWeights, native, tokens } from '../native/helpers.js';
import { noGpu } from '../webgpu/helpers.js';

const BACKENDS: Backend[] = [referenceBackend, ...(native ? [cpuBackend] : []), ...(noGpu ? [] : [webgpuBackend])];

describe.each(BACKENDS.map((b) => [b.name, b] as const))('eval into the caller\'s array (%s)', (_name, backend) => {
  const config = makeConfig('llama');
  const weights = makeWeights(config, 'Q8_0', 11);
  const V = config.vocabSize;
  const prompt = tokens(7, V, 5);
  const open: InferenceContext[] = [];
  afterAll(() => open.forEach((c) => c.dispose()));
  const context = async () => {
    const ctx = await backend.createContext(weights, { contextLength: 32, threads: 2 });
    open.push(ctx);
    return ctx;
  };

  it('fills and returns it with the logits a new array would hold, bit for bit', async () => {
    const a = await context();
    const b = await context();
    const all = new Float32Array(prompt.length * V).fill(NaN);
    const gotAll = await b.eval(prompt, 0, { allLogits: true, into: all });
    expect(gotAll).toBe(all);
    expect(Array.from(all)).toEqual(Array.from(await a.eval(prompt, 0, { allLogits: true })));
    const row = new Float32Array(V).fill(NaN);
    for (let s = 0; s < 3; s++) {
      const want = await a.eval([s + 1], prompt.length + s);
      const got = await b.eval([s + 1], prompt.length + s, { into: row });
      expect(got).toBe(row);
      expect(Array.from(row)).toEqual(Array.from(want));
    }
  });

  it('returns arrays of the caller\'s own: the next evals change none of them', async () => {
    // The webgpu context reads every decode step back through one buffer it keeps; what it returns
    // must be a copy.
    const ctx = await context();
    const first = await ctx.eval(prompt, 0);
    const kept = Array.from(first);
    const second = await ctx.eval([1], prompt.length);
    const third = await ctx.eval([2], prompt.length + 1);
    expect(second).not.toBe(first);
    expect(Array.from(first)).toEqual(kept);
    expect(Array.from(second)).not.toEqual(Array.from(third));
  });

  it('refuses an array of another length or type before evaluating anything', async () => {
    const ctx = await context();
    await ctx.eval(prompt, 0);
    await expect(ctx.eval([1], prompt.length, { into: new Float32Array(V - 1) })).rejects.toThrow(`into must be a Float32Array of ${V} values`);
    await expect(ctx.eval(prompt, 0, { allLogits: true, into: new Float32Array(V) })).rejects.toThrow(/into must be a Float32Array of \d+ values/);
    if (backend === cpuBackend) {
      await expect(ctx.eval([1], prompt.length, { into: new Float64Array(V) as unknown as Float32Array })).rejects.toThrow(/into must be a Float32Array/);
    }
    // Nothing ran: the cache still ends at the prompt, so the next position is still prompt.length.
    await expect(ctx.eval([1], prompt.length + 1)).rejects.toThrow(/leaves a gap/);
    expect(await ctx.eval([1], prompt.length, { into: new Float32Array(V) })).toHaveLength(V);
  });

  it.skipIf(backend !== cpuBackend)('rejects an eval whose array was detached while it ran, and goes on', async () => {
    const ctx = await context();
    await ctx.eval(prompt, 0);
    const row = new Float32Array(V);
    const pending = ctx.eval([1], prompt.length, { into: row });
    // The context starts the native eval in a microtask; its completion needs a turn of the event
    // loop, so after one microtask the eval is running (or done but not yet delivered).
    await Promise.resolve();
    structuredClone(row.buffer, { transfer: [row.buffer] }); // detaches row
    await expect(pending).rejects.toThrow('into was detached or changed during the eval');
    const again = new Float32Array(V);
    expect(await ctx.eval([1], prompt.length, { into: again })).toBe(again);
  });
});
