import type Database from 'better-sqlite3';
import { sodium } from './crypto.js';
import { VaultError } from './errors.js';

/**
 * Replay protection. A record's associated data binds it to its table, id and version, which
 * stops swapping rows but not putting back an older copy of the same row, deleting a row, or
 * re-inserting a forgotten one: each of those is a validly sealed blob in its own place.
 *
 * The ledger is one MAC'd row (`vault_ledger`) holding, per tracked table, the XOR of a keyed
 * tag of every live row and the row count. A row's tag is keyed BLAKE2b over its table, its key
 * and the nonce of each sealed column: the nonce names one sealing, so an older copy has
 * another, and other bytes under the same nonce fail authentication when read. SQL
 * triggers keep it current inside the same statement as every insert, update and delete, so
 * no code path (and no other process) can write a tracked table without moving the ledger;
 * the XOR makes each update O(1). Verification recomputes the digests from the rows: an older
 * copy, a removed row or a resurrected one changes them, and without the key nobody can
 * compute the matching ledger. What it cannot see is a rollback of the whole database file
 * to an earlier copy (ledger included): that needs state kept outside the file.
 */
/**
 * What a tracked write fails with when the ledger row is gone (raised by the tables' triggers, so
 * it is stored in every vault's schema: keep the text). Vault.write turns it into VaultError('LEDGER').
 */
export const LEDGER_MISSING = 'the vault ledger is missing: run localgpt memory verify';

export interface TrackedTable {
  /** The column (or expression over the row) that identifies a record. */
  key: string;
  /** The sealed columns (nonce first, as sealBytes writes them) whose nonces the tag covers. */
  cols: string[];
}

export interface LedgerProblem {
  table: string;
  reason: string;
}

export class Ledger {
  readonly #db: Database.Database;
  #key: Uint8Array | undefined;
  /**
   * The state this connection last wrote or checked: re-reading the same bytes needs no MAC
   * check or parse. Whoever mutates a state clears it first (see apply()).
   */
  #last: { bytes: Buffer; state: LedgerState } | undefined;
  readonly #scratch = Buffer.alloc(256);

  constructor(db: Database.Database, key: Uint8Array) {
    this.#db = db;
    this.#key = key;
    // The SQL functions the triggers call. Registered on every connection the vault opens;
    // a connection without them (another tool) cannot write a tracked table at all.
    db.function('lg_tag', { varargs: true, deterministic: true }, (...args: unknown[]) => this.tag(args));
    db.function('lg_ledger', { varargs: true }, (state: unknown, table: unknown, removed: unknown, added: unknown) =>
      this.apply(state, String(table), removed, added),
    );
    // INSERT OR REPLACE deletes the old row without firing DELETE triggers unless this is on.
    db.pragma('recursive_triggers = ON');
  }

  /** Wipe the key: later writes to tracked tables fail with LOCKED. */
  wipe(): void {
    this.#key?.fill(0);
    this.#key = undefined;
    this.#last = undefined;
  }

  /** Create the empty ledger (the vault's schema migration 2). */
  create(): void {
    this.#db.exec('CREATE TABLE vault_ledger (id INTEGER PRIMARY KEY CHECK (id = 1), state BLOB NOT NULL) STRICT');
    this.#db.prepare('INSERT INTO vault_ledger (id, state) VALUES (1, ?)').run(this.encode({ v: 1, tables: {} }));
  }

  /**
   * Start tracking tables (a module's migration): triggers on insert, update of the key or
   * sealed columns, and delete, and a digest of the rows already there.
   */
  track(specs: Record<string, TrackedTable>): void {
    const state = this.read();
    this.#last = undefined;
    for (const [table, spec] of Object.entries(specs)) {
      this.createTriggers(table, spec);
      state.tables[table] = { key: spec.key, cols: spec.cols, ...this.digest(table, spec) };
    }
    this.write(state);
  }

  /**
   * Recompute every tracked table's digest from its rows (one read snapshot) and compare with
   * the ledger. Empty when everything matches.
   */
  verify(): LedgerProblem[] {
    return this.#db.transaction((): LedgerProblem[] => {
      let state: LedgerState;
      try {
        state = this.read();
      } catch (e) {
        return [{ table: 'vault_ledger', reason: (e as Error).message }];
      }
      const problems: LedgerProblem[] = [];
      for (const [table, t] of Object.entries(state.tables)) {
        if (!this.hasTriggers(table)) {
          problems.push({ table, reason: 'its ledger triggers were removed: changes to it are no longer tracked' });
        }
        const now = this.digest(table, t);
        if (now.n !== t.n) {
          const what = now.n > t.n ? 'added' : 'removed';
          problems.push({ table, reason: `${Math.abs(now.n - t.n)} record(s) ${what} outside LocalGPT (the vault ledger counts ${t.n}, the table holds ${now.n})` });
        } else if (now.d !== t.d) {
          problems.push({ table, reason: 'a record was replaced by an older copy or altered outside LocalGPT (it does not match the vault ledger)' });
        }
      }
      return problems;
    })();
  }

  /**
   * Accept the tables as they are now: recreate what was removed (the ledger, triggers) and
   * re-baseline every digest. For after the user has looked at what verify() reported.
   * `specs` are the tables the schema modules track, in case the ledger itself is unreadable.
   */
  accept(specs: Record<string, TrackedTable>): void {
    this.#db.transaction(() => {
      let known: Record<string, TrackedTable> = {};
      try {
        known = this.tables();
      } catch {
        // Damaged or missing: rebuilt from the modules' specs below.
      }
      const state: LedgerState = { v: 1, tables: {} };
      for (const [table, spec] of Object.entries({ ...known, ...specs })) {
        if (!this.hasTriggers(table)) {
          for (const kind of TRIGGERS) this.#db.exec(`DROP TRIGGER IF EXISTS ${triggerName(table, kind)}`);
          this.createTriggers(table, spec);
        }
        state.tables[table] = { key: spec.key, cols: spec.cols, ...this.digest(table, spec) };
      }
      this.#db.exec('CREATE TABLE IF NOT EXISTS vault_ledger (id INTEGER PRIMARY KEY CHECK (id = 1), state BLOB NOT NULL) STRICT');
      this.#db
        .prepare('INSERT INTO vault_ledger (id, state) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state')
        .run(this.encode(state));
    }).immediate();
  }

  /** The tracked tables and how each is keyed (from the MAC'd state). */
  tables(): Record<string, TrackedTable> {
    const out: Record<string, TrackedTable> = {};
    for (const [name, t] of Object.entries(this.read().tables)) out[name] = { key: t.key, cols: t.cols };
    return out;
  }

  // ---- the SQL functions ---------------------------------------------------------------

  private tag(args: unknown[]): Buffer {
    // Framed into one scratch buffer (flag, length, bytes per argument, so boundaries cannot
    // shift and NULL differs from empty): one hash call per row, no allocations but the result.
    let buf = this.#scratch;
    let o = 0;
    for (const a of args) {
      const bytes = a === null || a === undefined ? undefined : Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8');
      const need = o + 5 + (bytes?.length ?? 0);
      if (need > buf.length) buf = Buffer.concat([buf.subarray(0, o), Buffer.alloc(need)]);
      buf[o] = bytes ? 1 : 0;
      buf.writeUInt32LE(bytes?.length ?? 0, o + 1);
      if (bytes) buf.set(bytes, o + 5);
      o = need;
    }
    return Buffer.from(sodium().crypto_generichash(MAC_BYTES, buf.subarray(0, o), this.key()));
  }

  private apply(stateBytes: unknown, table: string, removed: unknown, added: unknown): Buffer {
    const state = this.decode(stateBytes);
    this.#last = undefined;
    const t = state.tables[table];
    if (!t) throw new VaultError('LEDGER', `the vault ledger does not track ${table}`);
    const d = Buffer.from(t.d, 'hex');
    if (Buffer.isBuffer(removed)) {
      xorInto(d, removed);
      t.n -= 1;
    }
    if (Buffer.isBuffer(added)) {
      xorInto(d, added);
      t.n += 1;
    }
    t.d = d.toString('hex');
    return this.encode(state);
  }

  // ---- state ----------------------------------------------------------------------------

  private read(): LedgerState {
    const has = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'vault_ledger'").get();
    if (!has) throw new VaultError('LEDGER', 'the vault ledger is missing');
    const row = this.#db.prepare('SELECT state FROM vault_ledger WHERE id = 1').get() as { state: Buffer } | undefined;
    if (!row) throw new VaultError('LEDGER', 'the vault ledger is missing');
    return this.decode(row.state);
  }

  private write(state: LedgerState): void {
    this.#db.prepare('UPDATE vault_ledger SET state = ? WHERE id = 1').run(this.encode(state));
  }

  private createTriggers(table: string, spec: TrackedTable): void {
    assertIdentifier(table);
    const cols = [spec.key, ...spec.cols];
    cols.forEach(assertIdentifier);
    const tag = (row: 'NEW' | 'OLD') =>
      `lg_tag('${table}', ${row}.${spec.key}, ${spec.cols.map((c) => `substr(${row}.${c}, 1, ${NONCE_BYTES})`).join(', ')})`;
    // The RAISE keeps a write from going untracked when the ledger row was deleted.
    const update = (removed: string, added: string) =>
      `SELECT RAISE(ABORT, '${LEDGER_MISSING}') WHERE NOT EXISTS (SELECT 1 FROM vault_ledger WHERE id = 1);
       UPDATE vault_ledger SET state = lg_ledger(state, '${table}', ${removed}, ${added}) WHERE id = 1;`;
    this.#db.exec(`
      CREATE TRIGGER ${triggerName(table, 'ins')} AFTER INSERT ON ${table} BEGIN ${update('NULL', tag('NEW'))} END;
      CREATE TRIGGER ${triggerName(table, 'upd')} AFTER UPDATE OF ${cols.join(', ')} ON ${table} BEGIN ${update(tag('OLD'), tag('NEW'))} END;
      CREATE TRIGGER ${triggerName(table, 'del')} AFTER DELETE ON ${table} BEGIN ${update(tag('OLD'), 'NULL')} END;
    `);
  }

  private encode(state: LedgerState): Buffer {
    const body = Buffer.from(JSON.stringify(state), 'utf8');
    const bytes = Buffer.concat([body, this.mac(body)]);
    this.#last = { bytes, state };
    return bytes;
  }

  private decode(bytes: unknown): LedgerState {
    if (!Buffer.isBuffer(bytes) || bytes.length < MAC_BYTES + 2) throw damaged();
    if (this.#last && this.#last.bytes.equals(bytes)) return this.#last.state;
    const body = bytes.subarray(0, bytes.length - MAC_BYTES);
    if (!sodium().memcmp(this.mac(body), bytes.subarray(bytes.length - MAC_BYTES))) throw damaged();
    const state = JSON.parse(body.toString('utf8')) as LedgerState;
    this.#last = { bytes: Buffer.from(bytes), state };
    return state;
  }

  /** Keyed BLAKE2b like the tags; the leading zero byte keeps it apart from any tag framing (whose flags are 0 or 1 then a length). */
  private mac(body: Buffer): Uint8Array {
    return sodium().crypto_generichash(MAC_BYTES, Buffer.concat([MAC_DOMAIN, body]), this.key());
  }

  private digest(table: string, spec: TrackedTable): { d: string; n: number } {
    const d = Buffer.alloc(MAC_BYTES);
    let n = 0;
    const cols = [spec.key, ...spec.cols.map((c) => `substr(${c}, 1, ${NONCE_BYTES})`)].join(', ');
    const rows = this.#db.prepare(`SELECT ${cols} FROM ${table}`).raw().iterate() as Iterable<unknown[]>;
    for (const row of rows) {
      xorInto(d, this.tag([table, ...row]));
      n++;
    }
    return { d: d.toString('hex'), n };
  }

  private hasTriggers(table: string): boolean {
    const n = this.#db
      .prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND name IN (?, ?, ?)")
      .get(table, ...TRIGGERS.map((k) => triggerName(table, k))) as { n: number };
    return n.n === 3;
  }

  private key(): Uint8Array {
    if (!this.#key) throw new VaultError('LOCKED', 'the vault is locked');
    return this.#key;
  }
}

// ---- helpers -------------------------------------------------------------------------

const MAC_BYTES = 32;
/** sealBytes() puts the XChaCha20 nonce first. */
const NONCE_BYTES = 24;
const MAC_DOMAIN = Buffer.from('\x02lg.ledger\0', 'latin1');
const TRIGGERS = ['ins', 'upd', 'del'] as const;

interface LedgerState {
  v: 1;
  tables: Record<string, TrackedTable & { d: string; n: number }>;
}

function damaged(): VaultError {
  return new VaultError('LEDGER', 'the vault ledger failed authentication (modified outside LocalGPT)');
}

function xorInto(acc: Buffer, x: Buffer): void {
  for (let i = 0; i < acc.length; i++) acc[i] ^= x[i];
}

function triggerName(table: string, kind: string): string {
  return `lg_ledger_${table}_${kind}`;
}

/** Table and column names go into trigger SQL: only plain identifiers are accepted. */
function assertIdentifier(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
}
