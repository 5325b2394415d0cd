import type { Vault } from '../vault/vault.js';
import { sodium } from '../vault/crypto.js';
import type { IndexedDoc } from './search-index.js';
import type { EmbedFn } from './types.js';

/**
 * Embedding vectors for semantic recall. Vectors are derived from the user's words (and
 * can be partly inverted), so the cache persists them sealed, in `embeddings`, keyed by a
 * blinded (model, document) id; in memory they are kept unit-normalised for dot products.
 */
export class SemanticIndex {
  readonly #vault: Vault;
  #vectors = new Map<string, { hash: string; vec: Float32Array }>();
  #loadedModel: string | undefined;

  constructor(vault: Vault) {
    this.#vault = vault;
  }

  /**
   * Make sure every document has a vector for this model: from memory, else the sealed cache,
   * else by calling embed() in batches (new vectors are sealed into the cache).
   */
  async ensure(docs: Iterable<IndexedDoc>, embed: EmbedFn, model: string, batch = 64): Promise<void> {
    if (this.#loadedModel !== model) this.loadCache(model);
    const missing: { doc: IndexedDoc; hash: string }[] = [];
    for (const doc of docs) {
      const hash = textHash(doc.text);
      if (this.#vectors.get(doc.key)?.hash !== hash) missing.push({ doc, hash });
    }
    for (let i = 0; i < missing.length; i += batch) {
      const part = missing.slice(i, i + batch);
      const vecs = await embed(part.map((m) => m.doc.text));
      if (vecs.length !== part.length) throw new Error(`embed returned ${vecs.length} vectors for ${part.length} texts`);
      const v = this.#vault;
      const put = v.db.prepare(
        'INSERT INTO embeddings (id, v, body) VALUES (?, 1, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body',
      );
      v.write(() => {
        part.forEach((m, j) => {
          const vec = unit(vecs[j]);
          this.#vectors.set(m.doc.key, { hash: m.hash, vec });
          const id = this.rowId(m.doc.key, model);
          const payload: Cached = { model, key: m.doc.key, hash: m.hash, vec: Buffer.from(vec.buffer, vec.byteOffset, vec.byteLength).toString('base64') };
          put.run(id, v.sealJson('embeddings', id, payload));
        });
      });
    }
  }

  /** Cosine similarity top-k among the given documents. */
  search(queryVec: Float32Array, docs: Iterable<IndexedDoc>, limit: number): { doc: IndexedDoc; score: number }[] {
    const q = unit(queryVec);
    const scored: { doc: IndexedDoc; score: number }[] = [];
    for (const doc of docs) {
      const e = this.#vectors.get(doc.key);
      if (!e || e.vec.length !== q.length) continue;
      let dot = 0;
      const v = e.vec;
      for (let i = 0; i < q.length; i++) dot += q[i] * v[i];
      scored.push({ doc, score: dot });
    }
    return scored.sort((a, b) => b.score - a.score).slice(0, limit);
  }

  /**
   * Drop a document's vectors, in memory and in the sealed cache (every model): a forgotten
   * memory must not live on as an embedding.
   */
  forget(key: string): void {
    this.#vectors.delete(key);
    this.deleteRows(`${this.groupPart(key)}.${this.keyPart(key)}.`);
  }

  /** Drop every chunk of a group ("log:2025-01-02", "file:MEMORY.md"). */
  forgetGroup(group: string): void {
    for (const k of [...this.#vectors.keys()]) if (groupOf(k) === group) this.#vectors.delete(k);
    this.deleteRows(`${this.#vault.blindId('embedding-group', group)}.`);
  }

  clear(): void {
    this.#vectors.clear();
    this.#loadedModel = undefined;
  }

  /**
   * Row ids are blinded "group.key.model" so that forgetting a document or a whole log can
   * delete its rows by prefix without knowing which models embedded it.
   */
  private rowId(key: string, model: string): string {
    return `${this.groupPart(key)}.${this.keyPart(key)}.${this.#vault.blindId('embedding-model', model)}`;
  }

  private groupPart(key: string): string {
    return this.#vault.blindId('embedding-group', groupOf(key));
  }

  private keyPart(key: string): string {
    return this.#vault.blindId('embedding-key', key);
  }

  private deleteRows(prefix: string): void {
    this.#vault.db.prepare('DELETE FROM embeddings WHERE substr(id, 1, ?) = ?').run(prefix.length, prefix);
  }

  private loadCache(model: string): void {
    this.#vectors.clear();
    this.#loadedModel = model;
    const v = this.#vault;
    for (const row of v.db.prepare('SELECT id, v, body FROM embeddings').iterate() as Iterable<{ id: string; v: number; body: Buffer }>) {
      const c = v.tryOpenJson<Cached>('embeddings', row.id, row.body, row.v);
      if (!c || c.model !== model) continue; // a damaged cache entry is simply recomputed
      const b = Buffer.from(c.vec, 'base64');
      this.#vectors.set(c.key, { hash: c.hash, vec: new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice() });
    }
  }
}

interface Cached {
  model: string;
  key: string;
  hash: string;
  vec: string;
}

/** Chunked documents ("log:2025-01-02#3") group by what precedes '#'. */
function groupOf(key: string): string {
  const i = key.indexOf('#');
  return i < 0 ? key : key.slice(0, i);
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  const s = n > 0 ? 1 / Math.sqrt(n) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * s;
  return out;
}

function textHash(text: string): string {
  const s = sodium();
  return s.to_base64(s.crypto_generichash(16, new TextEncoder().encode(text), null), s.base64_variants.ORIGINAL);
}
