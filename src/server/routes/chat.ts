import { ChatTemplateError } from '../../engine/chat.js';
import { checkModel, type Handler } from '../context.js';
import { badRequest } from '../errors.js';
import { responseId, runGeneration, type ResponseShape } from '../generation.js';
import { parseChatRequest } from '../validate.js';

/** POST /v1/chat/completions: the conversation rendered with the model's chat template. */
export const chatCompletions: Handler = async (ctx) => {
  const { state } = ctx;
  const request = parseChatRequest(await ctx.json());
  checkModel(state, request.model);
  let promptIds: number[];
  try {
    promptIds = state.template.tokenize(request.messages);
  } catch (err) {
    if (err instanceof ChatTemplateError) throw badRequest(err.message, 'messages', 'invalid_messages');
    throw err;
  }
  const id = responseId('chatcmpl');
  const created = Math.floor(Date.now() / 1000);
  const model = state.modelId;
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(request.includeUsage ? { usage: null } : {}),
  });
  const shape: ResponseShape = {
    head: () => [chunk({ role: 'assistant', content: '' }, null)],
    piece: (text) => chunk({ content: text }, null),
    tail: (finish) => chunk({}, finish),
    usage: (usage) => ({ id, object: 'chat.completion.chunk', created, model, choices: [], usage }),
    whole: (text, finish, usage) => ({
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: finish }],
      usage,
    }),
  };
  await runGeneration(ctx, 'chat', promptIds, request, [...request.stop, ...state.template.stopStrings], shape);
};
