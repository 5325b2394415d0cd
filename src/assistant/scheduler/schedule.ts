import { Cron } from 'croner';

/**
 * When a job runs. Times are milliseconds since the epoch on the scheduler's clock.
 * - once: at a time;
 * - every: on a fixed grid `anchor + k * everyMs` (anchored, so a clock jump forward fires
 *   one run, not a burst of catch-up runs);
 * - cron: a croner expression (5 to 7 fields) in an IANA time zone (default: the system's).
 */
export type Schedule =
  | { type: 'once'; at: number }
  | { type: 'every'; everyMs: number; anchor: number }
  | { type: 'cron'; expr: string; timeZone?: string };

/** Something that tells the time; injected so tests can jump it. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

/** Check a schedule and fill in defaults; throws a one-line error for a bad one. */
export function normaliseSchedule(s: ScheduleInput, now: number): Schedule {
  if (typeof s === 'string') return parseSchedule(s, now);
  switch (s.type) {
    case 'once': {
      const at = typeof s.at === 'number' ? s.at : Date.parse(s.at);
      if (!Number.isFinite(at)) throw new Error(`bad time for a once schedule: ${String(s.at)}`);
      return { type: 'once', at };
    }
    case 'every': {
      if (!Number.isFinite(s.everyMs) || s.everyMs < 1000) throw new Error(`an interval must be at least 1 s, got ${s.everyMs} ms`);
      // Default anchor: now, so the first run is one interval from now.
      return { type: 'every', everyMs: Math.round(s.everyMs), anchor: s.anchor ?? now };
    }
    case 'cron': {
      cronFor(s.expr, s.timeZone); // validates expression and zone
      return s.timeZone ? { type: 'cron', expr: s.expr, timeZone: s.timeZone } : { type: 'cron', expr: s.expr };
    }
    default:
      throw new Error(`unknown schedule type: ${(s as { type: string }).type}`);
  }
}

export type ScheduleInput =
  | string
  | { type: 'once'; at: number | string }
  | { type: 'every'; everyMs: number; anchor?: number }
  | { type: 'cron'; expr: string; timeZone?: string };

/**
 * The CLI's text forms: `now`, `in 10m`, `at 2025-06-01T09:00:00Z`, `every 1h`,
 * `cron 0 9 * * 1-5` and `cron 0 9 * * 1-5 Europe/Paris` (a trailing zone with a slash or UTC).
 */
export function parseSchedule(text: string, now: number): Schedule {
  const t = text.trim();
  if (t === 'now') return { type: 'once', at: now };
  let m = /^in\s+(.+)$/i.exec(t);
  if (m) return { type: 'once', at: now + parseDuration(m[1]) };
  m = /^at\s+(.+)$/i.exec(t);
  if (m) return normaliseSchedule({ type: 'once', at: m[1] }, now);
  m = /^every\s+(.+)$/i.exec(t);
  if (m) return normaliseSchedule({ type: 'every', everyMs: parseDuration(m[1]) }, now);
  m = /^cron\s+(.+)$/i.exec(t);
  if (m) {
    const parts = m[1].trim().split(/\s+/);
    const last = parts[parts.length - 1];
    const zoned = parts.length >= 6 && (last.includes('/') || last === 'UTC');
    const timeZone = zoned ? parts.pop() : undefined;
    return normaliseSchedule({ type: 'cron', expr: parts.join(' '), timeZone }, now);
  }
  throw new Error(`bad schedule "${text}" (try: now, in 10m, at 2025-06-01T09:00Z, every 1h, cron 0 9 * * * Europe/Paris)`);
}

/** `90s`, `10m`, `2h`, `1d`, `500ms`, or combinations like `1h30m`. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const re = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gy;
  const t = text.replace(/\s+/g, '');
  let total = 0;
  let pos = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * units[m[2]];
    pos = re.lastIndex;
  }
  if (pos !== t.length || pos === 0) throw new Error(`bad duration "${text}" (try 30s, 10m, 2h, 1d)`);
  return Math.round(total);
}

/**
 * The first run time strictly after both `now` and `lastSlot` (the occurrence that last
 * fired), or null when the schedule has no more runs. Using lastSlot as a floor is what
 * keeps a clock that jumps backwards from firing the same occurrence twice.
 */
export function nextRunAfter(s: Schedule, now: number, lastSlot?: number | null): number | null {
  const floor = Math.max(now, lastSlot ?? -Infinity);
  switch (s.type) {
    case 'once':
      return lastSlot == null ? s.at : null;
    case 'every': {
      const k = Math.floor((floor - s.anchor) / s.everyMs) + 1;
      return s.anchor + Math.max(k, 1) * s.everyMs;
    }
    case 'cron': {
      const next = cronFor(s.expr, s.timeZone).nextRun(new Date(floor));
      return next ? next.getTime() : null;
    }
  }
}

/** First run of a new job. */
export function firstRun(s: Schedule, now: number): number | null {
  if (s.type === 'once') return s.at;
  if (s.type === 'every') return s.anchor > now ? s.anchor : nextRunAfter(s, now);
  return nextRunAfter(s, now);
}

export function describeSchedule(s: Schedule): string {
  if (s.type === 'once') return `once at ${new Date(s.at).toISOString()}`;
  if (s.type === 'every') return `every ${formatDuration(s.everyMs)}`;
  return `cron ${s.expr}${s.timeZone ? ` ${s.timeZone}` : ''}`;
}

// ---- helpers -------------------------------------------------------------------------

function formatDuration(ms: number): string {
  for (const [u, n] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % n === 0) return `${ms / n}${u}`;
  }
  return `${ms}ms`;
}

/** Croner objects are cached per (expression, zone): parsing costs more than a lookup. */
const crons = new Map<string, Cron>();
function cronFor(expr: string, timeZone?: string): Cron {
  const key = `${expr}\0${timeZone ?? ''}`;
  let c = crons.get(key);
  if (!c) {
    if (timeZone) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone });
      } catch {
        throw new Error(`unknown time zone "${timeZone}"`);
      }
    }
    try {
      c = new Cron(expr, { timezone: timeZone, paused: true });
    } catch (e) {
      throw new Error(`bad cron expression "${expr}": ${(e as Error).message}`);
    }
    crons.set(key, c);
  }
  return c;
}
