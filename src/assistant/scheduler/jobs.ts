import { Memory } from '../memory/memory.js';
import type { OpenVaultOptions } from '../vault/vault.js';
import { dataDir as defaultDataDir } from '../vault/paths.js';
import { daemonStatus, type DaemonStatus } from './daemon.js';
import type { ModelSource } from './model.js';
import { type AddJobOptions, type RunReport, Scheduler, type SchedulerOptions } from './runner.js';
import { describeSchedule, type Clock } from './schedule.js';
import type { Job, JobLogLine, JobState } from './store.js';

/** An open scheduler with its memory; close() locks the vault. */
export interface SchedulerSession {
  scheduler: Scheduler;
  memory: Memory;
  close(): void;
}

/**
 * Open the vault with memory and the scheduler tables: what the CLI does before `jobs ...`
 * and, without a daemon, to run due jobs at start (`session.scheduler.runDueJobs()`).
 */
export async function openScheduler(
  opts: OpenVaultOptions & { model?: ModelSource; dataDir?: string; clock?: Clock } & Partial<Omit<SchedulerOptions, 'vault' | 'memory'>>,
): Promise<SchedulerSession> {
  const memory = await Memory.open(opts);
  try {
    const scheduler = new Scheduler({ ...opts, vault: memory.vault, memory, dataDir: opts.dataDir ?? defaultDataDir() });
    return { scheduler, memory, close: () => memory.close() };
  } catch (e) {
    memory.close();
    throw e;
  }
}

/** One line per job for `jobs list` (no payload: it may hold user text). */
export interface JobSummary {
  id: string;
  kind: string;
  state: JobState;
  schedule: string;
  nextRun: string | null;
  attempts: string;
  runs: number;
  progress: number | null;
  lastError?: string;
}

/** The `localgpt jobs` subcommands as library calls. */
export const jobs = {
  list(s: Scheduler, filter?: { state?: JobState; kind?: string; limit?: number }): JobSummary[] {
    return s.list(filter).map(summary);
  },
  add(s: Scheduler, o: AddJobOptions): Job {
    return s.add(o);
  },
  cancel(s: Scheduler, id: string): boolean {
    return s.cancel(id);
  },
  /** Run one job now in this process; resolves with the state it ended in. */
  run(s: Scheduler, id: string): Promise<JobState | 'lost' | undefined> {
    return s.runNow(id);
  },
  logs(s: Scheduler, id: string, limit?: number): JobLogLine[] {
    return s.logs(id, limit);
  },
};

export interface StatusReport {
  jobs: Record<JobState, number>;
  nextDue: string | null;
  running: { id: string; kind: string; progress: number | null }[];
  daemon: DaemonStatus;
}

/** For `localgpt --status`. */
export function status(s: Scheduler, opts: { dataDir?: string } = {}): StatusReport {
  const st = s.status();
  return {
    jobs: st.counts,
    nextDue: st.nextDue === null ? null : new Date(st.nextDue).toISOString(),
    running: st.running,
    daemon: daemonStatus(opts.dataDir ?? defaultDataDir()),
  };
}

/** Without a daemon: run what is due, as the CLI does when it starts. */
export function runDueJobs(s: Scheduler, opts?: { limit?: number }): Promise<RunReport> {
  return s.runDueJobs(opts);
}

function summary(j: Job): JobSummary {
  const out: JobSummary = {
    id: j.id,
    kind: j.kind,
    state: j.state,
    schedule: describeSchedule(j.schedule),
    nextRun: j.nextRun === null ? null : new Date(j.nextRun).toISOString(),
    attempts: `${j.attempts}/${j.maxAttempts}`,
    runs: j.runs,
    progress: j.progress,
  };
  if (j.lastResult && !j.lastResult.ok) out.lastError = j.lastResult.error;
  return out;
}
