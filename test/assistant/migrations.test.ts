import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MEMORY_SCHEMA, Memory } from '../../src/assistant/memory/index.js';
import { type SchemaModule, type Vault, VAULT_SCHEMA, latestVersion, openVault, registerSchemaModule } from '../../src/assistant/vault/index.js';
import { PASS, tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function dbPath(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return join(t.dir, 'vault.db');
}

/** Write data the way the code of memory schema version `k` would have. */
function seedAt(v: Vault, k: number): void {
  if (k >= 1) {
    v.db.prepare('INSERT INTO memories (id, v, body) VALUES (?, 1, ?)').run(
      'old-fact',
      v.sealJson('memories', 'old-fact', { id: 'old-fact', kind: 'fact', text: 'legacy fact about herons', tags: [], createdAt: '2024-01-01T00:00:00.000Z' }),
    );
    v.db.prepare('INSERT INTO sessions (id, v, body) VALUES (?, 1, ?)').run('s1', v.sealJson('sessions', 's1', { id: 's1', createdAt: '2024-01-01T00:00:00.000Z' }));
    v.db.prepare('INSERT INTO messages (id, session_id, seq, v, body) VALUES (?, ?, 1, 1, ?)').run(
      'm1',
      's1',
      v.sealJson('messages', 's1/1/m1', { id: 'm1', sessionId: 's1', seq: 1, role: 'user', content: 'hi', at: '2024-01-01T00:00:00.000Z' }),
    );
  }
}

describe('migrations', () => {
  const latest = latestVersion(MEMORY_SCHEMA);

  it('the memory schema has consecutive versions', () => {
    expect(MEMORY_SCHEMA.migrations.map((m) => m.to)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
  });

  for (let k = 0; k < latest; k++) {
    it(`upgrades a vault left at memory schema v${k} to v${latest}, keeping its data`, async () => {
      const path = dbPath();
      const old = await openVault({ path, passphrase: PASS, kdf: 'min', modules: [MEMORY_SCHEMA], migrateTo: { memory: k, vault: k < 4 ? 1 : latestVersion(VAULT_SCHEMA) } });
      expect(old.versions().memory ?? 0).toBe(k);
      // Vaults from before the ledger (memory v4) had vault schema v1.
      seedAt(old, k);
      old.close();

      const mem = await Memory.open({ path, passphrase: PASS });
      try {
        expect(mem.vault.versions()).toMatchObject({ vault: latestVersion(VAULT_SCHEMA), memory: latest });
        if (k >= 1) {
          expect(mem.facts.get('old-fact')?.text).toBe('legacy fact about herons');
          expect(mem.conversations.messages('s1').map((m) => m.content)).toEqual(['hi']);
          expect((await mem.search('herons'))[0].meta.id).toBe('old-fact');
        }
        // Everything the latest schema offers works on the upgraded database.
        const s = mem.conversations.create();
        mem.conversations.append(s.id, { role: 'user', content: 'new' });
        mem.facts.add({ text: 'new fact' });
        const key = { modelFingerprint: 'm', backendLayout: 'l', version: 1 };
        mem.saveCheckpoint(s.id, { ...key, position: 1, data: new Uint8Array([7]) });
        expect(mem.loadCheckpoint(s.id, key)?.data).toEqual(new Uint8Array([7]));
        await mem.search('new', { embed: async (t) => t.map(() => new Float32Array([1])) });
        expect(mem.corrupt).toEqual([]);
      } finally {
        mem.close();
      }
    });
  }

  it('other modules register their own migrations on the same database', async () => {
    const path = dbPath();
    const jobsV1: SchemaModule = {
      name: 'test-jobs',
      migrations: [{ to: 1, description: 'jobs', up: (db) => db.exec('CREATE TABLE test_jobs (id TEXT PRIMARY KEY, v INTEGER, body BLOB)') }],
    };
    registerSchemaModule(jobsV1);
    const mem = await Memory.open({ path, passphrase: PASS, kdf: 'min' });
    expect(mem.vault.versions()['test-jobs']).toBe(1);
    // Re-registering with a second migration upgrades it next time it is applied.
    const jobsV2: SchemaModule = {
      name: 'test-jobs',
      migrations: [
        ...jobsV1.migrations,
        {
          to: 2,
          description: 'reseal bodies as version 2',
          up: (db, ctx) => {
            db.exec("INSERT INTO test_jobs VALUES ('j', 1, NULL)");
            db.prepare("UPDATE test_jobs SET v = 2, body = ? WHERE id = 'j'").run(ctx.seal('test_jobs', 'j', new Uint8Array([1]), 2));
          },
        },
      ],
    };
    mem.vault.migrate(jobsV2);
    const row = mem.vault.db.prepare("SELECT v, body FROM test_jobs WHERE id = 'j'").get() as { v: number; body: Buffer };
    expect(mem.vault.open('test_jobs', 'j', row.body, row.v)).toEqual(new Uint8Array([1]));
    mem.close();
    registerSchemaModule({ name: 'test-jobs', migrations: [] }); // this code "knows" v0 only now
    await expect(Memory.open({ path, passphrase: PASS })).rejects.toMatchObject({ code: 'NEWER_SCHEMA' });
    registerSchemaModule(jobsV2);
    expect(() => registerSchemaModule({ name: 'gap', migrations: [{ to: 2, description: '', up: () => {} }] })).toThrow();
  });
});
