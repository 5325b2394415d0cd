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

/** Per-run figures of timed generations, to pool across rounds before summarising. */
export interface EngineRuns {
  readonly ttft: number[];
  readonly prefill: number[];
  readonly decode: number[];
}

/**
 * `warmup` untimed then `runs` timed generations of `decodeTokens` steps after a `promptTokens`
 * prompt, appended to `into`; every run's prompt starts with a different token (offset by `first`,
 * so rounds do not repeat each other) and no cached prefix is reused.
 */
export async function timeEngineRuns(model: Model, promptTokens: number, decodeTokens: number, runs: number, warmup: number, into: EngineRuns, first = 0): Promise<void> {
  const vocab = model.config.vocabSize;
  for (let r = 0; r < warmup + runs; r++) {
    const ids = benchPrompt(promptTokens, vocab, first + r);
    const res = await model.completeAll(ids, { maxTokens: decodeTokens + 1, sampling: { temperature: 0 }, addSpecial: false });
    if (r < warmup) continue;
    const t = res.timings;
    into.ttft.push(t.prefillMs);
    into.prefill.push(t.prefillTokensPerS);
    // maxTokens = steps + 1: the first token comes from the prompt's logits, each later one costs one step
    const steps = Math.max(0, res.ids.length - 1);
    if (steps > 0 && t.decodeMs > 0) into.decode.push((steps * 1e3) / t.decodeMs);
  }
}

export function summarizeRuns(runs: EngineRuns): EngineTimes {
  return {
    ttft: summarize(runs.ttft),
    prefill: summarize(runs.prefill),
    decode: runs.decode.length ? summarize(runs.decode) : { median: 0, min: 0, max: 0, runs: 0 },
  };
}
