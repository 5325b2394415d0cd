import type { Statement } from 'better-sqlite3';
import type { Vault } from '../vault/vault.js';
import type { Schedule } from './schedule.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A job as callers see it: clear columns plus unsealed payload and last result. */
export interface Job {
  id: string;
  kind: string;
  inference: boolean;
  schedule: Schedule;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number | null;
  nextRun: number | null;
  runs: number;
  leaseOwner: string | null;
  leaseExpires: number | null;
  progress: number | null;
  progressMessage?: string;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  payload: unknown;
  lastResult?: JobResult;
}

/** The sealed last result: a value on success, an error message on failure. */
export interface JobResult {
  ok: boolean;
  value?: unknown;
  error?: string;
  at: number;
}

export interface JobLogLine {
  at: number;
  line: string;
}

export interface NewJobRow {
  id: string;
  kind: string;
  inference: boolean;
  schedule: Schedule;
  maxAttempts: number;
  timeoutMs: number | null;
  nextRun: number | null;
  payload: unknown;
  now: number;
}

/**
 * SQL for the jobs tables. Every state change that races with another process is one
 * conditional UPDATE whose WHERE states what must still be true (state, lease owner), so
 * the loser sees `changes === 0` and backs off. Sealing uses AD tables 'jobs.payload',
 * 'jobs.result', 'jobs.progress' and 'job_logs', each bound to the row id.
 */
export class JobStore {
  readonly vault: Vault;
  readonly #stmts = new Map<string, Statement>();

  constructor(vault: Vault) {
    this.vault = vault;
  }

  insert(j: NewJobRow): void {
    this.stmt(
      `INSERT INTO jobs (id, kind, inference, schedule, state, attempts, max_attempts, timeout_ms, next_run,
         created_at, updated_at, pv, payload)
       VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?, 1, ?)`,
    ).run(
      j.id,
      j.kind,
      j.inference ? 1 : 0,
      JSON.stringify(j.schedule),
      j.maxAttempts,
      j.timeoutMs,
      j.nextRun,
      j.now,
      j.now,
      this.vault.sealJson('jobs.payload', j.id, j.payload ?? null),
    );
  }

  get(id: string): Job | undefined {
    const row = this.stmt('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? this.decode(row) : undefined;
  }

  list(filter: { state?: JobState; kind?: string; limit?: number } = {}): Job[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.state) (where.push('state = ?'), args.push(filter.state));
    if (filter.kind) (where.push('kind = ?'), args.push(filter.kind));
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at, rowid LIMIT ?`;
    return (this.vault.db.prepare(sql).all(...args, filter.limit ?? -1) as JobRow[]).map((r) => this.decode(r));
  }

  /** Due queued jobs, soonest first. Uses the partial index jobs_due (see dueQueryPlan). */
  due(now: number, limit: number): { id: string; kind: string; inference: number; next_run: number }[] {
    return this.stmt(DUE_SQL).all(now, limit) as { id: string; kind: string; inference: number; next_run: number }[];
  }

  /** EXPLAIN QUERY PLAN of the due query, for the test that it never scans the table. */
  dueQueryPlan(): string[] {
    return (this.vault.db.prepare(`EXPLAIN QUERY PLAN ${DUE_SQL}`).all(0, 10) as { detail: string }[]).map((r) => r.detail);
  }

  /** Earliest next_run among queued jobs (for the daemon's sleep), via the same index. */
  nextDue(): number | null {
    const r = this.stmt("SELECT MIN(next_run) AS t FROM jobs WHERE state = 'queued' AND next_run IS NOT NULL").get() as { t: number | null };
    return r.t;
  }

  /**
   * Claim a due job: queued -> running under our lease, attempts + 1, the fired occurrence
   * remembered in `slot`. An inference job is claimed only while no other inference job
   * runs anywhere (the check and the update are one statement under SQLite's write lock).
   */
  claim(id: string, owner: string, now: number, leaseMs: number): boolean {
    return (
      this.stmt(
        `UPDATE jobs SET state = 'running', lease_owner = ?, lease_expires = ?, attempts = attempts + 1,
           slot = next_run, started_at = ?, updated_at = ?, progress = NULL, mv = NULL, progress_msg = NULL
         WHERE id = ? AND state = 'queued' AND next_run <= ?
           AND (inference = 0 OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.state = 'running' AND r.inference = 1))`,
      ).run(owner, now + leaseMs, now, now, id, now).changes === 1
    );
  }

  /** Extend our lease; false when we lost it (taken over, cancelled): the runner aborts. */
  renew(id: string, owner: string, now: number, leaseMs: number): boolean {
    return (
      this.stmt(`UPDATE jobs SET lease_expires = ? WHERE id = ? AND state = 'running' AND lease_owner = ?`).run(
        now + leaseMs,
        id,
        owner,
      ).changes === 1
    );
  }

  /** Running rows (few): the recovery pass decides which leases are dead. */
  running(): { id: string; lease_owner: string | null; lease_expires: number | null; attempts: number; max_attempts: number; schedule: string; slot: number | null }[] {
    return this.stmt(
      "SELECT id, lease_owner, lease_expires, attempts, max_attempts, schedule, slot FROM jobs WHERE state = 'running'",
    ).all() as never;
  }

  /** Put a dead owner's job back in the queue (or fail it), only if that owner still holds it. */
  release(id: string, deadOwner: string | null, state: JobState, nextRun: number | null, now: number, result?: JobResult): boolean {
    const st = this.stmt(
      `UPDATE jobs SET state = ?, next_run = ?, lease_owner = NULL, lease_expires = NULL, updated_at = ?,
         rv = COALESCE(?, rv), result = COALESCE(?, result)
       WHERE id = ? AND state = 'running' AND lease_owner IS ?`,
    );
    const sealed = result ? this.vault.sealJson('jobs.result', id, result) : null;
    return st.run(state, nextRun, now, sealed ? 1 : null, sealed, id, deadOwner).changes === 1;
  }

  /**
   * Finish a run we own. `resetAttempts` starts a recurring job's next occurrence afresh.
   * The WHERE on lease_owner is the "never completes twice" guarantee.
   */
  finish(
    id: string,
    owner: string,
    f: { state: JobState; nextRun: number | null; now: number; result: JobResult; countRun: boolean; resetAttempts: boolean },
  ): boolean {
    return (
      this.stmt(
        `UPDATE jobs SET state = ?, next_run = ?, lease_owner = NULL, lease_expires = NULL, updated_at = ?,
           finished_at = ?, runs = runs + ?, attempts = CASE WHEN ? THEN 0 ELSE attempts END,
           progress = CASE WHEN ? THEN 1 ELSE progress END, rv = 1, result = ?
         WHERE id = ? AND state = 'running' AND lease_owner = ?`,
      ).run(
        f.state,
        f.nextRun,
        f.now,
        f.now,
        f.countRun ? 1 : 0,
        f.resetAttempts ? 1 : 0,
        f.result.ok ? 1 : 0,
        this.vault.sealJson('jobs.result', id, f.result),
        id,
        owner,
      ).changes === 1
    );
  }

  /** Cancel a queued or running job. A running owner notices at its next renewal. */
  cancel(id: string, now: number): boolean {
    return (
      this.stmt(
        `UPDATE jobs SET state = 'cancelled', next_run = NULL, lease_owner = NULL, lease_expires = NULL, updated_at = ?
         WHERE id = ? AND state IN ('queued', 'running')`,
      ).run(now, id).changes === 1
    );
  }

  /** Make a job due now (the CLI's `jobs run ID`); a finished job is queued again. */
  makeDue(id: string, now: number): boolean {
    return (
      this.stmt(
        `UPDATE jobs SET state = 'queued', next_run = ?, attempts = 0, updated_at = ?
         WHERE id = ? AND state IN ('queued', 'succeeded', 'failed', 'cancelled')`,
      ).run(now, now, id).changes === 1
    );
  }

  setProgress(id: string, owner: string, fraction: number, message: string | undefined): void {
    this.stmt(`UPDATE jobs SET progress = ?, mv = ?, progress_msg = ? WHERE id = ? AND state = 'running' AND lease_owner = ?`).run(
      fraction,
      message === undefined ? null : 1,
      message === undefined ? null : this.vault.sealJson('jobs.progress', id, message),
      id,
      owner,
    );
  }

  appendLog(jobId: string, at: number, line: string): void {
    const id = this.vault.newId();
    this.stmt('INSERT INTO job_logs (id, job_id, at, v, body) VALUES (?, ?, ?, 1, ?)').run(
      id,
      jobId,
      at,
      this.vault.sealJson('job_logs', id, { job: jobId, line }),
    );
  }

  /** Log lines of a job, oldest first; a line that fails authentication is shown as such. */
  logs(jobId: string, limit = 1000): JobLogLine[] {
    const rows = this.stmt('SELECT id, at, v, body FROM job_logs WHERE job_id = ? ORDER BY at, rowid LIMIT ?').all(jobId, limit) as {
      id: string;
      at: number;
      v: number;
      body: Buffer;
    }[];
    return rows.map((r) => {
      const rec = this.vault.tryOpenJson<{ job: string; line: string }>('job_logs', r.id, r.body, r.v);
      // The job id is inside the seal too: a line moved to another job does not open as its own.
      return { at: r.at, line: rec && rec.job === jobId ? rec.line : '[unreadable log line]' };
    });
  }

  delete(id: string): boolean {
    return this.vault.write(() => {
      this.stmt('DELETE FROM job_logs WHERE job_id = ?').run(id);
      return this.stmt('DELETE FROM jobs WHERE id = ?').run(id).changes === 1;
    });
  }

  counts(): Record<JobState, number> {
    const out: Record<JobState, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const r of this.stmt('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as { state: JobState; n: number }[]) out[r.state] = r.n;
    return out;
  }

  /** Every sealed value in the scheduler's tables, checked (diagnostics). */
  verifyRecords(): { checked: number; bad: { table: string; id: string }[] } {
    let checked = 0;
    const bad: { table: string; id: string }[] = [];
    for (const r of this.vault.db.prepare('SELECT id, pv, payload, rv, result, mv, progress_msg FROM jobs').iterate() as Iterable<{
      id: string;
      pv: number;
      payload: Buffer;
      rv: number | null;
      result: Buffer | null;
      mv: number | null;
      progress_msg: Buffer | null;
    }>) {
      checked++;
      if (!this.vault.tryOpen('jobs.payload', r.id, r.payload, r.pv)) bad.push({ table: 'jobs.payload', id: r.id });
      if (r.result && r.rv != null && (checked++, !this.vault.tryOpen('jobs.result', r.id, r.result, r.rv))) bad.push({ table: 'jobs.result', id: r.id });
      if (r.progress_msg && r.mv != null && (checked++, !this.vault.tryOpen('jobs.progress', r.id, r.progress_msg, r.mv)))
        bad.push({ table: 'jobs.progress', id: r.id });
    }
    for (const r of this.vault.db.prepare('SELECT id, v, body FROM job_logs').iterate() as Iterable<{ id: string; v: number; body: Buffer }>) {
      checked++;
      if (!this.vault.tryOpen('job_logs', r.id, r.body, r.v)) bad.push({ table: 'job_logs', id: r.id });
    }
    return { checked, bad };
  }

  private stmt(sql: string): Statement {
    let st = this.#stmts.get(sql);
    if (!st) {
      st = this.vault.db.prepare(sql);
      this.#stmts.set(sql, st);
    }
    return st;
  }

  private decode(r: JobRow): Job {
    const job: Job = {
      id: r.id,
      kind: r.kind,
      inference: r.inference === 1,
      schedule: JSON.parse(r.schedule) as Schedule,
      state: r.state,
      attempts: r.attempts,
      maxAttempts: r.max_attempts,
      timeoutMs: r.timeout_ms,
      nextRun: r.next_run,
      runs: r.runs,
      leaseOwner: r.lease_owner,
      leaseExpires: r.lease_expires,
      progress: r.progress,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      payload: this.vault.openJson('jobs.payload', r.id, r.payload, r.pv),
    };
    if (r.result && r.rv != null) job.lastResult = this.vault.openJson<JobResult>('jobs.result', r.id, r.result, r.rv);
    if (r.progress_msg && r.mv != null) job.progressMessage = this.vault.openJson<string>('jobs.progress', r.id, r.progress_msg, r.mv);
    return job;
  }
}

// ---- helpers -------------------------------------------------------------------------

/** The due query. Its shape must match the partial index's WHERE (state = 'queued'). */
const DUE_SQL = "SELECT id, kind, inference, next_run FROM jobs WHERE state = 'queued' AND next_run <= ? ORDER BY next_run LIMIT ?";

interface JobRow {
  id: string;
  kind: string;
  inference: number;
  schedule: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  timeout_ms: number | null;
  next_run: number | null;
  slot: number | null;
  runs: number;
  lease_owner: string | null;
  lease_expires: number | null;
  progress: number | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  pv: number;
  payload: Buffer;
  rv: number | null;
  result: Buffer | null;
  mv: number | null;
  progress_msg: Buffer | null;
}
