import { describe, expect, it } from 'vitest';
import type { JobKind } from '../../../src/assistant/scheduler/kinds/registry.js';
import { firstRun, nextRunAfter, parseDuration, parseSchedule } from '../../../src/assistant/scheduler/schedule.js';
import { manualClock, scheduler } from './helpers.js';

const H = 3_600_000;

describe('schedules', () => {
  it('parses the CLI forms', () => {
    const now = Date.UTC(2025, 0, 1);
    expect(parseSchedule('now', now)).toEqual({ type: 'once', at: now });
    expect(parseSchedule('in 1h30m', now)).toEqual({ type: 'once', at: now + 1.5 * H });
    expect(parseSchedule('at 2025-06-01T09:00:00Z', now)).toEqual({ type: 'once', at: Date.UTC(2025, 5, 1, 9) });
    expect(parseSchedule('every 10m', now)).toEqual({ type: 'every', everyMs: 600_000, anchor: now });
    expect(parseSchedule('cron 0 9 * * 1-5 Europe/Paris', now)).toEqual({ type: 'cron', expr: '0 9 * * 1-5', timeZone: 'Europe/Paris' });
    expect(parseSchedule('cron */5 * * * *', now)).toEqual({ type: 'cron', expr: '*/5 * * * *' });
    expect(parseDuration('500ms')).toBe(500);
    expect(() => parseSchedule('whenever', now)).toThrow(/bad schedule/);
    expect(() => parseSchedule('every 10x', now)).toThrow(/bad duration/);
    expect(() => parseSchedule('cron 0 9 * * * Mars/Olympus', now)).toThrow(/time zone/);
    expect(() => parseSchedule('cron 99 9 * * *', now)).toThrow(/cron/);
  });

  it('cron in a time zone follows daylight saving', () => {
    const s = parseSchedule('cron 0 9 * * * Europe/Paris', 0);
    // 9:00 in Paris is 08:00Z in winter and 07:00Z after the March change.
    expect(new Date(firstRun(s, Date.UTC(2025, 2, 29, 10))!).toISOString()).toBe('2025-03-30T07:00:00.000Z');
    expect(new Date(firstRun(s, Date.UTC(2025, 2, 28, 7))!).toISOString()).toBe('2025-03-28T08:00:00.000Z');
  });

  it('an interval fires on its grid: a forward jump fires once, not a burst', () => {
    const s = parseSchedule('every 1h', 0);
    expect(nextRunAfter(s, 10.5 * H, 1 * H)).toBe(11 * H);
    // A backward jump does not bring back the slot that already fired.
    expect(nextRunAfter(s, 0.5 * H, 3 * H)).toBe(4 * H);
  });
});

describe('clock jumps', () => {
  const counter = () => {
    const k: JobKind & { calls: number } = { name: 't.tick', calls: 0, run: async () => ++k.calls };
    return k;
  };

  it('an interval job does not fire twice when the clock jumps back or forward', async () => {
    const clock = manualClock();
    const k = counter();
    const { s } = await scheduler({ clock: clock.now, kinds: { 't.tick': k } });
    const start = clock.now();
    const job = s.add({ kind: 't.tick', schedule: 'every 1h' });
    clock.advance(H);
    await s.runDueJobs();
    expect(k.calls).toBe(1);
    clock.advance(-30 * 60_000); // NTP steps the clock back half an hour
    await s.runDueJobs();
    clock.advance(20 * 60_000);
    await s.runDueJobs();
    expect(k.calls).toBe(1);
    clock.set(start + 12.25 * H); // laptop wakes after half a day: one run, not eleven
    await s.runDueJobs();
    await s.runDueJobs();
    expect(k.calls).toBe(2);
    expect(s.get(job.id)!.nextRun).toBe(start + 13 * H);
    expect(s.get(job.id)).toMatchObject({ state: 'queued', runs: 2 });
  });

  it('a cron occurrence fires once even if the clock is set back across it', async () => {
    const clock = manualClock(Date.UTC(2025, 0, 6, 8, 59)); // Monday 09:59 in Paris
    const k = counter();
    const { s } = await scheduler({ clock: clock.now, kinds: { 't.tick': k } });
    const job = s.add({ kind: 't.tick', schedule: 'cron 0 10 * * * Europe/Paris' });
    expect(s.get(job.id)!.nextRun).toBe(Date.UTC(2025, 0, 6, 9));
    clock.set(Date.UTC(2025, 0, 6, 9, 0, 30));
    await s.runDueJobs();
    clock.set(Date.UTC(2025, 0, 6, 8, 58)); // back before 10:00
    await s.runDueJobs();
    clock.set(Date.UTC(2025, 0, 6, 9, 1));
    await s.runDueJobs();
    expect(k.calls).toBe(1);
    expect(s.get(job.id)!.nextRun).toBe(Date.UTC(2025, 0, 7, 9));
  });

  it('two schedulers racing for the same due job run it once', async () => {
    const clock = manualClock();
    const k = counter();
    const { s, vault } = await scheduler({ clock: clock.now, kinds: { 't.tick': k } });
    const { Scheduler } = await import('../../../src/assistant/scheduler/runner.js');
    const s2 = new Scheduler({ vault, clock: clock.now, kinds: { 't.tick': k } });
    for (let i = 0; i < 20; i++) s.add({ kind: 't.tick' });
    await Promise.all([s.runDueJobs(), s2.runDueJobs(), s.runDueJobs()]);
    expect(k.calls).toBe(20);
  });
});

describe('many jobs', () => {
  it('the due query uses the partial index and reads only due rows', async () => {
    const clock = manualClock();
    const k: JobKind = { name: 't.noop', run: async () => null };
    const { s, vault } = await scheduler({ clock: clock.now, kinds: { 't.noop': k } });
    const plan = s.store.dueQueryPlan().join(' | ');
    expect(plan).toMatch(/USING INDEX jobs_due/);
    expect(plan).not.toMatch(/SCAN jobs(?! USING)/);
    // 10k far-future jobs and 3 due ones: one call runs exactly the 3.
    const insert = vault.db.prepare(
      `INSERT INTO jobs (id, kind, inference, schedule, state, max_attempts, next_run, created_at, updated_at, pv, payload)
       VALUES (?, 't.noop', 0, '{"type":"once","at":0}', 'queued', 3, ?, 0, 0, 1, ?)`,
    );
    vault.write(() => {
      for (let i = 0; i < 10_000; i++) {
        const id = `f${i}`;
        insert.run(id, clock.now() + 86_400_000 + i, vault.sealJson('jobs.payload', id, null));
      }
    });
    for (let i = 0; i < 3; i++) s.add({ kind: 't.noop' });
    expect(s.store.due(clock.now(), 100)).toHaveLength(3);
    const r = await s.runDueJobs();
    expect(r.ran).toHaveLength(3);
    expect(s.status().counts).toMatchObject({ queued: 10_000, succeeded: 3 });
  });
});
