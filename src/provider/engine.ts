/**
 * ChatEngine: what the chat, the one-shot answer and scheduled jobs need from "a model", so the
 * same code runs on the local engine (a loaded GGUF Model) or on a remote OpenAI-compatible
 * server (RemoteModel, src/provider/remote.ts). Memory, recall and the vault stay local either
 * way: only the rendered messages go to the engine.
 */
import { engineCompletionModel, type CompletionModel } from '../assistant/scheduler/model.js';
import type { ChatMessage } from '../engine/chat.js';
import type { GenerationTimings, StopReason } from '../engine/generate.js';
import type { Model } from '../engine/model.js';
import type { SamplingOptions } from '../engine/sampling/sampler.js';

export interface EngineInfo {
  /** The model id (the file name locally, the provider's model id remotely). */
  readonly id: string;
  /** 'remote' for a provider, else the local backend's name ('cpu', 'webgpu', 'reference'). */
  readonly backend: string;
  /** One line for banners and /model. */
  readonly description: string;
  /** Context length in tokens (remote: what the server reports, else a configured/assumed value). */
  readonly contextLength: number;
  /** The provider's base URL (remote only). */
  readonly baseUrl?: string;
}

/** The part of the engine's GenerationResult callers use; the local Model's result satisfies it. */
export interface ChatResult {
  text: string;
  stopReason: StopReason;
  /** Prompt length in tokens (remote: the server's usage.prompt_tokens, 0 when it sent none). */
  promptTokens: number;
  /** Generated token ids; always [] remotely (usage gives only counts: see completionTokens). */
  ids: number[];
  /** Generated tokens (remote: usage.completion_tokens when sent); defaults to ids.length. */
  completionTokens?: number;
  timings: GenerationTimings;
}

export interface ChatOptions {
  maxTokens?: number;
  sampling?: SamplingOptions;
  stop?: readonly string[];
  signal?: AbortSignal;
  /** Local only (a remote server decides itself what happens when its context fills). */
  onContextFull?: 'error' | 'stop';
  onDone?: (result: ChatResult) => void;
}

/** A streamed piece; remote pieces carry token -1 (FLUSH_TOKEN): only the text is known. */
export interface ChatPiece {
  token: number;
  text: string;
}

export interface ChatEngine {
  readonly info: EngineInfo;
  /** Streams the assistant's answer; an aborted signal ends it with stopReason 'abort'. */
  chat(messages: readonly ChatMessage[], options?: ChatOptions): AsyncIterable<ChatPiece>;
  /** Streams the continuation of a raw text prompt. */
  complete(prompt: string, options?: ChatOptions): AsyncIterable<ChatPiece>;
  /** Tokens in `text`: exact locally, approximate remotely (see approxTokens). For budgets only. */
  countTokens(text: string): number;
  /** Splits `text` into consecutive parts of at most `maxTokens` tokens (as countTokens counts). */
  splitText(text: string, maxTokens: number): string[];
  dispose(): void;
}

/**
 * The remote token estimate: one token per 4 characters (rounded up), OpenAI's rule of thumb
 * for English. A remote server does not tokenize for us, so budgets (history trimming, recall,
 * summary parts) use this; it over-counts code and under-counts CJK text, so the budgets keep a
 * margin.
 */
export const CHARS_PER_TOKEN = 4;
export function approxTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Splits by characters, preferring to cut at a paragraph, line or space near the end of a part. */
export function splitByChars(text: string, maxChars: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > maxChars) {
    let cut = -1;
    for (const sep of ['\n\n', '\n', ' ']) {
      const at = rest.lastIndexOf(sep, maxChars);
      if (at > maxChars / 2) {
        cut = at + sep.length;
        break;
      }
    }
    if (cut <= 0) cut = maxChars;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}

/** The local engine as a ChatEngine (it keeps serialising calls and reusing its KV cache). */
export function localEngine(model: Model, id: string): ChatEngine {
  return {
    get info() {
      const i = model.info;
      return { id, backend: i.backend, description: i.backendDescription, contextLength: i.contextLength };
    },
    chat: (messages, options = {}) => model.chat(messages, options),
    complete: (prompt, options = {}) => model.complete(prompt, options),
    countTokens: (text) => model.tokenize(text, { addSpecial: false }).length,
    splitText(text, maxTokens) {
      const ids = model.tokenize(text, { addSpecial: false });
      if (ids.length === 0) return [text];
      const parts: string[] = [];
      for (let i = 0; i < ids.length; i += maxTokens) parts.push(model.detokenize(ids.slice(i, i + maxTokens)));
      return parts;
    },
    dispose: () => model.dispose(),
  };
}

/** Scheduled jobs' CompletionModel over any ChatEngine (greedy, one chat turn). */
export function engineCompletion(engine: ChatEngine): CompletionModel {
  return engineCompletionModel(engine);
}
