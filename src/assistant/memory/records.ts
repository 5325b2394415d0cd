import type { Statement } from 'better-sqlite3';
import type { Vault } from '../vault/vault.js';

/** A row that failed authentication or decoding: reported, skipped, never fatal. */
export interface CorruptRecord {
  table: string;
  id: string;
  reason: string;
}

export type CorruptSink = (r: CorruptRecord) => void;

/**
 * A table of sealed JSON payloads keyed by id: (id TEXT PRIMARY KEY, v, body).
 * Readers skip records that do not open and report them to the sink, so one damaged row
 * never hides the rest.
 */
export class SealedTable<T> {
  readonly vault: Vault;
  readonly table: string;
  readonly version: number;
  readonly #report: CorruptSink;
  readonly #stmts = new Map<string, Statement>();

  constructor(vault: Vault, table: string, report: CorruptSink, version = 1) {
    this.vault = vault;
    this.table = table;
    this.version = version;
    this.#report = report;
  }

  put(id: string, value: T): void {
    this.stmt(
      'put',
      `INSERT INTO ${this.table} (id, v, body) VALUES (?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET v = excluded.v, body = excluded.body`,
    ).run(id, this.version, this.vault.sealJson(this.table, id, value, this.version));
  }

  get(id: string): T | undefined {
    const row = this.stmt('get', `SELECT id, v, body FROM ${this.table} WHERE id = ?`).get(id) as Row | undefined;
    return row ? this.decode(row) : undefined;
  }

  delete(id: string): boolean {
    return this.stmt('delete', `DELETE FROM ${this.table} WHERE id = ?`).run(id).changes > 0;
  }

  count(): number {
    return (this.vault.db.prepare(`SELECT COUNT(*) AS n FROM ${this.table}`).get() as { n: number }).n;
  }

  /** Every readable record, in rowid (insertion) order. */
  all(): { id: string; value: T }[] {
    const out: { id: string; value: T }[] = [];
    for (const row of this.vault.db.prepare(`SELECT id, v, body FROM ${this.table} ORDER BY rowid`).iterate() as Iterable<Row>) {
      const value = this.decode(row);
      if (value !== undefined) out.push({ id: row.id, value });
    }
    return out;
  }

  /** Prepared statements are cached: preparing per call cost more than sealing. */
  private stmt(name: string, sql: string): Statement {
    let st = this.#stmts.get(name);
    if (!st) {
      st = this.vault.db.prepare(sql);
      this.#stmts.set(name, st);
    }
    return st;
  }

  decode(row: Row): T | undefined {
    const value = this.vault.tryOpenJson<T>(this.table, row.id, row.body, row.v);
    if (value === undefined) this.#report({ table: this.table, id: row.id, reason: 'failed authentication (tampered or truncated)' });
    return value;
  }
}

export interface Row {
  id: string;
  v: number;
  body: Buffer;
}
