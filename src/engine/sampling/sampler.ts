/**
 * The sampler chain, in the order llama.cpp's common sampler applies it by default:
 *
 *   penalties -> top-k -> top-p -> min-p -> temperature -> seeded draw
 *
 * (llama.cpp's chain also has DRY, typical-p and XTC between those, all off by default; we do not
 * implement them.) The facts each stage follows are llama.cpp's (src/llama-sampling.cpp):
 *
 * - penalties: over the last `penaltyLastN` accepted tokens (the prompt included, as llama-cli and
 *   llama-server accept the prompt tokens into the sampler). For a token seen `count` times:
 *   logit <= 0 ? logit *= repeatPenalty : logit /= repeatPenalty, then
 *   logit -= count * frequencyPenalty + presencePenalty. Off when repeat == 1 and the others 0.
 * - top-k: k <= 0 disables it; keeps the k highest logits (sorted).
 * - top-p: p >= 1 disables it; softmax over the current candidates, keep the shortest sorted
 *   prefix whose cumulative probability reaches p (the token that crosses p is kept).
 * - min-p: p <= 0 disables it; keeps tokens with logit >= max_logit + ln(p), i.e. prob >= p * max_prob.
 * - temperature: logits /= t. t <= 0 means greedy: the highest logit wins (after penalties).
 * - dist: softmax, one uniform draw from our seeded PRNG, walk the cumulative sum.
 *
 * Note top-p and min-p see the logits before temperature, as in llama.cpp.
 *
 * Ties are broken by the lower token id everywhere (sorting, top-k boundary, greedy), so the
 * result never depends on the order the vocabulary happens to be scanned in.
 *
 * Efficiency on 150k vocabularies: one copy of the logits per step (penalties touch only the
 * tokens in the history), top-k is a bounded heap selection (O(n log k), no sort of the vocab),
 * top-p without top-k first tries a 256-candidate selection and sorts everything only when those
 * do not reach p (as llama.cpp does).
 */
import { exp64 } from './exp.js';
import { Rng, randomSeed } from './rng.js';

export interface SamplingOptions {
  /** 0 or below: greedy (argmax). Default 0.8. */
  temperature?: number;
  /** 0 or below: disabled. Default 40. */
  topK?: number;
  /** 1 or above: disabled. Default 0.95. */
  topP?: number;
  /** 0 or below: disabled. Default 0.05. */
  minP?: number;
  /** Repetition penalty; 1 disables. Default 1.0 (llama.cpp's default). */
  repeatPenalty?: number;
  /** Subtracted once from the logit of any token in the window. Default 0. */
  presencePenalty?: number;
  /** Subtracted per occurrence in the window. Default 0. */
  frequencyPenalty?: number;
  /** Window of last tokens the penalties look at; 0 disables penalties, -1 = unbounded. Default 64. */
  penaltyLastN?: number;
  /** PRNG seed; the same seed gives the same tokens. Default: a random seed. */
  seed?: number;
}

export type ResolvedSamplingOptions = Required<SamplingOptions>;

export const DEFAULT_SAMPLING: Readonly<Omit<ResolvedSamplingOptions, 'seed'>> = Object.freeze({
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1.0,
  presencePenalty: 0,
  frequencyPenalty: 0,
  penaltyLastN: 64,
});

export function resolveSamplingOptions(options: SamplingOptions = {}): ResolvedSamplingOptions {
  const out: ResolvedSamplingOptions = { ...DEFAULT_SAMPLING, seed: options.seed ?? randomSeed() };
  for (const key of Object.keys(DEFAULT_SAMPLING) as (keyof typeof DEFAULT_SAMPLING)[]) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`sampling option ${key} must be a number, got ${String(v)}`);
    // Counts: a fractional top-k used to fail deep in the chain (a typed array of 2.5 entries).
    if ((key === 'topK' || key === 'penaltyLastN') && !Number.isInteger(v)) throw new TypeError(`sampling option ${key} must be an integer, got ${v}`);
    out[key] = v;
  }
  return out;
}

/**
 * Everything a sampler's next draws depend on: its options, the penalty window (oldest first) and
 * its PRNG state. A backend that samples inside its own decoding loop (InferenceContext.sampledSteps)
 * starts from this and hands back each token with the PRNG state after its draw (Sampler.acceptDrawn).
 */
export interface SamplerSnapshot {
  options: ResolvedSamplingOptions;
  window: number[];
  rng: Uint32Array;
}

/**
 * A candidate list: ids[i] has logit logits[i] for i < size. When `sorted` is true the first
 * `size` entries are in descending logit order (ties: lower id first).
 */
export interface Candidates {
  ids: Int32Array;
  logits: Float32Array;
  size: number;
  sorted: boolean;
}

/** The final distribution the draw is made from (sorted by probability when the chain sorted it). */
export interface Distribution {
  ids: Int32Array;
  probs: Float64Array;
}

// ---------------------------------------------------------------------------------------------
// Stages (exported for tests and for callers that build their own chain)
// ---------------------------------------------------------------------------------------------

/** a ranks before b: higher logit, or equal logit and lower id. */
function better(al: number, ai: number, bl: number, bi: number): boolean {
  return al > bl || (al === bl && ai < bi);
}

/**
 * Repetition/presence/frequency penalties in place on a full-vocabulary logit array.
 * counts: token id -> occurrences in the window.
 */
export function applyPenalties(
  logits: Float32Array,
  counts: ReadonlyMap<number, number>,
  repeatPenalty: number,
  frequencyPenalty: number,
  presencePenalty: number,
): void {
  if (repeatPenalty === 1 && frequencyPenalty === 0 && presencePenalty === 0) return;
  for (const [id, count] of counts) {
    if (count <= 0 || id < 0 || id >= logits.length) continue;
    let l = logits[id];
    if (l <= 0) l *= repeatPenalty;
    else l /= repeatPenalty;
    l -= count * frequencyPenalty + presencePenalty;
    logits[id] = l;
  }
}

/**
 * The m best of the first `size` candidates, sorted best first: by insertion into a sorted list
 * for the usual top-k sizes, by a bounded min-heap (O(size log m)) above SORTED_INSERT_MAX;
 * m >= size sorts everything.
 */
export function selectTop(c: Candidates, m: number): Candidates {
  const n = c.size;
  m = Math.max(0, Math.min(m, n));
  const { ids, logits } = c;
  if (m === n) return sortAll(c);
  if (m <= SORTED_INSERT_MAX) return insertTop(c, m);
  // Min-heap (root = worst kept) over m entries.
  const hl = new Float32Array(m);
  const hi = new Int32Array(m);
  const siftDown = (start: number, len: number): void => {
    let i = start;
    const l0 = hl[i];
    const i0 = hi[i];
    for (;;) {
      let child = 2 * i + 1;
      if (child >= len) break;
      // pick the worse child
      if (child + 1 < len && better(hl[child], hi[child], hl[child + 1], hi[child + 1])) child++;
      if (!better(l0, i0, hl[child], hi[child])) break; // l0 is already worse than both children
      hl[i] = hl[child];
      hi[i] = hi[child];
      i = child;
    }
    hl[i] = l0;
    hi[i] = i0;
  };
  for (let i = 0; i < m; i++) {
    hl[i] = logits[i];
    hi[i] = ids[i];
  }
  for (let i = (m >> 1) - 1; i >= 0; i--) siftDown(i, m);
  if (m > 0) {
    let rootL = hl[0];
    let rootI = hi[0];
    for (let i = m; i < n; i++) {
      const l = logits[i];
      if (l < rootL) continue; // fast path: most of a large vocabulary ends here
      const id = ids[i];
      if (!better(l, id, rootL, rootI)) continue;
      hl[0] = l;
      hi[0] = id;
      siftDown(0, m);
      rootL = hl[0];
      rootI = hi[0];
    }
  }
  // Heap-sort out: repeatedly move the worst to the end -> best first.
  for (let end = m - 1; end > 0; end--) {
    const tl = hl[0];
    const ti = hi[0];
    hl[0] = hl[end];
    hi[0] = hi[end];
    hl[end] = tl;
    hi[end] = ti;
    siftDown(0, end);
  }
  return { ids: hi, logits: hl, size: m, sorted: true };
}

/**
 * Up to this many kept, a sorted list beats the heap (~1.8x on a 32768-entry row for top-40): an
 * entry that gets in shifts the worse ones down one place, and almost every entry of a large
 * vocabulary is rejected by one comparison with the worst kept.
 */
const SORTED_INSERT_MAX = 64;

/** selectTop for 0 < m < size: the kept entries in a list sorted best first. */
function insertTop(c: Candidates, m: number): Candidates {
  const { ids, logits, size: n } = c;
  const kl = new Float32Array(m);
  const ki = new Int32Array(m);
  // Entry (l, id) goes in at its place among the first `len` kept, pushing the worse ones down
  // (the last one drops out when the list is full).
  const insert = (l: number, id: number, len: number): void => {
    let j = len < m ? len : m - 1;
    while (j > 0 && better(l, id, kl[j - 1], ki[j - 1])) {
      kl[j] = kl[j - 1];
      ki[j] = ki[j - 1];
      j--;
    }
    kl[j] = l;
    ki[j] = id;
  };
  for (let i = 0; i < m; i++) insert(logits[i], ids[i], i);
  let worstL = kl[m - 1];
  let worstI = ki[m - 1];
  for (let i = m; i < n; i++) {
    const l = logits[i];
    if (l < worstL) continue; // most of a large vocabulary ends here
    const id = ids[i];
    if (!better(l, id, worstL, worstI)) continue;
    insert(l, id, m);
    worstL = kl[m - 1];
    worstI = ki[m - 1];
  }
  return { ids: ki, logits: kl, size: m, sorted: true };
}

const ID_BITS = 2 ** 21;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Full sort, best first. Packs (logit, id) into one exact float64 key - the float's bits mapped
 * to an order-preserving unsigned integer (inverted, for descending order) times 2^21 plus the id -
 * so the native numeric TypedArray sort does the work (about 10x faster than a comparator sort on
 * 150k entries). Falls back to a comparator for ids >= 2^21.
 */
function sortAll(c: Candidates): Candidates {
  const n = c.size;
  const { ids, logits } = c;
  const outIds = new Int32Array(n);
  const outLogits = new Float32Array(n);
  let maxId = 0;
  for (let i = 0; i < n; i++) if (ids[i] > maxId) maxId = ids[i];
  if (maxId < ID_BITS) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      f32[0] = logits[i] + 0; // -0 -> +0, so both zeros tie
      const bits = u32[0];
      const ordered = bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0; // ascending with the float
      keys[i] = (0xffffffff - ordered) * ID_BITS + ids[i];
    }
    keys.sort();
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      const id = k % ID_BITS;
      const ordered = 0xffffffff - (k - id) / ID_BITS;
      u32[0] = ordered & 0x80000000 ? (ordered & 0x7fffffff) >>> 0 : ~ordered >>> 0;
      outIds[i] = id;
      outLogits[i] = f32[0];
    }
  } else {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => (logits[b] - logits[a]) || (ids[a] - ids[b]));
    for (let i = 0; i < n; i++) {
      outIds[i] = ids[order[i]];
      outLogits[i] = logits[order[i]];
    }
  }
  return { ids: outIds, logits: outLogits, size: n, sorted: true };
}

/** Top-k: k <= 0 leaves the candidates as they are. */
export function topK(c: Candidates, k: number): Candidates {
  if (k <= 0 || c.size === 0) return c;
  k = Math.min(k, c.size);
  if (c.sorted) return { ...c, size: k };
  return selectTop(c, k);
}

/** Softmax of the first `size` logits (float64). */
export function softmax(c: Candidates): Float64Array {
  const n = c.size;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (c.logits[i] > max) max = c.logits[i];
  if (max === -Infinity) {
    out.fill(1 / n);
    return out;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = exp64(c.logits[i] - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

/** max logit and sum of exp(logit - max) over the candidates: the softmax normaliser. */
export interface SoftmaxNorm {
  max: number;
  sum: number;
}

export function softmaxNorm(c: Candidates): SoftmaxNorm {
  let max = -Infinity;
  for (let i = 0; i < c.size; i++) if (c.logits[i] > max) max = c.logits[i];
  let sum = 0;
  for (let i = 0; i < c.size; i++) sum += exp64(c.logits[i] - max);
  return { max, sum };
}

/**
 * Top-p (nucleus). `norm` is the softmax normaliser to use (default: over `c` itself); passing
 * the normaliser of a larger set lets a caller run top-p on a pre-filtered prefix of it.
 * p >= 1 leaves the candidates as they are. The result is sorted.
 */
export function topP(c: Candidates, p: number, norm: SoftmaxNorm = softmaxNorm(c)): Candidates {
  if (p >= 1 || c.size <= 1) return c;
  const { max, sum } = norm;
  const cut = (s: Candidates): number => {
    let cum = 0;
    for (let i = 0; i < s.size; i++) {
      cum += exp64(s.logits[i] - max) / sum;
      if (cum >= p) return i + 1;
    }
    return -1;
  };
  let sorted = c;
  if (!c.sorted && c.size > 1024) {
    sorted = selectTop(c, 256);
    const n = cut(sorted);
    if (n > 0) return { ...sorted, size: n };
  }
  if (!sorted.sorted || sorted.size < c.size) sorted = selectTop(c, c.size);
  const n = cut(sorted);
  return { ...sorted, size: n > 0 ? n : sorted.size };
}

/** Min-p: p <= 0 leaves the candidates as they are; keeps logit >= max + ln(p). Order kept. */
export function minP(c: Candidates, p: number): Candidates {
  if (p <= 0 || c.size === 0) return c;
  let max = -Infinity;
  for (let i = 0; i < c.size; i++) if (c.logits[i] > max) max = c.logits[i];
  const threshold = max + Math.log(p);
  if (c.sorted) {
    let i = 1;
    while (i < c.size && c.logits[i] >= threshold) i++;
    return { ...c, size: i };
  }
  const ids = new Int32Array(c.size);
  const logits = new Float32Array(c.size);
  let n = 0;
  for (let i = 0; i < c.size; i++) {
    if (c.logits[i] >= threshold) {
      ids[n] = c.ids[i];
      logits[n] = c.logits[i];
      n++;
    }
  }
  return { ids, logits, size: n, sorted: false };
}

/** Temperature in place (t > 0). */
export function applyTemperature(c: Candidates, t: number): void {
  if (t === 1) return;
  for (let i = 0; i < c.size; i++) c.logits[i] /= t;
}

/** Index into probs picked by the uniform number u in [0, 1): first i whose cumulative sum exceeds u * total. */
export function drawIndex(probs: Float64Array, u: number): number {
  let total = 0;
  for (let i = 0; i < probs.length; i++) total += probs[i];
  const target = u * total;
  let cum = 0;
  let lastNonZero = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] <= 0) continue;
    cum += probs[i];
    lastNonZero = i;
    if (cum > target) return i;
  }
  return lastNonZero >= 0 ? lastNonZero : 0;
}

/** Greedy: argmax, ties -> lowest id. NaN never wins. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  let bestL = -Infinity;
  let found = false;
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i];
    if (l > bestL || (!found && l === bestL)) {
      best = i;
      bestL = l;
      found = true;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// The chain
// ---------------------------------------------------------------------------------------------

/**
 * A stateful sampler: holds the penalty window (accepted tokens) and the PRNG. One per generation
 * (or per conversation, if you want the draws to continue the same random stream).
 */
export class Sampler {
  readonly options: ResolvedSamplingOptions;
  private rng: Rng;
  private readonly counts = new Map<number, number>();
  private history: number[] = [];
  private historyStart = 0;
  private work: Float32Array = new Float32Array(0);
  private identity: Int32Array = new Int32Array(0);

  constructor(options: SamplingOptions = {}) {
    this.options = resolveSamplingOptions(options);
    this.rng = new Rng(this.options.seed);
  }

  /**
   * Whether sample() is a plain argmax of the logits: greedy with no penalty that could change the
   * order (so a backend may take the argmax itself, InferenceContext.greedySteps).
   */
  isPlainArgmax(): boolean {
    const o = this.options;
    return o.temperature <= 0 && (o.penaltyLastN === 0 || (o.repeatPenalty === 1 && o.presencePenalty === 0 && o.frequencyPenalty === 0));
  }

  /** A sampler in the state a snapshot recorded (a backend's sampling loop may run one itself). */
  static fromSnapshot(snap: SamplerSnapshot): Sampler {
    const s = new Sampler(snap.options);
    s.acceptMany(snap.window);
    s.rng.setState(snap.rng);
    return s;
  }

  /** Options, penalty window and PRNG state, for a backend's own sampling loop. */
  snapshot(): SamplerSnapshot {
    return { options: this.options, window: this.window(), rng: this.rng.state() };
  }

  /**
   * Takes a token drawn elsewhere from this sampler's snapshot (or from the state an earlier
   * acceptDrawn left): accepts it into the window and continues the PRNG from `rngAfter`, the state
   * after its draw, as if sample() had drawn it here.
   */
  acceptDrawn(token: number, rngAfter: ArrayLike<number>): void {
    this.rng.setState(rngAfter);
    this.accept(token);
  }

  /** Back to the state right after construction (empty window, PRNG re-seeded). */
  reset(): void {
    this.counts.clear();
    this.history = [];
    this.historyStart = 0;
    this.rng = new Rng(this.options.seed);
  }

  /** Adds a token to the penalty window (sample() does this for the token it returns). */
  accept(token: number): void {
    const lastN = this.options.penaltyLastN;
    if (lastN === 0) return;
    this.history.push(token);
    this.counts.set(token, (this.counts.get(token) ?? 0) + 1);
    if (lastN > 0 && this.history.length - this.historyStart > lastN) {
      const old = this.history[this.historyStart++];
      const c = (this.counts.get(old) ?? 0) - 1;
      if (c <= 0) this.counts.delete(old);
      else this.counts.set(old, c);
      if (this.historyStart > 4096) {
        this.history = this.history.slice(this.historyStart);
        this.historyStart = 0;
      }
    }
  }

  /** Accepts many tokens (only the last penaltyLastN matter). */
  acceptMany(tokens: readonly number[]): void {
    const lastN = this.options.penaltyLastN;
    if (lastN === 0) return;
    const from = lastN > 0 ? Math.max(0, tokens.length - lastN) : 0;
    for (let i = from; i < tokens.length; i++) this.accept(tokens[i]);
  }

  /** The token ids in the penalty window, oldest first. */
  window(): number[] {
    return this.history.slice(this.historyStart);
  }

  /** Copies the logits and applies the penalties. */
  private penalised(logits: Float32Array): Float32Array {
    if (this.work.length !== logits.length) this.work = new Float32Array(logits.length);
    const w = this.work;
    w.set(logits);
    for (let i = 0; i < w.length; i++) if (w[i] !== w[i]) w[i] = -Infinity; // NaN never wins
    const o = this.options;
    applyPenalties(w, this.counts, o.repeatPenalty, o.frequencyPenalty, o.presencePenalty);
    return w;
  }

  private filtered(logits: Float32Array): Candidates {
    const o = this.options;
    const w = this.penalised(logits);
    if (this.identity.length !== w.length) {
      this.identity = new Int32Array(w.length);
      for (let i = 0; i < w.length; i++) this.identity[i] = i;
    }
    let c: Candidates = { ids: this.identity, logits: w, size: w.length, sorted: false };
    c = topK(c, o.topK);
    if (!c.sorted && c.size > 1024 && o.topP < 1 && o.minP > 0) {
      // Same result, much less sorting: top-p and min-p each keep a prefix of the sorted order, so
      // the chain keeps the shorter one. Filter by min-p first (O(n), no sort), then run top-p on
      // that prefix with the normaliser of the full candidate set, as top-p would have seen it.
      const norm = softmaxNorm(c);
      c = topP(minP(c, o.minP), o.topP, norm);
    } else {
      c = topP(c, o.topP);
    }
    c = minP(c, o.minP);
    if (c.logits === w) {
      // Still the shared work buffer: copy before temperature so `w` stays the penalised logits.
      c = { ids: c.ids.slice(0, c.size), logits: c.logits.slice(0, c.size), size: c.size, sorted: c.sorted };
    }
    return c;
  }

  /**
   * The distribution the next draw is made from (after all stages and temperature). With
   * temperature <= 0 it is the single greedy token with probability 1. Does not change state.
   */
  distribution(logits: Float32Array): Distribution {
    if (this.options.temperature <= 0) {
      const id = argmax(this.penalised(logits));
      return { ids: Int32Array.of(id), probs: Float64Array.of(1) };
    }
    const c = this.filtered(logits);
    applyTemperature(c, this.options.temperature);
    return { ids: c.ids.slice(0, c.size), probs: softmax(c) };
  }

  /** Picks the next token from a full-vocabulary logit row and accepts it into the window. */
  sample(logits: Float32Array): number {
    if (logits.length === 0) throw new RangeError('cannot sample from an empty logit row');
    let token: number;
    if (this.options.temperature <= 0) {
      token = argmax(this.penalised(logits));
    } else {
      const c = this.filtered(logits);
      if (c.size === 1) {
        token = c.ids[0];
      } else {
        applyTemperature(c, this.options.temperature);
        token = c.ids[drawIndex(softmax(c), this.rng.nextFloat())];
      }
    }
    this.accept(token);
    return token;
  }
}
