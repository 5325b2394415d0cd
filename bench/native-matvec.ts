/**
 * Native matvec throughput per type and ISA: weight bytes streamed per second (GB/s) for a
 * decode-shaped product (rows x cols weight, one activation row), one thread and all threads,
 * next to a memory-bandwidth estimate (a large Float64Array sum in JS is a floor; a plain
 * memcpy-like pass through the addon's F32 dot product is the roofline proxy).
 *
 *   npx tsx bench/native-matvec.ts [rows=4096] [cols=4096] [types=Q4_0,Q8_0,Q4_K,Q6_K,F16]
 */
import { loadNative, nativeUnavailableReason } from '../src/engine/native/load.js';
import { quantTypeByName } from '../src/engine/quant/registry.js';

const native = loadNative();
if (!native) {
  console.error(`native addon unavailable: ${nativeUnavailableReason()}`);
  process.exit(1);
}
const rows = Number(process.argv[2] ?? 4096);
const cols = Number(process.argv[3] ?? 4096);
const names = (process.argv[4] ?? 'Q4_0,Q8_0,Q4_K,Q6_K,F16,F32').split(',');
const info = native.info();
console.log(`cpu: ${info.cpuFeatures}; isa paths: ${info.available.join(', ')}; threads: ${info.threads}`);

function time(fn: () => void, minMs = 400): number {
  fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    n++;
    t = performance.now();
  }
  return (t - t0) / n / 1000;
}

const x = new Float32Array(cols).map(() => Math.random() - 0.5);
for (const name of names) {
  const t = quantTypeByName(name);
  if (!t) continue;
  // random bytes are fine for timing; keep f16 scales finite by quantising real floats instead
  const wf = new Float32Array(rows * cols).map(() => Math.random() - 0.5);
  const w = t.quantize(wf);
  for (const isa of info.available) {
    for (const threads of [1, info.threads]) {
      const s = time(() => native.matmul(t.type, w, rows, cols, x, 1, threads, isa));
      console.log(`${name.padEnd(5)} ${isa.padEnd(7)} threads=${threads}  ${(s * 1e3).toFixed(3)} ms  ${(w.length / s / 1e9).toFixed(2)} GB/s  (${(w.length / 1e6).toFixed(1)} MB)`);
    }
  }
}
// memory bandwidth proxy: stream a 256 MB buffer through the F32 dot (bandwidth-bound at any ISA)
const big = 64 * 1024 * 1024;
const bw = new Float32Array(big).fill(0.5);
const one = new Float32Array(4096).fill(1);
const bwBytes = new Uint8Array(bw.buffer);
for (const threads of [1, info.threads]) {
  const s = time(() => native.matmul(0, bwBytes, big / 4096, 4096, one, 1, threads), 800);
  console.log(`stream  F32 dot over 256 MB threads=${threads}: ${(bwBytes.length / s / 1e9).toFixed(2)} GB/s (memory-bandwidth proxy)`);
}
