import { describe, expect, it } from 'vitest';
import {
  ContextLimitError,
  FLUSH_TOKEN,
  generate,
  generateAll,
  type GeneratedPiece,
  type GenerateOptions,
  type GenerationResult,
} from '../../src/engine/generate.js';
import { Sampler } from '../../src/engine/sampling/index.js';
import { FakeContext, FakeGreedyContext, FakeSampledContext, FakeTokenizer, bytesOf, type EvalCall } from './helpers/fakes.js';

const GREEDY = { temperature: 0 } as const;

function setup(
  reply: string | number[],
  opts: { contextLength?: number; prompt?: number[]; tok?: FakeTokenizer; after?: number; beforeEval?: (c: EvalCall) => void } = {},
) {
  const tok = opts.tok ?? new FakeTokenizer();
  const prompt = opts.prompt ?? [tok.bosId!, ...bytesOf('Hi')];
  const ids = typeof reply === 'string' ? bytesOf(reply) : reply;
  const after = opts.after ?? tok.eosId!;
  // The reply continues from wherever the prompt ends.
  const ctx = new FakeContext(opts.contextLength ?? 4096, tok.vocabSize, (cache) => {
    const i = cache.length - prompt.length;
    return i >= 0 && i < ids.length ? ids[i] : after;
  }, { beforeEval: opts.beforeEval });
  return { tok, prompt, ctx };
}

/** Drains a generation; `onPiece(n)` runs after the n-th piece (an abort may come from there). */
async function collect(
  it: AsyncGenerator<GeneratedPiece, GenerationResult, undefined>,
  onPiece?: (n: number) => void,
): Promise<{ pieces: GeneratedPiece[]; result: GenerationResult }> {
  const pieces: GeneratedPiece[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return { pieces, result: r.value };
    pieces.push(r.value);
    onPiece?.(pieces.length);
  }
}

describe('generate', () => {
  it('streams tokens and text, ends at EOS without emitting it', async () => {
    const { tok, prompt, ctx } = setup('Hello');
    const { pieces, result } = await collect(generate(ctx, tok, prompt, { sampling: GREEDY }));
    expect(pieces.map((p) => p.text)).toEqual(['H', 'e', 'l', 'l', 'o']);
    expect(result.text).toBe('Hello');
    expect(result.ids).toEqual(bytesOf('Hello'));
    expect(result.stopReason).toBe('eos');
    expect(result.promptTokens).toBe(3);
    // one prefill eval, then one eval per generated token; EOS is not evaluated
    expect(ctx.calls[0]).toEqual({ tokens: prompt, pos: 0 });
    expect(ctx.calls.length).toBe(1 + 5);
    expect(result.contextTokens).toEqual([...prompt, ...bytesOf('Hello')]);
    expect(result.contextTokens).toEqual(ctx.cache);
    const t = result.timings;
    for (const v of [t.prefillMs, t.decodeMs, t.prefillTokensPerS, t.decodeTokensPerS]) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('any EOG id ends generation (e.g. <|im_end|>)', async () => {
    const tok = new FakeTokenizer({ specials: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], eos: '<|endoftext|>', eog: ['<|im_end|>'], addBos: false });
    const { prompt, ctx } = setup('ok', { tok, prompt: bytesOf('q'), after: tok.id('<|im_end|>') });
    const r = await generateAll(ctx, tok, prompt, { sampling: GREEDY });
    expect(r.text).toBe('ok');
    expect(r.stopReason).toBe('eos');
    expect(r.ids).not.toContain(tok.id('<|im_end|>'));
  });

  it('maxTokens ends with "length" and does not evaluate the last token', async () => {
    const { tok, prompt, ctx } = setup('abcdefgh');
    const r = await generateAll(ctx, tok, prompt, { sampling: GREEDY, maxTokens: 3 });
    expect(r.text).toBe('abc');
    expect(r.stopReason).toBe('length');
    expect(ctx.calls.length).toBe(1 + 2);
    const r0 = await generateAll(new FakeContext(64, tok.vocabSize, () => 97), tok, prompt, { maxTokens: 0 });
    expect(r0.ids).toEqual([]);
    expect(r0.stopReason).toBe('length');
  });

  it('never emits any part of a stop string split across tokens', async () => {
    const { tok, prompt, ctx } = setup('ab<ST' + 'OP>cd');
    const { pieces, result } = await collect(generate(ctx, tok, prompt, { sampling: GREEDY, stop: ['<STOP>'] }));
    expect(result.text).toBe('ab');
    expect(result.stopReason).toBe('stop');
    expect(result.stop).toBe('<STOP>');
    const streamed = pieces.map((p) => p.text).join('');
    expect(streamed).toBe('ab');
    for (const p of pieces) expect(p.text).not.toMatch(/[<STOP>]/);
    // generation stopped at the token completing the stop string: 'c','d' never sampled
    expect(result.ids).toEqual(bytesOf('ab<STOP>'));
  });

  it('releases held-back text when the stop string does not complete', async () => {
    const { tok, prompt, ctx } = setup('x<Sy<STz');
    const { pieces, result } = await collect(generate(ctx, tok, prompt, { sampling: GREEDY, stop: ['<STOP>', '###'] }));
    // x | < held | <S held | y releases "<Sy" | < held | <S | <ST | z releases "<STz"
    expect(pieces.map((p) => p.text)).toEqual(['x', '', '', '<Sy', '', '', '', '<STz']);
    expect(result.text).toBe('x<Sy<STz');
    expect(result.stopReason).toBe('eos');
  });

  it('at the end, text still held back comes as a final FLUSH_TOKEN piece', async () => {
    const { tok, prompt, ctx } = setup('ab<ST');
    const { pieces, result } = await collect(generate(ctx, tok, prompt, { sampling: GREEDY, stop: ['<STOP>'] }));
    expect(pieces.at(-1)).toEqual({ token: FLUSH_TOKEN, text: '<ST' });
    expect(pieces.map((p) => p.text).join('')).toBe('ab<ST');
    expect(result.text).toBe('ab<ST');
    expect(result.ids).toEqual(bytesOf('ab<ST'));
  });

  it('streamed prefixes are always prefixes of the final text (random stop strings)', async () => {
    const reply = 'the cat sat on the mat; the end';
    for (const stop of [['the e'], ['mat;'], ['at o', 'sat x'], ['zzz'], ['t']]) {
      const { tok, prompt, ctx } = setup(reply);
      const { pieces, result } = await collect(generate(ctx, tok, prompt, { sampling: GREEDY, stop }));
      let acc = '';
      for (const p of pieces) {
        acc += p.text;
        expect(result.text.startsWith(acc)).toBe(true);
      }
      expect(acc).toBe(result.text);
      const firstStop = Math.min(...stop.map((s) => (reply.indexOf(s) < 0 ? Infinity : reply.indexOf(s))));
      expect(result.text).toBe(Number.isFinite(firstStop) ? reply.slice(0, firstStop) : reply);
    }
  });

  it('never breaks a multi-byte UTF-8 character across pieces', async () => {
    const text = 'é€😀ok';
    const { tok, prompt, ctx } = setup(text); // one token per byte
    const { pieces, result } = await collect(generate(ctx, tok, prompt, { sampling: GREEDY }));
    expect(result.text).toBe(text);
    expect(pieces.filter((p) => p.text !== '').map((p) => p.text)).toEqual(['é', '€', '😀', 'o', 'k']);
    for (const p of pieces) expect(p.text).not.toContain('\uFFFD');
    // and with a stop string right after a 4-byte character
    const s = setup('a😀b<E>');
    const r = await generateAll(s.ctx, s.tok, s.prompt, { sampling: GREEDY, stop: ['b<E>'] });
    expect(r.text).toBe('a😀');
  });

  it('an incomplete UTF-8 sequence at the end is flushed (as U+FFFD)', async () => {
    const { tok, prompt, ctx } = setup([0x61, 0xe2, 0x82]);
    const { pieces } = await collect(generate(ctx, tok, prompt, { sampling: GREEDY }));
    expect(pieces.at(-1)).toEqual({ token: FLUSH_TOKEN, text: '\uFFFD' });
  });

  it('abort mid-stream ends cleanly with "abort"', async () => {
    const { tok, prompt, ctx } = setup('abcdefghij');
    const ac = new AbortController();
    let done: GenerationResult | undefined;
    const seen: string[] = [];
    for await (const p of generate(ctx, tok, prompt, { sampling: GREEDY, signal: ac.signal, onDone: (r) => (done = r) })) {
      seen.push(p.text);
      if (seen.length === 3) ac.abort();
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(done?.stopReason).toBe('abort');
    expect(done?.text).toBe('abc');
    expect(done?.contextTokens).toEqual(ctx.cache);
  });

  it('an already aborted signal evaluates nothing', async () => {
    const { tok, prompt, ctx } = setup('abc');
    const r = await generateAll(ctx, tok, prompt, { signal: AbortSignal.abort() });
    expect(r.stopReason).toBe('abort');
    expect(ctx.calls.length).toBe(0);
  });

  it('abort during prefill stops between batches', async () => {
    const ac = new AbortController();
    const prompt = Array.from({ length: 40 }, () => 97);
    const { tok, ctx } = setup('zz', { prompt, beforeEval: () => ac.abort() });
    const r = await generateAll(ctx, tok, prompt, { batchSize: 16, signal: ac.signal });
    expect(r.stopReason).toBe('abort');
    expect(ctx.calls.length).toBe(1);
    expect(r.contextTokens.length).toBe(16);
  });

  it('breaking out of for-await reports "abort" through onDone', async () => {
    const { tok, prompt, ctx } = setup('abcdef');
    let done: GenerationResult | undefined;
    for await (const p of generate(ctx, tok, prompt, { sampling: GREEDY, onDone: (r) => (done = r) })) {
      if (p.text === 'b') break;
    }
    expect(done?.stopReason).toBe('abort');
    expect(done?.text).toBe('ab');
  });

  it('a prompt longer than the context is a ContextLimitError before any eval', async () => {
    const { tok, ctx } = setup('a', { contextLength: 4 });
    const prompt = bytesOf('hello');
    await expect(generateAll(ctx, tok, prompt)).rejects.toBeInstanceOf(ContextLimitError);
    await expect(generateAll(ctx, tok, prompt)).rejects.toThrow(/5 tokens but the context holds only 4/);
    expect(ctx.calls.length).toBe(0);
    await expect(generateAll(ctx, tok, [])).rejects.toThrow(/empty/);
  });

  it('filling the context throws ContextLimitError (or stops with "context")', async () => {
    const tok = new FakeTokenizer();
    const prompt = [tok.bosId!, 104, 105, 106, 107];
    const mk = () => new FakeContext(8, tok.vocabSize, () => 97);
    const pieces: string[] = [];
    let done = false;
    await expect(async () => {
      for await (const p of generate(mk(), tok, prompt, { sampling: GREEDY, onDone: () => (done = true) })) pieces.push(p.text);
    }).rejects.toThrow(ContextLimitError);
    expect(pieces.length).toBe(4); // 3 fit in the cache, the 4th was sampled but cannot be evaluated
    expect(done).toBe(false);
    const r = await generateAll(mk(), tok, prompt, { sampling: GREEDY, onContextFull: 'stop' });
    expect(r.stopReason).toBe('context');
    expect(r.ids.length).toBe(4);
  });

  it('context shift keeps BOS, drops half of the rest, re-evaluates the tail at consistent positions', async () => {
    const tok = new FakeTokenizer();
    const prompt = [tok.bosId!, 104, 105, 106];
    let n = 0;
    const ctx = new FakeContext(8, tok.vocabSize, () => 97 + (n++ % 26));
    const r = await generateAll(ctx, tok, prompt, { sampling: GREEDY, contextShift: true, maxTokens: 20 });
    expect(r.stopReason).toBe('length');
    expect(r.ids.length).toBe(20);
    expect(r.contextShifts).toBeGreaterThan(0);
    expect(ctx.cache[0]).toBe(tok.bosId);
    expect(r.contextTokens).toEqual(ctx.cache);
    // First shift: cache [BOS,h,i,j,a,b,c,d] is full when 'e' is sampled: keep BOS, drop 3, re-eval [a,b,c,d,e] at pos 1.
    const firstShift = ctx.calls.findIndex((c) => c.tokens.length > 1 && c.pos > 0);
    expect(ctx.calls[firstShift]).toEqual({ tokens: bytesOf('abcde'), pos: 1 });
    expect(ctx.truncates).toContain(1);
    // The generated text itself is unaffected by the shift.
    expect(r.text).toBe('abcdefghijklmnopqrst');
  });

  it('context shift honours nKeep', async () => {
    const tok = new FakeTokenizer();
    const prompt = [tok.bosId!, 115, 121, 115];
    const ctx = new FakeContext(8, tok.vocabSize, () => 97);
    await generateAll(ctx, tok, prompt, { sampling: GREEDY, contextShift: true, nKeep: 4, maxTokens: 10 });
    expect(ctx.cache.slice(0, 4)).toEqual(prompt);
  });

  it('prompt-prefix reuse evaluates only the new suffix', async () => {
    const tok = new FakeTokenizer();
    const ctx = new FakeContext(4096, tok.vocabSize, (cache) => (cache.at(-1) === 33 ? tok.eosId! : 33)); // '!' then EOS
    const p1 = [tok.bosId!, ...bytesOf('turn one:')];
    const r1 = await generateAll(ctx, tok, p1, { sampling: GREEDY });
    expect(r1.text).toBe('!');
    expect(r1.contextTokens).toEqual([...p1, 33]);
    const before = ctx.calls.length;
    const p2 = [...r1.contextTokens, ...bytesOf(' two:')];
    const r2 = await generateAll(ctx, tok, p2, { sampling: GREEDY, cachedTokens: r1.contextTokens });
    expect(r2.cachedPromptTokens).toBe(r1.contextTokens.length);
    expect(ctx.calls[before]).toEqual({ tokens: bytesOf(' two:'), pos: r1.contextTokens.length });
    // same prompt again: only the last token is re-evaluated
    const r3 = await generateAll(ctx, tok, p2, { sampling: GREEDY, cachedTokens: r2.contextTokens });
    expect(r3.cachedPromptTokens).toBe(p2.length - 1);
    // diverging history: truncated to the common prefix
    const p4 = [tok.bosId!, ...bytesOf('turn XYZ')];
    const n4 = ctx.calls.length;
    await generateAll(ctx, tok, p4, { sampling: GREEDY, cachedTokens: r3.contextTokens });
    expect(ctx.truncates.at(-1)).toBe(6); // BOS + 'turn '
    expect(ctx.calls[n4]).toEqual({ tokens: bytesOf('XYZ'), pos: 6 });
  });

  it('decode evals fill one logits array between them; prefill gets arrays of its own', async () => {
    const { tok, prompt, ctx } = setup('Hello');
    const r = await generateAll(ctx, tok, prompt, { sampling: { seed: 3, temperature: 0.7 } });
    expect(r.text).toBe('Hello'); // each step sampled from its own row before the next eval refilled it
    expect(ctx.calls[0]!.into).toBeUndefined();
    const rows = new Set(ctx.calls.slice(1).map((c) => c.into));
    expect(ctx.calls.length).toBe(1 + 5);
    expect(rows.size).toBe(1);
    expect([...rows][0]).toBeInstanceOf(Float32Array);
  });

  it('prefill respects batchSize', async () => {
    const tok = new FakeTokenizer();
    const prompt = Array.from({ length: 1300 }, (_, i) => 97 + (i % 26));
    const ctx = new FakeContext(4096, tok.vocabSize, () => tok.eosId!);
    await generateAll(ctx, tok, prompt, { batchSize: 512 });
    expect(ctx.calls.map((c) => [c.pos, c.tokens.length])).toEqual([[0, 512], [512, 512], [1024, 276]]);
    const ctx2 = new FakeContext(4096, tok.vocabSize, () => tok.eosId!);
    await generateAll(ctx2, tok, prompt.slice(0, 10));
    expect(ctx2.calls.map((c) => c.tokens.length)).toEqual([10]); // default 512
    await expect(generateAll(ctx2, tok, prompt, { batchSize: 0 })).rejects.toThrow(/batchSize/);
  });

  it('seeded sampling is reproducible end to end, and a Sampler instance can be passed in', async () => {
    const tok = new FakeTokenizer();
    const logits = new Float32Array(tok.vocabSize).fill(-100);
    for (let i = 97; i < 123; i++) logits[i] = 1; // uniform over a..z
    const run = async (o: GenerateOptions) =>
      (await generateAll(new FakeContext(4096, tok.vocabSize, () => logits), tok, [tok.bosId!], { maxTokens: 30, ...o })).text;
    const a = await run({ sampling: { seed: 5, temperature: 1 } });
    expect(a).toMatch(/^[a-z]{30}$/);
    expect(await run({ sampling: { seed: 5, temperature: 1 } })).toBe(a);
    expect(await run({ sampling: { seed: 6, temperature: 1 } })).not.toBe(a);
    expect(await run({ sampling: new Sampler({ seed: 5, temperature: 1 }) })).toBe(a);
  });

  it('the prompt fills the penalty window (llama.cpp accepts prompt tokens)', async () => {
    const tok = new FakeTokenizer();
    const logits = new Float32Array(tok.vocabSize);
    logits[97] = 2;
    logits[98] = 1.5;
    const ctx = new FakeContext(64, tok.vocabSize, () => logits);
    const r = await generateAll(ctx, tok, bytesOf('aaa'), { sampling: { temperature: 0, repeatPenalty: 2 }, maxTokens: 1 });
    expect(r.text).toBe('b'); // 2/2 = 1 < 1.5
  });
});

/** generate() on a fake to the end, aborted after `abortAfter` pieces if given; with the fake's cache. */
async function generateOn(ctx: FakeContext, tok: FakeTokenizer, prompt: number[], options: GenerateOptions, abortAfter?: number) {
  const ac = new AbortController();
  const abort = (n: number) => n === abortAfter && ac.abort();
  return { ...(await collect(generate(ctx, tok, prompt, { ...options, signal: ac.signal }), abort)), cache: [...ctx.cache] };
}

/** What the caller saw and what the cache holds, through a backend's loop and token by token. */
function expectSameGeneration(fast: Awaited<ReturnType<typeof generateOn>>, plain: Awaited<ReturnType<typeof generateOn>>): void {
  expect(fast.pieces).toEqual(plain.pieces);
  expect(fast.result.ids).toEqual(plain.result.ids);
  expect(fast.result.text).toBe(plain.result.text);
  expect(fast.result.stopReason).toBe(plain.result.stopReason);
  expect(fast.result.contextTokens).toEqual(plain.result.contextTokens);
  expect(fast.cache).toEqual(plain.cache);
  expect(fast.cache).toEqual(fast.result.contextTokens);
}

/** Run lengths of 1 to 4 tokens from a seed, for the backend loops' fakes. */
function runLengths(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 4 + 1;
}

describe('generate with a backend greedy loop (greedySteps)', () => {
  // Every case runs twice on the same script: token by token (FakeContext) and through greedy runs
  // of 1 to 4 tokens (FakeGreedyContext). What the caller sees and what the cache holds must match.
  type Case = { reply: string; options?: GenerateOptions; contextLength?: number; abortAfter?: number };
  const CASES: Case[] = [
    { reply: 'hello world' },
    { reply: 'hello world', options: { maxTokens: 5 } },
    { reply: 'hello world', options: { maxTokens: 1 } },
    { reply: 'the cat sat on the mat', options: { stop: ['sat'] } },
    { reply: 'the cat sat on the mat', options: { stop: ['t o', 'zz'] } },
    { reply: 'abc\u00e9\u20ac\u{1F600}def', options: { stop: ['\u{1F600}d'] } },
    { reply: 'abcdefghijklmnop', abortAfter: 3 },
    { reply: 'abcdefghijklmnop', contextLength: 10, options: { onContextFull: 'stop' } },
    { reply: 'abcdefghijklmnop', contextLength: 10, options: { contextShift: true, maxTokens: 14 } },
  ];
  for (const [i, c] of CASES.entries()) {
    it(`case ${i}: ${JSON.stringify(c.reply)} ${JSON.stringify(c.options ?? {})}${c.abortAfter ? ` abort after ${c.abortAfter}` : ''}`, async () => {
      const tok = new FakeTokenizer();
      const prompt = [tok.bosId!, ...bytesOf('Hi')];
      const ids = bytesOf(c.reply);
      const next = (cache: readonly number[]) => {
        const k = cache.length - prompt.length;
        return k >= 0 && k < ids.length ? ids[k] : tok.eosId!;
      };
      const run = (ctx: FakeContext) => generateOn(ctx, tok, prompt, { sampling: GREEDY, ...c.options }, c.abortAfter);
      const runLength = runLengths(i + 1);
      const plain = await run(new FakeContext(c.contextLength ?? 4096, tok.vocabSize, next));
      const fast = new FakeGreedyContext(c.contextLength ?? 4096, tok.vocabSize, next, runLength);
      const greedy = await run(fast);
      if (plain.result.ids.length > 1) expect(fast.runs.length).toBeGreaterThan(0);
      expectSameGeneration(greedy, plain);
    });
  }

  it('is not used when penalties or temperature make sampling more than an argmax', async () => {
    const tok = new FakeTokenizer();
    const prompt = [tok.bosId!, ...bytesOf('Hi')];
    const ctx = new FakeGreedyContext(4096, tok.vocabSize, () => 97, () => 4);
    await generateAll(ctx, tok, prompt, { sampling: { temperature: 0, repeatPenalty: 1.1 }, maxTokens: 3 });
    await generateAll(ctx, tok, prompt, { sampling: { temperature: 0.7, seed: 1 }, maxTokens: 3 });
    expect(ctx.runs).toEqual([]);
  });
});

describe('generate with a backend sampling loop (sampledSteps)', () => {
  // Each case runs token by token (FakeContext, the sampler in generate()) and through sampled runs
  // of 1 to 4 tokens (FakeSampledContext): the same draws, pieces, cache and sampler state after.
  type Case = { options: GenerateOptions; contextLength?: number; abortAfter?: number };
  const CASES: Case[] = [
    { options: { maxTokens: 30 } },
    { options: { maxTokens: 1 } },
    { options: { maxTokens: 40, stop: ['b', 'zz'] } },
    { options: { maxTokens: 40 }, abortAfter: 5 },
    { options: { maxTokens: 40, onContextFull: 'stop' }, contextLength: 12 },
    { options: { maxTokens: 30, contextShift: true }, contextLength: 12 },
  ];
  // Three near-equal candidates ('a', 'b', 'c') and the end of generation now and then, varying with
  // the cache: every step is a real draw.
  const tok = new FakeTokenizer();
  const next = (cache: readonly number[]) => {
    const row = new Float32Array(tok.vocabSize).fill(-5);
    row[97] = 1 + 0.1 * (cache.length % 3);
    row[98] = 1;
    row[99] = 0.8 + 0.05 * (cache.length % 5);
    row[tok.eosId!] = -1.5;
    return row;
  };
  for (const [i, c] of CASES.entries()) {
    it(`case ${i}: ${JSON.stringify(c.options)}${c.abortAfter ? ` abort after ${c.abortAfter}` : ''}`, async () => {
      const prompt = [tok.bosId!, ...bytesOf('Hi')];
      const run = async (ctx: FakeContext) => {
        const sampler = new Sampler({ temperature: 1.2, repeatPenalty: 1.2, penaltyLastN: 4, seed: 40 + i });
        return { ...(await generateOn(ctx, tok, prompt, { sampling: sampler, ...c.options }, c.abortAfter)), sampler: sampler.snapshot() };
      };
      const runLength = runLengths(i + 1);
      const plain = await run(new FakeContext(c.contextLength ?? 4096, tok.vocabSize, next));
      const fast = new FakeSampledContext(c.contextLength ?? 4096, tok.vocabSize, next, runLength);
      const sampled = await run(fast);
      if (plain.result.ids.length > 1) expect(fast.runs.length).toBeGreaterThan(0);
      expectSameGeneration(sampled, plain);
      expect(sampled.sampler).toEqual(plain.sampler);
    });
  }
});
