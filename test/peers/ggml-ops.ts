import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileC, llamaCppSource, llamaLibDir } from '../../bench/lib/paths.js';

/**
 * llama.cpp's own CPU kernels (one prebuilt variant of node-llama-cpp 3.21.1 pinned): the oracle
 * the native kernels are checked against output by output. ggml-ops.c says what each op computes.
 */
export type GgmlJob =
  | {
      readonly op: 'mul_mat';
      readonly type: number;
      readonly rows: number;
      readonly cols: number;
      readonly batch: number;
      /** Weights in the CPU backend's repacking buffer, as llama.cpp loads model weights by default. */
      readonly repack: boolean;
      /** rows x cols in ggml's bytes of `type`. */
      readonly w: Uint8Array;
      /** batch x cols activations. */
      readonly x: Float32Array;
    }
  | {
      /** llama.cpp's SwiGLU: silu(gate) * up, element by element. */
      readonly op: 'swiglu';
      readonly gate: Float32Array;
      readonly up: Float32Array;
    };

export interface GgmlResult {
  /** Whether llama.cpp put the weights in its repacking buffer (asked for, and supported for the type and shape). */
  readonly repacked: boolean;
  /** mul_mat: batch x rows; swiglu: one value per element. */
  readonly out: Float32Array;
}

const here = fileURLToPath(new URL('.', import.meta.url));

/** Why the oracle cannot run here (no peer install, no compiler, no such variant), or undefined when it can. */
export function ggmlUnavailable(variant: string): string | undefined {
  try {
    oracleBinary();
  } catch (err) {
    return (err as Error).message;
  }
  return existsSync(variantPath(variant)) ? undefined : `node-llama-cpp has no libggml-cpu-${variant}.so`;
}

/** One process for all jobs; the results in job order. */
export function ggml(variant: string, jobs: readonly GgmlJob[]): GgmlResult[] {
  const bytes = (a: Float32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const header = (...v: number[]) => new Uint8Array(new Int32Array(v).buffer);
  const parts: Uint8Array[] = [header(jobs.length)];
  const sizes: number[] = [];
  for (const j of jobs) {
    if (j.op === 'mul_mat') {
      parts.push(header(0, j.type, j.rows, j.cols, j.batch, j.repack ? 1 : 0), j.w, bytes(j.x.subarray(0, j.batch * j.cols)));
      sizes.push(j.rows * j.batch);
    } else {
      if (j.up.length !== j.gate.length) throw new RangeError('swiglu: gate and up differ in length');
      parts.push(header(1, 0, 1, j.gate.length, 1, 0), bytes(j.gate), bytes(j.up));
      sizes.push(j.gate.length);
    }
  }
  const r = spawnSync(oracleBinary(), [variantPath(variant)], { input: Buffer.concat(parts), maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ggml-ops failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}): ${r.stderr.toString().trim()}`);
  const out = r.stdout;
  let at = 0;
  const results = sizes.map((n) => {
    const repacked = out.readInt32LE(at) === 1;
    const values = new Float32Array(out.buffer.slice(out.byteOffset + at + 4, out.byteOffset + at + 4 + 4 * n));
    at += 4 + 4 * n;
    return { repacked, out: values };
  });
  if (at !== out.length) throw new Error(`ggml-ops wrote ${out.length} bytes, expected ${at}`);
  return results;
}

/** The variant's GELU table (ggml_table_gelu_f16): the f16 result for every f16 input. */
export function ggmlGeluTable(variant: string): Uint16Array {
  const r = spawnSync(oracleBinary(), ['--gelu-table', variantPath(variant)], { maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`ggml-ops --gelu-table failed: ${r.stderr.toString().trim()}`);
  return new Uint16Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + r.stdout.length));
}

/**
 * The CPU variant llama.cpp runs on this machine (e.g. 'haswell', 'zen4'): the one whose
 * ggml_backend_score() is highest, as its loader chooses. Undefined when the oracle cannot run here.
 */
export function hostVariant(): string | undefined {
  if (hostVariantMemo !== undefined) return hostVariantMemo || undefined;
  hostVariantMemo = '';
  const dir = llamaLibDir();
  if (!dir) return undefined;
  let bin: string;
  try {
    bin = oracleBinary();
  } catch {
    return undefined;
  }
  const libs = readdirSync(dir).filter((f) => /^libggml-cpu-[\w-]+\.so$/.test(f));
  const r = spawnSync(bin, ['--score', ...libs.map((f) => join(dir, f))], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ggml-ops --score failed: ${(r.stderr || '').trim()}`);
  const scores = r.stdout.trim().split('\n').map(Number);
  let best = -1;
  scores.forEach((s, i) => {
    if (s > 0 && (best < 0 || s > scores[best])) best = i;
  });
  hostVariantMemo = best < 0 ? '' : libs[best].slice('libggml-cpu-'.length, -'.so'.length);
  return hostVariantMemo || undefined;
}
let hostVariantMemo: string | undefined;

/** Whether a variant's kernels use AVX-512 (its float types then take 16-lane orders, see native/quant). */
export function variantHasAvx512(variant: string): boolean {
  return ['skylakex', 'cannonlake', 'cascadelake', 'icelake', 'cooperlake', 'zen4', 'sapphirerapids'].includes(variant);
}

/** Whether a variant has AVX512_BF16 (its BF16 products take vdpbf16ps). */
export function variantHasBf16(variant: string): boolean {
  return ['cooperlake', 'zen4', 'sapphirerapids'].includes(variant);
}

function variantPath(variant: string): string {
  return join(llamaLibDir() ?? '', `libggml-cpu-${variant}.so`);
}

let binary: string | undefined;

function oracleBinary(): string {
  if (binary) return binary;
  const lib = llamaLibDir();
  if (!lib) throw new Error('node-llama-cpp with its linux-x64 prebuild is not installed (npm run peers)');
  const src = llamaCppSource();
  const cache = join(here, '../.cache');
  mkdirSync(cache, { recursive: true });
  binary = compileC(join(here, 'ggml-ops.c'), join(cache, 'ggml-ops'), [
    `-I${join(src, 'ggml/include')}`,
    `-L${lib}`,
    '-l:libggml.v0.4.0.so',
    '-l:libggml-base.so',
    `-Wl,-rpath,${lib}`,
  ]);
  return binary;
}
