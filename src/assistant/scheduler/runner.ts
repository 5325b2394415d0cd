import type { Memory } from '../memory/memory.js';
import type { Vault } from '../vault/vault.js';
import { type BackoffOptions, backoffMs } from './backoff.js';
import { type JobContext, type JobKind, type JobServices, jobKind } from './kinds/registry.js';
import { DEFAULT_LEASE_MS, newOwner, ownerAlive } from './lease.js';
import type { ModelSource } from './model.js';
import { type Clock, type Schedule, type ScheduleInput, firstRun, nextRunAfter, normaliseSchedule, systemClock } from './schedule.js';
import { SCHEDULER_SCHEMA } from './schema.js';
import { type Job, type JobLogLine, type JobResult, type JobState, JobStore } from './store.js';

export interface SchedulerOptions {
  vault: Vault;
  memory?: Memory;
  model?: ModelSource;
  dataDir?: string;
  clock?: Clock;
  /** Lease length; renewed every third of it while a job runs. */
  leaseMs?: number;
  /** Non-inference jobs running at once (inference jobs: always one). Default 4. */
  concurrency?: number;
  backoff?: BackoffOptions;
  /** Kinds to use instead of the global registry (tests, embedding). */
  kinds?: Record<string, JobKind>;
  /** Owner id for leases (default host:pid:nonce). */
  owner?: string;
  onProgress?: (job: { id: string; kind: string }, fraction: number, message?: string) => void;
  onLog?: (job: { id: string; kind: string }, line: string) => void;
}

export interface AddJobOptions {
  kind: string;
  payload?: unknown;
  /** Default: now (once). */
  schedule?: ScheduleInput;
  maxAttempts?: number;
  timeoutMs?: number;
}

export interface RunReport {
  /** Jobs this call ran, with the state each ended in ('lost' when another owner took it). */
  ran: { id: string; kind: string; state: JobState | 'lost' }[];
  /** Jobs whose dead owner's lease this call released. */
  recovered: string[];
}

export const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * The scheduler over one vault: adds and lists jobs, and runs the due ones. It is a library
 * object, not a loop: the CLI calls runDueJobs() at start, the daemon calls it on a timer.
 */
export class Scheduler {
  readonly store: JobStore;
  readonly owner: string;
  readonly clock: Clock;
  readonly #opts: SchedulerOptions;
  readonly #leaseMs: number;
  readonly #concurrency: number;
  /** Jobs this instance runs now: their abort controllers (cancel, timeouts). */
  readonly #running = new Map<string, AbortController>();
  /** In-process inference lock: the SQL claim guards across processes, this within one. */
  #inferenceBusy: Promise<void> = Promise.resolve();

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
    opts.vault.migrate(SCHEDULER_SCHEMA);
    this.store = new JobStore(opts.vault);
    this.owner = opts.owner ?? newOwner();
    this.clock = opts.clock ?? systemClock;
    this.#leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.#concurrency = Math.max(1, opts.concurrency ?? 4);
  }

  kind(name: string): JobKind | undefined {
    return this.#opts.kinds ? this.#opts.kinds[name] : jobKind(name);
  }

  /** Add a job; returns it. Unknown kinds and bad payloads or schedules are refused here. */
  add(o: AddJobOptions): Job {
    const kind = this.kind(o.kind);
    if (!kind) throw new Error(`unknown job kind "${o.kind}"`);
    const payload = kind.validate ? kind.validate(o.payload) : o.payload;
    const now = this.clock();
    const schedule: Schedule = normaliseSchedule(o.schedule ?? { type: 'once', at: now }, now);
    const id = this.#opts.vault.newId();
    const maxAttempts = o.maxAttempts ?? kind.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error(`maxAttempts must be a positive integer`);
    this.#opts.vault.write(() =>
      this.store.insert({
        id,
        kind: kind.name,
        inference: kind.inference === true,
        schedule,
        maxAttempts,
        timeoutMs: o.timeoutMs ?? kind.timeoutMs ?? null,
        nextRun: firstRun(schedule, now),
        payload: payload ?? null,
        now,
      }),
    );
    return this.store.get(id)!;
  }

  get(id: string): Job | undefined {
    return this.store.get(id);
  }

  list(filter?: { state?: JobState; kind?: string; limit?: number }): Job[] {
    return this.store.list(filter);
  }

  logs(id: string, limit?: number): JobLogLine[] {
    return this.store.logs(id, limit);
  }

  /** Cancel: a queued job never runs; a running one here is aborted now, elsewhere at its next renewal. */
  cancel(id: string): boolean {
    const ok = this.#opts.vault.write(() => this.store.cancel(id, this.clock()));
    if (ok) this.#running.get(id)?.abort(new JobCancelledError());
    return ok;
  }

  /**
   * Release running jobs whose owner is gone (lease expired, or its pid dead on this host):
   * back to the queue, due now (a download resumes from its .part), or failed when that was
   * its last attempt.
   */
  recover(): string[] {
    const now = this.clock();
    const out: string[] = [];
    for (const r of this.store.running()) {
      if (r.lease_owner === this.owner || this.#running.has(r.id)) continue;
      const expired = r.lease_expires == null || r.lease_expires < now;
      if (!expired && r.lease_owner && ownerAlive(r.lease_owner)) continue;
      const result: JobResult = { ok: false, error: 'interrupted: the process running it stopped', at: now };
      const last = r.attempts >= r.max_attempts;
      const schedule = JSON.parse(r.schedule) as Schedule;
      // A recurring job that used its attempts moves on to its next occurrence.
      const nextOcc = schedule.type === 'once' ? null : nextRunAfter(schedule, now, r.slot);
      const [state, next] = last ? (nextOcc == null ? (['failed', null] as const) : (['queued', nextOcc] as const)) : (['queued', now] as const);
      const ok = this.#opts.vault.write(() => {
        const done = this.store.release(r.id, r.lease_owner, state, next, now, result);
        if (done && last && nextOcc != null) this.#opts.vault.db.prepare('UPDATE jobs SET attempts = 0 WHERE id = ?').run(r.id);
        return done;
      });
      if (ok) out.push(r.id);
    }
    return out;
  }

  /**
   * Run every job due now, then return. Recovery first, so a job whose process was killed
   * runs again in this call. Only due rows are read (index jobs_due).
   */
  async runDueJobs(opts: { limit?: number; ids?: string[] } = {}): Promise<RunReport> {
    const recovered = this.recover();
    const now = this.clock();
    let due = this.store.due(now, opts.limit ?? 100);
    if (opts.ids) due = due.filter((d) => opts.ids!.includes(d.id));
    const ran: RunReport['ran'] = [];
    const inference = due.filter((d) => d.inference === 1);
    const other = due.filter((d) => d.inference !== 1);
    const one = async (d: { id: string; kind: string }) => {
      const state = await this.runOne(d.id);
      if (state) ran.push({ id: d.id, kind: d.kind, state });
    };
    const workers: Promise<void>[] = [];
    // Inference jobs one after another; others through a small worker pool.
    workers.push(
      (async () => {
        for (const d of inference) await one(d);
      })(),
    );
    let next = 0;
    for (let w = 0; w < Math.min(this.#concurrency, other.length); w++) {
      workers.push(
        (async () => {
          while (next < other.length) await one(other[next++]);
        })(),
      );
    }
    await Promise.all(workers);
    return { ran, recovered };
  }

  /** `jobs run ID`: make the job due now and run it in this process. */
  async runNow(id: string): Promise<JobState | 'lost' | undefined> {
    const ok = this.#opts.vault.write(() => this.store.makeDue(id, this.clock()));
    if (!ok) throw new Error(`job ${id} is running or does not exist`);
    return this.runOne(id);
  }

  /**
   * Claim and run one job. Returns undefined when it could not be claimed (not due,
   * taken by another process, or another inference job is running).
   */
  async runOne(id: string): Promise<JobState | 'lost' | undefined> {
    const job = this.store.get(id);
    if (!job) return undefined;
    const kind = this.kind(job.kind);
    let release = () => {};
    if (job.inference) {
      const prev = this.#inferenceBusy;
      this.#inferenceBusy = new Promise<void>((r) => (release = r));
      await prev;
    }
    try {
      if (!kind) {
        // Unknown kind (a plugin not loaded here): leave it queued for a process that has it.
        return undefined;
      }
      const claimed = this.#opts.vault.write(() => this.store.claim(id, this.owner, this.clock(), this.#leaseMs));
      if (!claimed) return undefined;
      return await this.execute(this.store.get(id)!, kind);
    } finally {
      release();
    }
  }

  /** Counts by state, the next due time and what is running: for `localgpt --status`. */
  status(): { counts: Record<JobState, number>; nextDue: number | null; running: { id: string; kind: string; progress: number | null }[] } {
    return {
      counts: this.store.counts(),
      nextDue: this.store.nextDue(),
      running: this.store.list({ state: 'running' }).map((j) => ({ id: j.id, kind: j.kind, progress: j.progress })),
    };
  }

  /** Abort every job this instance runs (shutdown); their leases lapse and others resume them. */
  abortAll(): void {
    for (const ac of this.#running.values()) ac.abort(new Error('scheduler stopping'));
  }

  private async execute(job: Job, kind: JobKind): Promise<JobState | 'lost'> {
    const ac = new AbortController();
    this.#running.set(job.id, ac);
    const vault = this.#opts.vault;
    const ref = { id: job.id, kind: job.kind };
    let lastProgressWrite = 0;
    const services: JobServices = {
      vault,
      memory: this.#opts.memory,
      model: this.#opts.model,
      dataDir: this.#opts.dataDir,
      clock: this.clock,
    };
    const ctx: JobContext = {
      payload: job.payload,
      signal: ac.signal,
      job: { id: job.id, kind: job.kind, attempt: job.attempts },
      services,
      progress: (fraction, message) => {
        const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
        this.#opts.onProgress?.(ref, f, message);
        // Throttled: a download reports thousands of times; the row needs a few a second.
        const t = Date.now();
        if (t - lastProgressWrite < 250 && f < 1) return;
        lastProgressWrite = t;
        if (!ac.signal.aborted) vault.write(() => this.store.setProgress(job.id, this.owner, f, message));
      },
      log: (line) => {
        this.#opts.onLog?.(ref, line);
        vault.write(() => this.store.appendLog(job.id, this.clock(), line));
      },
    };
    const renew = setInterval(() => {
      try {
        if (!vault.write(() => this.store.renew(job.id, this.owner, this.clock(), this.#leaseMs))) ac.abort(new LeaseLostError());
      } catch {
        /* busy database: try again at the next tick; the lease has slack */
      }
    }, Math.max(10, Math.floor(this.#leaseMs / 3)));
    const timeout = job.timeoutMs ? setTimeout(() => ac.abort(new JobTimeoutError(job.timeoutMs!)), job.timeoutMs) : undefined;
    let result: JobResult;
    try {
      // Race the handler with the signal: a handler that ignores abort still ends its run.
      const value = await Promise.race([kind.run(ctx), abortPromise(ac.signal)]);
      result = { ok: true, value: value === undefined ? null : value, at: this.clock() };
    } catch (e) {
      const err = ac.signal.aborted ? (ac.signal.reason as Error) : (e as Error);
      result = { ok: false, error: err instanceof Error ? err.message : String(err), at: this.clock() };
    } finally {
      clearInterval(renew);
      if (timeout) clearTimeout(timeout);
      this.#running.delete(job.id);
    }
    if (ac.signal.reason instanceof JobCancelledError) return 'cancelled';
    if (ac.signal.reason instanceof LeaseLostError) return 'lost';

    const now = this.clock();
    const recurring = job.schedule.type !== 'once';
    const occurrenceNext = recurring ? nextRunAfter(job.schedule, now, job.nextRun) : null;
    let state: JobState;
    let nextRun: number | null;
    let resetAttempts = false;
    let countRun = true;
    if (result.ok) {
      [state, nextRun, resetAttempts] = occurrenceNext == null ? ['succeeded', null, false] : ['queued', occurrenceNext, true];
    } else if (job.attempts < job.maxAttempts) {
      // Retry this occurrence after a backoff; it is not a finished run yet.
      [state, nextRun, countRun] = ['queued', now + backoffMs(job.attempts, this.#opts.backoff), false];
      ctx.log(`attempt ${job.attempts} failed: ${result.error}; retrying`);
    } else {
      [state, nextRun, resetAttempts] = occurrenceNext == null ? ['failed', null, false] : ['queued', occurrenceNext, true];
    }
    const done = vault.write(() => this.store.finish(job.id, this.owner, { state, nextRun, now, result, countRun, resetAttempts }));
    return done ? state : 'lost';
  }
}

export class JobCancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'JobCancelledError';
  }
}

export class JobTimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'JobTimeoutError';
  }
}

export class LeaseLostError extends Error {
  constructor() {
    super('lease lost: another process took the job over');
    this.name = 'LeaseLostError';
  }
}

// ---- helpers -------------------------------------------------------------------------

function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
