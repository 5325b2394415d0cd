import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatTemplate } from '../engine/chat.js';
import type { StopReason } from '../engine/generate.js';
import type { Model } from '../engine/model.js';
import { modelNotFound } from './errors.js';
import type { FifoQueue } from './queue.js';

/** What one finished (or cancelled) generation reports to `onGeneration`. */
export interface GenerationEvent {
  readonly endpoint: 'chat' | 'completions';
  readonly stopReason: StopReason;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** False when the client went away before the answer was complete. */
  readonly delivered: boolean;
}

/** State shared by every route of one server. */
export interface ServerState {
  readonly model: Model;
  readonly modelId: string;
  /** Seconds since the epoch when the server started (the model's `created`). */
  readonly created: number;
  readonly template: ChatTemplate;
  readonly contextLength: number;
  readonly vocabSize: number;
  readonly queue: FifoQueue;
  /** Generations in flight or waiting, so close() can cancel them. */
  readonly active: Set<AbortController>;
  /** Their settling promises, so close() can wait until no model call is running. */
  readonly tasks: Set<Promise<unknown>>;
  readonly onGeneration?: (event: GenerationEvent) => void;
}

export interface RequestContext {
  readonly state: ServerState;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Path after the route prefix (for /v1/models/{id}). */
  readonly rest: string;
  /** Reads and parses the JSON body (content type, size limit and syntax checked). */
  json(): Promise<unknown>;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

/** The requested model must be the served one (an absent `model` means the served one). */
export function checkModel(state: ServerState, requested: string | undefined): void {
  if (requested !== undefined && requested !== state.modelId) throw modelNotFound(requested);
}
