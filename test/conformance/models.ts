import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGGUF } from '../../src/engine/gguf/writer.js';
import type { GGUFMetadataValue } from '../../src/engine/gguf/types.js';
import type { Architecture } from '../../src/engine/model/config.js';
import { syntheticModel } from '../../src/engine/model/synthetic.js';

/** Generated models live here between runs (gitignored); names encode every input, so a stale file cannot be reused. */
export const CACHE_DIR = fileURLToPath(new URL('../.cache/', import.meta.url));

export interface TestModel {
  readonly arch: Architecture;
  readonly quant: string;
  readonly vocabName: string;
  readonly vocab: () => ReadonlyMap<string, GGUFMetadataValue>;
  /** Embedding width: 256 so K-quant rows are whole super-blocks. */
  readonly width?: number;
  readonly layers?: number;
  readonly ff?: number;
  readonly seed?: number;
}

export function testModelPath(m: TestModel): string {
  mkdirSync(CACHE_DIR, { recursive: true });
  const width = m.width ?? 256;
  const layers = m.layers ?? 2;
  // ff of 352 (not a multiple of 256) exercises ggml's K-quant fallbacks for ffn_down's rows.
  const ff = m.ff ?? 352;
  const seed = m.seed ?? 7;
  const path = join(CACHE_DIR, `${m.arch}-${m.quant}-${m.vocabName}-w${width}-l${layers}-f${ff}-s${seed}-v5.gguf`);
  if (!existsSync(path)) {
    writeGGUF(path, syntheticModel({
      arch: m.arch,
      vocab: m.vocab(),
      embeddingLength: width,
      blockCount: layers,
      feedForwardLength: ff,
      headCount: 4,
      headCountKv: m.arch === 'gpt2' ? 4 : 2,
      contextLength: 512,
      quant: m.quant,
      seed,
    }));
  }
  return path;
}
