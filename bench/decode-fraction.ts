/**
 * Decode's fraction of the memory bandwidth, paired in time: triad probes (bench/c/roofline.c) and
 * timed decodes alternate, and each decode's weight bytes per second is divided by the better of
 * the probes just before and just after it (a neighbour's load only ever lowers a probe). On a
 * shared host the bandwidth drifts 10-50% from minute to minute (bench/RESULTS.md runs 34-35), so
 * a fraction whose numerator and denominator were measured minutes apart swings with it; the
 * median of paired ratios is the figure the bench's one pass cannot give (bench/native-notes.md
 * section 24).
 *
 *   npx tsx bench/decode-fraction.ts MODEL.gguf [threads=2] [pairs=8] [prompt=128] [decode=64]
 */
import { loadModel } from '../src/index.js';
import { timeEngineRuns, type EngineRuns } from './lib/engine.js';
import { measureTriad } from './lib/machine.js';
import { modelCost } from './lib/models.js';
import { refillInHugePages } from './lib/pages.js';

const [path, th = '2', pairsArg = '8', p = '128', d = '64'] = process.argv.slice(2);
if (!path) throw new Error('usage: npx tsx bench/decode-fraction.ts MODEL.gguf [threads] [pairs] [prompt] [decode]');
const threads = Number(th);
const bytesPerToken = modelCost(path).weightBytesPerToken;
refillInHugePages(path);  // the weights through 2 MiB pages, whatever filled their cache before
const model = await loadModel(path, { backend: 'cpu', threads, contextLength: Math.max(1024, Number(p) + Number(d) + 8) });
try {
  const runs: EngineRuns = { ttft: [], prefill: [], decode: [] };
  await timeEngineRuns(model, Number(p), Number(d), 0, 1, runs);  // warm-up: page faults, clocks
  let before = triad(threads);
  const ratios: number[] = [];
  for (let i = 0; i < Number(pairsArg); i++) {
    const had = runs.decode.length;
    await timeEngineRuns(model, Number(p), Number(d), 1, 0, runs, i);
    const after = triad(threads);
    // A generation that stops at its first token has no decode rate: not the previous pair's.
    if (runs.decode.length === had) throw new Error(`pair ${i + 1}: the generation stopped before a decode step`);
    const tokS = runs.decode.at(-1)!;
    const gbS = (tokS * bytesPerToken) / 1e9;
    const bw = Math.max(before, after);
    ratios.push(gbS / bw);
    console.log(`pair ${i + 1}: decode ${tokS.toFixed(1)} tok/s = ${gbS.toFixed(1)} GB/s; triad ${before.toFixed(1)} / ${after.toFixed(1)} GB/s; ${(100 * gbS / bw).toFixed(0)}%`);
    before = after;
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  console.log(`${path.split('/').pop()} t${threads}: decode / triad median ${pct(sorted[Math.floor(sorted.length / 2)]!)} [${sorted.map(pct).join(', ')}]`);
} finally {
  model.dispose();
}

function triad(n: number): number {
  const gb = measureTriad(n, n)?.[String(n)];
  if (!gb) throw new Error('no triad probe on this machine (bench/c/roofline.c needs gcc)');
  return gb;
}
