/**
 * A/B of the native matmul's tiled kernels against one vec_dot per output, interleaved in one
 * process (min of many short runs each), so load from other processes hits both sides alike.
 *
 *   npx tsx bench/native-tile.ts [rows=768] [cols=288] [batch=64] [types=Q4_0,Q8_0,Q4_K,Q6_K,F16] [threads=1]
 */
import { loadNative } from '../src/engine/native/load.js';
import { QUANT_TYPES } from '../src/engine/quant/registry.js';
import { kernelMatrix } from './lib/kernels.js';

const native = loadNative();
if (!native) throw new Error('native addon unavailable');
const rows = Number(process.argv[2] ?? 768), cols = Number(process.argv[3] ?? 288), batch = Number(process.argv[4] ?? 64);
const names = (process.argv[5] ?? 'Q4_0,Q8_0,Q4_K,Q6_K,F16').split(',');
const threads = Number(process.argv[6] ?? 1);
const mm = native.matmul as unknown as (...a: unknown[]) => Float32Array;
const x = new Float32Array(cols * batch).map((_, i) => Math.sin(i * 0.37));
function minTime(f: () => void): number {
  let best = Infinity;
  for (let rep = 0; rep < 15; rep++) {
    const t0 = process.hrtime.bigint();
    let n = 0;
    do { f(); n++; } while (Number(process.hrtime.bigint() - t0) < 20e6);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
}
for (const name of names) {
  const t = QUANT_TYPES.find((q) => q.name === name);
  if (!t || cols % t.blockSize) continue;
  const w = kernelMatrix(t, rows, cols);
  for (const b of [1, batch]) {
    const xs = x.subarray(0, b * cols);
    const ops = 2 * rows * cols * b;
    const plain = minTime(() => mm(t.type, w, rows, cols, xs, b, threads, 'avx2', false));
    const tiled = minTime(() => mm(t.type, w, rows, cols, xs, b, threads, 'avx2', true));
    console.log(`${name.padEnd(5)} ${rows}x${cols} batch ${String(b).padEnd(4)} per-row ${(ops / plain).toFixed(1).padStart(6)} GOP/s  tiled ${(ops / tiled).toFixed(1).padStart(6)} GOP/s  x${(plain / tiled).toFixed(2)}`);
  }
}
