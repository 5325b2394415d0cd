// llama.cpp, through node-llama-cpp 3.21.1 (CPU prebuild), as the conformance oracle.
// Runs in its own process so a crash in the peer never takes a test worker down with it.
// Usage: node llama-oracle.mjs < request.json > response.json
//   request: { model, tokenize?: [{text, special}], eval?: {tokens, greedy, contextSize, topLogprobs} }
import { getLlama } from 'node-llama-cpp';

const request = JSON.parse(await readStdin());
const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: 'error' });
const model = await llama.loadModel({ modelPath: request.model, gpuLayers: 0, useMmap: true, vocabOnly: !request.eval });
const response = {};

if (request.tokenize) {
  response.tokenize = request.tokenize.map(({ text, special }) => Array.from(model.tokenize(text, special)));
}

if (request.eval) {
  const { tokens, greedy, contextSize } = request.eval;
  const context = await model.createContext({
    contextSize,
    batchSize: Math.max(tokens.length, 1),
    threads: 1,
    // Keep the cache in F32 so the comparison measures the weights' arithmetic, not cache rounding.
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
  });
  const sequence = context.getSequence();
  const generated = [];
  let firstProbabilities;
  const iter = sequence.evaluateWithMetadata(tokens, { probabilities: true }, { temperature: 0 });
  for await (const out of iter) {
    if (!firstProbabilities) firstProbabilities = Array.from(out.probabilities.entries());
    generated.push(out.token);
    if (generated.length >= greedy) break;
  }
  response.eval = { generated, firstProbabilities };
  await context.dispose();
}

await model.dispose();
process.stdout.write(JSON.stringify(response));

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}
