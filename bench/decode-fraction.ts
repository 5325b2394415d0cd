/**
 * Decode's fraction of the memory bandwidth, paired in time: bandwidth probes (bench/c/roofline.c:
 * the triad, the yardstick, and a read-only stream, a decode's own access) and timed
 * decodes alternate, and each decode's weight bytes per second is divided by the better of the
 * probes just before and just after it (a neighbour's load only ever lowers a probe). On a
 * shared host the bandwidth drifts 10-50% from minute to minute (bench/RESULTS.md runs 34-35), so
 * a fraction whose numerator and denominator were measured minutes apart swings with it; the
 * median of paired ratios is the figure the bench's one pass cannot give (bench/native-notes.md
 * section 24).
 *
 *   npx tsx bench/decode-fraction.ts MODEL.gguf [threads=2] [pairs=8] [prompt=128] [decode=64]
 */
import { loadModel } from '../src/index.js';
import { timeEngineRuns, type EngineRuns } from './lib/engine.js';
import { measureBandwidth } from './lib/machine.js';
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
  let before = bandwidth(threads);
  const ratios: number[] = [];
  const readRatios: number[] = [];
  for (let i = 0; i < Number(pairsArg); i++) {
    const had = runs.decode.length;
    await timeEngineRuns(model, Number(p), Number(d), 1, 0, runs, i);
    const after = bandwidth(threads);
    // A generation that stops at its first token has no decode rate: not the previous pair's.
    if (runs.decode.length === had) throw new Error(`pair ${i + 1}: the generation stopped before a decode step`);
    const tokS = runs.decode.at(-1)!;
    const gbS = (tokS * bytesPerToken) / 1e9;
    const bw = Math.max(before.triad, after.triad);
    const rd = Math.max(before.read, after.read);
    ratios.push(gbS / bw);
    readRatios.push(gbS / rd);
    console.log(
      `pair ${i + 1}: decode ${tokS.toFixed(1)} tok/s = ${gbS.toFixed(1)} GB/s; triad ${before.triad.toFixed(1)} / ${after.triad.toFixed(1)} GB/s, ` +
        `${(100 * gbS / bw).toFixed(0)}%; read ${before.read.toFixed(1)} / ${after.read.toFixed(1)} GB/s, ${(100 * gbS / rd).toFixed(0)}%`,
    );
    before = after;
  }
  console.log(`${path.split('/').pop()} t${threads}: decode / triad median ${median(ratios)}; decode / read-only stream median ${median(readRatios)}`);
} finally {
  model.dispose();
}

function bandwidth(n: number): { triad: number; read: number } {
  const b = measureBandwidth(n, n);
  const triad = b?.triad[String(n)], read = b?.read[String(n)];
  if (!triad || !read) throw new Error('no bandwidth probe on this machine (bench/c/roofline.c needs gcc)');
  return { triad, read };
}

/** The median of the ratios, then all of them in order, as percentages. */
function median(ratios: number[]): string {
  const sorted = [...ratios].sort((a, b) => a - b);
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  return `${pct(sorted[Math.floor(sorted.length / 2)]!)} [${sorted.map(pct).join(', ')}]`;
}
