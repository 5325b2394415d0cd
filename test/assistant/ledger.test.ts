import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Memory } from '../../src/assistant/memory/index.js';
import { isVaultError } from '../../src/assistant/vault/errors.js';
import { PASS, memoryFixtures } from './helpers.js';

// Replay protection (src/assistant/vault/ledger.ts): an attacker with the database file but not
// the passphrase puts back older, validly sealed rows, deletes rows, or resurrects forgotten ones.

const { open, fresh } = memoryFixtures();

async function reopen(path: string): Promise<Memory> {
  const mem = await Memory.open({ path, passphrase: PASS });
  open.push(mem);
  return mem;
}

/**
 * The attacker's own connection: no key, so the triggers' functions are stand-ins that leave
 * the ledger as it was (what anyone without the key can at best do to it).
 */
function tamper(path: string, fn: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    db.function('lg_tag', { varargs: true }, () => null);
    db.function('lg_ledger', { varargs: true }, (state: unknown) => state);
    fn(db);
  } finally {
    db.close();
  }
}

type Row = { id: string; v: number; body: Buffer };
const row = (db: Database.Database, table: string, id: string) => db.prepare(`SELECT id, v, body FROM ${table} WHERE id = ?`).get(id) as Row;

describe('vault ledger: replay protection', () => {
  it('legitimate writes of every kind leave the ledger matching', async () => {
    const { mem, path } = await fresh();
    const f = mem.facts.add({ text: 'kept' });
    mem.facts.forget(mem.facts.add({ text: 'gone' }).id);
    mem.preferences.set({ tone: 'warm' });
    mem.preferences.set({ tone: 'dry' });
    const s = mem.conversations.create({ title: 't' });
    mem.conversations.append(s.id, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' });
    mem.conversations.setTitle(s.id, 'renamed');
    mem.logs.append('a log line');
    const key = { modelFingerprint: 'm', backendLayout: 'l', version: 1 };
    mem.saveCheckpoint(s.id, { ...key, position: 3, data: new Uint8Array(100).fill(1) });
    mem.saveCheckpoint(s.id, { ...key, position: 4, data: new Uint8Array(100).fill(2) });
    expect(mem.vault.verifyLedger()).toEqual([]);
    mem.close();
    open.pop();
    const again = await reopen(path);
    expect(again.corrupt).toEqual([]);
    expect(again.facts.get(f.id)?.text).toBe('kept');
  });

  it('an older copy of a record put back is reported; the record still reads; accept clears it', async () => {
    const { mem, path } = await fresh();
    mem.preferences.set({ tone: 'warm' });
    const old = row(mem.vault.db, 'preferences', mem.vault.db.prepare('SELECT id FROM preferences').pluck().get() as string);
    mem.preferences.set({ tone: 'dry' });
    mem.close();
    open.pop();
    tamper(path, (db) => db.prepare('UPDATE preferences SET body = ? WHERE id = ?').run(old.body, old.id));

    const again = await reopen(path);
    expect(again.corrupt).toEqual([{ table: 'preferences', id: '*', reason: expect.stringMatching(/older copy/) }]);
    // The seal itself is valid: the replayed value reads (flagged, not hidden).
    expect(again.preferences.get().tone).toBe('warm');
    again.vault.acceptLedger();
    expect(again.vault.verifyLedger()).toEqual([]);
  });

  it('a forgotten fact put back, and a deleted message, are reported', async () => {
    const { mem, path } = await fresh();
    const secret = mem.facts.add({ text: 'forget me' });
    const keep = mem.facts.add({ text: 'keep me' });
    const saved = row(mem.vault.db, 'memories', secret.id);
    mem.facts.forget(secret.id);
    const s = mem.conversations.create();
    const [m1] = mem.conversations.append(s.id, { role: 'user', content: 'one' }, { role: 'assistant', content: 'two' });
    mem.close();
    open.pop();
    tamper(path, (db) => {
      db.prepare('INSERT INTO memories (id, v, body) VALUES (?, ?, ?)').run(saved.id, saved.v, saved.body);
      db.prepare('DELETE FROM messages WHERE id = ?').run(m1.id);
    });

    const again = await reopen(path);
    const byTable = Object.fromEntries(again.corrupt.map((c) => [c.table, c.reason]));
    expect(byTable.memories).toMatch(/1 record\(s\) added outside LocalGPT/);
    expect(byTable.messages).toMatch(/1 record\(s\) removed outside LocalGPT/);
    expect(again.facts.get(keep.id)?.text).toBe('keep me');
  });

  it('a replayed checkpoint header is reported', async () => {
    const { mem, path } = await fresh();
    const s = mem.conversations.create();
    const key = { modelFingerprint: 'm', backendLayout: 'l', version: 1 };
    mem.saveCheckpoint(s.id, { ...key, position: 3, data: new Uint8Array([1, 2, 3]) });
    const oldHeader = mem.vault.db.prepare('SELECT body FROM checkpoints WHERE session_id = ?').pluck().get(s.id) as Buffer;
    mem.saveCheckpoint(s.id, { ...key, position: 4, data: new Uint8Array([1, 2, 3, 4]) });
    mem.close();
    open.pop();
    tamper(path, (db) => db.prepare('UPDATE checkpoints SET body = ? WHERE session_id = ?').run(oldHeader, s.id));
    const again = await reopen(path);
    expect(again.corrupt.map((c) => c.table)).toContain('checkpoints');
    // Its chunks belong to another generation, so the old header cannot load the new cache.
    expect(again.loadCheckpoint(s.id, key)).toBeUndefined();
  });

  it('a damaged ledger: reported on open, writes refused with a clear error, accept repairs it', async () => {
    const { mem, path } = await fresh();
    mem.facts.add({ text: 'a' });
    mem.close();
    open.pop();
    tamper(path, (db) => {
      const state = db.prepare('SELECT state FROM vault_ledger').pluck().get() as Buffer;
      state[5] ^= 1;
      db.prepare('UPDATE vault_ledger SET state = ?').run(state);
    });
    const again = await reopen(path);
    expect(again.corrupt).toEqual([{ table: 'vault_ledger', id: '*', reason: expect.stringMatching(/failed authentication/) }]);
    expect(() => again.facts.add({ text: 'b' })).toThrow(/vault ledger failed authentication/);
    again.vault.acceptLedger();
    again.facts.add({ text: 'b' });
    expect(again.vault.verifyLedger()).toEqual([]);
    expect(again.facts.list().map((f) => f.text)).toEqual(['a', 'b']);
  });

  it('a deleted ledger or dropped triggers are reported and restored by accept', async () => {
    const { mem, path } = await fresh();
    mem.facts.add({ text: 'a' });
    mem.close();
    open.pop();
    tamper(path, (db) => db.exec('DROP TRIGGER lg_ledger_memories_upd'));
    let again = await reopen(path);
    expect(again.corrupt).toEqual([{ table: 'memories', id: '*', reason: expect.stringMatching(/triggers were removed/) }]);
    again.vault.acceptLedger();
    expect(again.vault.verifyLedger()).toEqual([]);
    again.close();
    open.pop();

    tamper(path, (db) => db.exec('DELETE FROM vault_ledger'));
    again = await reopen(path);
    expect(again.corrupt).toEqual([{ table: 'vault_ledger', id: '*', reason: expect.stringMatching(/missing/) }]);
    expect(() => again.facts.add({ text: 'b' })).toThrow(/vault ledger is missing/);
    // ... as the vault's own error, whose code the CLI maps to its hint
    let thrown: unknown;
    try {
      again.facts.add({ text: 'b' });
    } catch (e) {
      thrown = e;
    }
    expect(isVaultError(thrown, 'LEDGER')).toBe(true);
    again.vault.acceptLedger();
    again.facts.add({ text: 'b' });
    expect(again.vault.verifyLedger()).toEqual([]);
  });

  it('a connection without the key cannot write a tracked table unnoticed', async () => {
    const { mem, path } = await fresh();
    mem.facts.add({ text: 'a' });
    mem.close();
    open.pop();
    const db = new Database(path);
    try {
      expect(() => db.prepare('DELETE FROM memories').run()).toThrow(/no such function: lg_/);
    } finally {
      db.close();
    }
  });
});
