/**
 * A/B of two builds of the native addon on one matrix product, interleaved in one process (each
 * round times both for ~20 ms, the min over 21 rounds is kept), so the host's drift hits both
 * alike: how kernel changes were measured (bench/native-notes.md). The model's own kernel choice
 * is used (tiled, rows-of-8 where the type has it).
 *
 *   npx tsx bench/native-ab.ts A.node B.node [rows=2048] [cols=2048] [batch=64] [types=Q8_0,Q4_0,F16] [threads=1]
 *
 * e.g. A = a copy of build/Release/localgpt_native.node made before the change, B = the rebuilt one.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { QUANT_TYPES } from '../src/engine/quant/registry.js';
import type { NativeAddon } from '../src/engine/native/load.js';
import { kernelMatrix } from './lib/kernels.js';
import { interleavedMinNs } from './lib/stats.js';

const [pa, pb, rs = '2048', cs = '2048', bs = '64', ts = 'Q8_0,Q4_0,F16', th = '1'] = process.argv.slice(2);
if (!pa || !pb) throw new Error('usage: npx tsx bench/native-ab.ts A.node B.node [rows] [cols] [batch] [types] [threads]');
const require = createRequire(import.meta.url);
const [a, b] = [pa, pb].map((p) => require(resolve(p)) as NativeAddon);
const rows = Number(rs), cols = Number(cs), batch = Number(bs), threads = Number(th);
const x = new Float32Array(cols * batch).map((_, i) => Math.sin(i * 0.37));

for (const name of ts.split(',')) {
  const t = QUANT_TYPES.find((q) => q.name === name);
  if (!t || cols % t.blockSize) continue;
  const w = kernelMatrix(t, rows, cols);
  const run = [a, b].map((addon) => () => addon.matmul(t.type, w, rows, cols, x, batch, threads, undefined, true, true));
  const best = interleavedMinNs(run, 21);
  const gops = (ns: number) => ((2 * rows * cols * batch) / ns).toFixed(1);
  console.log(`${name.padEnd(5)} ${rows}x${cols} batch ${batch} t${threads}: A ${gops(best[0])} GOP/s  B ${gops(best[1])} GOP/s  B/A ${(best[0] / best[1]).toFixed(3)}`);
}
