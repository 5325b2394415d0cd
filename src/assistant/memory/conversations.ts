import type { Vault } from '../vault/vault.js';
import { type CorruptSink, SealedTable } from './records.js';
import type { IndexSink } from './types.js';

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface Session {
  id: string;
  title?: string;
  createdAt: string;
}

export interface Message {
  id: string;
  sessionId: string;
  seq: number;
  role: Role;
  content: string;
  at: string;
}

/**
 * Conversations: sessions with ordered messages, resumable by id. A message's associated
 * data binds it to its session and position, so it cannot be moved to another conversation
 * or reordered unnoticed.
 */
export class Conversations {
  readonly #vault: Vault;
  readonly #sessions: SealedTable<Session>;
  readonly #report: CorruptSink;
  readonly #index: IndexSink;

  constructor(vault: Vault, report: CorruptSink, index: IndexSink) {
    this.#vault = vault;
    this.#sessions = new SealedTable<Session>(vault, 'sessions', report);
    this.#report = report;
    this.#index = index;
  }

  create(opts: { title?: string } = {}): Session {
    const s: Session = { id: this.#vault.newId(), createdAt: new Date().toISOString() };
    if (opts.title) s.title = opts.title;
    this.#vault.write(() => this.#sessions.put(s.id, s));
    return s;
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** All sessions, newest first. */
  list(): Session[] {
    return this.#sessions
      .all()
      .map((r) => r.value)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  setTitle(id: string, title: string): void {
    this.#vault.write(() => {
      const s = this.#sessions.get(id);
      if (!s) throw new Error(`no session ${id}`);
      this.#sessions.put(id, { ...s, title });
    });
  }

  /** Append messages; sequence numbers are taken under the write lock, so two processes interleave safely. */
  append(sessionId: string, ...msgs: { role: Role; content: string }[]): Message[] {
    const at = new Date().toISOString();
    const out = this.#vault.write(() => {
      if (!this.#sessions.get(sessionId)) throw new Error(`no session ${sessionId}`);
      const db = this.#vault.db;
      let seq = (db.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM messages WHERE session_id = ?').get(sessionId) as { s: number }).s;
      const ins = db.prepare('INSERT INTO messages (id, session_id, seq, v, body) VALUES (?, ?, ?, 1, ?)');
      return msgs.map((m) => {
        seq++;
        const msg: Message = { id: this.#vault.newId(), sessionId, seq, role: m.role, content: m.content, at };
        ins.run(msg.id, sessionId, seq, this.#vault.sealJson('messages', msgAdId(msg.id, sessionId, seq), msg));
        return msg;
      });
    });
    for (const m of out) this.#index.upsert(toDoc(m));
    return out;
  }

  /** Every readable message of a session, in order. */
  messages(sessionId: string): Message[] {
    const rows = this.#vault.db
      .prepare('SELECT id, session_id, seq, v, body FROM messages WHERE session_id = ? ORDER BY seq')
      .all(sessionId) as MsgRow[];
    return rows.map((r) => this.decode(r)).filter((m): m is Message => m !== undefined);
  }

  /** Every readable message of every session (index building). */
  *allMessages(): IterableIterator<Message> {
    for (const r of this.#vault.db.prepare('SELECT id, session_id, seq, v, body FROM messages').iterate() as Iterable<MsgRow>) {
      const m = this.decode(r);
      if (m) yield m;
    }
  }

  /**
   * The context window for resuming: system messages plus the last `exchanges` exchanges
   * (an exchange starts at a user message and runs to the next one).
   */
  context(sessionId: string, exchanges: number): Message[] {
    const all = this.messages(sessionId);
    const system = all.filter((m) => m.role === 'system');
    const rest = all.filter((m) => m.role !== 'system');
    let start = rest.length;
    let seen = 0;
    for (let i = rest.length - 1; i >= 0 && seen < exchanges; i--) {
      start = i;
      if (rest[i].role === 'user') seen++;
    }
    if (exchanges <= 0) start = rest.length;
    return [...system, ...rest.slice(start)];
  }

  /** Delete a session, its messages and its KV checkpoint. */
  delete(sessionId: string): boolean {
    const ids = this.#vault.db.prepare('SELECT id FROM messages WHERE session_id = ?').pluck().all(sessionId) as string[];
    const gone = this.#vault.write(() => {
      const db = this.#vault.db;
      db.prepare('DELETE FROM messages WHERE session_id = ?').run(sessionId);
      db.prepare('DELETE FROM checkpoint_chunks WHERE session_id = ?').run(sessionId);
      db.prepare('DELETE FROM checkpoints WHERE session_id = ?').run(sessionId);
      return this.#sessions.delete(sessionId);
    });
    for (const id of ids) this.#index.remove(`message:${id}`);
    return gone;
  }

  count(): { sessions: number; messages: number } {
    return {
      sessions: this.#sessions.count(),
      messages: (this.#vault.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n,
    };
  }

  private decode(r: MsgRow): Message | undefined {
    const m = this.#vault.tryOpenJson<Message>('messages', msgAdId(r.id, r.session_id, r.seq), r.body, r.v);
    if (!m) this.#report({ table: 'messages', id: r.id, reason: 'failed authentication (tampered, truncated or moved)' });
    return m;
  }
}

export function toDoc(m: Message) {
  return {
    key: `message:${m.id}`,
    kind: 'message',
    text: m.content,
    meta: { id: m.id, sessionId: m.sessionId, role: m.role, at: m.at },
  };
}

interface MsgRow {
  id: string;
  session_id: string;
  seq: number;
  v: number;
  body: Buffer;
}

/** The identity sealed into a message's associated data: its id, session and position. */
function msgAdId(id: string, sessionId: string, seq: number): string {
  return `${sessionId}/${seq}/${id}`;
}
