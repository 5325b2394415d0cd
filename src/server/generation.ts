import { randomBytes } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { GenerationResult, StopReason } from '../engine/generate.js';
import type { RequestContext } from './context.js';
import { HttpError, sendJson, toHttpError } from './errors.js';
import { SseWriter } from './sse.js';
import type { GenerationParams } from './validate.js';

export type FinishReason = 'stop' | 'length';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** OpenAI's finish_reason for the engine's stop reason. */
export function finishReason(reason: StopReason): FinishReason {
  return reason === 'length' || reason === 'context' ? 'length' : 'stop';
}

export function responseId(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString('base64url')}`;
}

/** How one endpoint shapes its answer (chat.completion vs text_completion). */
export interface ResponseShape {
  /** Chunks sent before any generated text (chat: the role delta; completions: an echoed prompt). */
  head(): unknown[];
  piece(text: string): unknown;
  tail(finish: FinishReason): unknown;
  usage(usage: Usage): unknown;
  whole(text: string, finish: FinishReason, usage: Usage): unknown;
}

/**
 * Runs one generation for a request: waits for its FIFO turn, streams (SSE) or collects the
 * answer, and cancels it when the client disconnects. Between tokens it yields to the event loop,
 * so other requests (GET /v1/models, new arrivals queueing) are served while it runs.
 */
export async function runGeneration(
  ctx: RequestContext,
  endpoint: 'chat' | 'completions',
  promptIds: readonly number[],
  params: GenerationParams,
  stop: readonly string[],
  shape: ResponseShape,
): Promise<void> {
  const { state, res } = ctx;
  if (promptIds.length === 0) throw new HttpError(400, 'the prompt is empty', 'invalid_request_error', null, 'empty_prompt');
  if (promptIds.length >= state.contextLength) {
    throw new HttpError(400, `This model's context holds ${state.contextLength} tokens, but the prompt has ${promptIds.length}; shorten the messages or prompt.`, 'invalid_request_error', endpoint === 'chat' ? 'messages' : 'prompt', 'context_length_exceeded');
  }

  const abort = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) abort.abort(new Error('the client disconnected'));
  };
  res.on('close', onClose);
  state.active.add(abort);
  try {
    let release: () => void;
    try {
      release = await state.queue.acquire(abort.signal);
    } catch (err) {
      if (abort.signal.aborted) return; // left the line: nobody to answer
      throw err;
    }
    const task = generate(ctx, endpoint, promptIds, params, stop, shape, abort.signal);
    state.tasks.add(task);
    try {
      await task;
    } finally {
      state.tasks.delete(task);
      release();
    }
  } finally {
    state.active.delete(abort);
    res.off('close', onClose);
  }
}

async function generate(
  ctx: RequestContext,
  endpoint: 'chat' | 'completions',
  promptIds: readonly number[],
  params: GenerationParams,
  stop: readonly string[],
  shape: ResponseShape,
  signal: AbortSignal,
): Promise<void> {
  const { state, res } = ctx;
  let result: GenerationResult | undefined;
  const pieces = state.model.generateFromTokens(promptIds, {
    maxTokens: params.maxTokens,
    sampling: params.sampling,
    stop,
    signal,
    onContextFull: 'stop',
    onDone: (r) => (result = r),
  });
  const usage = (): Usage => {
    const completion = result?.ids.length ?? 0;
    const prompt = result?.promptTokens ?? promptIds.length;
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  };
  const report = () => {
    if (result) {
      state.onGeneration?.({
        endpoint,
        stopReason: result.stopReason,
        promptTokens: result.promptTokens,
        completionTokens: result.ids.length,
        delivered: !signal.aborted,
      });
    }
  };

  if (!params.stream) {
    let text = '';
    try {
      for await (const piece of pieces) {
        text += piece.text;
        await yieldToEventLoop();
      }
    } finally {
      report();
    }
    if (signal.aborted || !result) return; // the client is gone
    sendJson(res, 200, shape.whole(text, finishReason(result.stopReason), usage()));
    return;
  }

  const sse = new SseWriter(res);
  sse.start();
  try {
    for (const chunk of shape.head()) await sse.send(chunk);
    for await (const piece of pieces) {
      if (piece.text !== '') await sse.send(shape.piece(piece.text));
      await yieldToEventLoop();
    }
    if (signal.aborted || !result) return;
    await sse.send(shape.tail(finishReason(result.stopReason)));
    if (params.includeUsage) await sse.send(shape.usage(usage()));
    await sse.done();
  } catch (err) {
    // Headers are out: report the error in the stream, as OpenAI's clients expect, then end it.
    await sse.send(toHttpError(err).body);
    res.end();
  } finally {
    report();
  }
}
