/**
 * Scheduler benchmark: does a big job table slow the CLI's start? Measures, at each size of
 * queued future jobs (plus finished ones), the cost of what the CLI does at start: open the
 * scheduler, recover leases, select and run the due jobs (a handful of no-op jobs).
 *
 *   npx tsx bench/scheduler.bench.ts [--sizes 0,10000,100000] [--json]
 *
 * Target (issue 6): 10k scheduled jobs add no noticeable time (the due query reads the
 * partial index jobs_due, never the table).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scheduler } from '../src/assistant/scheduler/index.js';
import { openVault } from '../src/assistant/vault/index.js';

const args = process.argv.slice(2);
const i = args.indexOf('--sizes');
const sizes = (i >= 0 ? args[i + 1] : '0,10000,100000').split(',').map(Number);
const asJson = args.includes('--json');
const results: Record<string, { runDueMs: number; dueQueryUs: number; statusMs: number }> = {};
const kinds = { noop: { name: 'noop', run: async () => null } };

for (const n of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'lgpt-sched-bench-'));
  try {
    const vault = await openVault({ path: join(dir, 'vault.db'), passphrase: 'bench', kdf: 'min' });
    const s = new Scheduler({ vault, kinds });
    const now = Date.now();
    const ins = vault.db.prepare(
      `INSERT INTO jobs (id, kind, inference, schedule, state, max_attempts, next_run, created_at, updated_at, pv, payload)
       VALUES (?, 'noop', 0, '{"type":"once","at":0}', ?, 3, ?, 0, 0, 1, ?)`,
    );
    vault.write(() => {
      for (let k = 0; k < n; k++) {
        const id = `j${k}`;
        const done = k % 2 === 1; // half finished, half queued in the future
        ins.run(id, done ? 'succeeded' : 'queued', done ? null : now + 3_600_000 + k, vault.sealJson('jobs.payload', id, null));
      }
    });
    for (let k = 0; k < 5; k++) s.add({ kind: 'noop' });
    const t0 = performance.now();
    await s.runDueJobs();
    const runDueMs = performance.now() - t0;
    const reps = 2000;
    const t1 = performance.now();
    for (let k = 0; k < reps; k++) s.store.due(Date.now(), 100);
    const dueQueryUs = ((performance.now() - t1) / reps) * 1000;
    const t2 = performance.now();
    s.status();
    const statusMs = performance.now() - t2;
    results[String(n)] = { runDueMs: +runDueMs.toFixed(2), dueQueryUs: +dueQueryUs.toFixed(2), statusMs: +statusMs.toFixed(2) };
    vault.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (asJson) console.log(JSON.stringify(results));
else {
  console.log('jobs      runDueJobs (5 due)   due query   status()');
  for (const [n, r] of Object.entries(results))
    console.log(`${n.padStart(7)}   ${r.runDueMs.toFixed(2).padStart(9)} ms   ${r.dueQueryUs.toFixed(1).padStart(7)} us   ${r.statusMs.toFixed(2).padStart(7)} ms`);
}
