/**
 * Token generation over an InferenceContext: prompt-prefix reuse, batched prefill, sampling,
 * streaming UTF-8 text, stop strings, EOG, maxTokens, cancellation and the context limit.
 *
 * Semantics, in short:
 * - `generate()` is an async generator of `{ token, text }` pieces; its return value (and
 *   `onDone`) is the `GenerationResult`. `generateAll()` collects everything.
 * - Abort: an aborted `signal` ends generation cleanly with stopReason 'abort' (no throw); the
 *   pieces already produced stay valid. An eval already running when the signal fires finishes
 *   first (evals are not interruptible). Breaking out of a `for await` also counts as 'abort'.
 * - Text: each piece carries the complete UTF-8 text its token released (may be ''). Text that
 *   could still be the start of a stop string is held back; the stop string itself is never
 *   emitted. Whatever is still held at the end (an unfinished stop-string prefix, incomplete UTF-8
 *   bytes flushed as U+FFFD) comes as one last piece with token FLUSH_TOKEN (-1).
 * - EOG (any id in tokenizer.eogIds) ends generation with 'eos'; it yields no piece and is not in
 *   `ids`.
 * - Errors (ContextLimitError, backend failures) are thrown from the iterator; onDone is then not
 *   called.
 * - Context: a prompt longer than contextLength throws ContextLimitError before anything runs.
 *   When generation fills the context: with `contextShift` the first `nKeep` tokens are kept, half
 *   of the rest dropped, and the kept tail re-evaluated (truncate(nKeep) + eval, so KV positions
 *   stay contiguous); otherwise `onContextFull` decides: 'error' (default) throws
 *   ContextLimitError, 'stop' ends with stopReason 'context'.
 * - Prefix reuse: pass what the context already holds as `cachedTokens`; only the prompt after the
 *   longest common prefix is evaluated (at least the last prompt token is always re-evaluated to
 *   get its logits). `result.contextTokens` is what the context holds afterwards - pass it as
 *   `cachedTokens` next turn.
 */
import type { InferenceContext } from './backend/backend.js';
import { Sampler, type SamplingOptions } from './sampling/index.js';
import { StopMatcher } from './stop.js';

/**
 * The tokenizer members generation and chat use. The real tokenizer
 * (src/engine/tokenizer/index.ts) satisfies this structurally.
 */
export interface TokenizerLike {
  encode(text: string, options?: { addSpecial?: boolean; parseSpecial?: boolean }): number[];
  decode(ids: readonly number[], options?: { removeSpecial?: boolean }): string;
  createStreamDecoder(): { push(id: number): string; flush(): string };
  readonly eogIds: ReadonlySet<number>;
  readonly bosId?: number;
  readonly eosId?: number;
  readonly addBos: boolean;
  /** Whether encode() with addSpecial appends EOS (optional; false when absent). */
  readonly addEos?: boolean;
  tokenText(id: number): string;
  readonly vocabSize: number;
}

export interface GeneratedPiece {
  /** The sampled token id, or FLUSH_TOKEN for the final piece carrying released held-back text. */
  token: number;
  /** Complete UTF-8 text released for this token (may be ''). */
  text: string;
}

/** Token id of the final piece that only carries text released at the end. */
export const FLUSH_TOKEN = -1;

export type StopReason = 'eos' | 'stop' | 'length' | 'abort' | 'context';

export interface GenerationTimings {
  /** Wall time of the prompt evaluation (only the part not reused from the cache). */
  prefillMs: number;
  /** Wall time from the end of prefill to the end of generation (sampling + decode evals). */
  decodeMs: number;
  /** Evaluated prompt tokens per second (0 when nothing was evaluated). */
  prefillTokensPerS: number;
  /** Generated tokens per second over decodeMs (0 when nothing was generated). */
  decodeTokensPerS: number;
}

export interface GenerationResult {
  /** Generated token ids (EOG excluded; tokens that formed a stop string included). */
  ids: number[];
  /** Generated text (stop string excluded). */
  text: string;
  stopReason: StopReason;
  /** The stop string that ended generation, when stopReason is 'stop'. */
  stop?: string;
  /** Prompt length in tokens. */
  promptTokens: number;
  /** Prompt tokens reused from the cache (not evaluated). */
  cachedPromptTokens: number;
  /** Exactly what the context's KV cache holds now, position 0 first. */
  contextTokens: number[];
  /** Number of context shifts performed. */
  contextShifts: number;
  timings: GenerationTimings;
}

export interface GenerateOptions {
  /** Most tokens to generate (EOG not counted). Default: unlimited (the context bounds it). */
  maxTokens?: number;
  /** Sampling options, or a ready Sampler (whose window and PRNG state then carry over). */
  sampling?: SamplingOptions | Sampler;
  /** Stop strings: generation ends when the text contains one; it is not emitted. */
  stop?: readonly string[];
  signal?: AbortSignal;
  /** Tokens the context already holds at positions 0.. (for prompt-prefix reuse). */
  cachedTokens?: readonly number[];
  /** Prefill batch size in tokens. Default 512. */
  batchSize?: number;
  /** Shift the context instead of failing when it is full. Default false. */
  contextShift?: boolean;
  /** Tokens kept at the start on a context shift. Default: 1 if the context starts with BOS, else 0. */
  nKeep?: number;
  /** What to do when the context is full and contextShift is off. Default 'error'. */
  onContextFull?: 'error' | 'stop';
  /** Called once with the result when generation ends (also on abort and early break). */
  onDone?: (result: GenerationResult) => void;
}

export class ContextLimitError extends Error {
  constructor(
    message: string,
    readonly contextLength: number,
    readonly requiredTokens: number,
  ) {
    super(message);
    this.name = 'ContextLimitError';
  }
}

function now(): number {
  return performance.now();
}

function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!(v >= 1) || !Number.isInteger(v)) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * Generates tokens after `promptIds`. See the module comment for the exact semantics.
 */
export async function* generate(
  ctx: InferenceContext,
  tokenizer: TokenizerLike,
  promptIds: readonly number[],
  options: GenerateOptions = {},
): AsyncGenerator<GeneratedPiece, GenerationResult, undefined> {
  const nCtx = ctx.contextLength;
  const batchSize = positiveInt('batchSize', options.batchSize, 512);
  const maxTokens = options.maxTokens ?? Infinity;
  if (!(maxTokens >= 0)) throw new RangeError(`maxTokens must be >= 0, got ${options.maxTokens}`);
  if (promptIds.length === 0) throw new RangeError('the prompt is empty: generation needs at least one prompt token (e.g. BOS)');
  if (promptIds.length > nCtx) {
    throw new ContextLimitError(
      `the prompt has ${promptIds.length} tokens but the context holds only ${nCtx}; shorten the prompt or raise the context length`,
      nCtx,
      promptIds.length,
    );
  }
  const sampler = options.sampling instanceof Sampler ? options.sampling : new Sampler(options.sampling);
  const stopper = new StopMatcher(options.stop ?? []);
  const decoder = tokenizer.createStreamDecoder();
  const signal = options.signal;

  const ids: number[] = [];
  let text = '';
  let stopReason: StopReason = 'length';
  let stopString: string | undefined;
  let contextShifts = 0;
  let finished = false;
  let threw = false;

  // What the KV cache holds; kept exact at every step.
  let cache: number[] = [];
  const cached = options.cachedTokens ?? [];
  let reuse = commonPrefixLength(cached, promptIds);
  if (reuse >= promptIds.length) reuse = promptIds.length - 1; // need the last prompt token's logits
  const cachedPromptTokens = reuse;

  const t0 = now();
  let tPrefillEnd = t0;
  let evaluatedPrompt = 0;

  const result = (): GenerationResult => {
    const tEnd = now();
    const prefillMs = tPrefillEnd - t0;
    const decodeMs = Math.max(0, tEnd - tPrefillEnd);
    return {
      ids,
      text,
      stopReason,
      ...(stopString !== undefined ? { stop: stopString } : {}),
      promptTokens: promptIds.length,
      cachedPromptTokens,
      contextTokens: cache.slice(),
      contextShifts,
      timings: {
        prefillMs,
        decodeMs,
        prefillTokensPerS: prefillMs > 0 ? (evaluatedPrompt * 1000) / prefillMs : 0,
        decodeTokensPerS: decodeMs > 0 ? (ids.length * 1000) / decodeMs : 0,
      },
    };
  };

  /** Evaluates `tokens` at the end of the cache in batches; returns the last token's logits. */
  const evalTail = async (tokens: readonly number[]): Promise<Float32Array> => {
    let logits: Float32Array | undefined;
    for (let i = 0; i < tokens.length; i += batchSize) {
      const batch = tokens.slice(i, i + batchSize);
      logits = await ctx.eval(batch, cache.length);
      for (const t of batch) cache.push(t);
    }
    if (!logits) throw new Error('internal: evalTail with no tokens');
    return logits;
  };

  let final: GenerationResult | undefined;
  try {
    if (signal?.aborted) {
      stopReason = 'abort';
    } else {
      // --- prefill, reusing the common prefix ---
      ctx.truncate(reuse);
      cache = promptIds.slice(0, reuse) as number[];
      let logits: Float32Array | undefined;
      const rest = promptIds.slice(reuse);
      for (let i = 0; i < rest.length; i += batchSize) {
        if (signal?.aborted) break;
        const batch = rest.slice(i, i + batchSize);
        logits = await ctx.eval(batch, cache.length);
        for (const t of batch) cache.push(t);
        evaluatedPrompt += batch.length;
      }
      tPrefillEnd = now();
      sampler.acceptMany(promptIds);

      if (signal?.aborted || !logits) {
        stopReason = 'abort';
      } else if (maxTokens === 0) {
        stopReason = 'length';
      } else {
        // --- decode loop ---
        // Greedy sampling with no penalty is a plain argmax, which a backend may take itself for
        // several steps per call (greedySteps): tokens come back in runs of up to ~GREEDY_BUDGET_MS
        // of decoding, evaluated ahead; the loop below consumes them one by one as if sampled here,
        // and rewinds the cache over any it did not use.
        // Other samplers likewise, where the backend can run the chain itself (sampledSteps): each
        // token comes with the PRNG state after its draw, which the sampler takes on as it is consumed.
        const greedy = ctx.greedySteps && sampler.isPlainArgmax() ? ctx.greedySteps.bind(ctx) : undefined;
        const sampled = !greedy && ctx.sampledSteps ? ctx.sampledSteps.bind(ctx) : undefined;
        // decided by the backend, not yet consumed; all but the last evaluated
        let ahead: { token: number; rng?: Uint32Array }[] = [];
        // One logits array for every decode step (the sampler is done with a row before the next
        // eval): a fresh one per token would be a page fault per 4 KiB of it.
        const row = new Float32Array(logits.length);
        // Stopping with tokens still ahead: the cache holds that many evaluated tokens nobody used.
        const rewind = () => {
          if (ahead.length === 0) return;
          cache.length -= ahead.length;
          ctx.truncate(cache.length);
          ahead = [];
        };
        for (;;) {
          let token: number;
          if (ahead.length) {
            const step = ahead.shift()!;
            token = step.token;
            if (step.rng) sampler.acceptDrawn(token, step.rng);
            else sampler.accept(token);
          } else {
            token = sampler.sample(logits);
          }
          if (tokenizer.eogIds.has(token)) {
            stopReason = 'eos';
            rewind();
            break;
          }
          ids.push(token);
          const pushed = stopper.push(decoder.push(token));
          text += pushed.text;
          if (pushed.stop !== undefined) {
            stopString = pushed.stop;
            stopReason = 'stop';
            rewind();
            yield { token, text: pushed.text };
            break;
          }
          yield { token, text: pushed.text };
          if (ids.length >= maxTokens) {
            stopReason = 'length';
            rewind();
            break;
          }
          if (signal?.aborted) {
            stopReason = 'abort';
            rewind();
            break;
          }
          if (ahead.length) continue; // this token's logits were taken already
          if (cache.length >= nCtx) {
            if (options.contextShift) {
              const bosKeep = tokenizer.bosId !== undefined && cache[0] === tokenizer.bosId ? 1 : 0;
              const nKeep = Math.max(0, Math.min(options.nKeep ?? bosKeep, nCtx - 2));
              const nDiscard = Math.max(1, Math.floor((cache.length - nKeep) / 2));
              const kept = cache.slice(nKeep + nDiscard);
              ctx.truncate(nKeep);
              cache = cache.slice(0, nKeep);
              contextShifts++;
              logits = await evalTail([...kept, token]);
            } else if (options.onContextFull === 'stop') {
              stopReason = 'context';
              break;
            } else {
              throw new ContextLimitError(
                `the context is full (${nCtx} tokens: ${promptIds.length} prompt + ${ids.length} generated); ` +
                  'raise the context length, lower maxTokens, or enable contextShift',
                nCtx,
                cache.length + 1,
              );
            }
          } else {
            const steps = Math.min(maxTokens - ids.length, nCtx - cache.length);
            const run = greedy
              ? greedy(token, cache.length, steps, tokenizer.eogIds, GREEDY_BUDGET_MS).then((t) => t.map((id) => ({ token: id })))
              : sampled?.(token, cache.length, steps, tokenizer.eogIds, GREEDY_BUDGET_MS, sampler.snapshot());
            if (run) {
              ahead = await run;
              cache.push(token, ...ahead.slice(0, -1).map((s) => s.token));
            } else {
              logits = await ctx.eval([token], cache.length, { into: row });
              cache.push(token);
            }
          }
        }
      }
    }
    finished = true;
    if (stopReason !== 'stop') {
      const rest = stopper.push(decoder.flush()).text + stopper.flush();
      if (rest) {
        text += rest;
        yield { token: FLUSH_TOKEN, text: rest };
      }
    }
    final = result();
    return final;
  } catch (err) {
    threw = true;
    throw err;
  } finally {
    if (!final && !threw) {
      // Early exit: the consumer broke out (return()) or an error was thrown.
      if (!finished) stopReason = 'abort';
      final = result();
    }
    if (final) options.onDone?.(final);
  }
}

/**
 * How long a backend's greedy or sampled run (InferenceContext.greedySteps / sampledSteps) may
 * decode before it hands its tokens over: short enough that a stream still updates twenty times a
 * second and an abort lands quickly, long enough that tokens are not each a round trip between threads (measured here: a
 * call costs about half a millisecond, 4% of a 500M model's token at one thread with 10 ms runs,
 * 1-2% with 50 ms ones).
 */
const GREEDY_BUDGET_MS = 50;

/** Runs generate() to the end and returns the result (text, ids, stop reason, timings). */
export async function generateAll(
  ctx: InferenceContext,
  tokenizer: TokenizerLike,
  promptIds: readonly number[],
  options: GenerateOptions = {},
): Promise<GenerationResult> {
  const it = generate(ctx, tokenizer, promptIds, options);
  for (;;) {
    const r = await it.next();
    if (r.done) return r.value;
  }
}
