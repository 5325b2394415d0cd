import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEDULER_SCHEMA } from '../../../src/assistant/scheduler/schema.js';
import { JobStore } from '../../../src/assistant/scheduler/store.js';
import { VAULT_SCHEMA, latestVersion, openVault } from '../../../src/assistant/vault/index.js';
import { PASS } from '../helpers.js';
import { dir } from './helpers.js';

describe('scheduler schema migrations', () => {
  const latest = latestVersion(SCHEDULER_SCHEMA);

  it('has consecutive versions', () => {
    expect(SCHEDULER_SCHEMA.migrations.map((m) => m.to)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
  });

  for (let k = 1; k < latest; k++) {
    it(`upgrades jobs and logs left at scheduler schema v${k} to v${latest}; the ledger starts from them`, async () => {
      const path = join(dir(), 'vault.db');
      // A vault from before the ledger: vault schema v1, as that code left it.
      const old = await openVault({ path, passphrase: PASS, kdf: 'min', modules: [SCHEDULER_SCHEMA], migrateTo: { scheduler: k, vault: 1 } });
      const store = new JobStore(old);
      store.insert({ id: 'j1', kind: 'prompt', inference: true, schedule: { type: 'once', at: 0 }, maxAttempts: 1, timeoutMs: null, nextRun: 0, payload: { prompt: 'summarise my week' }, now: 0 });
      store.appendLog('j1', 1, 'started');
      old.close();

      const v = await openVault({ path, passphrase: PASS, modules: [SCHEDULER_SCHEMA] });
      try {
        expect(v.versions()).toMatchObject({ vault: latestVersion(VAULT_SCHEMA), scheduler: latest });
        const upgraded = new JobStore(v);
        expect(upgraded.get('j1')?.payload).toEqual({ prompt: 'summarise my week' });
        expect(upgraded.logs('j1').map((l) => l.line)).toEqual(['started']);
        expect(v.verifyLedger()).toEqual([]);
        upgraded.appendLog('j1', 2, 'done');
        expect(v.verifyLedger()).toEqual([]);
      } finally {
        v.close();
      }
      // From now on the job tables are tracked: a log line removed behind the vault's back shows.
      const raw = new Database(path);
      raw.function('lg_tag', { varargs: true }, () => null);
      raw.function('lg_ledger', { varargs: true }, (state: unknown) => state);
      raw.prepare("DELETE FROM job_logs WHERE rowid = (SELECT MIN(rowid) FROM job_logs)").run();
      raw.close();
      const again = await openVault({ path, passphrase: PASS, modules: [SCHEDULER_SCHEMA] });
      try {
        expect(again.verifyLedger()).toEqual([{ table: 'job_logs', reason: expect.stringMatching(/1 record\(s\) removed/) }]);
      } finally {
        again.close();
      }
    });
  }
});
