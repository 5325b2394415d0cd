/**
 * `localgpt serve --provider URL`: our OpenAI-compatible front door over a remote engine. A
 * memory-less proxy: requests are checked (Host, bearer token, body size, model id) the way our
 * own server checks them, the model id is swapped for the provider's, and the answer (SSE or
 * JSON, errors included) streams back unchanged. 5xx and timeouts before the answer starts are
 * retried (RemoteModel.request); a client that disconnects cancels the upstream request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { createAuthenticator } from '../server/auth.js';
import { HttpError, modelNotFound, sendError, sendJson } from '../server/errors.js';
import { ProviderError, type RemoteModel } from './remote.js';
import { listen } from '../server/listen.js';

export interface ProxyOptions {
  readonly remote: RemoteModel;
  /** The id clients name (default: the provider's model id). */
  readonly modelId?: string;
  readonly host?: string;
  readonly port?: number;
  readonly apiKey?: string;
  readonly cors?: string | readonly string[];
  readonly bodyLimit?: number;
}

export interface RunningProxy {
  readonly url: string;
  close(): Promise<void>;
}

const FORWARDED = new Set(['/v1/chat/completions', '/v1/completions', '/v1/embeddings']);

function isLoopback(host: string): boolean {
  return ['localhost', '127.0.0.1', '[::1]', '::1'].includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startProxyServer(options: ProxyOptions): Promise<RunningProxy> {
  const { remote } = options;
  const host = options.host ?? '127.0.0.1';
  const modelId = options.modelId ?? remote.modelId;
  const limit = options.bodyLimit ?? 1024 * 1024;
  const authenticate = createAuthenticator(options.apiKey);
  const cors = new Set(options.cors === undefined ? [] : typeof options.cors === 'string' ? [options.cors] : options.cors);
  const created = Math.floor(Date.now() / 1000);
  const active = new Set<AbortController>();
  const modelObject = () => ({ id: modelId, object: 'model', created, owned_by: 'localgpt', localgpt: { backend: 'remote', provider_model: remote.modelId, context_length: remote.contextLength } });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const hostHeader = req.headers.host ?? '';
    const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0];
    if (isLoopback(host) && !isLoopback(name.toLowerCase())) throw new HttpError(403, `this server only answers requests addressed to ${host}`, 'invalid_request_error', null, 'forbidden_host');
    const origin = req.headers.origin;
    if (origin !== undefined && (cors.has('*') || cors.has(origin))) {
      res.setHeader('Access-Control-Allow-Origin', cors.has('*') ? '*' : origin);
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      res.writeHead(204).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/health' && req.method === 'GET') return sendJson(res, 200, { status: 'ok' });
    authenticate(req);
    if (path === '/v1/models' && req.method === 'GET') return sendJson(res, 200, { object: 'list', data: [modelObject()] });
    if (path.startsWith('/v1/models/') && req.method === 'GET') {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (id !== modelId) throw modelNotFound(id);
      return sendJson(res, 200, modelObject());
    }
    if (!FORWARDED.has(path)) throw new HttpError(404, `no route for ${req.method} ${path}`, 'invalid_request_error', null, 'unknown_url');
    if (req.method !== 'POST') throw new HttpError(405, `${path} accepts POST, not ${req.method}`, 'invalid_request_error', null, 'method_not_allowed', { Allow: 'POST' });

    const body = await readJson(req, limit);
    if (body.model !== undefined && body.model !== modelId) throw modelNotFound(String(body.model));
    body.model = remote.modelId;

    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort(new Error('the client disconnected'));
    };
    res.on('close', onClose);
    active.add(abort);
    try {
      let upstream: Response;
      try {
        upstream = await remote.request(path.slice(3), { method: 'POST', body, signal: abort.signal });
      } catch (err) {
        if (abort.signal.aborted) return;
        if (err instanceof ProviderError) throw new HttpError(502, err.message, 'server_error', null, 'provider_unavailable');
        throw err;
      }
      const headers: Record<string, string> = { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json', 'Cache-Control': 'no-cache' };
      res.writeHead(upstream.status, headers);
      if (!upstream.body) return void res.end();
      const stream = Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream<Uint8Array>);
      await new Promise<void>((resolve) => {
        stream.on('error', () => {
          res.end();
          resolve();
        });
        stream.on('end', resolve);
        res.on('close', () => {
          stream.destroy();
          resolve();
        });
        stream.pipe(res);
      });
    } finally {
      active.delete(abort);
      res.off('close', onClose);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!req.complete && !res.headersSent) {
        res.setHeader('Connection', 'close');
        req.resume();
      }
      if (res.headersSent) res.end();
      else sendError(res, err);
    });
  });
  const { url } = await listen(server, options.port ?? 8080, host);
  return {
    url,
    close: async () => {
      for (const a of active) a.abort(new Error('the server is closing'));
      const stopped = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await stopped;
    },
  };
}

async function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'send the body as JSON with "Content-Type: application/json"', 'invalid_request_error', null, 'unsupported_media_type');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new HttpError(413, `the request body is larger than ${limit} bytes`, 'invalid_request_error', null, 'request_too_large');
    chunks.push(c as Buffer);
  }
  let v: unknown;
  try {
    v = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `We could not parse the JSON body of your request: ${(err as Error).message}`, 'invalid_request_error', null, 'invalid_json');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'the body must be a JSON object', 'invalid_request_error', null, 'invalid_json');
  return v as Record<string, unknown>;
}
