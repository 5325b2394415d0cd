/**
 * A/B of the activation quantisers (Q8_0, Q8_1, Q8_K) per ISA path, interleaved in one process
 * (min of 15 rounds of ~20 ms per side), so load from other processes hits both sides alike.
 *
 *   npx tsx bench/native-act.ts [n=4096] [rows=64]
 */
import { loadNative } from '../src/engine/native/load.js';

const native = loadNative();
if (!native) throw new Error('native addon unavailable');
const n = Number(process.argv[2] ?? 4096), rows = Number(process.argv[3] ?? 64);
const qa = native.quantizeActivation as unknown as (type: number, x: Float32Array, isa: string) => Uint8Array;
const x = new Float32Array(n * rows).map((_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
const isas = native.info().available.filter((i) => i === 'scalar' || i === 'avx2');

for (const [name, type] of [['Q8_0', 8], ['Q8_1', 9], ['Q8_K', 15]] as const) {
  const best = isas.map(() => Infinity);
  for (let rep = 0; rep < 15; rep++) {
    isas.forEach((isa, k) => {
      const t0 = process.hrtime.bigint();
      let calls = 0;
      do { qa(type, x, isa); calls++; } while (Number(process.hrtime.bigint() - t0) < 20e6);
      best[k] = Math.min(best[k], Number(process.hrtime.bigint() - t0) / calls);
    });
  }
  const cols = isas.map((isa, k) => `${isa} ${((n * rows) / best[k]).toFixed(2).padStart(6)} Gvalues/s`).join('  ');
  console.log(`${name}  ${n * rows} values  ${cols}  x${(best[0] / best[best.length - 1]).toFixed(2)}`);
}
