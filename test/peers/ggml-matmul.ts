import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileC, llamaCppSource, llamaLibDir } from '../../bench/lib/paths.js';

/**
 * llama.cpp's own matrix products (ggml_mul_mat on its CPU backend, one prebuilt kernel variant of
 * node-llama-cpp 3.21.1 pinned): the oracle the native kernels are checked against output by
 * output. ggml-matmul.c says what it computes.
 */
export interface GgmlMatmulJob {
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

const here = fileURLToPath(new URL('.', import.meta.url));

/** Why the oracle cannot run here (no peer install, no compiler, no such variant), or undefined when it can. */
export function ggmlMatmulUnavailable(variant: string): string | undefined {
  try {
    oracleBinary();
  } catch (err) {
    return (err as Error).message;
  }
  return existsSync(variantPath(variant)) ? undefined : `node-llama-cpp has no libggml-cpu-${variant}.so`;
}

export interface GgmlMatmulResult {
  /** Whether llama.cpp put the weights in its repacking buffer (asked for, and supported for the type and shape). */
  readonly repacked: boolean;
  /** batch x rows. */
  readonly out: Float32Array;
}

/** One process for all jobs; the results in job order. */
export function ggmlMatmul(variant: string, jobs: readonly GgmlMatmulJob[]): GgmlMatmulResult[] {
  const parts: Uint8Array[] = [new Uint8Array(new Int32Array([jobs.length]).buffer)];
  for (const j of jobs) {
    parts.push(new Uint8Array(new Int32Array([j.type, j.rows, j.cols, j.batch, j.repack ? 1 : 0]).buffer), j.w);
    parts.push(new Uint8Array(j.x.buffer, j.x.byteOffset, j.batch * j.cols * 4));
  }
  const r = spawnSync(oracleBinary(), [variantPath(variant)], { input: Buffer.concat(parts), maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ggml-matmul failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}): ${r.stderr.toString().trim()}`);
  const out = r.stdout;
  const results: GgmlMatmulResult[] = [];
  let at = 0;
  for (const j of jobs) {
    const n = j.rows * j.batch;
    const repacked = out.readInt32LE(at) === 1;
    results.push({ repacked, out: new Float32Array(out.buffer.slice(out.byteOffset + at + 4, out.byteOffset + at + 4 + 4 * n)) });
    at += 4 + 4 * n;
  }
  if (at !== out.length) throw new Error(`ggml-matmul wrote ${out.length} bytes, expected ${at}`);
  return results;
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
  binary = compileC(join(here, 'ggml-matmul.c'), join(cache, 'ggml-matmul'), [
    `-I${join(src, 'ggml/include')}`,
    `-L${lib}`,
    '-l:libggml.v0.4.0.so',
    '-l:libggml-base.so',
    `-Wl,-rpath,${lib}`,
  ]);
  return binary;
}
