/**
 * A/B of the native matmul's kernels, interleaved in one process (each round times every variant
 * for ~20 ms; the min over rounds is kept), so load from other processes hits all sides alike:
 * the AVX2 tiled kernel against one AVX2 vec_dot per output, and with `vs=scalar` also against the
 * scalar kernels (for types that only just got SIMD paths).
 *
 *   npx tsx bench/native-tile.ts [rows=768] [cols=288] [batch=64] [types=Q4_0,Q8_0,Q4_K,Q6_K,F16] [threads=1] [vs=scalar]
 */
import { loadNative } from '../src/engine/native/load.js';
import { QUANT_TYPES } from '../src/engine/quant/registry.js';
import { kernelMatrix } from './lib/kernels.js';
import { interleavedMinNs } from './lib/stats.js';

const native = loadNative();
if (!native) throw new Error('native addon unavailable');
const rows = Number(process.argv[2] ?? 768), cols = Number(process.argv[3] ?? 288), batch = Number(process.argv[4] ?? 64);
const names = (process.argv[5] ?? 'Q4_0,Q8_0,Q4_K,Q6_K,F16').split(',');
const threads = Number(process.argv[6] ?? 1);
const vsScalar = process.argv[7] === 'vs=scalar';
const mm = native.matmul as unknown as (...a: unknown[]) => Float32Array;
const x = new Float32Array(cols * batch).map((_, i) => Math.sin(i * 0.37));

const gops = (ops: number, ns: number) => (ops / ns).toFixed(1).padStart(6);
for (const name of names) {
  const t = QUANT_TYPES.find((q) => q.name === name);
  if (!t || cols % t.blockSize) continue;
  const w = kernelMatrix(t, rows, cols);
  for (const b of [1, batch]) {
    const xs = x.subarray(0, b * cols);
    const ops = 2 * rows * cols * b;
    const fs = [
      () => mm(t.type, w, rows, cols, xs, b, threads, 'avx2', false),
      () => mm(t.type, w, rows, cols, xs, b, threads, 'avx2', true),
    ];
    if (vsScalar) fs.push(() => mm(t.type, w, rows, cols, xs, b, threads, 'scalar', false));
    const [plain, tiled, scalar] = interleavedMinNs(fs, vsScalar ? 7 : 15);
    const base = vsScalar ? `scalar ${gops(ops, scalar)} GOP/s  ` : '';
    const ratios = vsScalar ? `  x${(scalar / plain).toFixed(2)} / x${(scalar / tiled).toFixed(2)} vs scalar` : '';
    console.log(`${name.padEnd(5)} ${rows}x${cols} batch ${String(b).padEnd(4)} ${base}per-row ${gops(ops, plain)} GOP/s  tiled ${gops(ops, tiled)} GOP/s  x${(plain / tiled).toFixed(2)}${ratios}`);
  }
}
