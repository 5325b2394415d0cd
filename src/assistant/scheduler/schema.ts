import type { TrackedTable } from '../vault/ledger.js';
import type { SchemaModule } from '../vault/schema.js';

/**
 * Under replay protection: a job's sealed payload and result, and its log lines. The clear
 * scheduling columns are not (the runner must read them before unlocking anything sealed).
 */
const TRACKED: Record<string, TrackedTable> = {
  jobs: { key: 'id', cols: ['payload', 'result'] },
  job_logs: { key: 'id', cols: ['body'] },
};

/**
 * The scheduler's tables, added through the vault's migration mechanism.
 *
 * Clear columns hold only what the runner must read to decide what to run: kind, schedule
 * (times, an interval or a cron expression), state, counters, timestamps and the lease.
 * Everything that can carry user content is sealed: the payload (a prompt, a URL), the
 * last result (an answer, an error message that may quote a path), the progress message
 * and every log line. Append new migrations at the end; never edit a shipped one.
 */
export const SCHEDULER_SCHEMA: SchemaModule = {
  name: 'scheduler',
  tracked: TRACKED,
  migrations: [
    {
      to: 1,
      description: 'jobs (clear schedule and lease, sealed payload/result) and sealed job logs',
      up(db) {
        db.exec(`
          CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            inference INTEGER NOT NULL DEFAULT 0,
            schedule TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            timeout_ms INTEGER,
            next_run INTEGER,
            slot INTEGER,
            runs INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT,
            lease_expires INTEGER,
            progress REAL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            started_at INTEGER,
            finished_at INTEGER,
            pv INTEGER NOT NULL,
            payload BLOB NOT NULL,
            rv INTEGER,
            result BLOB,
            mv INTEGER,
            progress_msg BLOB
          ) STRICT;
          -- Partial indexes: the due-job query and lease recovery touch only the rows they
          -- need, so 10k finished or far-future jobs cost nothing at CLI start.
          CREATE INDEX jobs_due ON jobs (next_run) WHERE state = 'queued';
          CREATE INDEX jobs_running ON jobs (lease_expires) WHERE state = 'running';
          CREATE TABLE job_logs (
            id TEXT PRIMARY KEY,
            job_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            v INTEGER NOT NULL,
            body BLOB NOT NULL
          ) STRICT;
          CREATE INDEX job_logs_by_job ON job_logs (job_id, at);
        `);
      },
    },
    {
      to: 2,
      description: 'replay protection: job payloads, results and logs tracked by the vault ledger',
      up(_db, ctx) {
        ctx.track(TRACKED);
      },
    },
  ],
};
