import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../../src/assistant/scheduler/runner.js';
import { PASS, tempVault } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CHILD = join(import.meta.dirname, 'fixtures', 'child.ts');

function child(args: string[]): { out: string[]; started: Promise<void>; exited: Promise<number | null>; kill(): void } {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOCALGPT_PASSPHRASE: PASS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  let err = '';
  let onStart!: () => void;
  const started = new Promise<void>((r) => (onStart = r));
  proc.stdout.on('data', (d: Buffer) => {
    out.push(...d.toString().split('\n').filter(Boolean));
    if (out.some((l) => l.startsWith('started'))) onStart();
  });
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) =>
    proc.on('exit', (code) => {
      if (code) console.error(err);
      r(code);
    }),
  );
  return { out, started, exited, kill: () => proc.kill('SIGKILL') };
}

describe('faults', () => {
  it('kill -9 mid-job: the next process resumes the job and it completes exactly once', async () => {
    const { vault, dir, path } = await tempVault();
    const kinds = { 't.work': { name: 't.work', run: async () => 'ok' } };
    const job = new Scheduler({ vault, kinds }).add({ kind: 't.work' });
    const marker = join(dir, 'marker');

    const a = child([path, marker, 'hang']);
    await a.started;
    expect(new Scheduler({ vault, kinds }).get(job.id)!.state).toBe('running');
    a.kill();
    await a.exited;
    expect(existsSync(marker)).toBe(false);

    const b = child([path, marker, 'finish']);
    expect(await b.exited).toBe(0);
    expect(b.out.some((l) => l === `started ${job.id} attempt 2`)).toBe(true);
    const c = child([path, marker, 'finish']); // a third start finds nothing to do
    expect(await c.exited).toBe(0);
    expect(c.out.some((l) => l.startsWith('started'))).toBe(false);

    expect(readFileSync(marker, 'utf8')).toBe(`done ${job.id}\n`);
    const j = new Scheduler({ vault, kinds }).get(job.id)!;
    expect(j).toMatchObject({ state: 'succeeded', runs: 1, attempts: 2, leaseOwner: null });
  }, 60_000);
});
