import type { Backend, ContextOptions, InferenceContext, ModelWeights } from '../backend.js';
import { ReferenceContext } from './context.js';
import { denseWeights, type DenseWeights } from './weights.js';

/** Plain TypeScript, float32: slow and obvious, the oracle for every other backend. */
export const referenceBackend: Backend = {
  name: 'reference',
  describe: () => 'reference (pure TypeScript, float32)',
  async createContext(weights: ModelWeights, options: ContextOptions): Promise<InferenceContext> {
    return new ReferenceContext(weights.config, dense(weights), options);
  },
};

/** Contexts of one model share its dequantised weights. */
const cache = new WeakMap<ModelWeights, DenseWeights>();
function dense(weights: ModelWeights): DenseWeights {
  let d = cache.get(weights);
  if (!d) {
    d = denseWeights(weights);
    cache.set(weights, d);
  }
  return d;
}
