/**
 * In-memory BM25 keyword index. It is built after unlock from decrypted records and never
 * persisted, so no plaintext index reaches disk. Documents are keyed by a string
 * ("fact:<id>", "message:<id>", "log:<date>#2", ...); removal tombstones a slot and the
 * postings are compacted once a quarter of the slots are dead.
 */
export interface IndexedDoc {
  key: string;
  kind: string;
  text: string;
  /** Free-form data handed back with hits (ids, dates, roles). */
  meta?: Record<string, unknown>;
}

export interface KeywordHit {
  doc: IndexedDoc;
  score: number;
}

export class SearchIndex {
  readonly k1: number;
  readonly b: number;
  #docs: (IndexedDoc | undefined)[] = [];
  #lens: number[] = [];
  #slotOf = new Map<string, number>();
  #postings = new Map<string, Posting>();
  #alive = 0;
  #totalLen = 0;

  constructor(opts: { k1?: number; b?: number } = {}) {
    this.k1 = opts.k1 ?? 1.2;
    this.b = opts.b ?? 0.75;
  }

  get size(): number {
    return this.#alive;
  }

  has(key: string): boolean {
    return this.#slotOf.has(key);
  }

  get(key: string): IndexedDoc | undefined {
    const slot = this.#slotOf.get(key);
    return slot === undefined ? undefined : this.#docs[slot];
  }

  /** Add or replace a document. */
  add(doc: IndexedDoc): void {
    if (this.#slotOf.has(doc.key)) this.remove(doc.key);
    // Sorted tokens give term frequencies as runs, without a Map per document (GC pressure
    // dominated index builds at 100k documents).
    const tokens = tokenize(doc.text).sort();
    const slot = this.#docs.length;
    this.#docs.push(doc);
    this.#lens.push(tokens.length);
    this.#slotOf.set(doc.key, slot);
    this.#alive++;
    this.#totalLen += tokens.length;
    for (let i = 0; i < tokens.length; ) {
      const term = tokens[i];
      let j = i + 1;
      while (j < tokens.length && tokens[j] === term) j++;
      let p = this.#postings.get(term);
      if (!p) {
        p = { entries: [], df: 0 };
        this.#postings.set(term, p);
      }
      p.entries.push(slot * TF_SPAN + Math.min(j - i, TF_SPAN - 1));
      p.df++;
      i = j;
    }
  }

  remove(key: string): boolean {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return false;
    const doc = this.#docs[slot]!;
    this.#slotOf.delete(key);
    this.#docs[slot] = undefined;
    this.#alive--;
    this.#totalLen -= this.#lens[slot];
    // Re-tokenise to keep document frequencies exact (removal is rare; storing every
    // document's term list would cost memory on every add).
    for (const t of new Set(tokenize(doc.text))) {
      const p = this.#postings.get(t);
      if (p) p.df--;
    }
    if (this.#docs.length - this.#alive > Math.max(1024, this.#docs.length / 4)) this.compact();
    return true;
  }

  /** Every live document (for semantic search over the same corpus). */
  *documents(): IterableIterator<IndexedDoc> {
    for (const d of this.#docs) if (d) yield d;
  }

  /** BM25 top-k. `filter` restricts by document (kind, session...). */
  search(query: string, opts: { limit?: number; filter?: (d: IndexedDoc) => boolean } = {}): KeywordHit[] {
    const limit = opts.limit ?? 10;
    const terms = [...new Set(tokenize(query))];
    if (terms.length === 0 || this.#alive === 0) return [];
    const n = this.#alive;
    const avg = this.#totalLen / n || 1;
    const scores = new Float64Array(this.#docs.length);
    const touched: number[] = [];
    const { k1, b } = this;
    for (const term of terms) {
      const p = this.#postings.get(term);
      if (!p || p.df <= 0) continue;
      const idf = Math.log(1 + (n - p.df + 0.5) / (p.df + 0.5));
      const entries = p.entries;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        const s = Math.floor(e / TF_SPAN);
        if (this.#docs[s] === undefined) continue;
        const tf = e % TF_SPAN;
        const norm = tf + k1 * (1 - b + (b * this.#lens[s]) / avg);
        if (scores[s] === 0) touched.push(s);
        scores[s] += (idf * tf * (k1 + 1)) / norm;
      }
    }
    // Top-k with a small min-heap: sorting every touched slot costs too much at 100k docs.
    const heap: number[] = [];
    const less = (x: number, y: number) => scores[x] < scores[y];
    for (const s of touched) {
      if (opts.filter && !opts.filter(this.#docs[s]!)) continue;
      if (heap.length < limit) {
        heap.push(s);
        siftUp(heap, heap.length - 1, less);
      } else if (limit > 0 && scores[s] > scores[heap[0]]) {
        heap[0] = s;
        siftDown(heap, 0, less);
      }
    }
    return heap
      .sort((x, y) => scores[y] - scores[x])
      .map((s) => ({ doc: this.#docs[s]!, score: scores[s] }));
  }

  clear(): void {
    this.#docs = [];
    this.#lens = [];
    this.#slotOf.clear();
    this.#postings.clear();
    this.#alive = 0;
    this.#totalLen = 0;
  }

  /** Rebuild slots without tombstones. */
  compact(): void {
    const live = [...this.documents()];
    this.clear();
    for (const d of live) this.add(d);
  }
}

/**
 * Lower-case words and numbers (any script), common English stop words dropped, and a
 * light plural strip so "cats" finds "cat". Deliberately simple and predictable.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.normalize('NFKC').toLowerCase().matchAll(WORD)) {
    let w = m[0];
    if (STOP.has(w)) continue;
    if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) {
      w = w.endsWith('ies') && w.length > 4 ? `${w.slice(0, -3)}y` : w.slice(0, -1);
    }
    out.push(w);
  }
  return out;
}

// ---- helpers -------------------------------------------------------------------------

/** One number per (document, term): slot * TF_SPAN + term frequency (capped). */
interface Posting {
  entries: number[];
  df: number;
}

const TF_SPAN = 256;

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

const STOP = new Set(
  'a an and are as at be but by for from has have he her his i in is it its me my of on or our she so that the their them they this to was we were what when where which who will with you your'.split(
    ' ',
  ),
);

function siftUp(h: number[], i: number, less: (a: number, b: number) => boolean): void {
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(h[i], h[p])) break;
    [h[i], h[p]] = [h[p], h[i]];
    i = p;
  }
}

function siftDown(h: number[], i: number, less: (a: number, b: number) => boolean): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < h.length && less(h[l], h[m])) m = l;
    if (r < h.length && less(h[r], h[m])) m = r;
    if (m === i) return;
    [h[i], h[m]] = [h[m], h[i]];
    i = m;
  }
}
