/** A hand-written timing harness: warm-up, then the median of at least 5 runs, with min and max. */

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export const MIN_RUNS = 5;

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('no samples to summarise');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], runs: s.length };
}

/** Times `fn` (ms per call): `warmup` untimed calls, then `runs` timed ones. */
export async function timeRuns(fn: () => unknown, runs = MIN_RUNS, warmup = 1): Promise<Summary> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

/**
 * Times a fast synchronous call: repeats it until `minMs` has passed per sample, so each sample
 * is an average over many calls; returns ms per call.
 */
export function timeFast(fn: () => void, runs = MIN_RUNS, minMs = 50): Summary {
  fn();
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      fn();
      n++;
      t = performance.now();
    } while (t - t0 < minMs);
    samples.push((t - t0) / n);
  }
  return summarize(samples);
}

/** The same pseudo-random prompt the C harness builds (a 32-bit LCG), so every engine reads the same ids. */
export function benchPrompt(length: number, vocabSize: number, run: number): number[] {
  const out: number[] = [];
  let seed = 1234567;
  for (let i = 0; i < length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    out.push((seed >>> 8) % vocabSize);
  }
  if (length > 0) out[0] = (run * 7919) % vocabSize; // a different first token per run: no prefix is reused
  return out;
}

/**
 * Min time per call (ns) of each function, interleaved: every round times each for ~`sliceMs`,
 * so the host's drift hits all of them alike (the kernel A/B probes).
 */
export function interleavedMinNs(fs: readonly (() => unknown)[], rounds = 15, sliceMs = 20): number[] {
  const best = fs.map(() => Infinity);
  for (let rep = 0; rep < rounds; rep++) {
    fs.forEach((f, k) => {
      const t0 = process.hrtime.bigint();
      let n = 0;
      do {
        f();
        n++;
      } while (Number(process.hrtime.bigint() - t0) < sliceMs * 1e6);
      best[k] = Math.min(best[k], Number(process.hrtime.bigint() - t0) / n);
    });
  }
  return best;
}
