/** LocalGPT's own rows: loadModel on a backend, then warm-up and timed greedy generations. */
import { loadModel, type Model } from '../../src/engine/model.js';
import type { BackendName } from './plan.js';
import { benchPrompt, summarize, type Summary } from './stats.js';

export interface EngineTimes {
  readonly ttft: Summary;
  /** Prompt tokens per second, per run. */
  readonly prefill: Summary;
  /** Decode steps (forward passes after the prompt) per second, per run. */
  readonly decode: Summary;
}

export async function openBenchModel(path: string, backend: BackendName, contextLength: number, threads: number | undefined): Promise<Model> {
  return loadModel(path, { backend, contextLength, threads });
}

/**
 * `warmup` untimed then `runs` timed generations of `decodeTokens` steps after a `promptTokens`
 * prompt; every run's prompt starts with a different token so no cached prefix is reused.
 */
export async function timeEngine(model: Model, promptTokens: number, decodeTokens: number, runs: number, warmup: number): Promise<EngineTimes> {
  const vocab = model.config.vocabSize;
  const ttft: number[] = [];
  const prefill: number[] = [];
  const decode: number[] = [];
  for (let r = 0; r < warmup + runs; r++) {
    const ids = benchPrompt(promptTokens, vocab, r);
    const res = await model.completeAll(ids, { maxTokens: decodeTokens + 1, sampling: { temperature: 0 }, addSpecial: false });
    if (r < warmup) continue;
    const t = res.timings;
    ttft.push(t.prefillMs);
    prefill.push(t.prefillTokensPerS);
    // maxTokens = steps + 1: the first token comes from the prompt's logits, each later one costs one step
    const steps = Math.max(0, res.ids.length - 1);
    if (steps > 0 && t.decodeMs > 0) decode.push((steps * 1e3) / t.decodeMs);
  }
  return {
    ttft: summarize(ttft),
    prefill: summarize(prefill),
    decode: decode.length ? summarize(decode) : { median: 0, min: 0, max: 0, runs: 0 },
  };
}
