import type { Vault } from '../vault/vault.js';
import { type CorruptSink, SealedTable } from './records.js';
import type { IndexSink } from './types.js';

export type MemoryKind = 'fact' | 'note';

/** A fact ("my sister is called Ana") or a note (free text), sealed in `memories`. */
export interface MemoryItem {
  id: string;
  kind: MemoryKind;
  text: string;
  tags: string[];
  createdAt: string;
  /** Where it came from: 'user', 'import:MEMORY.md', 'assistant', ... */
  source?: string;
}

export interface NewMemory {
  text: string;
  kind?: MemoryKind;
  tags?: string[];
  source?: string;
  createdAt?: string;
}

/** Facts and notes: add, list, forget. */
export class Facts {
  readonly #t: SealedTable<MemoryItem>;
  readonly #vault: Vault;
  readonly #index: IndexSink;

  constructor(vault: Vault, report: CorruptSink, index: IndexSink) {
    this.#vault = vault;
    this.#t = new SealedTable<MemoryItem>(vault, 'memories', report);
    this.#index = index;
  }

  add(item: NewMemory): MemoryItem {
    return this.addMany([item])[0];
  }

  /** Many in one transaction: one fsync for the batch (the >= 5k/s path). */
  addMany(items: NewMemory[]): MemoryItem[] {
    const now = new Date().toISOString();
    const made = items.map((it) => {
      if (!it.text || !it.text.trim()) throw new Error('a memory needs some text');
      const m: MemoryItem = {
        id: this.#vault.newId(),
        kind: it.kind ?? 'fact',
        text: it.text,
        tags: it.tags ?? [],
        createdAt: it.createdAt ?? now,
      };
      if (it.source) m.source = it.source;
      return m;
    });
    this.#vault.write(() => {
      for (const m of made) this.#t.put(m.id, m);
    });
    for (const m of made) this.#index.upsert(toDoc(m));
    return made;
  }

  get(id: string): MemoryItem | undefined {
    return this.#t.get(id);
  }

  /** Every readable memory, oldest first; optionally one kind or one tag. */
  list(filter: { kind?: MemoryKind; tag?: string } = {}): MemoryItem[] {
    return this.#t
      .all()
      .map((r) => r.value)
      .filter((m) => (!filter.kind || m.kind === filter.kind) && (!filter.tag || m.tags.includes(filter.tag)));
  }

  /** Forget one memory; true when it existed. The row is deleted (secure_delete overwrites it). */
  forget(id: string): boolean {
    const gone = this.#vault.write(() => this.#t.delete(id));
    if (gone) this.#index.remove(`memory:${id}`);
    return gone;
  }

  count(): number {
    return this.#t.count();
  }
}

export function toDoc(m: MemoryItem) {
  return { key: `memory:${m.id}`, kind: m.kind, text: m.text, meta: { id: m.id, createdAt: m.createdAt, tags: m.tags } };
}
