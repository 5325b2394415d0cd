/**
 * What inference job kinds need from a model: one completion. Injected (not loadModel
 * directly) so tests use a fake and the daemon loads the real model only when an inference
 * job actually runs.
 */
export interface CompletionModel {
  complete(prompt: string, opts?: { signal?: AbortSignal; maxTokens?: number; system?: string }): Promise<string>;
}

/** A model or a lazy loader for one. */
export type ModelSource = CompletionModel | (() => Promise<CompletionModel>);

export async function resolveModel(src: ModelSource | undefined): Promise<CompletionModel> {
  if (!src) throw new Error('this job needs a model, and none is configured (set a default model)');
  return typeof src === 'function' ? src() : src;
}

/**
 * Adapt the engine's Model (src/engine/model.ts) to CompletionModel: one chat turn, greedy
 * by default, ended by the signal. Typed structurally so the scheduler does not load the
 * engine unless it is used.
 */
export function engineCompletionModel(model: {
  chat(
    messages: { role: 'system' | 'user' | 'assistant'; content: string }[],
    options: { maxTokens?: number; signal?: AbortSignal; sampling?: { temperature?: number } },
  ): AsyncIterable<{ text: string }>;
}): CompletionModel {
  return {
    async complete(prompt, opts = {}) {
      const messages: { role: 'system' | 'user'; content: string }[] = [];
      if (opts.system) messages.push({ role: 'system', content: opts.system });
      messages.push({ role: 'user', content: prompt });
      let out = '';
      for await (const p of model.chat(messages, { maxTokens: opts.maxTokens ?? 256, signal: opts.signal, sampling: { temperature: 0 } })) out += p.text;
      return out;
    },
  };
}
