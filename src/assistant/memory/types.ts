import type { IndexedDoc } from './search-index.js';

/** Where stores announce changes so the in-memory index (when built) stays current. */
export interface IndexSink {
  upsert(doc: IndexedDoc): void;
  remove(key: string): void;
  /** Remove every document whose key starts with the prefix (a log's or file's chunks). */
  removePrefix(prefix: string): void;
}

/** Caller-provided embedding function (the engine's, or a server's). */
export type EmbedFn = (texts: string[]) => Promise<Float32Array[]>;

/** Caller-provided token counter (the model's tokenizer). */
export type CountTokens = (text: string) => number;
