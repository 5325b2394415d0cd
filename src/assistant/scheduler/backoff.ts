/** Retry delays: exponential from `baseMs`, capped, with optional jitter so retries spread out. */
export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  /** Fraction of the delay randomised away (0 = deterministic, default 0.2). */
  jitter?: number;
  random?: () => number;
}

export const DEFAULT_BACKOFF: Required<Omit<BackoffOptions, 'random'>> = { baseMs: 5_000, capMs: 3_600_000, jitter: 0.2 };

/** Delay before retry number `attempt` (1 = the first retry, after the first failure). */
export function backoffMs(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const cap = opts.capMs ?? DEFAULT_BACKOFF.capMs;
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? DEFAULT_BACKOFF.jitter));
  // 2^(attempt-1) overflows to Infinity for huge attempts; Math.min keeps the cap.
  const raw = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  const r = (opts.random ?? Math.random)();
  return Math.round(raw * (1 - jitter * r));
}
