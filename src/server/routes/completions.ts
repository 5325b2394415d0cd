import { checkModel, type Handler } from '../context.js';
import { badRequest } from '../errors.js';
import { responseId, runGeneration, type ResponseShape } from '../generation.js';
import { parseCompletionRequest } from '../validate.js';

/** POST /v1/completions: the legacy text completion (BOS added as the model's metadata says). */
export const completions: Handler = async (ctx) => {
  const { state } = ctx;
  const request = parseCompletionRequest(await ctx.json());
  checkModel(state, request.model);
  let promptIds: number[];
  if (typeof request.prompt === 'string') {
    promptIds = state.model.tokenize(request.prompt);
  } else {
    const bad = request.prompt.findIndex((id) => id >= state.vocabSize);
    if (bad >= 0) throw badRequest(`'prompt[${bad}]' is token id ${request.prompt[bad]}, but the vocabulary has ${state.vocabSize} tokens`, 'prompt', 'invalid_value');
    promptIds = request.prompt;
  }
  const echoed = !request.echo ? '' : typeof request.prompt === 'string' ? request.prompt : state.model.detokenize(request.prompt);
  const id = responseId('cmpl');
  const created = Math.floor(Date.now() / 1000);
  const model = state.modelId;
  const chunk = (text: string, finish: string | null) => ({
    id,
    object: 'text_completion',
    created,
    model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
    ...(request.includeUsage ? { usage: null } : {}),
  });
  const shape: ResponseShape = {
    head: () => (echoed ? [chunk(echoed, null)] : []),
    piece: (text) => chunk(text, null),
    tail: (finish) => chunk('', finish),
    usage: (usage) => ({ id, object: 'text_completion', created, model, choices: [], usage }),
    whole: (text, finish, usage) => ({
      id,
      object: 'text_completion',
      created,
      model,
      choices: [{ text: echoed + text, index: 0, logprobs: null, finish_reason: finish }],
      usage,
    }),
  };
  await runGeneration(ctx, 'completions', promptIds, request, request.stop, shape);
};
