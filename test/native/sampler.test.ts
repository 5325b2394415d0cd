/**
 * The native sampler chain (native/ops/sampler.h) against the JS one (src/engine/sampling):
 * the same token and the same PRNG state after every draw, over the options' branches (top-k on and
 * off, the min-p-first shortcut over many unsorted candidates, penalties, greedy with penalties),
 * ties, NaN and -Infinity; then the cpu backend's sampling loop (sampledSteps) inside generate(),
 * against generate() sampling in JS token by token.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { InferenceContext } from '../../src/engine/backend/backend.js';
import { cpuBackend } from '../../src/engine/backend/cpu/index.js';
import { nativeSamplerArgs } from '../../src/engine/backend/cpu/sampling.js';
import { generateAll } from '../../src/engine/generate.js';
import { exp64 } from '../../src/engine/sampling/exp.js';
import { Sampler, type SamplingOptions } from '../../src/engine/sampling/sampler.js';
import { FakeTokenizer } from '../engine/helpers/fakes.js';
import { gaussian, makeConfig, makeWeights, native, rng, tokens } from './helpers.js';

const OPTIONS: SamplingOptions[] = [
  {},
  { temperature: 1 },
  { temperature: 1.7, topK: 0, topP: 0.9, minP: 0.02 },
  { temperature: 0.6, topK: 0, topP: 0.5, minP: 0 },
  { temperature: 1.1, topK: 0, topP: 1, minP: 0.1 },
  { temperature: 2.5, topK: 0, topP: 0.999, minP: 0 },
  { temperature: 0.9, topK: 5000, topP: 1, minP: 0 },
  { temperature: 1.3, topK: 100, topP: 0.99, minP: 0 },
  { temperature: 0.8, topK: 3, repeatPenalty: 1.3, presencePenalty: 0.4, frequencyPenalty: 0.2 },
  { temperature: 1, topK: 0, topP: 0.95, minP: 0.05, repeatPenalty: 1.1, penaltyLastN: -1 },
  { temperature: 1, topK: 40, repeatPenalty: 1.5, penaltyLastN: 0 },
  { temperature: 0, repeatPenalty: 1.8, frequencyPenalty: 0.5 },
  { temperature: 0.7, topK: 1 },
];

/** A float64 array's bit patterns, so that equal means bit for bit. */
const bits = (a: Float64Array): bigint[] => Array.from(new BigUint64Array(a.slice().buffer));

/** The penalty window every chain starts with; rows() puts its ids among the best logits. */
const WINDOW = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 0, 0, 1];

/** Logit rows of every shape the chain branches on: small and large vocabularies, ties, NaN, -Infinity. */
function rows(seed: number): Float32Array[] {
  const r = rng(seed);
  const out: Float32Array[] = [];
  for (const n of [1, 2, 7, 300, 1025, 5000]) {
    // gaussian()'s outlier would leave one candidate after top-p and min-p: tamed to a mere maximum.
    const g = gaussian(n, seed + n, 2.5).map((v) => (v > 15 ? 11 : v));
    out.push(g);
    // Coarse steps: many equal logits at every cut.
    out.push(g.map((v) => Math.round(v * 2) / 2));
    const odd = g.slice();
    for (let i = 0; i < n; i++) {
      const u = r();
      if (u < 0.02) odd[i] = NaN;
      else if (u < 0.05) odd[i] = -Infinity;
    }
    out.push(odd);
  }
  // The window's ids on top, a little apart: every penalty moves them across each other and the rest.
  for (const n of [300, 2000]) {
    const g = gaussian(n, seed + 2 * n, 1);
    // Window ids (0-6, 9) interleaved with others (7, 8, 10, 11), so penalties reorder them.
    for (const [i, id] of [0, 7, 1, 8, 2, 10, 3, 11, 4, 5, 6, 9].entries()) g[id] = 4 - 0.15 * i;
    out.push(g);
  }
  out.push(new Float32Array(300).fill(-Infinity));
  out.push(new Float32Array(1500).fill(NaN));
  out.push(new Float32Array(64).fill(0));
  return out;
}

describe.skipIf(!native)('native sampler chain', () => {
  it('computes exp as exp64 does in JS, bit for bit', () => {
    const r = rng(11);
    const xs = new Float64Array(200000);
    for (let i = 0; i < xs.length; i++) xs[i] = i < 150000 ? -r() * 60 : (r() - 0.5) * 1500;
    xs.set([0, -0, 1e-300, -1e-300, 0.5 * Math.LN2, -0.5 * Math.LN2, -745.13, -745.14, 709.78, 709.79, -Infinity, Infinity, NaN], 0);
    const got = native!.exp64(xs);
    const want = xs.map(exp64);
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
  });

  it('draws from the JS chain distribution, picks its token and leaves its PRNG state, draw after draw', () => {
    let draws = 0;
    for (const [k, options] of OPTIONS.entries()) {
      for (const [j, row] of rows(k + 1).entries()) {
        // A fresh window for every row (so the penalties meet the ids rows() put on top), then
        // draws that each continue the last one's state.
        const js = new Sampler({ ...options, seed: 1000 * k + j });
        js.acceptMany(WINDOW);
        for (let rep = 0; rep < 3; rep++) {
          const args = nativeSamplerArgs(js.snapshot());
          const got = native!.sampleLogits(args.config, args.window, args.rng, row);
          const dist = js.distribution(row);
          const token = js.sample(row);
          const at = `options ${k}, row ${j} (${row.length} logits), draw ${rep}`;
          expect(Array.from(got.ids), at).toEqual(Array.from(dist.ids));
          expect(bits(got.probs), at).toEqual(bits(dist.probs));
          expect([...got.tokens, ...got.rng], at).toEqual([token, ...js.snapshot().rng]);
          draws++;
        }
      }
    }
    expect(draws).toBeGreaterThan(500);
  });

  it('cuts top-p where the cumulative probability reaches p exactly', () => {
    // Four equal logits: probabilities of exactly 1/4, so top-p 0.5 keeps two and top-p 0.25 one
    // (no draw: the PRNG does not move).
    const row = Float32Array.of(1, 1, 1, 1, -Infinity, -Infinity);
    for (const [topP, kept] of [[0.25, 1], [0.5, 2], [0.75, 3]] as const) {
      const js = new Sampler({ topK: 0, topP, minP: 0, temperature: 1, seed: 3 });
      const args = nativeSamplerArgs(js.snapshot());
      const got = native!.sampleLogits(args.config, args.window, args.rng, row);
      expect(got.ids).toHaveLength(kept);
      expect(js.distribution(row).ids).toHaveLength(kept);
      expect([...got.tokens, ...got.rng]).toEqual([js.sample(row), ...js.snapshot().rng]);
    }
  });

  it('slides the penalty window draw by draw as the JS sampler does', () => {
    // Ids 0-4 on top in that order: greedy with the last three tokens blocked cycles 0 1 2 3, with
    // four blocked 0 1 2 3 4. Then the same rows sampled with milder penalties.
    const n = 50;
    const row = new Float32Array(n).map((_, i) => (i < 5 ? 4 - 0.1 * i : -i / n));
    const steps = 12;
    const rowsOf = new Float32Array(n * steps);
    for (let r = 0; r < steps; r++) rowsOf.set(row, r * n);
    for (const options of [
      { temperature: 0, presencePenalty: 100, penaltyLastN: 3 },
      { temperature: 0, presencePenalty: 100, penaltyLastN: 4 },
      { temperature: 0.5, topK: 4, repeatPenalty: 1.4, frequencyPenalty: 0.3, penaltyLastN: 5 },
    ]) {
      const js = new Sampler({ ...options, seed: 9 });
      js.acceptMany([7, 8, 9, 10, 11, 12]);
      const args = nativeSamplerArgs(js.snapshot());
      const got = native!.sampleLogits(args.config, args.window, args.rng, rowsOf, steps);
      const want = Array.from({ length: steps }, () => js.sample(row));
      expect([...got.tokens, ...got.rng], JSON.stringify(options)).toEqual([...want, ...js.snapshot().rng]);
    }
    expect(new Sampler({ temperature: 0, presencePenalty: 100, penaltyLastN: 3, seed: 1 }).sample(row)).toBe(0);
  });

  it('takes counts past int32 as the JS sampler does, and refuses bad arguments', () => {
    // top-k and the window far past any vocabulary or history: clamped for the addon, same draws.
    const row = gaussian(300, 5, 2);
    for (const options of [{ topK: 2 ** 40, repeatPenalty: 1.3 }, { topK: -(2 ** 40), penaltyLastN: 2 ** 40, repeatPenalty: 1.3 }]) {
      const js = new Sampler({ ...options, temperature: 1, seed: 2 });
      js.acceptMany(WINDOW);
      const big = nativeSamplerArgs(js.snapshot());
      const got = native!.sampleLogits(big.config, big.window, big.rng, row);
      expect(Array.from(got.ids)).toEqual(Array.from(js.distribution(row).ids));
      expect([...got.tokens, ...got.rng]).toEqual([js.sample(row), ...js.snapshot().rng]);
    }
    const args = nativeSamplerArgs(new Sampler({ seed: 1 }).snapshot());
    const ten = new Float32Array(10);
    expect(() => native!.sampleLogits(args.config.slice(0, 8), args.window, args.rng, ten)).toThrow(/9 values/);
    expect(() => native!.sampleLogits(args.config, args.window, args.rng.slice(0, 3), ten)).toThrow(/4 words/);
    expect(() => native!.sampleLogits(args.config, args.window, args.rng, new Float32Array(0))).toThrow(/non-empty/);
    expect(() => native!.sampleLogits(args.config, args.window, args.rng, ten, 3)).toThrow(/whole rows/);
    const bad = args.config.slice();
    bad[1] = 0.5;
    expect(() => native!.sampleLogits(bad, args.window, args.rng, ten)).toThrow(/integers/);
  });
});

describe.skipIf(!native)('native sampling loop in generate()', () => {
  const disposers: (() => void)[] = [];
  afterAll(() => disposers.forEach((d) => d()));
  const config = makeConfig('llama');
  const weights = makeWeights(config, 'Q8_0', 5);
  // ids 0..255 bytes, then 44 specials: the model's 300 ids, none of them an end of generation.
  const tok = new FakeTokenizer({ specials: Array.from({ length: config.vocabSize - 256 }, (_, i) => `<t${i}>`), addBos: false });
  const prompt = tokens(9, config.vocabSize, 4);
  const open = async () => {
    const ctx = await cpuBackend.createContext(weights, { contextLength: 64, threads: 2 });
    disposers.push(() => ctx.dispose());
    return ctx;
  };
  /** The same context without its decoding loops: generate() then samples in JS after every eval. */
  const tokenByToken = (ctx: InferenceContext): InferenceContext => ({
    contextLength: ctx.contextLength,
    eval: (t, p, o) => ctx.eval(t, p, o),
    truncate: (p) => ctx.truncate(p),
    dispose: () => ctx.dispose(),
  });

  // The chains above, with a penalty window short enough to slide during the loop's runs.
  const LOOPED: SamplingOptions[] = [
    OPTIONS[0]!,
    OPTIONS[2]!,
    { ...OPTIONS[7]!, penaltyLastN: 8 },
    OPTIONS[8]!,
    OPTIONS[10]!,
  ];
  for (const [k, options] of LOOPED.entries()) {
    it(`decodes the tokens JS sampling decodes (${JSON.stringify(options)})`, async () => {
      const sampling = { ...options, seed: 77 + k };
      const plain = await generateAll(tokenByToken(await open()), tok, prompt, { sampling, maxTokens: 40 });
      const ctx = await open();
      let loops = 0;
      const sampledSteps = ctx.sampledSteps!.bind(ctx);
      ctx.sampledSteps = (...a) => (loops++, sampledSteps(...a));
      const fast = await generateAll(ctx, tok, prompt, { sampling, maxTokens: 40 });
      expect(fast.ids).toEqual(plain.ids);
      expect(fast.ids).toHaveLength(40);
      if (options.temperature !== 0) expect(loops).toBeGreaterThan(0);
      // The cache holds what was decoded: one more token gives the logits of token-by-token decoding.
      const next = await ctx.eval([fast.ids[39]!], prompt.length + 39);
      const again = await open();
      await again.eval(prompt, 0);
      for (let i = 0; i < 39; i++) await again.eval([fast.ids[i]!], prompt.length + i);
      expect(Array.from(next)).toEqual(Array.from(await again.eval([fast.ids[39]!], prompt.length + 39)));
    });
  }

  it('continues the same random stream after a run stops early (a sampler kept across generations)', async () => {
    const sampling = { temperature: 1.3, topK: 0, topP: 0.97, minP: 0.01, seed: 5 };
    const js = new Sampler(sampling);
    const nat = new Sampler(sampling);
    const plain = tokenByToken(await open());
    const ctx = await open();
    // Two generations each, the second continuing the first's sampler state.
    const a1 = await generateAll(plain, tok, prompt, { sampling: js, maxTokens: 7 });
    const b1 = await generateAll(ctx, tok, prompt, { sampling: nat, maxTokens: 7 });
    expect(b1.ids).toEqual(a1.ids);
    expect(nat.snapshot()).toEqual(js.snapshot());
    const a2 = await generateAll(plain, tok, prompt, { sampling: js, maxTokens: 12 });
    const b2 = await generateAll(ctx, tok, prompt, { sampling: nat, maxTokens: 12 });
    expect(b2.ids).toEqual(a2.ids);
  });
});
