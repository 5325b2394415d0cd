import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { quantizeFile } from '../../src/cli/commands/quantize.js';
import { openGGUF, type GGUFFile } from '../../src/engine/gguf/reader.js';
import type { GGUFTensorInfo } from '../../src/engine/gguf/types.js';
import { writeGGUF } from '../../src/engine/gguf/writer.js';
import type { Architecture } from '../../src/engine/model/config.js';
import { quantModelFromGGUF, type QuantModel } from '../../src/engine/model/quant-model.js';
import { QUANT_SCHEMES, resolveScheme, tensorTypeFor, type ResolvedScheme } from '../../src/engine/model/quant-scheme.js';
import { syntheticModel } from '../../src/engine/model/synthetic.js';
import { ggmlTypeName } from '../../src/engine/quant/ggml-type.js';
import { quantType, rowByteSize } from '../../src/engine/quant/registry.js';
import { smallGpt2Vocab } from '../fixtures/small-vocab.js';
import { llamaQuantize, llamaQuantizeUnavailable } from '../peers/llama-quantize.js';
import { CACHE_DIR } from './models.js';

/**
 * `localgpt quantize` against llama.cpp's llama_model_quantize on the same F32/F16 file, for every
 * file type we offer (and --pure): the same tensors, in the same ggml types, with the same bytes.
 *
 * The models are shaped for the rules rather than for inference: 8, 9, 16 and 80 layers
 * (use_more_bits and the n/8, n/16 cut-offs differ by layer; 80 is llama.cpp's 70B class), grouped-query factors of 1, 4 and 8 (Q2_K's attn_v
 * rule turns at 4), feed-forward widths that are whole 256-blocks and ones that are not (ggml's
 * fallbacks; 80 is not even whole 32-blocks: F16), rows of 96 (the output matrix's Q8_0 rule),
 * tied and separate output matrices, and every architecture we build (gpt2's fused attn_qkv counts
 * as attn_v, its position_embd is never quantised).
 *
 * Our K-quant reference quantisers are slow (float32-exact TypeScript, ~0.3M values/s), so the
 * rule models check every tensor's type and, per tensor, the bytes of its first and last row
 * (every row is quantised on its own); one small model goes through quantizeFile whole, file
 * type by file type, and its every byte is compared.
 */
const unavailable = llamaQuantizeUnavailable();
if (unavailable) console.warn(`quantize conformance skipped: ${unavailable}`);

interface SourceModel {
  readonly label: string;
  readonly arch: Architecture;
  readonly layers: number;
  readonly width: number;
  readonly heads: number;
  readonly headsKv: number;
  readonly ff: number;
  readonly tied: boolean;
  /** The source file's type: F32, or F16 (llama.cpp and we both widen it to f32 first). */
  readonly source: 'F32' | 'F16';
}

const RULE_MODELS: readonly SourceModel[] = [
  { label: 'llama, 8 layers, gqa 4, ff 352', arch: 'llama', layers: 8, width: 256, heads: 8, headsKv: 2, ff: 352, tied: false, source: 'F32' },
  { label: 'llama, 9 layers, gqa 1, ff 256, tied', arch: 'llama', layers: 9, width: 256, heads: 4, headsKv: 4, ff: 256, tied: true, source: 'F32' },
  { label: 'qwen2, 16 layers, gqa 8, ff 64, tied', arch: 'qwen2', layers: 16, width: 256, heads: 8, headsKv: 1, ff: 64, tied: true, source: 'F32' },
  { label: 'gpt2, 8 layers, ff 256, tied', arch: 'gpt2', layers: 8, width: 256, heads: 4, headsKv: 4, ff: 256, tied: true, source: 'F32' },
  { label: 'gpt2, 3 layers, width 96, ff 80', arch: 'gpt2', layers: 3, width: 96, heads: 4, headsKv: 4, ff: 80, tied: false, source: 'F32' },
  // llama.cpp's 70B class (attn_v's Q3_K/Q4_K become Q5_K); narrow, so every type is a fallback's
  // (still telling Q3_K -> Q4_0 from Q5_K -> Q5_1).
  { label: 'llama, 80 layers, gqa 4, width 32', arch: 'llama', layers: 80, width: 32, heads: 4, headsKv: 1, ff: 32, tied: false, source: 'F32' },
];

/** Small enough to quantise whole with every scheme: one layer, K-quant rows only where they must be. */
const WHOLE_MODEL: SourceModel = { label: 'llama, 1 layer, gqa 8, ff 32, tied, F16 source', arch: 'llama', layers: 1, width: 256, heads: 8, headsKv: 1, ff: 32, tied: true, source: 'F16' };

/**
 * On the rule models: the file types whose rules look at the model (Q4_1, Q5_0 and Q5_1 follow
 * Q4_0's, the float types have none: the whole model takes those), and --pure.
 */
const RULE_SCHEMES: readonly ResolvedScheme[] = [
  ...['Q4_0', 'Q8_0', 'Q2_K', 'Q3_K_S', 'Q3_K_M', 'Q3_K_L', 'Q4_K_S', 'Q4_K_M', 'Q5_K_S', 'Q5_K_M', 'Q6_K', 'IQ4_NL', 'IQ4_XS', 'Q4_K'].map((s) => resolveScheme(s)),
  resolveScheme('Q2_K', { pure: true }),
];
/** On the whole model: every spelling, and --pure once through quantizeFile's option. */
const WHOLE_SCHEMES: readonly ResolvedScheme[] = [...QUANT_SCHEMES.map((s) => resolveScheme(s)), resolveScheme('Q2_K', { pure: true })];
const label = (s: ResolvedScheme) => `${s.name}${s.pure && !['Q3_K', 'Q4_K', 'Q5_K'].includes(s.name) ? ' --pure' : ''}`;

const OUT_DIR = join(CACHE_DIR, 'quantize');

describe.skipIf(unavailable !== undefined)('quantize: the tensor types and bytes llama-quantize writes', () => {
  for (const m of RULE_MODELS) {
    describe(m.label, () => {
      afterAll(() => widened.clear());
      for (const s of RULE_SCHEMES) {
        it(label(s), () => {
          const src = sourcePath(m);
          withFiles([src, oraclePath(src, s)], ([a, b]) => {
            const model = quantModelFromGGUF(a.metadata, a.tensors.map((t) => t.name));
            expect(typeMismatches(a, b, s, model)).toEqual([]);
            expect(sampledRowMismatches(src, a, b)).toEqual([]);
            expect(b.metadata.get('general.file_type')?.value).toBe(s.ftype);
          });
        });
      }
    });
  }

  describe(`${WHOLE_MODEL.label}: quantizeFile, every byte`, () => {
    for (const s of WHOLE_SCHEMES) {
      it(label(s), () => {
        const src = sourcePath(WHOLE_MODEL);
        const ours = src.replace(/-q1\.gguf$/, `-ours-${fileLabel(s)}.gguf`);
        quantizeFile(src, ours, s.name, undefined, { pure: s.pure });
        withFiles([oraclePath(src, s), ours], ([a, b]) => {
          expect(b.tensors.map((t) => t.name).sort()).toEqual(a.tensors.map((t) => t.name).sort());
          const diffs: string[] = [];
          for (const t of a.tensors) {
            const u = b.tensors.find((x) => x.name === t.name)!;
            if (u.type !== t.type) diffs.push(`${t.name}: ours ${ggmlTypeName(u.type)}, llama.cpp ${ggmlTypeName(t.type)}`);
            else if (!sameBytes(b.tensorData(u), a.tensorData(t))) diffs.push(`${t.name} (${ggmlTypeName(t.type)}): bytes differ`);
          }
          expect(diffs).toEqual([]);
          for (const key of ['general.file_type', 'general.quantization_version']) expect(b.metadata.get(key)?.value, key).toBe(a.metadata.get(key)?.value);
        });
      });
    }
  });
});

/** The F32/F16 source file, written once (the name encodes every input). */
function sourcePath(m: SourceModel): string {
  mkdirSync(OUT_DIR, { recursive: true });
  const name = `src-${m.arch}-l${m.layers}-w${m.width}-h${m.heads}x${m.headsKv}-f${m.ff}${m.tied ? '-tied' : ''}-${m.source}-q1.gguf`;
  const path = join(OUT_DIR, name);
  if (!existsSync(path)) {
    writeGGUF(path, syntheticModel({
      arch: m.arch,
      vocab: smallGpt2Vocab(257),
      embeddingLength: m.width,
      blockCount: m.layers,
      feedForwardLength: m.ff,
      headCount: m.heads,
      headCountKv: m.headsKv,
      contextLength: 64,
      quant: m.source,
      seed: 11,
      tiedEmbeddings: m.tied,
    }));
  }
  return path;
}

/** llama.cpp's quantisation of `src` under a scheme, written afresh each run (it takes a fraction of a second). */
function oraclePath(src: string, s: ResolvedScheme): string {
  const out = src.replace(/-q1\.gguf$/, `-llama-${fileLabel(s)}.gguf`);
  llamaQuantize(src, out, s.ftype, { pure: s.pure });
  return out;
}

function fileLabel(s: ResolvedScheme): string {
  return `${s.name}${s.pure ? '-pure' : ''}`;
}

/** The same tensor names, and per tensor the type our rules give it against the one llama.cpp chose. */
function typeMismatches(src: GGUFFile, theirs: GGUFFile, s: ResolvedScheme, model: QuantModel): string[] {
  const out: string[] = [];
  const names = new Set(theirs.tensors.map((t) => t.name));
  for (const t of src.tensors) {
    if (!names.delete(t.name)) out.push(`${t.name}: missing from llama.cpp's file`);
    const want = tensorTypeFor(s, t, model);
    const got = theirs.tensors.find((x) => x.name === t.name)?.type;
    if (got !== undefined && got !== want) out.push(`${t.name}: ours ${ggmlTypeName(want)}, llama.cpp ${ggmlTypeName(got)}`);
  }
  for (const n of names) out.push(`${n}: only in llama.cpp's file`);
  return out;
}

/**
 * Per tensor, rows quantised with our reference quantiser from the source values against llama.cpp's
 * bytes for them: the first and last row of each block-quantised tensor (a K-quant row of 256 takes
 * ~1 ms here), float tensors whole.
 */
function sampledRowMismatches(srcPath: string, src: GGUFFile, theirs: GGUFFile): string[] {
  const out: string[] = [];
  for (const t of theirs.tensors) {
    const s = src.tensors.find((x) => x.name === t.name);
    if (!s) continue;
    const values = sourceValues(srcPath, src, s);
    const q = quantType(t.type);
    const data = theirs.tensorData(t);
    if (q.blockSize === 1) {
      if (!sameBytes(q.quantize(values), data)) out.push(`${t.name} (${ggmlTypeName(t.type)}): bytes differ`);
      continue;
    }
    const rowLen = s.dims[0];
    const rows = s.elements / rowLen;
    const rowBytes = rowByteSize(t.type, rowLen);
    for (const r of new Set([0, rows - 1])) {
      const mine = q.quantize(values.subarray(r * rowLen, (r + 1) * rowLen));
      if (!sameBytes(mine, data.subarray(r * rowBytes, (r + 1) * rowBytes))) {
        out.push(`${t.name} (${ggmlTypeName(t.type)}) row ${r}: bytes differ`);
        break;
      }
    }
  }
  return out;
}

/** A source tensor's values as f32, widened once per model (afterAll lets them go). */
function sourceValues(path: string, file: GGUFFile, t: GGUFTensorInfo): Float32Array {
  const key = `${path}:${t.name}`;
  let v = widened.get(key);
  if (!v) {
    v = new Float32Array(t.elements);
    quantType(t.type).dequantize(file.tensorData(t), v);
    widened.set(key, v);
  }
  return v;
}
const widened = new Map<string, Float32Array>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** Opens the files for `body`; every file but the first (the cached source) is an output, removed after. */
function withFiles(paths: readonly string[], body: (files: GGUFFile[]) => void): void {
  const files = paths.map((p) => openGGUF(p));
  try {
    body(files);
  } finally {
    for (const f of files) f.close();
    for (const p of paths.slice(1)) rmSync(p, { force: true });
  }
}
