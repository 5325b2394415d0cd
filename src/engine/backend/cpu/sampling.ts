/**
 * The cpu backend's side of the native sampling loop (native/ops/sampler.h): a sampler's
 * snapshot packed into the addon's arguments, and the addon's steps unpacked.
 */
import type { SampledStep } from '../backend.js';
import type { SamplerSnapshot } from '../../sampling/sampler.js';

export interface NativeSamplerArgs {
  config: Float64Array;
  window: Int32Array;
  rng: Uint32Array;
}

/**
 * The addon's sampler arguments. Its counts are int32s: top-k and the penalty window are clamped to
 * 2^31 - 1 either way, which no vocabulary or window reaches, so the stages do not change (the
 * options are integers already: resolveSamplingOptions).
 */
export function nativeSamplerArgs(s: SamplerSnapshot): NativeSamplerArgs {
  const o = s.options;
  const count = (v: number) => Math.max(-INT32_MAX, Math.min(INT32_MAX, v));
  // ln(min-p) is taken here, with the Math.log the JS sampler's min-p stage uses.
  const config = Float64Array.of(
    o.temperature,
    count(o.topK),
    o.topP,
    o.minP,
    o.minP > 0 ? Math.log(o.minP) : 0,
    o.repeatPenalty,
    o.presencePenalty,
    o.frequencyPenalty,
    count(o.penaltyLastN),
  );
  return { config, window: Int32Array.from(s.window), rng: s.rng };
}

const INT32_MAX = 0x7fffffff;

/** sampledModel's result: five words a step, the id then the PRNG state after its draw. */
export function unpackSteps(words: Uint32Array): SampledStep[] {
  const steps: SampledStep[] = [];
  for (let i = 0; i + 5 <= words.length; i += 5) steps.push({ token: words[i]!, rng: words.slice(i + 1, i + 5) });
  return steps;
}
