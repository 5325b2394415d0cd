import { createHash } from 'node:crypto';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultError, openVault, vaultExists, dataDir, defaultVaultPath, hasArgon2 } from '../../src/assistant/vault/index.js';
import { PASS, tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function dbPath(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return join(t.dir, 'sub', 'vault.db');
}
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('paths', () => {
  it('LOCALGPT_HOME overrides, then XDG_DATA_HOME, then ~/.local/share', () => {
    expect(dataDir({ LOCALGPT_HOME: '/x/y' })).toBe('/x/y');
    expect(dataDir({ XDG_DATA_HOME: '/data' })).toBe('/data/localgpt');
    expect(dataDir({ HOME: '/h' })).toMatch(/\.local\/share\/localgpt$/);
    expect(defaultVaultPath({ LOCALGPT_HOME: '/x' })).toBe('/x/vault.db');
  });
});

describe('vault', () => {
  it('creates a private database, seals and opens records, reopens with the passphrase', async () => {
    const path = dbPath();
    const v = await openVault({ path, passphrase: PASS, kdf: 'min' });
    expect(hasArgon2()).toBe(true);
    expect(v.kdfParams().alg).toBe('argon2id13');
    const sealed = v.sealJson('t', 'id1', { hello: 'world' });
    expect(v.openJson('t', 'id1', sealed)).toEqual({ hello: 'world' });
    // Bound to table, id and version: moved or relabelled records do not open.
    expect(v.tryOpen('t', 'id2', sealed)).toBeUndefined();
    expect(v.tryOpen('u', 'id1', sealed)).toBeUndefined();
    expect(v.tryOpen('t', 'id1', sealed, 2)).toBeUndefined();
    expect(() => v.open('t', 'id2', sealed)).toThrow(VaultError);
    v.db.exec('CREATE TABLE IF NOT EXISTS x (id TEXT PRIMARY KEY, body BLOB)');
    v.db.prepare('INSERT INTO x VALUES (?, ?)').run('a', v.sealJson('x', 'a', 42));
    for (const p of [path, `${path}-wal`, `${path}-shm`]) {
      if (existsSync(p)) expect(statSync(p).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    v.lock();
    expect(v.locked).toBe(true);
    expect(() => v.seal('t', 'a', new Uint8Array(1))).toThrow(/locked/);
    expect(vaultExists(path)).toBe(true);
    const v2 = await openVault({ path, passphrase: PASS, create: false });
    const row = v2.db.prepare('SELECT body FROM x WHERE id = ?').get('a') as { body: Buffer };
    expect(v2.openJson('x', 'a', row.body)).toBe(42);
    v2.close();
  });

  it('wrong passphrase: one clear error and the database byte-for-byte unchanged', async () => {
    const path = dbPath();
    (await openVault({ path, passphrase: PASS, kdf: 'min' })).close();
    const before = sha(path);
    const err = await openVault({ path, passphrase: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultError);
    expect((err as VaultError).code).toBe('WRONG_PASSPHRASE');
    expect(sha(path)).toBe(before);
  });

  it('NOT_FOUND without create, ALREADY_EXISTS with mustCreate', async () => {
    const path = dbPath();
    await expect(openVault({ path, passphrase: PASS, create: false })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    (await openVault({ path, passphrase: PASS, kdf: 'min', mustCreate: true })).close();
    await expect(openVault({ path, passphrase: PASS, mustCreate: true })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('passwd rewraps the data key without re-encrypting records', async () => {
    const path = dbPath();
    const v = await openVault({ path, passphrase: PASS, kdf: 'min' });
    v.db.exec('CREATE TABLE x (id TEXT PRIMARY KEY, body BLOB)');
    const body = v.sealJson('x', 'a', 'kept');
    v.db.prepare('INSERT INTO x VALUES (?, ?)').run('a', body);
    v.changePassphrase('new one', 'min');
    v.close();
    await expect(openVault({ path, passphrase: PASS })).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
    const v2 = await openVault({ path, passphrase: 'new one' });
    const row = v2.db.prepare('SELECT body FROM x').get() as { body: Buffer };
    expect(Buffer.compare(row.body, body)).toBe(0); // same ciphertext: not re-encrypted
    expect(v2.openJson('x', 'a', row.body)).toBe('kept');
    v2.close();
  });

  it('blind ids are deterministic per vault and reveal nothing', async () => {
    const path = dbPath();
    const v = await openVault({ path, passphrase: PASS, kdf: 'min' });
    expect(v.blindId('ws', 'SOUL.md')).toBe(v.blindId('ws', 'SOUL.md'));
    expect(v.blindId('ws', 'SOUL.md')).not.toBe(v.blindId('ws', 'USER.md'));
    expect(v.blindId('ws', 'SOUL.md')).not.toContain('SOUL');
    expect(v.newId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // never a leading '-' (it would read as an option on a command line); 1 in 64 did before
    for (let i = 0; i < 2000; i++) expect(v.newId()[0]).not.toBe('-');
    v.close();
  });
});

describe('passphrase sources', () => {
  it('explicit, then --passphrase-file, then LOCALGPT_PASSPHRASE, then prompt', async () => {
    const { resolvePassphrase } = await import('../../src/assistant/vault/index.js');
    const t = tempDir();
    cleanups.push(t.cleanup);
    const { writeFileSync } = await import('node:fs');
    const file = join(t.dir, 'pw');
    writeFileSync(file, 'from file\n');
    const env = { LOCALGPT_PASSPHRASE: 'from env' };
    expect(await resolvePassphrase({ passphrase: 'given', passphraseFile: file, env })).toBe('given');
    expect(await resolvePassphrase({ passphraseFile: file, env })).toBe('from file');
    expect(await resolvePassphrase({ env })).toBe('from env');
    expect(await resolvePassphrase({ env: {}, prompt: async () => 'typed' })).toBe('typed');
    await expect(resolvePassphrase({ env: {}, prompt: false })).rejects.toMatchObject({ code: 'NO_PASSPHRASE' });
  });
});
