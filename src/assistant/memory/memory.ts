import { statSync } from 'node:fs';
import type { LedgerProblem } from '../vault/ledger.js';
import { type OpenVaultOptions, type Vault, openVault } from '../vault/vault.js';
import { Checkpoints, type Checkpoint, type CheckpointInfo, type CheckpointKey } from './checkpoints.js';
import { Conversations, toDoc as messageDoc } from './conversations.js';
import { Facts, toDoc as memoryDoc } from './facts.js';
import { DailyLogs, logDocs } from './logs.js';
import { PreferencesStore } from './preferences.js';
import type { CorruptRecord } from './records.js';
import { MEMORY_SCHEMA } from './schema.js';
import { type IndexedDoc, SearchIndex } from './search-index.js';
import { SemanticIndex } from './semantic.js';
import type { EmbedFn, IndexSink } from './types.js';
import { WorkspaceFiles, fileDocs } from './workspace.js';

export interface SearchOptions {
  limit?: number;
  /** Restrict to kinds: 'fact', 'note', 'message', 'log', 'memory-file'. */
  kinds?: string[];
  /** 'keyword' (BM25), 'semantic' (embeddings) or 'hybrid' (both, rank-fused). Default: hybrid when embed is given. */
  mode?: 'keyword' | 'semantic' | 'hybrid';
  embed?: EmbedFn;
  /** Names the embedding model so cached vectors of another model are not mixed in. */
  embedModel?: string;
}

export interface SearchHit {
  key: string;
  kind: string;
  text: string;
  score: number;
  meta: Record<string, unknown>;
}

export interface MemoryStats {
  path: string;
  fileBytes: number;
  facts: number;
  notes: number;
  sessions: number;
  messages: number;
  dailyLogs: number;
  workspaceFiles: number;
  checkpoints: number;
  checkpointBytes: number;
  schema: Record<string, number>;
  kdf: string;
  corrupt: CorruptRecord[];
}

/**
 * The assistant's memory on top of an unlocked vault: facts and notes, conversations,
 * preferences, daily logs, workspace files, KV checkpoints, and recall over all of them.
 * The keyword index is built lazily on the first search, from decrypted records, and kept
 * current by this object's own writes (call refreshIndex() to pick up other processes').
 */
export class Memory {
  readonly vault: Vault;
  readonly facts: Facts;
  readonly conversations: Conversations;
  readonly preferences: PreferencesStore;
  readonly logs: DailyLogs;
  readonly workspace: WorkspaceFiles;
  readonly checkpoints: Checkpoints;
  /** Records that failed authentication since opening (each reported once). */
  readonly corrupt: CorruptRecord[] = [];
  /**
   * What the vault ledger found at open: tables with records replayed, removed or added outside
   * LocalGPT (also in `corrupt`, with id '*'). Empty when all is well. memoryVerify() checks anew.
   */
  readonly ledger: LedgerProblem[];
  #index: SearchIndex | undefined;
  readonly #semantic: SemanticIndex;
  readonly #seen = new Set<string>();

  /** Open (creating if needed) and unlock the vault, and bring the memory tables up to date. */
  static async open(opts: OpenVaultOptions): Promise<Memory> {
    const vault = await openVault({ ...opts, modules: [...(opts.modules ?? []), MEMORY_SCHEMA] });
    try {
      return new Memory(vault);
    } catch (e) {
      vault.close();
      throw e;
    }
  }

  constructor(vault: Vault) {
    this.vault = vault;
    vault.migrate(MEMORY_SCHEMA);
    this.#semantic = new SemanticIndex(vault);
    const report = (r: CorruptRecord) => {
      const k = `${r.table}/${r.id}`;
      if (this.#seen.has(k)) return;
      this.#seen.add(k);
      this.corrupt.push(r);
    };
    const sink: IndexSink = {
      upsert: (d) => this.#index?.add(d),
      remove: (k) => {
        this.#index?.remove(k);
        this.#semantic.forget(k);
      },
      removePrefix: (p) => {
        // Chunk keys are "<group>#<n>"; the group's sealed embeddings go with its chunks.
        this.#semantic.forgetGroup(p.endsWith('#') ? p.slice(0, -1) : p);
        if (!this.#index) return;
        for (const d of [...this.#index.documents()]) if (d.key.startsWith(p)) this.#index.remove(d.key);
      },
    };
    this.facts = new Facts(vault, report, sink);
    this.conversations = new Conversations(vault, report, sink);
    this.preferences = new PreferencesStore(vault, report);
    this.logs = new DailyLogs(vault, report, sink);
    this.workspace = new WorkspaceFiles(vault, report, sink);
    this.checkpoints = new Checkpoints(vault, report);
    // A replayed, removed or resurrected record is only visible against the ledger.
    this.ledger = vault.verifyLedger();
    for (const p of this.ledger) report({ table: p.table, id: '*', reason: p.reason });
  }

  /** The keyword index, built from the vault on first use. */
  index(): SearchIndex {
    if (!this.#index) {
      const idx = new SearchIndex();
      for (const m of this.facts.list()) idx.add(memoryDoc(m));
      for (const m of this.conversations.allMessages()) if (m.role !== 'system') idx.add(messageDoc(m));
      for (const l of this.logs.list()) for (const d of logDocs(l)) idx.add(d);
      for (const f of this.workspace.list()) for (const d of fileDocs(f)) idx.add(d);
      this.#index = idx;
    }
    return this.#index;
  }

  /** Drop the in-memory index so the next search rebuilds it (other processes may have written). */
  refreshIndex(): void {
    this.#index = undefined;
  }

  /** Keyword, semantic or hybrid search over facts, notes, messages, logs and MEMORY.md. */
  async search(query: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    const limit = opts.limit ?? 10;
    const mode = opts.mode ?? (opts.embed ? 'hybrid' : 'keyword');
    const kinds = opts.kinds ? new Set(opts.kinds) : undefined;
    const filter = kinds ? (d: IndexedDoc) => kinds.has(d.kind) : undefined;
    const idx = this.index();
    const keyword = mode === 'semantic' ? [] : idx.search(query, { limit: mode === 'hybrid' ? limit * 4 : limit, filter });
    if (mode === 'keyword') return keyword.map((h) => hit(h.doc, h.score));
    if (!opts.embed) throw new Error(`${mode} search needs an embed function`);
    const model = opts.embedModel ?? 'default';
    const docs = filter ? [...idx.documents()].filter(filter) : [...idx.documents()];
    await this.#semantic.ensure(docs, opts.embed, model);
    const [qv] = await opts.embed([query]);
    const semantic = this.#semantic.search(qv, docs, mode === 'hybrid' ? limit * 4 : limit);
    if (mode === 'semantic') return semantic.map((h) => hit(h.doc, h.score));
    // Reciprocal-rank fusion: robust to BM25 and cosine living on different scales.
    const fused = new Map<string, { doc: IndexedDoc; score: number }>();
    const addRanks = (list: { doc: IndexedDoc }[]) =>
      list.forEach((h, rank) => {
        const e = fused.get(h.doc.key) ?? { doc: h.doc, score: 0 };
        e.score += 1 / (60 + rank + 1);
        fused.set(h.doc.key, e);
      });
    addRanks(keyword);
    addRanks(semantic);
    return [...fused.values()]
      .sort((a, b) => b.score - a.score)
      .slice(0, limit)
      .map((h) => hit(h.doc, h.score));
  }

  /** API named in the issue: seal a conversation's KV cache. */
  saveCheckpoint(sessionId: string, cp: Checkpoint): CheckpointInfo {
    return this.checkpoints.save(sessionId, cp);
  }

  /** API named in the issue: undefined when missing, made by another model/backend/version, or damaged. */
  loadCheckpoint(sessionId: string, expected: CheckpointKey): Checkpoint | undefined {
    return this.checkpoints.load(sessionId, expected);
  }

  stats(): MemoryStats {
    const conv = this.conversations.count();
    const cps = this.checkpoints.stats();

    const items = this.facts.list();
    const kindCount = (kind: string) => items.filter((m) => m.kind === kind).length;
    let fileBytes = 0;
    for (const p of [this.vault.path, `${this.vault.path}-wal`]) {
      try {
        fileBytes += statSync(p).size;
      } catch {
        /* no WAL */
      }
    }
    return {
      path: this.vault.path,
      fileBytes,
      facts: kindCount('fact'),
      notes: kindCount('note'),
      sessions: conv.sessions,
      messages: conv.messages,
      dailyLogs: this.logs.count(),
      workspaceFiles: this.workspace.count(),
      checkpoints: cps.count,
      checkpointBytes: cps.bytes,
      schema: this.vault.versions(),
      kdf: this.vault.kdfParams().alg,
      corrupt: [...this.corrupt],
    };
  }

  /** Wipe keys, drop the plaintext index, close the database. */
  close(): void {
    this.#index?.clear();
    this.#index = undefined;
    this.#semantic.clear();
    this.vault.lock();
  }
}

function hit(doc: IndexedDoc, score: number): SearchHit {
  return { key: doc.key, kind: doc.kind, text: doc.text, score, meta: doc.meta ?? {} };
}
