/**
 * RemoteModel: a ChatEngine that generates on an existing OpenAI-compatible server (vLLM,
 * llama-server, Ollama, another LocalGPT) over plain fetch: /v1/chat/completions and
 * /v1/completions streamed as server-sent events, /v1/models to find the model id.
 *
 * Behaviour, as the local engine's:
 * - Streaming: pieces arrive as the server sends them (token -1: only text is known remotely).
 * - Cancellation: an aborted signal (or breaking out of the loop) aborts the HTTP request, which
 *   the server sees as a disconnect; the result's stopReason is 'abort' (no throw).
 * - Errors: a refused connection or unknown host is one ProviderError naming the URL, not retried;
 *   5xx answers, timeouts (no response headers within timeoutMs) and connections dropped before
 *   the first piece are retried (2 retries, backoff retryDelayMs x 1, 2), then a ProviderError;
 *   a 4xx answer is a ProviderError carrying the server's own (OpenAI-shaped) error message.
 *   Nothing is retried once a piece was streamed: the caller already showed it.
 * - Tokens: a remote server does not tokenize for us; countTokens is approxTokens (chars / 4).
 *   promptTokens / completionTokens come from the server's usage when it sends it (we ask with
 *   stream_options.include_usage), else 0; ids is always [].
 */
import type { ChatMessage } from '../engine/chat.js';
import type { StopReason } from '../engine/generate.js';
import type { SamplingOptions } from '../engine/sampling/sampler.js';
import { approxTokens, CHARS_PER_TOKEN, splitByChars, type ChatEngine, type ChatOptions, type ChatPiece, type EngineInfo } from './engine.js';

/** Where a provider is: what the `provider` setting and --provider* flags give. */
export interface ProviderSettings {
  /** Base URL, with or without the trailing /v1 (e.g. http://gpu-box:8000). */
  readonly url: string;
  readonly apiKey?: string;
  /** Model id to request; default: the first one the server lists. */
  readonly model?: string;
  /** Context length for budgets when the server does not report one (default 4096). */
  readonly contextLength?: number;
}

export interface RemoteModelOptions extends ProviderSettings {
  /** Retries after a 5xx, a timeout or a dropped connection (default 2). */
  readonly retries?: number;
  /** First backoff; doubled each retry (default 500 ms). */
  readonly retryDelayMs?: number;
  /** Longest wait for the response headers (default 120 s: a busy server may queue us). */
  readonly timeoutMs?: number;
}

export const DEFAULT_REMOTE_CONTEXT = 4096;

export class ProviderError extends Error {
  constructor(
    message: string,
    /** HTTP status when the server answered. */
    readonly status?: number,
    /** The OpenAI error code (or a network error code such as ECONNREFUSED). */
    readonly code?: string,
    /** Whether trying again may help (5xx, timeout, dropped connection). */
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** http://host:8000, http://host:8000/ and http://host:8000/v1 all mean http://host:8000/v1. */
export function normaliseBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw new ProviderError(`the provider URL ${JSON.stringify(url)} is not a URL (expected e.g. http://127.0.0.1:8000)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ProviderError(`the provider URL must be http:// or https://, got ${url}`);
  let path = u.pathname.replace(/\/+$/, '');
  if (!/\/v1$/.test(path)) path += '/v1';
  return `${u.protocol}//${u.host}${path}`;
}

interface ModelEntry {
  id: string;
  contextLength?: number;
}

const NETWORK_FATAL = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Aborts `target` when `source` aborts; returns the unlink function. */
function follow(source: AbortSignal | undefined, target: AbortController): () => void {
  if (!source) return () => {};
  if (source.aborted) {
    target.abort(source.reason);
    return () => {};
  }
  const on = () => target.abort(source.reason);
  source.addEventListener('abort', on, { once: true });
  return () => source.removeEventListener('abort', on);
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The `data:` payloads of an SSE body, one per event (multi-line data joined with \n). */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const step = await reader.read();
      buffer += step.done ? decoder.decode() : decoder.decode(step.value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        // comments (":...") and other fields (event:, id:, retry:) are ignored
      }
      if (step.done) break;
    }
    if (buffer.startsWith('data:')) data.push(buffer.slice(buffer.startsWith('data: ') ? 6 : 5));
    if (data.length > 0) yield data.join('\n');
  } finally {
    reader.releaseLock();
  }
}

function samplingBody(s: SamplingOptions | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!s) return out;
  if (s.temperature !== undefined) out.temperature = Math.max(0, Math.min(2, s.temperature));
  if (s.topP !== undefined) out.top_p = Math.max(0, Math.min(1, s.topP));
  if (s.topK !== undefined) out.top_k = s.topK;
  if (s.minP !== undefined) out.min_p = s.minP;
  if (s.presencePenalty !== undefined) out.presence_penalty = s.presencePenalty;
  if (s.frequencyPenalty !== undefined) out.frequency_penalty = s.frequencyPenalty;
  if (s.repeatPenalty !== undefined && s.repeatPenalty !== 1) out.repeat_penalty = s.repeatPenalty;
  if (s.seed !== undefined) out.seed = s.seed;
  return out;
}

export class RemoteModel implements ChatEngine {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly inFlight = new Set<AbortController>();

  /** Asks the server for its models (checking it is there) and picks the model id. */
  static async connect(options: RemoteModelOptions, signal?: AbortSignal): Promise<RemoteModel> {
    const probe = new RemoteModel(options, options.model ?? '', options.contextLength ?? DEFAULT_REMOTE_CONTEXT);
    let models: ModelEntry[];
    try {
      models = await probe.models(signal);
    } catch (err) {
      // Some OpenAI-compatible servers have no /v1/models; with a model id given that is fine.
      if (!(err instanceof ProviderError && err.status === 404 && options.model)) throw err;
      models = [];
    }
    const entry = options.model ? models.find((m) => m.id === options.model) : models[0];
    if (!options.model && !entry) throw new ProviderError(`the provider at ${probe.baseUrl} lists no models; name one with --provider-model`);
    const id = options.model ?? entry!.id;
    return new RemoteModel(options, id, options.contextLength ?? entry?.contextLength ?? DEFAULT_REMOTE_CONTEXT);
  }

  constructor(
    options: RemoteModelOptions,
    readonly modelId: string,
    readonly contextLength: number = options.contextLength ?? DEFAULT_REMOTE_CONTEXT,
  ) {
    this.baseUrl = normaliseBaseUrl(options.url);
    this.apiKey = options.apiKey || undefined;
    this.retries = options.retries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  get info(): EngineInfo {
    return { id: this.modelId, backend: 'remote', description: `remote ${this.baseUrl}`, contextLength: this.contextLength, baseUrl: this.baseUrl };
  }

  countTokens(text: string): number {
    return approxTokens(text);
  }

  splitText(text: string, maxTokens: number): string[] {
    return splitByChars(text, Math.max(1, maxTokens * CHARS_PER_TOKEN));
  }

  /** GET /v1/models: ids, and the context length where the server says (vLLM, LocalGPT, llama-server). */
  async models(signal?: AbortSignal): Promise<ModelEntry[]> {
    const res = await this.request('/models', { method: 'GET', signal });
    await this.check(res);
    const body = (await res.json()) as { data?: unknown };
    if (!Array.isArray(body.data)) throw new ProviderError(`the provider at ${this.baseUrl} answered /models without a "data" list`);
    return body.data.flatMap((m: unknown): ModelEntry[] => {
      if (!m || typeof m !== 'object' || typeof (m as { id?: unknown }).id !== 'string') return [];
      const o = m as Record<string, unknown> & { id: string };
      const meta = (o.meta ?? {}) as Record<string, unknown>;
      const local = (o.localgpt ?? {}) as Record<string, unknown>;
      const ctx = [o.max_model_len, o.context_length, local.context_length, meta.n_ctx, meta.n_ctx_train].find((v) => typeof v === 'number' && v > 0) as number | undefined;
      return [{ id: o.id, ...(ctx ? { contextLength: ctx } : {}) }];
    });
  }

  chat(messages: readonly ChatMessage[], options: ChatOptions = {}): AsyncIterable<ChatPiece> {
    const body = { messages: messages.map((m) => ({ role: m.role, content: m.content })) };
    return this.generation('/chat/completions', body, (c) => {
      const content = (c.delta as { content?: unknown } | undefined)?.content;
      return typeof content === 'string' ? content : '';
    }, options);
  }

  complete(prompt: string, options: ChatOptions = {}): AsyncIterable<ChatPiece> {
    return this.generation('/completions', { prompt }, (c) => (typeof c.text === 'string' ? c.text : ''), options);
  }

  /** Aborts whatever is in flight. */
  dispose(): void {
    for (const a of this.inFlight) a.abort(new Error('the model was disposed'));
  }

  /**
   * One HTTP request with the retry policy: 5xx, timeouts and dropped connections are tried
   * again; the last answer is returned whatever its status (the proxy passes 4xx/5xx through).
   */
  async request(path: string, init: { method: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal; headers?: Record<string, string> }): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.send(path, init);
      } catch (err) {
        if (init.signal?.aborted || !(err instanceof ProviderError) || !err.retryable || attempt >= this.retries) throw this.final(err, attempt);
        await sleep(this.retryDelayMs * 2 ** attempt, init.signal);
        continue;
      }
      if (res.status >= 500 && attempt < this.retries) {
        await res.body?.cancel().catch(() => {});
        await sleep(this.retryDelayMs * 2 ** attempt, init.signal);
        continue;
      }
      return res;
    }
  }

  /** One attempt: the response once its headers are in; network failures as ProviderError. */
  private async send(path: string, init: { method: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal; headers?: Record<string, string> }): Promise<Response> {
    const url = this.baseUrl + path;
    const ac = new AbortController();
    const unlink = follow(init.signal, ac);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new Error('timeout'));
    }, this.timeoutMs);
    const headers: Record<string, string> = { Accept: init.method === 'POST' ? 'text/event-stream, application/json' : 'application/json', ...(init.headers ?? {}) };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    try {
      const res = await fetch(url, {
        method: init.method,
        headers,
        ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
        signal: ac.signal,
      });
      // The caller's signal keeps governing the body; the timeout was for the headers only.
      return res;
    } catch (err) {
      unlink();
      if (init.signal?.aborted) throw err;
      if (timedOut) throw new ProviderError(`the provider at ${this.baseUrl} did not answer within ${Math.round(this.timeoutMs / 1000)} s`, undefined, 'timeout', true);
      const code = errorCode(err);
      if (code === 'ECONNREFUSED') throw new ProviderError(`cannot connect to the provider at ${this.baseUrl}: connection refused (is the server running there?)`, undefined, code);
      if (code && NETWORK_FATAL.has(code)) throw new ProviderError(`cannot connect to the provider at ${this.baseUrl}: ${code}`, undefined, code);
      throw new ProviderError(`the connection to the provider at ${this.baseUrl} failed: ${code ?? (err as Error).message}`, undefined, code, true);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A non-2xx answer as a ProviderError with the server's own message. */
  private async check(res: Response): Promise<void> {
    if (res.ok) return;
    const text = await res.text().catch(() => '');
    let message = text.trim().slice(0, 500);
    let code: string | undefined;
    try {
      const j = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown };
      const e = j.error;
      if (e && typeof e === 'object') {
        const eo = e as { message?: unknown; code?: unknown; type?: unknown };
        if (typeof eo.message === 'string') message = eo.message;
        if (typeof eo.code === 'string') code = eo.code;
        else if (typeof eo.type === 'string') code = eo.type;
      } else if (typeof e === 'string') message = e;
      else if (typeof j.message === 'string') message = j.message;
      else if (typeof j.detail === 'string') message = j.detail;
    } catch {
      // not JSON: the text itself
    }
    const what = `${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (res.status >= 500) {
      const tries = this.retries + 1;
      throw new ProviderError(`the provider at ${this.baseUrl} failed (${what}${tries > 1 ? `, ${tries} attempts` : ''})${message ? `: ${message}` : ''}`, res.status, code, true);
    }
    throw new ProviderError(`the provider at ${this.baseUrl} refused the request (${what})${message ? `: ${message}` : ''}`, res.status, code);
  }

  private final(err: unknown, attempt: number): unknown {
    if (err instanceof ProviderError && err.retryable && attempt > 0) {
      return new ProviderError(`${err.message} (${attempt + 1} attempts)`, err.status, err.code, true);
    }
    return err;
  }

  private generation(path: string, payload: Record<string, unknown>, extract: (choice: Record<string, unknown>) => string, options: ChatOptions): AsyncIterable<ChatPiece> {
    const self = this;
    return {
      [Symbol.asyncIterator]: () => self.run(path, payload, extract, options),
    };
  }

  private async *run(path: string, payload: Record<string, unknown>, extract: (choice: Record<string, unknown>) => string, options: ChatOptions): AsyncGenerator<ChatPiece, void> {
    const body: Record<string, unknown> = {
      model: this.modelId,
      ...payload,
      stream: true,
      stream_options: { include_usage: true },
      ...samplingBody(options.sampling),
      ...(options.maxTokens !== undefined ? { max_tokens: options.maxTokens } : {}),
      ...(options.stop && options.stop.length > 0 ? { stop: [...options.stop] } : {}),
    };
    const ac = new AbortController();
    const unlink = follow(options.signal, ac);
    this.inFlight.add(ac);
    const t0 = performance.now();
    let firstAt: number | undefined;
    let text = '';
    let finish: string | undefined;
    let matched: unknown;
    let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
    let yielded = false;
    let ended = false; // the stream ran to its end (or was aborted) and the result is known
    let failed = false;
    let stopReason: StopReason | undefined;
    try {
      for (let attempt = 0; ; attempt++) {
        let responded = false;
        try {
          const res = await this.request(path, { method: 'POST', body, signal: ac.signal });
          responded = true;
          await this.check(res);
          if (!res.body) throw new ProviderError(`the provider at ${this.baseUrl} sent an empty answer`, res.status);
          const type = res.headers.get('content-type') ?? '';
          if (type.includes('application/json')) {
            // A server that ignores `stream`: one whole answer.
            const j = (await res.json()) as { choices?: Record<string, unknown>[]; usage?: typeof usage };
            const c = j.choices?.[0] ?? {};
            const piece = typeof (c.message as { content?: unknown } | undefined)?.content === 'string' ? ((c.message as { content: string }).content) : typeof c.text === 'string' ? c.text : '';
            usage = j.usage;
            finish = typeof c.finish_reason === 'string' ? c.finish_reason : 'stop';
            matched = c.stop_reason ?? c.stopping_word;
            if (piece) {
              text += piece;
              firstAt ??= performance.now();
              yielded = true;
              yield { token: -1, text: piece };
            }
          } else {
            let done = false;
            for await (const data of sseData(res.body)) {
              if (data.trim() === '[DONE]') {
                done = true;
                break;
              }
              let j: { choices?: Record<string, unknown>[]; usage?: typeof usage; error?: { message?: string; code?: string } | string };
              try {
                j = JSON.parse(data) as typeof j;
              } catch {
                throw new ProviderError(`the provider at ${this.baseUrl} sent a stream event that is not JSON: ${data.slice(0, 100)}`);
              }
              if (j.error) {
                const e = j.error;
                throw new ProviderError(`the provider at ${this.baseUrl} failed mid-answer: ${typeof e === 'string' ? e : e.message ?? JSON.stringify(e)}`, undefined, typeof e === 'string' ? undefined : e.code, !yielded);
              }
              if (j.usage) usage = j.usage;
              const c = j.choices?.[0];
              if (!c) continue;
              const piece = extract(c);
              if (piece) {
                text += piece;
                firstAt ??= performance.now();
                yielded = true;
                yield { token: -1, text: piece };
              }
              if (typeof c.finish_reason === 'string') {
                finish = c.finish_reason;
                matched = c.stop_reason ?? c.stopping_word;
              }
            }
            if (!done && finish === undefined) {
              if (ac.signal.aborted) throw ac.signal.reason;
              throw new ProviderError(`the provider at ${this.baseUrl} ended the answer early (the connection closed mid-stream)`, undefined, 'stream_ended', !yielded);
            }
          }
          ended = true;
          break;
        } catch (err) {
          if (ac.signal.aborted) {
            stopReason = 'abort';
            ended = true;
            break;
          }
          if (responded && !yielded && err instanceof ProviderError && err.retryable && err.status === undefined && attempt < this.retries) {
            // dropped before anything was shown (5xx and header timeouts were already retried in request())
            await sleep(this.retryDelayMs * 2 ** attempt, ac.signal).catch(() => {});
            if (ac.signal.aborted) {
              stopReason = 'abort';
              ended = true;
              break;
            }
            continue;
          }
          throw err;
        }
      }
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      // Reached by the end, by an error, or by the consumer leaving early (return()): the latter
      // counts as an abort, as with the local engine, and the request is cancelled.
      if (!ended || stopReason === 'abort') ac.abort(new Error('generation stopped'));
      unlink();
      this.inFlight.delete(ac);
      if (!ended && !failed) report('abort');
    }
    report(stopReason);

    function report(reason: StopReason | undefined): void {
      const end = performance.now();
      reason ??= finish === 'length' ? 'length' : typeof matched === 'string' && options.stop?.includes(matched) ? 'stop' : 'eos';
      const promptTokens = usage?.prompt_tokens ?? 0;
      const completionTokens = usage?.completion_tokens ?? 0;
      const prefillMs = (firstAt ?? end) - t0;
      const decodeMs = end - (firstAt ?? end);
      options.onDone?.({
        text,
        stopReason: reason,
        promptTokens,
        ids: [],
        completionTokens,
        timings: {
          prefillMs,
          decodeMs,
          prefillTokensPerS: prefillMs > 0 ? (promptTokens * 1000) / prefillMs : 0,
          decodeTokensPerS: decodeMs > 0 && completionTokens > 1 ? ((completionTokens - 1) * 1000) / decodeMs : 0,
        },
      });
    }
  }
}
