/**
 * Prefill and decode timing of the native backend on one GGUF file, for profiling (perf record
 * -g node ...) and A/B runs: min over repeats, as quiet a figure as a shared machine gives.
 *
 *   npx tsx bench/native-prof.ts MODEL.gguf [prompt=128] [decode=64] [threads=1] [repeats=5]
 */
import { loadModel } from '../src/index.js';

const [path, p = '128', d = '64', th = '1', rp = '5'] = process.argv.slice(2);
const model = await loadModel(path!, { backend: 'cpu', threads: Number(th), contextLength: 1024 });
const ctx = (model as unknown as { context: { eval(t: number[], pos: number, o?: { into?: Float32Array }): Promise<Float32Array>; truncate(n: number): void } }).context;
const prompt = Array.from({ length: Number(p) }, (_, i) => (i * 7919 + 13) % 8000 + 10);
let bestP = Infinity, bestD = Infinity;
for (let r = 0; r < Number(rp); r++) {
  ctx.truncate(0);
  let t0 = performance.now();
  let logits = await ctx.eval(prompt, 0);
  const row = new Float32Array(logits.length);
  bestP = Math.min(bestP, performance.now() - t0);
  t0 = performance.now();
  let tok = 0;
  for (let i = 0; i < Number(d); i++) {
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j]! > logits[best]!) best = j;
    tok = best;
    // One logits array for the whole loop, as generate keeps: a fresh one per token would put its
    // page faults (~3% of a 500M decode under perf) in the profile.
    logits = await ctx.eval([tok], prompt.length + i, { into: row });
  }
  bestD = Math.min(bestD, performance.now() - t0);
}
console.log(`${path!.split('/').pop()} t${th}: prefill ${p} tok ${(Number(p) / bestP * 1e3).toFixed(0)} tok/s, decode ${(Number(d) / bestD * 1e3).toFixed(0)} tok/s`);
model.dispose();
