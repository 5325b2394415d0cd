/**
 * What the JS side costs per decoded token on the cpu backend: the round trip of one eval as JS
 * sees it (N-API call, libuv worker hop, promise) minus the forward pass the addon timed on its
 * worker thread, and the generation loop's own cost per token (sampling, detokenising, stop
 * checks) over the bare evals.
 *
 *   npx tsx bench/eval-overhead.ts MODEL.gguf [threads=1] [steps=200]
 */
import { loadModel } from '../src/index.js';
import type { NativeAddon, NativeModelHandle } from '../src/engine/native/load.js';

interface CpuContextInternals {
  eval(tokens: number[], pos: number): Promise<Float32Array>;
  truncate(n: number): void;
  readonly native: NativeAddon;
  readonly handle: NativeModelHandle;
}

const [path, th = '1', st = '200'] = process.argv.slice(2);
if (!path) throw new Error('usage: npx tsx bench/eval-overhead.ts MODEL.gguf [threads] [steps]');
const steps = Number(st);
const model = await loadModel(path, { backend: 'cpu', threads: Number(th), contextLength: 1024 });
const ctx = (model as unknown as { context: CpuContextInternals }).context;
const prompt = Array.from({ length: 16 }, (_, i) => ((i * 7919 + 13) % (model.config.vocabSize - 10)) + 10);

// Three rounds of (bare evals, then the generate loop), each figure's best round: the host's speed
// drifts, and a difference of two means taken minutes apart would mostly measure the drift.
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
let bestTrip = Infinity, bestOutside = Infinity, bestLoop = Infinity;
for (let round = 0; round < 3; round++) {
  ctx.truncate(0);
  let logits = await ctx.eval(prompt, 0);
  const trip: number[] = [];
  const outside: number[] = [];
  for (let i = 0; i < steps; i++) {
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j]! > logits[best]!) best = j;
    const t0 = performance.now();
    logits = await ctx.eval([best], prompt.length + i);
    const js = performance.now() - t0;
    trip.push(js);
    outside.push(js - ctx.native.modelInfo(ctx.handle).lastEvalMs);
  }
  // The default sampling chain (seeded): a greedy one would take the native loop (greedySteps) and
  // never return to JS between tokens.
  const res = await model.completeAll(prompt, { maxTokens: steps + 1, sampling: { seed: 1 + round }, addSpecial: false });
  const perToken = res.timings.decodeMs / Math.max(1, res.ids.length - 1);
  bestTrip = Math.min(bestTrip, mean(trip));
  bestOutside = Math.min(bestOutside, med(outside));
  bestLoop = Math.min(bestLoop, perToken - mean(trip));
}
console.log(
  `${path.split('/').pop()} t${th}, ${steps} decode steps, best of 3 rounds:\n` +
    `  eval round trip ${bestTrip.toFixed(3)} ms (mean), of which outside the forward pass ${(bestOutside * 1e3).toFixed(0)} us (median)\n` +
    `  generate loop: ${(bestLoop * 1e3).toFixed(0)} us per token over a bare eval (sampling, detokenising, stop checks)`,
);
model.dispose();
