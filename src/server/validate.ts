/**
 * Request validation: small typed readers over the parsed JSON body. Every field the server acts
 * on is checked for type and range and reported with OpenAI's `param` name; fields it does not
 * know are ignored (clients send `user`, `metadata`, `store`, ...), but fields whose meaning it
 * cannot honour (n > 1, logprobs, JSON mode, a forced tool call) are refused rather than dropped.
 */
import type { ChatMessage } from '../engine/chat.js';
import type { SamplingOptions } from '../engine/sampling/index.js';
import { badRequest } from './errors.js';

type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface NumberRange {
  min?: number;
  max?: number;
  /** min itself is not allowed. */
  exclusiveMin?: boolean;
  integer?: boolean;
}

/** Reads fields of one JSON object; `null` counts as absent, as in OpenAI's API. */
export class Fields {
  constructor(
    private readonly o: Json,
    private readonly prefix = '',
  ) {}

  name(key: string): string {
    return this.prefix + key;
  }

  has(key: string): boolean {
    return this.o[key] !== undefined && this.o[key] !== null;
  }

  raw(key: string): unknown {
    const v = this.o[key];
    return v === null ? undefined : v;
  }

  number(key: string, range: NumberRange = {}): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    const what = range.integer ? 'an integer' : 'a number';
    if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`'${this.name(key)}' must be ${what}, got ${describe(v)}`, this.name(key), 'invalid_type');
    if (range.integer && !Number.isSafeInteger(v)) throw badRequest(`'${this.name(key)}' must be ${what}, got ${v}`, this.name(key), 'invalid_type');
    const { min, max } = range;
    const tooLow = min !== undefined && (range.exclusiveMin ? v <= min : v < min);
    if (tooLow || (max !== undefined && v > max)) {
      const lo = min === undefined ? '' : range.exclusiveMin ? `> ${min}` : `>= ${min}`;
      const hi = max === undefined ? '' : `<= ${max}`;
      throw badRequest(`'${this.name(key)}' must be ${[lo, hi].filter(Boolean).join(' and ')}, got ${v}`, this.name(key), 'invalid_value');
    }
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw badRequest(`'${this.name(key)}' must be a boolean, got ${describe(v)}`, this.name(key), 'invalid_type');
    return v;
  }

  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw badRequest(`'${this.name(key)}' must be a string, got ${describe(v)}`, this.name(key), 'invalid_type');
    return v;
  }

  object(key: string): Fields | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!isObject(v)) throw badRequest(`'${this.name(key)}' must be an object, got ${describe(v)}`, this.name(key), 'invalid_type');
    return new Fields(v, `${this.name(key)}.`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? 'a string' : JSON.stringify(v);
  if (typeof v === 'number') return String(v);
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** Parses the body of a request (already JSON-parsed) as an object. */
export function bodyObject(body: unknown): Fields {
  if (!isObject(body)) throw badRequest(`the request body must be a JSON object, got ${describe(body)}`, null, 'invalid_body');
  return new Fields(body);
}

// ---------------------------------------------------------------------------------------------
// Shared generation parameters
// ---------------------------------------------------------------------------------------------

export interface GenerationParams {
  /** The requested model id (absent: the served model). */
  model?: string;
  maxTokens?: number;
  sampling: SamplingOptions;
  stop: string[];
  stream: boolean;
  /** stream_options.include_usage: a last chunk carries the usage. */
  includeUsage: boolean;
}

const MAX_STOP_STRINGS = 16;
const MAX_TOKENS_LIMIT = 1 << 30;

function generationParams(f: Fields, defaultMaxTokens: number | undefined): GenerationParams {
  const model = f.string('model');
  const maxTokens = f.number('max_completion_tokens', { min: 1, max: MAX_TOKENS_LIMIT, integer: true }) ?? f.number('max_tokens', { min: 1, max: MAX_TOKENS_LIMIT, integer: true }) ?? defaultMaxTokens;
  const sampling: SamplingOptions = {};
  const set = <K extends keyof SamplingOptions>(k: K, v: SamplingOptions[K] | undefined) => {
    if (v !== undefined) sampling[k] = v;
  };
  set('temperature', f.number('temperature', { min: 0, max: 2 }));
  set('topP', f.number('top_p', { min: 0, max: 1 }));
  set('topK', f.number('top_k', { min: 0, max: 1 << 24, integer: true }));
  set('minP', f.number('min_p', { min: 0, max: 1 }));
  set('presencePenalty', f.number('presence_penalty', { min: -2, max: 2 }));
  set('frequencyPenalty', f.number('frequency_penalty', { min: -2, max: 2 }));
  set('repeatPenalty', f.number('repeat_penalty', { min: 0, max: 10, exclusiveMin: true }));
  set('seed', f.number('seed', { integer: true }));

  let stop: string[] = [];
  const rawStop = f.raw('stop');
  if (typeof rawStop === 'string') stop = [rawStop];
  else if (Array.isArray(rawStop)) {
    if (rawStop.length > MAX_STOP_STRINGS) throw badRequest(`'stop' may hold at most ${MAX_STOP_STRINGS} strings, got ${rawStop.length}`, 'stop', 'invalid_value');
    rawStop.forEach((s, i) => {
      if (typeof s !== 'string') throw badRequest(`'stop[${i}]' must be a string, got ${describe(s)}`, 'stop', 'invalid_type');
    });
    stop = rawStop as string[];
  } else if (rawStop !== undefined) throw badRequest(`'stop' must be a string or an array of strings, got ${describe(rawStop)}`, 'stop', 'invalid_type');
  if (stop.some((s) => s === '')) throw badRequest("'stop' strings must not be empty", 'stop', 'invalid_value');

  const stream = f.boolean('stream') ?? false;
  const options = f.object('stream_options');
  if (options && !stream) throw badRequest("'stream_options' is only allowed when 'stream' is true", 'stream_options', 'invalid_value');
  const includeUsage = options?.boolean('include_usage') ?? false;

  const n = f.number('n', { min: 1, integer: true });
  if (n !== undefined && n !== 1) throw badRequest("'n' must be 1: this server generates one choice per request", 'n', 'unsupported_value');

  return { ...(model !== undefined ? { model } : {}), ...(maxTokens !== undefined ? { maxTokens } : {}), sampling, stop, stream, includeUsage };
}

// ---------------------------------------------------------------------------------------------
// POST /v1/chat/completions
// ---------------------------------------------------------------------------------------------

export interface ChatRequest extends GenerationParams {
  messages: ChatMessage[];
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

export function parseChatRequest(body: unknown): ChatRequest {
  const f = bodyObject(body);
  const raw = f.raw('messages');
  if (raw === undefined) throw badRequest("'messages' is required", 'messages', 'missing_required_parameter');
  if (!Array.isArray(raw)) throw badRequest(`'messages' must be an array, got ${describe(raw)}`, 'messages', 'invalid_type');
  if (raw.length === 0) throw badRequest("'messages' must hold at least one message", 'messages', 'invalid_value');
  const messages = raw.map((m, i) => chatMessage(m, i));

  if (f.boolean('logprobs') === true) throw badRequest("'logprobs' is not supported by this server", 'logprobs', 'unsupported_parameter');
  if (f.has('top_logprobs')) throw badRequest("'top_logprobs' is not supported by this server", 'top_logprobs', 'unsupported_parameter');
  const format = f.object('response_format');
  if (format) {
    const type = format.string('type');
    if (type !== undefined && type !== 'text') throw badRequest(`'response_format.type' ${JSON.stringify(type)} is not supported (only "text")`, 'response_format', 'unsupported_value');
  }
  // Tools are not rendered into the prompt and calls are not parsed from the answer: a request
  // that merely offers tools is answered in text; one that demands a call is refused.
  const tools = f.raw('tools');
  if (tools !== undefined && !Array.isArray(tools)) throw badRequest(`'tools' must be an array, got ${describe(tools)}`, 'tools', 'invalid_type');
  const toolChoice = f.raw('tool_choice');
  if (toolChoice !== undefined && toolChoice !== 'none' && toolChoice !== 'auto') {
    throw badRequest("tool calls are not supported by this server: 'tool_choice' may only be \"none\" or \"auto\"", 'tool_choice', 'unsupported_value');
  }
  return { ...generationParams(f, undefined), messages };
}

function chatMessage(m: unknown, i: number): ChatMessage {
  const param = `messages[${i}]`;
  if (!isObject(m)) throw badRequest(`'${param}' must be an object, got ${describe(m)}`, param, 'invalid_type');
  const f = new Fields(m, `${param}.`);
  const role = f.string('role');
  if (role === undefined) throw badRequest(`'${param}.role' is required`, `${param}.role`, 'missing_required_parameter');
  if (!ROLES.has(role)) throw badRequest(`'${param}.role' must be one of ${[...ROLES].join(', ')}; got ${JSON.stringify(role)}`, `${param}.role`, 'invalid_value');
  const content = messageContent(f, role);
  const out: ChatMessage = { role: role === 'developer' ? 'system' : role, content };
  const name = f.string('name');
  if (name !== undefined) out.name = name;
  const toolCallId = f.string('tool_call_id');
  if (toolCallId !== undefined) out.tool_call_id = toolCallId;
  const toolCalls = f.raw('tool_calls');
  if (toolCalls !== undefined) {
    if (!Array.isArray(toolCalls)) throw badRequest(`'${param}.tool_calls' must be an array`, `${param}.tool_calls`, 'invalid_type');
    out.tool_calls = toolCalls;
  }
  return out;
}

function messageContent(f: Fields, role: string): string {
  const v = f.raw('content');
  const param = f.name('content');
  if (typeof v === 'string') return v;
  if (v === undefined) {
    if (role === 'assistant') return ''; // an assistant turn that only made tool calls
    throw badRequest(`'${param}' is required`, param, 'missing_required_parameter');
  }
  if (!Array.isArray(v)) throw badRequest(`'${param}' must be a string or an array of content parts, got ${describe(v)}`, param, 'invalid_type');
  const texts = v.map((part, j) => {
    if (!isObject(part)) throw badRequest(`'${param}[${j}]' must be an object`, param, 'invalid_type');
    if (part.type !== 'text') throw badRequest(`'${param}[${j}].type' ${JSON.stringify(part.type)} is not supported: this model reads text only`, param, 'unsupported_value');
    if (typeof part.text !== 'string') throw badRequest(`'${param}[${j}].text' must be a string`, param, 'invalid_type');
    return part.text;
  });
  return texts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// POST /v1/completions
// ---------------------------------------------------------------------------------------------

export interface CompletionRequest extends GenerationParams {
  /** Text, or token ids (checked against the vocabulary by the route). */
  prompt: string | number[];
  echo: boolean;
}

/** OpenAI's default for the legacy completions endpoint. */
export const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

export function parseCompletionRequest(body: unknown): CompletionRequest {
  const f = bodyObject(body);
  const raw = f.raw('prompt');
  if (raw === undefined) throw badRequest("'prompt' is required", 'prompt', 'missing_required_parameter');
  const prompt = singlePrompt(raw, 'prompt');
  const echo = f.boolean('echo') ?? false;
  if (f.has('suffix') && f.raw('suffix') !== '') throw badRequest("'suffix' (insertion) is not supported by this server", 'suffix', 'unsupported_parameter');
  if (f.has('logprobs')) throw badRequest("'logprobs' is not supported by this server", 'logprobs', 'unsupported_parameter');
  const bestOf = f.number('best_of', { min: 1, integer: true });
  if (bestOf !== undefined && bestOf !== 1) throw badRequest("'best_of' must be 1", 'best_of', 'unsupported_value');
  return { ...generationParams(f, COMPLETIONS_DEFAULT_MAX_TOKENS), prompt, echo };
}

/** One prompt: a string, an array of token ids, or a one-element array of either. */
function singlePrompt(raw: unknown, param: string): string | number[] {
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw)) {
    if (raw.length === 1 && (typeof raw[0] === 'string' || Array.isArray(raw[0]))) return singlePrompt(raw[0], param);
    if (raw.length > 0 && raw.every((x) => typeof x === 'number')) {
      if (!raw.every((x) => Number.isInteger(x) && x >= 0)) throw badRequest(`'${param}' token ids must be non-negative integers`, param, 'invalid_value');
      return raw as number[];
    }
    if (raw.length > 1 && raw.every((x) => typeof x === 'string' || Array.isArray(x))) {
      throw badRequest(`'${param}' holds ${raw.length} prompts; this server answers one prompt per request`, param, 'unsupported_value');
    }
    if (raw.length === 0) throw badRequest(`'${param}' must not be empty`, param, 'invalid_value');
  }
  throw badRequest(`'${param}' must be a string, an array of token ids, or a one-element array of either; got ${describe(raw)}`, param, 'invalid_type');
}

// ---------------------------------------------------------------------------------------------
// POST /v1/embeddings
// ---------------------------------------------------------------------------------------------

export interface EmbeddingRequest {
  model?: string;
  input: (string | number[])[];
  encodingFormat: 'float' | 'base64';
  dimensions?: number;
}

export function parseEmbeddingRequest(body: unknown): EmbeddingRequest {
  const f = bodyObject(body);
  const model = f.string('model');
  const raw = f.raw('input');
  if (raw === undefined) throw badRequest("'input' is required", 'input', 'missing_required_parameter');
  let input: (string | number[])[];
  if (typeof raw === 'string') input = [raw];
  else if (Array.isArray(raw) && raw.length > 0 && raw.every((x) => typeof x === 'number')) input = [raw as number[]];
  else if (Array.isArray(raw) && raw.length > 0 && raw.every((x) => typeof x === 'string' || (Array.isArray(x) && x.every((y) => typeof y === 'number')))) input = raw as (string | number[])[];
  else throw badRequest("'input' must be a string, an array of strings, or token id arrays (non-empty)", 'input', 'invalid_type');
  const format = f.string('encoding_format') ?? 'float';
  if (format !== 'float' && format !== 'base64') throw badRequest(`'encoding_format' must be "float" or "base64", got ${JSON.stringify(format)}`, 'encoding_format', 'invalid_value');
  const dimensions = f.number('dimensions', { min: 1, integer: true });
  return { ...(model !== undefined ? { model } : {}), input, encodingFormat: format, ...(dimensions !== undefined ? { dimensions } : {}) };
}
