import { describe, expect, it } from 'vitest';
import type { JobKind } from '../../../src/assistant/scheduler/kinds/registry.js';
import { Scheduler } from '../../../src/assistant/scheduler/runner.js';
import { manualClock, scheduler } from './helpers.js';

function counting(name: string, extra: Partial<JobKind> = {}): JobKind & { calls: number } {
  const k: JobKind & { calls: number } = {
    name,
    calls: 0,
    async run(): Promise<unknown> {
      k.calls++;
      return { n: k.calls };
    },
    ...extra,
  };
  return k;
}

describe('runner', () => {
  it('runs a once job when due, stores the sealed result, and never again', async () => {
    const clock = manualClock();
    const k = counting('t.count');
    const { s, vault } = await scheduler({ clock: clock.now, kinds: { 't.count': k } });
    const job = s.add({ kind: 't.count', payload: { secret: 'my diary' }, schedule: { type: 'once', at: clock.now() + 60_000 } });
    expect((await s.runDueJobs()).ran).toEqual([]);
    clock.advance(60_000);
    expect((await s.runDueJobs()).ran).toEqual([{ id: job.id, kind: 't.count', state: 'succeeded' }]);
    expect((await s.runDueJobs()).ran).toEqual([]);
    expect(k.calls).toBe(1);
    const done = s.get(job.id)!;
    expect(done.state).toBe('succeeded');
    expect(done.lastResult).toMatchObject({ ok: true, value: { n: 1 } });
    expect(done.payload).toEqual({ secret: 'my diary' });
    // Payload and result are sealed: no plaintext in the row.
    const raw = vault.db.prepare('SELECT payload, result FROM jobs WHERE id = ?').get(job.id) as { payload: Buffer; result: Buffer };
    expect(raw.payload.toString('latin1')).not.toContain('diary');
    expect(raw.result.toString('latin1')).not.toContain('"n"');
  });

  it('retries with exponential backoff up to maxAttempts, then fails', async () => {
    const clock = manualClock();
    const k = counting('t.fail', {
      async run() {
        k.calls++;
        throw new Error(`boom ${k.calls}`);
      },
    });
    const { s } = await scheduler({ clock: clock.now, kinds: { 't.fail': k }, backoff: { baseMs: 1000, capMs: 3000, jitter: 0 } });
    const job = s.add({ kind: 't.fail', maxAttempts: 4 });
    const gaps: number[] = [];
    await s.runDueJobs();
    for (let i = 0; i < 3; i++) {
      const j = s.get(job.id)!;
      expect(j.state).toBe('queued');
      gaps.push(j.nextRun! - clock.now());
      clock.set(j.nextRun! - 1);
      expect((await s.runDueJobs()).ran).toEqual([]); // not before its time
      clock.set(j.nextRun!);
      await s.runDueJobs();
    }
    expect(gaps).toEqual([1000, 2000, 3000]); // doubled, then capped
    const j = s.get(job.id)!;
    expect(j.state).toBe('failed');
    expect(j.attempts).toBe(4);
    expect(j.lastResult).toMatchObject({ ok: false, error: 'boom 4' });
    expect(s.logs(job.id).map((l) => l.line)).toHaveLength(3);
  });

  it('times out a handler through its AbortSignal', async () => {
    const seen: string[] = [];
    const k = counting('t.slow', {
      run: ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => (seen.push('aborted'), reject(signal.reason)))),
    });
    const { s } = await scheduler({ kinds: { 't.slow': k } });
    const job = s.add({ kind: 't.slow', timeoutMs: 50, maxAttempts: 1 });
    await s.runDueJobs();
    expect(seen).toEqual(['aborted']);
    expect(s.get(job.id)).toMatchObject({ state: 'failed', lastResult: { ok: false, error: 'timed out after 50 ms' } });
  });

  it('cancels a queued job and aborts a running one', async () => {
    let started!: () => void;
    const isStarted = new Promise<void>((r) => (started = r));
    const k = counting('t.block', {
      run: ({ signal }) =>
        new Promise((_, reject) => {
          started();
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    });
    const { s } = await scheduler({ kinds: { 't.block': k, 't.count': counting('t.count') } });
    const q = s.add({ kind: 't.count', schedule: 'in 1h' });
    expect(s.cancel(q.id)).toBe(true);
    expect(s.get(q.id)!.state).toBe('cancelled');
    const r = s.add({ kind: 't.block' });
    const run = s.runDueJobs();
    await isStarted;
    expect(s.get(r.id)!.state).toBe('running');
    expect(s.cancel(r.id)).toBe(true);
    expect((await run).ran).toEqual([{ id: r.id, kind: 't.block', state: 'cancelled' }]);
    expect(s.get(r.id)!.state).toBe('cancelled');
    expect(s.cancel(r.id)).toBe(false);
  });

  it('runs at most one inference job at a time, others concurrently up to the bound', async () => {
    let inf = 0;
    let maxInf = 0;
    let other = 0;
    let maxOther = 0;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const kinds: Record<string, JobKind> = {
      't.inf': { name: 't.inf', inference: true, run: async () => ((maxInf = Math.max(maxInf, ++inf)), await sleep(20), inf--) },
      't.io': { name: 't.io', run: async () => ((maxOther = Math.max(maxOther, ++other)), await sleep(20), other--) },
    };
    const { s, vault } = await scheduler({ kinds, concurrency: 3 });
    for (let i = 0; i < 4; i++) s.add({ kind: 't.inf' });
    for (let i = 0; i < 8; i++) s.add({ kind: 't.io' });
    // A second scheduler (another process) on the same database shares the inference limit.
    const s2 = new Scheduler({ vault, kinds, concurrency: 3 });
    const [a, b] = await Promise.all([s.runDueJobs(), s2.runDueJobs()]);
    expect(maxInf).toBe(1);
    expect(maxOther).toBeGreaterThan(1);
    expect(maxOther).toBeLessThanOrEqual(6);
    // Each job ran exactly once between the two.
    const ids = [...a.ran, ...b.ran].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    await s.runDueJobs();
    expect(s.list().every((j) => j.state === 'succeeded')).toBe(true);
  });

  it('a job taken over after its lease expired never completes twice', async () => {
    const clock = manualClock();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let runs = 0;
    const kinds: Record<string, JobKind> = {
      't.gate': { name: 't.gate', run: async () => (++runs === 1 ? gate.then(() => 'first') : 'second') },
    };
    const { s, vault } = await scheduler({ clock: clock.now, kinds, leaseMs: 60_000 });
    const job = s.add({ kind: 't.gate' });
    const first = s.runDueJobs(); // owner A holds the lease, stalled (think SIGSTOP)
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(120_000); // A's lease expires without renewal reaching the row in time
    const other = new Scheduler({ vault, clock: clock.now, kinds, leaseMs: 60_000 });
    const b = await other.runDueJobs();
    expect(b.recovered).toEqual([job.id]);
    expect(b.ran).toEqual([{ id: job.id, kind: 't.gate', state: 'succeeded' }]);
    release();
    expect((await first).ran).toEqual([{ id: job.id, kind: 't.gate', state: 'lost' }]);
    const j = s.get(job.id)!;
    expect(j).toMatchObject({ state: 'succeeded', runs: 1, lastResult: { value: 'second' } });
  });

  it('unknown kinds are refused when added', async () => {
    const { s } = await scheduler({ kinds: {} });
    expect(() => s.add({ kind: 'nope' })).toThrow(/unknown job kind/);
  });
});
