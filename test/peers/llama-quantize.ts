import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileAgainstLlama } from '../../bench/lib/paths.js';

/**
 * llama.cpp's llama_model_quantize (libllama of node-llama-cpp's prebuild), default parameters and
 * no importance matrix: the oracle for `localgpt quantize`. llama-quantize.c says what it runs.
 */
export function llamaQuantizeUnavailable(): string | undefined {
  try {
    oracleBinary();
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** Quantises `input` into `output` as llama.cpp would for this llama_ftype; throws with its log when it refuses. */
export function llamaQuantize(input: string, output: string, ftype: number, options: { pure?: boolean } = {}): void {
  const args = [input, output, String(ftype), ...(options.pure ? ['pure'] : [])];
  const r = spawnSync(oracleBinary(), args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`llama-quantize ${args.join(' ')} failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}): ${(r.stderr || '').trim().split('\n').slice(-5).join(' | ')}`);
}

const here = fileURLToPath(new URL('.', import.meta.url));
let binary: string | undefined;

function oracleBinary(): string {
  if (binary) return binary;
  const cache = join(here, '../.cache');
  mkdirSync(cache, { recursive: true });
  binary = compileAgainstLlama(join(here, 'llama-quantize.c'), join(cache, 'llama-quantize'));
  return binary;
}
