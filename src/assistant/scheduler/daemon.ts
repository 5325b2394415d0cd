import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scheduler } from './runner.js';

/**
 * The background runner. The loop (runLoop) is what a daemon process runs; startDaemon
 * spawns it detached with a pid file (created O_EXCL, so two starts cannot both win) and a
 * private log file. Without a daemon the CLI calls runDueJobs() when it starts.
 */
export interface DaemonStatus {
  running: boolean;
  pid?: number;
  pidFile: string;
  logFile: string;
}

export const PID_FILE = 'scheduler.pid';
export const LOG_FILE = 'scheduler.log';

/** Run due jobs until the signal aborts; sleeps until the next due job (at most maxSleepMs). */
export async function runLoop(s: Scheduler, opts: { signal: AbortSignal; maxSleepMs?: number; onError?: (e: unknown) => void }): Promise<void> {
  const max = opts.maxSleepMs ?? 30_000;
  while (!opts.signal.aborted) {
    try {
      await s.runDueJobs();
    } catch (e) {
      opts.onError?.(e);
    }
    const next = s.store.nextDue();
    const wait = next === null ? max : Math.min(max, Math.max(50, next - s.clock()));
    await new Promise<void>((r) => {
      const t = setTimeout(r, wait);
      opts.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
  }
  s.abortAll();
}

export function daemonStatus(dataDir: string): DaemonStatus {
  const pidFile = join(dataDir, PID_FILE);
  const logFile = join(dataDir, LOG_FILE);
  const pid = readPid(pidFile);
  return pid !== undefined && alive(pid) ? { running: true, pid, pidFile, logFile } : { running: false, pidFile, logFile };
}

/**
 * Start `node [execArgv] entry [args]` detached, logging to scheduler.log (0600). The entry
 * opens the vault itself (passphrase from the environment or a file) and calls runLoop.
 */
export function startDaemon(o: { dataDir: string; entry: string; args?: string[]; execArgv?: string[]; env?: NodeJS.ProcessEnv }): DaemonStatus {
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const st = daemonStatus(o.dataDir);
  if (st.running) return st;
  rmSync(st.pidFile, { force: true }); // stale: its process is gone
  const lock = openSync(st.pidFile, 'wx', 0o600); // throws EEXIST if another start won the race
  try {
    const log = openSync(st.logFile, 'a', 0o600);
    const child = spawn(process.execPath, [...(o.execArgv ?? []), o.entry, ...(o.args ?? [])], {
      detached: true,
      stdio: ['ignore', log, log],
      env: o.env ?? process.env,
    });
    closeSync(log);
    writeFileSync(lock, String(child.pid));
    child.unref();
    return { running: true, pid: child.pid, pidFile: st.pidFile, logFile: st.logFile };
  } finally {
    closeSync(lock);
  }
}

/** SIGTERM the daemon and wait for it to exit (up to timeoutMs); removes the pid file. */
export async function stopDaemon(dataDir: string, timeoutMs = 10_000): Promise<boolean> {
  const st = daemonStatus(dataDir);
  if (!st.running || st.pid === undefined) {
    rmSync(st.pidFile, { force: true });
    return false;
  }
  process.kill(st.pid, 'SIGTERM');
  const end = Date.now() + timeoutMs;
  while (alive(st.pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  if (alive(st.pid)) process.kill(st.pid, 'SIGKILL'); // its leases lapse; jobs resume elsewhere
  rmSync(st.pidFile, { force: true });
  return true;
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const n = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
