import { EmbeddingsUnsupportedError } from '../../engine/model.js';
import { checkModel, type Handler } from '../context.js';
import { badRequest, HttpError, sendJson } from '../errors.js';
import { parseEmbeddingRequest } from '../validate.js';

/**
 * POST /v1/embeddings: each input's mean-pooled final hidden state, L2-normalised (llama.cpp's
 * server does the same). Backends that cannot return hidden states yet answer 501.
 */
export const embeddings: Handler = async (ctx) => {
  const request = parseEmbeddingRequest(await ctx.json());
  checkModel(ctx.state, request.model);
  const model = ctx.state.model;
  const width = model.config.embeddingLength;
  if (request.dimensions !== undefined && request.dimensions !== width) {
    throw badRequest(`this model's embeddings have ${width} dimensions, not ${request.dimensions}`, 'dimensions', 'invalid_value');
  }
  const data: { object: 'embedding'; index: number; embedding: number[] | string }[] = [];
  let tokens = 0;
  for (const [index, input] of request.input.entries()) {
    const ids = typeof input === 'string' ? model.tokenize(input) : input;
    if (ids.length === 0) throw badRequest(`input ${index} is empty`, 'input', 'invalid_value');
    if (ids.length > model.info.contextLength) {
      throw badRequest(`input ${index} has ${ids.length} tokens; the context holds ${model.info.contextLength}`, 'input', 'context_length_exceeded');
    }
    let vector: Float32Array;
    try {
      vector = await model.embed(ids);
    } catch (err) {
      if (err instanceof EmbeddingsUnsupportedError) throw new HttpError(501, err.message, 'not_implemented_error', null, 'embeddings_not_supported');
      throw err;
    }
    tokens += ids.length;
    const embedding = request.encodingFormat === 'base64' ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') : Array.from(vector);
    data.push({ object: 'embedding', index, embedding });
  }
  sendJson(ctx.res, 200, { object: 'list', data, model: ctx.state.modelId, usage: { prompt_tokens: tokens, total_tokens: tokens } });
};
