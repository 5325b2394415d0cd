import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Scheduler, type SchedulerOptions } from '../../../src/assistant/scheduler/runner.js';
import { type Vault, openVault } from '../../../src/assistant/vault/index.js';
import { PASS, tempDir } from '../helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A temp dir removed after the test. */
export function dir(): string {
  const t = tempDir('lgpt-sched-');
  cleanups.push(t.cleanup);
  return t.dir;
}

export async function vaultAt(path: string): Promise<Vault> {
  const v = await openVault({ path, passphrase: PASS, kdf: 'min' });
  cleanups.unshift(() => v.close());
  return v;
}

/** A fresh vault in a temp dir. */
export async function tempVault(): Promise<{ vault: Vault; dir: string; path: string }> {
  const d = dir();
  const path = join(d, 'vault.db');
  return { vault: await vaultAt(path), dir: d, path };
}

/** A clock tests move by hand. */
export function manualClock(start = Date.UTC(2025, 0, 1, 12)): { now: () => number; set(t: number): void; advance(ms: number): void } {
  let t = start;
  return { now: () => t, set: (x) => (t = x), advance: (ms) => (t += ms) };
}

export async function scheduler(opts: Partial<SchedulerOptions> = {}): Promise<{ s: Scheduler; vault: Vault; dir: string; path: string }> {
  const v = opts.vault ? { vault: opts.vault, dir: dir(), path: opts.vault.path } : await tempVault();
  return { s: new Scheduler({ vault: v.vault, ...opts }), ...v };
}

export { PASS };
