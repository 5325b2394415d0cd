/**
 * Test doubles for generation/chat tests: a byte-level fake tokenizer with a few special tokens
 * and a scripted fake InferenceContext that checks KV-position consistency.
 */
import { logitsArray, type EvalOptions, type InferenceContext } from '../../../src/engine/backend/backend.js';
import type { TokenizerLike } from '../../../src/engine/generate.js';
import type { SampledStep } from '../../../src/engine/backend/backend.js';
import { Sampler, type SamplerSnapshot } from '../../../src/engine/sampling/sampler.js';

/**
 * ids 0..255 are bytes; specials follow from 256 in the given order.
 * encode: UTF-8 bytes, specials recognised only with parseSpecial; addSpecial prepends BOS when addBos.
 */
export class FakeTokenizer implements TokenizerLike {
  readonly specials: string[];
  readonly eogIds: ReadonlySet<number>;
  readonly bosId?: number;
  readonly eosId?: number;
  readonly addBos: boolean;
  readonly vocabSize: number;

  constructor(
    opts: {
      specials?: string[];
      bos?: string;
      eos?: string;
      eog?: string[];
      addBos?: boolean;
    } = {},
  ) {
    this.specials = opts.specials ?? ['<s>', '</s>'];
    const id = (s: string | undefined): number | undefined => {
      if (s === undefined) return undefined;
      const i = this.specials.indexOf(s);
      if (i < 0) throw new Error(`unknown special ${s}`);
      return 256 + i;
    };
    this.bosId = id(opts.bos ?? (this.specials.includes('<s>') ? '<s>' : undefined));
    this.eosId = id(opts.eos ?? (this.specials.includes('</s>') ? '</s>' : undefined));
    const eog = new Set<number>();
    for (const s of opts.eog ?? []) eog.add(id(s)!);
    if (this.eosId !== undefined) eog.add(this.eosId);
    this.eogIds = eog;
    this.addBos = opts.addBos ?? this.bosId !== undefined;
    this.vocabSize = 256 + this.specials.length;
  }

  id(text: string): number {
    if (text.length === 1 && text.charCodeAt(0) < 128) return text.charCodeAt(0);
    const i = this.specials.indexOf(text);
    if (i < 0) throw new Error(`no single token for ${text}`);
    return 256 + i;
  }

  encode(text: string, options: { addSpecial?: boolean; parseSpecial?: boolean } = {}): number[] {
    const out: number[] = [];
    if ((options.addSpecial ?? true) && this.addBos && this.bosId !== undefined) out.push(this.bosId);
    let i = 0;
    let plain = '';
    const flushPlain = (): void => {
      for (const b of Buffer.from(plain, 'utf8')) out.push(b);
      plain = '';
    };
    while (i < text.length) {
      let matched = -1;
      if (options.parseSpecial) {
        for (let s = 0; s < this.specials.length; s++) {
          if (text.startsWith(this.specials[s], i) && (matched < 0 || this.specials[s].length > this.specials[matched].length)) matched = s;
        }
      }
      if (matched >= 0) {
        flushPlain();
        out.push(256 + matched);
        i += this.specials[matched].length;
      } else {
        plain += text[i];
        i++;
      }
    }
    flushPlain();
    return out;
  }

  tokenText(id: number): string {
    if (id >= 256) return this.specials[id - 256];
    return Buffer.from([id]).toString('latin1');
  }

  private bytes(id: number, removeSpecial: boolean): Uint8Array {
    if (id < 256) return Uint8Array.of(id);
    if (removeSpecial) return new Uint8Array(0);
    return Buffer.from(this.specials[id - 256], 'utf8');
  }

  decode(ids: readonly number[], options: { removeSpecial?: boolean } = {}): string {
    return Buffer.concat(ids.map((i) => this.bytes(i, options.removeSpecial ?? false))).toString('utf8');
  }

  createStreamDecoder(): { push(id: number): string; flush(): string } {
    const td = new TextDecoder('utf-8');
    return {
      push: (id: number) => td.decode(this.bytes(id, false), { stream: true }),
      flush: () => td.decode(),
    };
  }
}

export interface EvalCall {
  tokens: number[];
  pos: number;
  /** The array the caller asked the logits in (EvalOptions.into), if any. */
  into?: Float32Array;
}

/**
 * A fake context. `next(cache)` returns the logits row (or a token id to make one-hot) for the
 * token after the sequence `cache` (what the KV cache holds after the eval). Every eval must start
 * exactly at the end of the cache (pos === cache length), otherwise it throws: that checks that
 * generate() keeps KV positions consistent.
 */
export class FakeContext implements InferenceContext {
  readonly calls: EvalCall[] = [];
  readonly truncates: number[] = [];
  cache: number[] = [];
  disposed = false;

  constructor(
    readonly contextLength: number,
    readonly vocabSize: number,
    private readonly next: (cache: readonly number[]) => number | Float32Array,
    private readonly hooks: { beforeEval?: (call: EvalCall) => void | Promise<void> } = {},
  ) {}

  async eval(tokens: readonly number[], pos: number, options?: EvalOptions): Promise<Float32Array> {
    if (pos !== this.cache.length) throw new Error(`eval at pos ${pos} but the cache holds ${this.cache.length}`);
    if (tokens.length === 0) throw new Error('eval with no tokens');
    if (pos + tokens.length > this.contextLength) throw new Error(`eval past the context: ${pos}+${tokens.length} > ${this.contextLength}`);
    const call: EvalCall = { tokens: [...tokens], pos, ...(options?.into ? { into: options.into } : {}) };
    this.calls.push(call);
    await this.hooks.beforeEval?.(call);
    this.cache.push(...tokens);
    const r = this.next(this.cache);
    if (typeof r !== 'number') {
      if (!options?.into) return r;
      const row = logitsArray(r.length, options.into);
      row.set(r);
      return row;
    }
    const row = logitsArray(this.vocabSize, options?.into).fill(0);
    row[r] = 10;
    return row;
  }

  truncate(pos: number): void {
    this.truncates.push(pos);
    if (pos < this.cache.length) this.cache.length = pos;
  }

  dispose(): void {
    this.disposed = true;
  }
}

/**
 * The fake with a backend's decoding loop: each step is an eval (so position checks and `calls`
 * apply) followed by a pick from its row, as the native backend's loops do. A run ends at a stop id,
 * after maxSteps, or after `runLength()` steps (standing in for the time budget), so runs end at
 * every kind of place in the tests.
 */
abstract class FakeLoopContext extends FakeContext {
  readonly runs: { pos: number; maxSteps: number; got: number }[] = [];

  constructor(
    contextLength: number,
    vocabSize: number,
    next: (cache: readonly number[]) => number | Float32Array,
    private readonly runLength: () => number,
  ) {
    super(contextLength, vocabSize, next);
  }

  protected async steps(token: number, pos: number, maxSteps: number, stopIds: ReadonlySet<number>, pick: (row: Float32Array) => number): Promise<number[]> {
    if (maxSteps < 1 || pos + maxSteps > this.contextLength) throw new Error(`run of ${maxSteps} from ${pos} does not fit`);
    const out: number[] = [];
    const cap = Math.max(1, this.runLength());
    let t = token;
    for (let step = 0; step < maxSteps; step++) {
      t = pick(await this.eval([t], pos + step));
      out.push(t);
      if (stopIds.has(t) || out.length >= cap) break;
    }
    this.runs.push({ pos, maxSteps, got: out.length });
    return out;
  }
}

/** The fake with InferenceContext.greedySteps: the argmax after each eval. */
export class FakeGreedyContext extends FakeLoopContext {
  greedySteps(token: number, pos: number, maxSteps: number, stopIds: ReadonlySet<number>): Promise<number[]> {
    return this.steps(token, pos, maxSteps, stopIds, (row) => {
      let t = 0;
      for (let i = 1; i < row.length; i++) if (row[i] > row[t]) t = i;
      return t;
    });
  }
}

/**
 * The fake with InferenceContext.sampledSteps: a draw after each eval by a JS sampler restored from
 * the snapshot (the native backend runs the same chain in C++), with its PRNG state after it.
 */
export class FakeSampledContext extends FakeLoopContext {
  async sampledSteps(token: number, pos: number, maxSteps: number, stopIds: ReadonlySet<number>, _budgetMs: number, snap: SamplerSnapshot): Promise<SampledStep[]> {
    const sampler = Sampler.fromSnapshot(snap);
    const states: Uint32Array[] = [];
    const ids = await this.steps(token, pos, maxSteps, stopIds, (row) => {
      const t = sampler.sample(row);
      states.push(sampler.snapshot().rng);
      return t;
    });
    return ids.map((t, i) => ({ token: t, rng: states[i]! }));
  }
}

/** A `next` that emits `text` byte by byte (then `after`), indexed by how many tokens follow the prompt. */
export function scripted(promptLength: () => number, ids: readonly number[], after: number): (cache: readonly number[]) => number {
  return (cache) => {
    const i = cache.length - promptLength();
    return i < ids.length ? ids[i] : after;
  };
}

export function bytesOf(text: string): number[] {
  return [...Buffer.from(text, 'utf8')];
}
