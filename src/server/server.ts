/**
 * The OpenAI-compatible HTTP server and the web chat page, over node:http with a small route
 * table. One model, one generation at a time (FIFO), the event loop free for everything else.
 *
 *   const server = await startServer({ model, port: 8080 });
 *   // ... server.url is http://127.0.0.1:8080
 *   await server.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ChatTemplate } from '../engine/chat.js';
import { metaString } from '../engine/gguf/metadata.js';
import type { Model } from '../engine/model.js';
import { createAuthenticator } from './auth.js';
import type { GenerationEvent, Handler, RequestContext, ServerState } from './context.js';
import { HttpError, sendError, sendJson } from './errors.js';
import { listen } from './listen.js';
import { PAGE_HTML } from './page.js';
import { FifoQueue } from './queue.js';
import { chatCompletions } from './routes/chat.js';
import { completions } from './routes/completions.js';
import { embeddings } from './routes/embeddings.js';
import { listModels, retrieveModel, serverInfo } from './routes/models.js';

export type { GenerationEvent } from './context.js';

export interface ServerOptions {
  /** A loaded model; the server does not dispose it. */
  readonly model: Model;
  /** The id clients name in `model` (default: the file's general.name, else 'localgpt'). */
  readonly modelId?: string;
  /** Default 127.0.0.1: only this machine can connect. */
  readonly host?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  /** When set, every API request needs `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
  /** Origins allowed to call the API from a browser ('*' for any); default none (CORS off). */
  readonly cors?: string | readonly string[];
  /** Largest request body in bytes (default 1 MiB); larger ones get 413. */
  readonly bodyLimit?: number;
  /** Most requests waiting for the model (default 64); more get 503. */
  readonly maxQueue?: number;
  /** Called when each generation ends (for logs, metrics and tests). */
  readonly onGeneration?: (event: GenerationEvent) => void;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /**
   * Cancels running and queued generations, closes every connection and stops listening; resolves
   * when no generation is using the model any more.
   */
  close(): Promise<void>;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

interface Route {
  readonly methods: Partial<Record<string, Handler>>;
  /** Served without the API key (the page itself holds no data). */
  readonly public?: boolean;
  /** Matches paths below it too (the remainder is ctx.rest). */
  readonly prefix?: boolean;
}

const servePage: Handler = ({ res }) => {
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(PAGE_HTML),
    // The page is self-contained: nothing may load from anywhere else, and it talks only to us.
    'Content-Security-Policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  });
  res.end(PAGE_HTML);
};

const ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/', { methods: { GET: servePage }, public: true }],
  ['/health', { methods: { GET: ({ res }) => sendJson(res, 200, { status: 'ok' }) }, public: true }],
  ['/api/info', { methods: { GET: serverInfo } }],
  ['/v1/models', { methods: { GET: listModels } }],
  ['/v1/models/', { methods: { GET: retrieveModel }, prefix: true }],
  ['/v1/chat/completions', { methods: { POST: chatCompletions } }],
  ['/v1/completions', { methods: { POST: completions } }],
  ['/v1/embeddings', { methods: { POST: embeddings } }],
]);

function findRoute(path: string): { route: Route; rest: string } | undefined {
  const exact = ROUTES.get(path);
  if (exact && !exact.prefix) return { route: exact, rest: '' };
  for (const [p, route] of ROUTES) {
    if (route.prefix && path.startsWith(p) && path.length > p.length) return { route, rest: path.slice(p.length) };
  }
  return undefined;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The Host header's name without the port. */
function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1).toLowerCase();
  return header.split(':')[0].toLowerCase();
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1) throw new RangeError(`bodyLimit must be a positive integer, got ${bodyLimit}`);
  const authenticate = createAuthenticator(options.apiKey);
  const corsOrigins = new Set(options.cors === undefined ? [] : typeof options.cors === 'string' ? [options.cors] : options.cors);
  const model = options.model;
  const info = model.info;
  const state: ServerState = {
    model,
    modelId: options.modelId ?? info.name ?? 'localgpt',
    created: Math.floor(Date.now() / 1000),
    template: new ChatTemplate(metaString(model.metadata, 'tokenizer.chat_template'), model.tokenizer),
    contextLength: info.contextLength,
    vocabSize: info.vocabSize,
    queue: new FifoQueue(options.maxQueue ?? 64),
    active: new Set(),
    tasks: new Set(),
    ...(options.onGeneration ? { onGeneration: options.onGeneration } : {}),
  };
  // A browser page elsewhere can make a loopback server's name resolve to it (DNS rebinding);
  // a loopback-bound server therefore answers only requests addressed to a loopback name.
  const checkHost = isLoopback(host);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const name = hostName(req.headers.host);
      if (checkHost && (name === undefined || !isLoopback(name))) {
        throw new HttpError(403, `this server only answers requests addressed to ${host} (got Host: ${req.headers.host ?? 'none'})`, 'invalid_request_error', null, 'forbidden_host');
      }
      const origin = req.headers.origin;
      const corsAllowed = origin !== undefined && (corsOrigins.has('*') || corsOrigins.has(origin));
      if (corsAllowed) {
        res.setHeader('Access-Control-Allow-Origin', corsOrigins.has('*') ? '*' : origin);
        res.setHeader('Vary', 'Origin');
      }
      if (req.method === 'OPTIONS') {
        if (corsAllowed) {
          res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
          res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
          res.setHeader('Access-Control-Max-Age', '600');
        }
        res.writeHead(204).end();
        return;
      }

      let path: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      } catch {
        throw new HttpError(400, 'the request path is not valid', 'invalid_request_error', null, 'invalid_path');
      }
      const found = findRoute(path);
      if (!found) throw new HttpError(404, `no route for ${req.method} ${path}`, 'invalid_request_error', null, 'unknown_url');
      const handler = found.route.methods[req.method ?? ''];
      if (!handler) {
        const allow = Object.keys(found.route.methods).join(', ');
        throw new HttpError(405, `${path} accepts ${allow}, not ${req.method}`, 'invalid_request_error', null, 'method_not_allowed', { Allow: allow });
      }
      if (!found.route.public) authenticate(req);

      const ctx: RequestContext = {
        state,
        req,
        res,
        rest: found.rest,
        json: () => readJson(req, bodyLimit),
      };
      await handler(ctx);
    } catch (err) {
      if (!req.complete && !res.headersSent) {
        // The body was not (all) received: answer, then close the connection rather than read on.
        res.setHeader('Connection', 'close');
        req.resume();
      }
      sendError(res, err);
    }
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000; // receiving the request, not the (streamed) answer

  const { url, host: boundHost, port } = await listen(server, options.port ?? 8080, host);
  let closing: Promise<void> | undefined;
  return {
    url,
    host: boundHost,
    port,
    close: () => {
      closing ??= (async () => {
        for (const a of state.active) a.abort(new Error('the server is closing'));
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        // Once this resolves no generation touches the model, so the caller may dispose it.
        await Promise.allSettled([...state.tasks]);
        await stopped;
      })();
      return closing;
    },
  };
}

/** Reads the body as JSON: 415 unless it says JSON, 413 past the limit, 400 when it does not parse. */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, `send the body as JSON with "Content-Type: application/json" (got ${type ? `"${type}"` : 'none'})`, 'invalid_request_error', null, 'unsupported_media_type');
  }
  const tooLarge = () => new HttpError(413, `the request body is larger than ${limit} bytes`, 'invalid_request_error', null, 'request_too_large');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop keeping it, but do not destroy the request: the 413 still has to reach the client.
        req.off('data', onData);
        req.off('end', onEnd);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.once('error', reject);
  });
  const text = body.toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'the request body is empty; send a JSON object', 'invalid_request_error', null, 'invalid_json');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, `We could not parse the JSON body of your request: ${err instanceof Error ? err.message : String(err)}`, 'invalid_request_error', null, 'invalid_json');
  }
}
