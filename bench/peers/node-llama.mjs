// llama.cpp through node-llama-cpp 3.21.1, timed the way a Node program would use it.
// Runs in its own process (a crash in the peer never takes the suite down).
//   node node-llama.mjs < job.json > result.json
//   job: { model, threads: number[], sets: [{ prompts: number[][] (one per run, warm-ups first), warmup, decodeTokens }] }
//   result: { sets: [{ byThreads: [{ threads, runs: [{ prefill_ms, decode_ms, decoded }] }] }] }
// One process and one model load for every prompt length of a file.
// node-llama-cpp is taken from bench/peers/node_modules when `npm --prefix bench/peers ci` was run,
// else from test/peers/node_modules (the install `npm test` makes): the same pinned 3.21.1 either way.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const candidates = [join(here, 'node_modules/node-llama-cpp/dist/index.js'), join(here, '../../test/peers/node_modules/node-llama-cpp/dist/index.js')];
const entry = candidates.find((p) => existsSync(p));
if (!entry) {
  process.stderr.write('node-llama-cpp is not installed (run `npm run peers` or `npm --prefix bench/peers ci`)\n');
  process.exit(3);
}
const { getLlama } = await import(pathToFileURL(entry).href);

const job = JSON.parse(await readStdin());
const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: 'error' });
const model = await llama.loadModel({ modelPath: job.model, gpuLayers: 0, useMmap: true });
const sets = job.sets.map(() => ({ byThreads: [] }));
const longest = Math.max(...job.sets.flatMap((set) => set.prompts.map((p) => p.length)));
const contextSize = longest + Math.max(...job.sets.map((set) => set.decodeTokens)) + 16;
try {
  for (const threads of job.threads) {
    const context = await model.createContext({ contextSize, batchSize: longest, threads, flashAttention: false });
    try {
      const seq = context.getSequence();
      job.sets.forEach((set, si) => sets[si].byThreads.push({ threads, runs: [] }));
      for (let si = 0; si < job.sets.length; si++) {
        const set = job.sets[si];
        const runs = sets[si].byThreads[sets[si].byThreads.length - 1].runs;
        for (let r = 0; r < set.prompts.length; r++) {
          await seq.clearHistory();
          const t0 = performance.now();
          let t1 = t0;
          let n = 0;
          for await (const _token of seq.evaluate(set.prompts[r], { temperature: 0 })) {
            if (n === 0) t1 = performance.now();
            if (n >= set.decodeTokens) break;
            n++;
          }
          const t2 = performance.now();
          if (r >= set.warmup) runs.push({ prefill_ms: t1 - t0, decode_ms: t2 - t1, decoded: n });
        }
      }
    } finally {
      await context.dispose();
    }
  }
} finally {
  await model.dispose();
}
process.stdout.write(JSON.stringify({ sets }));

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}
