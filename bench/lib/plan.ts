/**
 * What the suite runs: model shapes, quantisations, prompt lengths and backends, for the full
 * table and for --quick. Pure data, so the tests can check a plan without timing anything.
 */
import type { Architecture } from '../../src/engine/model/config.js';

export type BackendName = 'reference' | 'cpu';
export type Mode = 'quick' | 'full';

export interface ModelShape {
  /** Row label: 'gpt2-15M', 'llama-110M', ... */
  readonly name: string;
  readonly arch: Architecture;
  readonly size: '15M' | '110M' | '500M';
  readonly vocab: number;
  readonly embedding: number;
  readonly layers: number;
  readonly ff: number;
  readonly heads: number;
  readonly headsKv: number;
  readonly context: number;
}

/**
 * GPT-2- and Llama-shaped models of about 15M, 110M and 500M parameters (a GPT-2 vocabulary cut to
 * fit; llama's three-matrix FFN is 2/3 as wide, rounded to 256 so K-quants tile whole rows).
 */
export const MODEL_SHAPES: readonly ModelShape[] = [
  { name: 'gpt2-15M', arch: 'gpt2', size: '15M', vocab: 8192, embedding: 384, layers: 5, ff: 1536, heads: 6, headsKv: 6, context: 1024 },
  { name: 'llama-15M', arch: 'llama', size: '15M', vocab: 8192, embedding: 384, layers: 5, ff: 1024, heads: 6, headsKv: 2, context: 1024 },
  { name: 'gpt2-110M', arch: 'gpt2', size: '110M', vocab: 16384, embedding: 768, layers: 12, ff: 3072, heads: 12, headsKv: 12, context: 1024 },
  { name: 'llama-110M', arch: 'llama', size: '110M', vocab: 16384, embedding: 768, layers: 12, ff: 2048, heads: 12, headsKv: 4, context: 1024 },
  { name: 'gpt2-500M', arch: 'gpt2', size: '500M', vocab: 32768, embedding: 1280, layers: 22, ff: 5120, heads: 20, headsKv: 20, context: 1024 },
  { name: 'llama-500M', arch: 'llama', size: '500M', vocab: 32768, embedding: 1280, layers: 22, ff: 3328, heads: 20, headsKv: 4, context: 1024 },
];

/** 4-, 8- and 16-bit: Q4_0 and Q4_K_M (4), Q8_0 (8), F16 (16). */
export const FULL_QUANTS = ['Q4_0', 'Q4_K_M', 'Q8_0', 'F16'] as const;
export const QUICK_QUANTS = ['Q4_0', 'Q8_0', 'F16'] as const;
export const FULL_PROMPTS = [50, 128, 512] as const;
export const QUICK_PROMPTS = [50, 128] as const;
/** The reference backend is plain TypeScript: only the 15M models, only prompts up to this. */
export const REFERENCE_MAX_PROMPT = 50;

export interface BenchCase {
  readonly model: ModelShape;
  readonly quant: string;
  readonly backend: BackendName;
  /** Native threads (the reference backend is single-threaded: 1). */
  readonly threads: number;
  readonly promptTokens: number;
  readonly decodeTokens: number;
  /** Timed runs (median, min, max over these) after `warmup` untimed ones. */
  readonly runs: number;
  readonly warmup: number;
  /** Run llama.cpp on the same file for this row (once per model/quant/prompt, on the cpu rows). */
  readonly peer: boolean;
}

export interface PlanOptions {
  readonly mode: Mode;
  /** Backends present on this machine. */
  readonly backends: readonly BackendName[];
  /** Thread counts for the cpu backend (each its own row); default [1]. */
  readonly threads?: readonly number[];
  readonly peers?: boolean;
  readonly runs?: number;
  /** Restrict to these model names / quants (for ad-hoc runs). */
  readonly models?: readonly string[];
  readonly quants?: readonly string[];
  readonly prompts?: readonly number[];
}

export function planCases(o: PlanOptions): BenchCase[] {
  const quick = o.mode === 'quick';
  const runs = Math.max(5, o.runs ?? 5);
  const shapes = MODEL_SHAPES.filter((m) => (o.models ? o.models.includes(m.name) : quick ? m.size === '15M' : true));
  const quants = o.quants ?? (quick ? QUICK_QUANTS : FULL_QUANTS);
  const prompts = o.prompts ?? (quick ? QUICK_PROMPTS : FULL_PROMPTS);
  const referenceQuickModel = shapes.find((m) => m.size === '15M' && m.arch === 'llama') ?? shapes.find((m) => m.size === '15M');
  const out: BenchCase[] = [];
  for (const model of shapes) {
    for (const quant of quants) {
      for (const promptTokens of prompts) {
        for (const backend of o.backends) {
          if (backend === 'reference') {
            // slow by design: 15M models, short prompts, and in quick mode one row (llama-15M, the first quantisation)
            if (model.size !== '15M' || promptTokens > REFERENCE_MAX_PROMPT) continue;
            if (quick && (quant !== quants[0] || model !== referenceQuickModel)) continue;
          }
          for (const threads of backend === 'cpu' ? [...new Set(o.threads ?? [1])] : [1]) out.push({
            model,
            quant,
            backend,
            threads,
            promptTokens,
            decodeTokens: backend === 'reference' ? 8 : quick ? 16 : 32,
            runs,
            warmup: 1,
            peer: (o.peers ?? true) && backend === 'cpu',
          });
        }
      }
    }
  }
  return out;
}

/** Approximate parameter count of a shape (matrices + embeddings; norms and biases are noise). */
export function shapeParameters(m: ModelShape): number {
  const headDim = m.embedding / m.heads;
  const kv = m.headsKv * headDim;
  const attn = m.embedding * (m.embedding * 2 + kv * 2);
  const ffn = m.arch === 'gpt2' ? 2 * m.embedding * m.ff : 3 * m.embedding * m.ff;
  return m.layers * (attn + ffn) + 2 * m.vocab * m.embedding;
}
