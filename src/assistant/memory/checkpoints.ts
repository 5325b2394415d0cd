import type { Vault } from '../vault/vault.js';
import { sodium } from '../vault/crypto.js';
import type { CorruptSink } from './records.js';

/** What a KV cache was made by; a checkpoint only loads into the same thing. */
export interface CheckpointKey {
  modelFingerprint: string;
  backendLayout: string;
  version: number;
}

export interface Checkpoint extends CheckpointKey {
  /** Tokens already in the cache. */
  position: number;
  data: Uint8Array;
}

export interface CheckpointInfo extends CheckpointKey {
  position: number;
  bytes: number;
  savedAt: string;
}

/** Chunk size: keeps each sealed blob (and each libsodium call's heap copy) modest. */
export const CHECKPOINT_CHUNK = 4 << 20;

/**
 * KV-cache checkpoints per conversation: a sealed header plus sealed chunks. Each save gets
 * a fresh random generation that is bound into every chunk's associated data together with
 * its index and the chunk count, so chunks from an older save, another session, or a
 * reordering never assemble into a "valid" cache.
 */
export class Checkpoints {
  readonly #vault: Vault;
  readonly #report: CorruptSink;

  constructor(vault: Vault, report: CorruptSink) {
    this.#vault = vault;
    this.#report = report;
  }

  save(sessionId: string, cp: Checkpoint): CheckpointInfo {
    const v = this.#vault;
    const s = sodium();
    const gen = v.newId();
    const chunks = Math.max(1, Math.ceil(cp.data.length / CHECKPOINT_CHUNK));
    const header: Header = {
      modelFingerprint: cp.modelFingerprint,
      backendLayout: cp.backendLayout,
      version: cp.version,
      position: cp.position,
      bytes: cp.data.length,
      chunks,
      gen,
      digest: s.to_base64(s.crypto_generichash(32, cp.data, null), s.base64_variants.ORIGINAL),
      savedAt: new Date().toISOString(),
    };
    // Seal chunk by chunk inside the transaction: a KV cache can be gigabytes, and sealing
    // it all up front would hold a second full copy in memory.
    v.write(() => {
      v.db.prepare('DELETE FROM checkpoint_chunks WHERE session_id = ?').run(sessionId);
      const ins = v.db.prepare('INSERT INTO checkpoint_chunks (session_id, idx, v, body) VALUES (?, ?, 1, ?)');
      for (let i = 0; i < chunks; i++) {
        const part = cp.data.subarray(i * CHECKPOINT_CHUNK, Math.min(cp.data.length, (i + 1) * CHECKPOINT_CHUNK));
        ins.run(sessionId, i, v.seal('checkpoint_chunks', chunkId(sessionId, gen, i, chunks), part));
      }
      v.db
        .prepare(
          `INSERT INTO checkpoints (session_id, v, body) VALUES (?, 1, ?)
           ON CONFLICT(session_id) DO UPDATE SET v = excluded.v, body = excluded.body`,
        )
        .run(sessionId, v.sealJson('checkpoints', sessionId, header));
    });
    return info(header);
  }

  /** The checkpoint, or undefined when none, when it was made by something else, or when it is damaged (reported). */
  load(sessionId: string, expected: CheckpointKey): Checkpoint | undefined {
    const header = this.header(sessionId);
    if (!header) return undefined;
    if (
      header.modelFingerprint !== expected.modelFingerprint ||
      header.backendLayout !== expected.backendLayout ||
      header.version !== expected.version
    ) {
      return undefined;
    }
    const v = this.#vault;
    const count = (v.db.prepare('SELECT COUNT(*) AS n FROM checkpoint_chunks WHERE session_id = ?').get(sessionId) as { n: number }).n;
    if (count !== header.chunks) return this.bad(sessionId, 'missing checkpoint chunks');
    const data = new Uint8Array(header.bytes);
    let off = 0;
    // One chunk in memory at a time besides the result.
    const rows = v.db
      .prepare('SELECT idx, v, body FROM checkpoint_chunks WHERE session_id = ? ORDER BY idx')
      .iterate(sessionId) as IterableIterator<{ idx: number; v: number; body: Buffer }>;
    for (const r of rows) {
      const part = v.tryOpen('checkpoint_chunks', chunkId(sessionId, header.gen, r.idx, header.chunks), r.body, r.v);
      if (!part || off + part.length > data.length) {
        rows.return?.();
        return this.bad(sessionId, `chunk ${r.idx} failed authentication`);
      }
      data.set(part, off);
      off += part.length;
    }
    if (off !== header.bytes) return this.bad(sessionId, 'checkpoint truncated');
    const s = sodium();
    if (s.to_base64(s.crypto_generichash(32, data, null), s.base64_variants.ORIGINAL) !== header.digest) {
      return this.bad(sessionId, 'checkpoint digest mismatch');
    }
    return { modelFingerprint: header.modelFingerprint, backendLayout: header.backendLayout, version: header.version, position: header.position, data };
  }

  info(sessionId: string): CheckpointInfo | undefined {
    const h = this.header(sessionId);
    return h ? info(h) : undefined;
  }

  delete(sessionId: string): boolean {
    return this.#vault.write(() => {
      this.#vault.db.prepare('DELETE FROM checkpoint_chunks WHERE session_id = ?').run(sessionId);
      return this.#vault.db.prepare('DELETE FROM checkpoints WHERE session_id = ?').run(sessionId).changes > 0;
    });
  }

  /** Number of checkpoints and their total sealed size. */
  stats(): { count: number; bytes: number } {
    const db = this.#vault.db;
    const count = (db.prepare('SELECT COUNT(*) AS n FROM checkpoints').get() as { n: number }).n;
    const bytes = (db.prepare('SELECT COALESCE(SUM(LENGTH(body)), 0) AS n FROM checkpoint_chunks').get() as { n: number }).n;
    return { count, bytes };
  }

  private header(sessionId: string): Header | undefined {
    const row = this.#vault.db.prepare('SELECT v, body FROM checkpoints WHERE session_id = ?').get(sessionId) as
      | { v: number; body: Buffer }
      | undefined;
    if (!row) return undefined;
    const h = this.#vault.tryOpenJson<Header>('checkpoints', sessionId, row.body, row.v);
    if (!h) this.#report({ table: 'checkpoints', id: sessionId, reason: 'failed authentication (tampered or truncated)' });
    return h;
  }

  private bad(sessionId: string, reason: string): undefined {
    this.#report({ table: 'checkpoint_chunks', id: sessionId, reason });
    return undefined;
  }
}

interface Header extends CheckpointKey {
  position: number;
  bytes: number;
  chunks: number;
  gen: string;
  digest: string;
  savedAt: string;
}

function info(h: Header): CheckpointInfo {
  return { modelFingerprint: h.modelFingerprint, backendLayout: h.backendLayout, version: h.version, position: h.position, bytes: h.bytes, savedAt: h.savedAt };
}

function chunkId(sessionId: string, gen: string, idx: number, count: number): string {
  return `${sessionId}/${gen}/${idx}/${count}`;
}
