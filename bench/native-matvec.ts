/**
 * Native matvec throughput per type and ISA, now a thin front end to the suite's kernel
 * micro-benchmarks (bench/lib/kernels.ts, which iterates the quantisation registry) and its
 * roofline probe (bench/lib/machine.ts): `localgpt bench` runs the same code.
 *
 *   npx tsx bench/native-matvec.ts [rows=4096] [cols=4096] [types=all]
 */
import { loadNative, nativeUnavailableReason } from '../src/engine/native/load.js';
import { runKernels } from './lib/kernels.js';
import { limitAt, measureLimits } from './lib/machine.js';

const native = loadNative();
if (!native) {
  console.error(`native addon unavailable: ${nativeUnavailableReason()}`);
  process.exit(1);
}
const rows = Number(process.argv[2] ?? 4096);
const cols = Number(process.argv[3] ?? 4096);
const types = process.argv[4]?.split(',');
const info = native.info();
console.log(`cpu: ${info.cpuFeatures}; isa paths: ${info.available.join(', ')}; threads: ${info.threads}`);
const threads = [...new Set([1, info.threads])];
const log = (s: string) => console.error(s);
for (const k of runKernels({ rows, cols, batch: 32, threads, reference: false, referenceRows: 0, types, runs: 5, minMs: 100 }, log)) {
  console.log(`${k.type.padEnd(5)} ${k.isa.padEnd(7)} threads=${k.threads}  matvec ${k.matvec_gb_per_s.toFixed(2)} GB/s ${k.matvec_gop_per_s.toFixed(1)} GOP/s  matmul(x${k.batch}) ${k.matmul_gop_per_s?.toFixed(1) ?? '-'} GOP/s`);
}
const limits = measureLimits(info.threads, false, log);
for (const t of threads) console.log(`memory bandwidth (triad, ${t} threads): ${limitAt(limits?.triad_gb_per_s, t)?.toFixed(2)} GB/s [${limits?.source}]`);
