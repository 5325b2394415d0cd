/**
 * Sampled decoding on the cpu backend: the addon's sampling loop (InferenceContext.sampledSteps,
 * native/ops/sampler.h) against sampling in JS after every eval (the loop hidden), with the
 * native greedy loop alongside for scale. The three modes alternate within each round and every
 * figure is a median over rounds: the host's speed drifts from minute to minute.
 *
 *   npx tsx bench/sampled-decode.ts MODEL.gguf [threads=1] [rounds=5] [prompt=64] [decode=96]
 */
import { loadModel } from '../src/index.js';
import type { SamplingOptions } from '../src/engine/sampling/sampler.js';
import { benchPrompt } from './lib/stats.js';

const [path, th = '1', rd = '5', pr = '64', de = '96'] = process.argv.slice(2);
if (!path) throw new Error('usage: npx tsx bench/sampled-decode.ts MODEL.gguf [threads] [rounds] [prompt] [decode]');
const [rounds, promptTokens, decodeTokens] = [Number(rd), Number(pr), Number(de)];
const model = await loadModel(path, { backend: 'cpu', threads: Number(th), contextLength: promptTokens + decodeTokens + 8 });
const ctx = (model as unknown as { context: { sampledSteps?: unknown } }).context;
const loop = ctx.sampledSteps;
if (typeof loop !== 'function') throw new Error('this context has no sampling loop (is the cpu backend the native one?)');

type Mode = 'greedy' | 'sampled, native loop' | 'sampled, JS';
const MODES: Mode[] = ['greedy', 'sampled, native loop', 'sampled, JS'];
const rates: Record<Mode, number[]> = { greedy: [], 'sampled, native loop': [], 'sampled, JS': [] };
// llama.cpp's default chain (top-k 40, top-p 0.95, min-p 0.05, temperature 0.8) with a repeat
// penalty, so every stage runs.
const SAMPLED: SamplingOptions = { temperature: 0.8, repeatPenalty: 1.1, seed: 7 };

for (let r = -1; r < rounds; r++) {
  for (let m = 0; m < MODES.length; m++) {
    const mode = MODES[(m + Math.max(r, 0)) % MODES.length]!;
    // Hiding the loop on the instance sends generate() to its token-by-token path.
    ctx.sampledSteps = mode === 'sampled, JS' ? undefined : loop;
    const ids = benchPrompt(promptTokens, model.config.vocabSize, r + 1);
    const res = await model.completeAll(ids, {
      maxTokens: decodeTokens + 1,
      sampling: mode === 'greedy' ? { temperature: 0 } : SAMPLED,
      addSpecial: false,
      stop: [],
    });
    const steps = res.ids.length - 1;
    if (r >= 0 && steps > 0) rates[mode].push((steps * 1e3) / res.timings.decodeMs);
  }
}
ctx.sampledSteps = loop;
model.dispose();

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1] ?? 0;
console.log(`${path.split('/').pop()}, ${th} thread(s), ${promptTokens}-token prompts, ${decodeTokens} steps, ${rounds} rounds`);
for (const mode of MODES) console.log(`  ${mode.padEnd(22)} ${median(rates[mode]).toFixed(1)} tok/s  [${rates[mode].map((x) => x.toFixed(1)).join(', ')}]`);
console.log(`  native loop / JS sampling: ${(median(rates['sampled, native loop']) / median(rates['sampled, JS'])).toFixed(3)}x`);
