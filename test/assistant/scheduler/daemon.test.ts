import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { daemonStatus, runLoop, startDaemon, stopDaemon } from '../../../src/assistant/scheduler/daemon.js';
import type { JobKind } from '../../../src/assistant/scheduler/kinds/registry.js';
import { dir, scheduler } from './helpers.js';

describe('daemon', () => {
  it('the loop runs jobs as they fall due and stops on abort', async () => {
    let calls = 0;
    const k: JobKind = { name: 't.tick', run: async () => ++calls };
    const { s } = await scheduler({ kinds: { 't.tick': k } });
    s.add({ kind: 't.tick' });
    s.add({ kind: 't.tick', schedule: { type: 'once', at: Date.now() + 150 } });
    const ac = new AbortController();
    const loop = runLoop(s, { signal: ac.signal, maxSleepMs: 1000 });
    const t0 = Date.now();
    while (calls < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await loop;
    expect(calls).toBe(2);
  });

  it('starts detached with a pid file and a private log, reports status, stops', async () => {
    const d = dir();
    expect(daemonStatus(d).running).toBe(false);
    const st = startDaemon({ dataDir: d, entry: join(import.meta.dirname, 'fixtures', 'daemon-entry.ts'), execArgv: ['--import', 'tsx'] });
    expect(st.running).toBe(true);
    expect(startDaemon({ dataDir: d, entry: 'unused' }).pid).toBe(st.pid); // already running: same one
    expect(daemonStatus(d)).toMatchObject({ running: true, pid: st.pid });
    expect(statSync(st.logFile).mode & 0o777).toBe(0o600);
    const t0 = Date.now();
    while (!readFileSync(st.logFile, 'utf8').includes('daemon up') && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(await stopDaemon(d)).toBe(true);
    expect(daemonStatus(d).running).toBe(false);
    expect(existsSync(st.pidFile)).toBe(false);
    expect(readFileSync(st.logFile, 'utf8')).toContain('daemon stopping');
  }, 30_000);
});

describe('daemon process', () => {
  it('daemon-main runs due jobs from the vault in the background', async () => {
    const { openScheduler } = await import('../../../src/assistant/scheduler/index.js');
    const { PASS } = await import('./helpers.js');
    const d = dir();
    const path = join(d, 'vault.db');
    const sess = await openScheduler({ path, passphrase: PASS, kdf: 'min' });
    const job = sess.scheduler.add({ kind: 'diagnostics', payload: { backends: false } });
    const st = startDaemon({
      dataDir: d,
      entry: join(import.meta.dirname, '..', '..', '..', 'src', 'assistant', 'scheduler', 'daemon-main.ts'),
      execArgv: ['--import', 'tsx'],
      args: ['--vault', path],
      env: { ...process.env, LOCALGPT_PASSPHRASE: PASS, LOCALGPT_HOME: d },
    });
    try {
      const t0 = Date.now();
      while (sess.scheduler.get(job.id)!.state !== 'succeeded' && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 100));
      expect(sess.scheduler.get(job.id)!.state).toBe('succeeded');
    } finally {
      await stopDaemon(d);
      sess.close();
    }
    const logText = readFileSync(st.logFile, 'utf8');
    expect(logText).toContain('scheduler daemon started');
    expect(logText).toContain('scheduler daemon stopped');
  }, 40_000);
});
