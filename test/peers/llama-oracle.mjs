// llama.cpp, through node-llama-cpp 3.21.1 (CPU prebuild), as the conformance oracle.
// Runs in its own process so a crash in the peer never takes a test worker down with it.
// Usage: node llama-oracle.mjs < jobs.json > results.json
//   jobs: [{ model, tokenize?: [{text, special}], eval?: {tokens, greedy, contextSize, kvCache?} }]
//   results: [{ tokenize?: number[][], eval?: {generated: number[], firstProbabilities: [id, p][]} }]
import { getLlama } from 'node-llama-cpp';

const jobs = JSON.parse(await readStdin());
const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: 'error' });
const results = [];
for (const job of jobs) results.push(await run(job));
process.stdout.write(JSON.stringify(results));

async function run(job) {
  const model = await llama.loadModel({ modelPath: job.model, gpuLayers: 0, useMmap: true, vocabOnly: !job.eval });
  const out = {};
  try {
    if (job.tokenize) out.tokenize = job.tokenize.map(({ text, special }) => Array.from(model.tokenize(text, special)));
    if (job.eval) out.eval = await evaluate(model, job.eval);
  } finally {
    await model.dispose();
  }
  return out;
}

async function evaluate(model, { tokens, greedy, contextSize, kvCache = 'F32' }) {
  const context = await model.createContext({
    contextSize,
    batchSize: Math.max(tokens.length, 1),
    threads: 1,
    // Exact attention: llama.cpp's CPU flash-attention kernel rounds through f16 (up to 0.4 in a
    // logit on these models), which is a property of that kernel, not of the model.
    flashAttention: false,
    // F32 unless asked: the comparison then measures the weights' arithmetic, not cache rounding.
    experimentalKvCacheKeyType: kvCache,
    experimentalKvCacheValueType: kvCache,
  });
  try {
    const generated = [];
    let firstProbabilities;
    const iter = context.getSequence().evaluateWithMetadata(tokens, { probabilities: true }, { temperature: 0 });
    for await (const step of iter) {
      firstProbabilities ??= Array.from(step.probabilities.entries()).slice(0, 50);
      generated.push(step.token);
      if (generated.length >= greedy) break;
    }
    return { generated, firstProbabilities };
  } finally {
    await context.dispose();
  }
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}
