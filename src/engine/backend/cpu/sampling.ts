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
 * The addon's sampler arguments, or undefined where its integer fields are not integers (the JS
 * sampler then runs; it rejects a fractional top-k itself).
 */
export function nativeSamplerArgs(s: SamplerSnapshot): NativeSamplerArgs | undefined {
  const o = s.options;
  if (!Number.isInteger(o.topK) || !Number.isInteger(o.penaltyLastN)) return undefined;
  if (Math.abs(o.topK) > 0x7fffffff || Math.abs(o.penaltyLastN) > 0x7fffffff) return undefined;
  // ln(min-p) is taken here, with the Math.log the JS sampler's min-p stage uses.
  const config = Float64Array.of(
    o.temperature,
    o.topK,
    o.topP,
    o.minP,
    o.minP > 0 ? Math.log(o.minP) : 0,
    o.repeatPenalty,
    o.presencePenalty,
    o.frequencyPenalty,
    o.penaltyLastN,
  );
  return { config, window: Int32Array.from(s.window), rng: s.rng };
}

/** sampledModel's result: five words a step, the id then the PRNG state after its draw. */
export function unpackSteps(words: Uint32Array): SampledStep[] {
  const steps: SampledStep[] = [];
  for (let i = 0; i + 5 <= words.length; i += 5) steps.push({ token: words[i]!, rng: words.slice(i + 1, i + 5) });
  return steps;
}
