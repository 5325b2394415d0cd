export { Rng, randomSeed } from './rng.js';
export {
  Sampler,
  DEFAULT_SAMPLING,
  resolveSamplingOptions,
  applyPenalties,
  selectTop,
  topK,
  topP,
  minP,
  softmax,
  softmaxNorm,
  applyTemperature,
  drawIndex,
  argmax,
} from './sampler.js';
export type { SamplingOptions, ResolvedSamplingOptions, SamplerSnapshot, Candidates, Distribution, SoftmaxNorm } from './sampler.js';
