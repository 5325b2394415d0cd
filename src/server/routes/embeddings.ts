import { checkModel, type Handler } from '../context.js';
import { HttpError } from '../errors.js';
import { parseEmbeddingRequest } from '../validate.js';

/**
 * POST /v1/embeddings: validated, then refused with 501. A sound embedding needs the model's final
 * hidden states (mean-pooled), and the engine's Model API only exposes logits; logits or
 * averaged input-embedding rows are not embeddings a client could rely on, so none is invented.
 */
export const embeddings: Handler = async (ctx) => {
  const request = parseEmbeddingRequest(await ctx.json());
  checkModel(ctx.state, request.model);
  throw new HttpError(501, 'embeddings are not supported by this model/backend yet', 'not_implemented_error', null, 'embeddings_not_supported');
};
