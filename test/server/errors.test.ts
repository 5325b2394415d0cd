import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/engine/model.js';
import { MODEL_ID, serveTestModel, startTestServer, type TestServer } from './helpers.js';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

let model: Model;
let t: TestServer;
serveTestModel((server, m) => {
  t = server;
  model = m;
});

const messages = [{ role: 'user', content: 'Hi' }];

async function expectError(res: Response, status: number, match: Partial<ErrorBody['error']> = {}): Promise<ErrorBody['error']> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as ErrorBody;
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof body.error.message).toBe('string');
  expect(body.error).toMatchObject(match);
  return body.error;
}

describe('request validation', () => {
  it('400 for a body that is not JSON, not an object, or empty', async () => {
    await expectError(await t.post('/v1/chat/completions', '{"messages": ['), 400, { type: 'invalid_request_error', code: 'invalid_json' });
    await expectError(await t.post('/v1/chat/completions', '[1,2]'), 400, { code: 'invalid_body' });
    await expectError(await t.post('/v1/chat/completions', ''), 400, { code: 'invalid_json' });
  });

  it('415 unless the body is declared as JSON', async () => {
    const res = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ messages }) });
    await expectError(res, 415, { code: 'unsupported_media_type' });
  });

  it('400 naming the parameter for missing or mistyped fields', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'messages'],
      [{ messages: 'hi' }, 'messages'],
      [{ messages: [] }, 'messages'],
      [{ messages: [{ content: 'hi' }] }, 'messages[0].role'],
      [{ messages: [{ role: 'wizard', content: 'hi' }] }, 'messages[0].role'],
      [{ messages: [{ role: 'user' }] }, 'messages[0].content'],
      [{ messages: [{ role: 'user', content: 42 }] }, 'messages[0].content'],
      [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 'messages[0].content'],
      [{ messages, temperature: 'hot' }, 'temperature'],
      [{ messages, temperature: 2.5 }, 'temperature'],
      [{ messages, top_p: -0.1 }, 'top_p'],
      [{ messages, max_tokens: 0 }, 'max_tokens'],
      [{ messages, max_tokens: 1.5 }, 'max_tokens'],
      [{ messages, max_completion_tokens: '10' }, 'max_completion_tokens'],
      [{ messages, presence_penalty: 3 }, 'presence_penalty'],
      [{ messages, seed: 0.5 }, 'seed'],
      [{ messages, stop: 7 }, 'stop'],
      [{ messages, stop: [''] }, 'stop'],
      [{ messages, stream: 'yes' }, 'stream'],
      [{ messages, stream_options: { include_usage: true } }, 'stream_options'],
      [{ messages, n: 2 }, 'n'],
      [{ messages, logprobs: true }, 'logprobs'],
      [{ messages, response_format: { type: 'json_object' } }, 'response_format'],
      [{ messages, tool_choice: 'required', tools: [] }, 'tool_choice'],
      [{ messages, model: 42 }, 'model'],
    ];
    for (const [body, param] of cases) {
      const err = await expectError(await t.post('/v1/chat/completions', body), 400, { type: 'invalid_request_error' });
      expect(err.param, JSON.stringify(body)).toBe(param);
    }
    for (const [body, param] of [
      [{}, 'prompt'],
      [{ prompt: 5 }, 'prompt'],
      [{ prompt: ['a', 'b'] }, 'prompt'],
      [{ prompt: [1, 99999] }, 'prompt'],
      [{ prompt: 'x', best_of: 3 }, 'best_of'],
      [{ prompt: 'x', max_tokens: -1 }, 'max_tokens'],
    ] as [Record<string, unknown>, string][]) {
      const err = await expectError(await t.post('/v1/completions', body), 400);
      expect(err.param, JSON.stringify(body)).toBe(param);
    }
    expect(t.events).toHaveLength(0); // nothing invalid reached the model
  });

  it('404 model_not_found for an unknown model name', async () => {
    const err = await expectError(await t.post('/v1/chat/completions', { model: 'gpt-4o', messages }), 404, { code: 'model_not_found', param: 'model' });
    expect(err.message).toContain('gpt-4o');
    await expectError(await t.post('/v1/completions', { model: 'gpt-4o', prompt: 'x' }), 404, { code: 'model_not_found' });
  });

  it('400 context_length_exceeded for a prompt longer than the context', async () => {
    const long = 'word '.repeat(2000);
    await expectError(await t.post('/v1/chat/completions', { model: MODEL_ID, messages: [{ role: 'user', content: long }] }), 400, { code: 'context_length_exceeded' });
  });

  it('413 for a body over the limit (1 MiB by default)', async () => {
    const big = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }] });
    await expectError(await t.post('/v1/chat/completions', big), 413, { code: 'request_too_large' });
    // Chunked (no Content-Length): the limit is enforced while reading.
    const chunked = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 40; i++) c.enqueue(new TextEncoder().encode(i === 0 ? '{"messages":"' : 'x'.repeat(64 * 1024)));
        c.close();
      },
    });
    const res = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: chunked, duplex: 'half' } as RequestInit);
    await expectError(res, 413);
    // The server is fine afterwards.
    expect((await fetch(`${t.url}/v1/models`)).status).toBe(200);
  });

  it('404 for unknown routes, 405 for the wrong method', async () => {
    await expectError(await fetch(`${t.url}/v1/nope`), 404);
    const res = await fetch(`${t.url}/v1/chat/completions`);
    await expectError(res, 405, { code: 'method_not_allowed' });
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('refuses requests addressed to a name other than loopback (DNS rebinding)', async () => {
    const { port } = new URL(t.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/models', headers: { Host: `attacker.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    const ok = await fetch(`http://localhost:${port}/v1/models`).catch(() => undefined);
    if (ok) expect(ok.status).toBe(200); // where localhost resolves to 127.0.0.1
  });
});

describe('authentication and CORS', () => {
  let authed: TestServer;
  beforeAll(async () => {
    authed = await startTestServer(model, { apiKey: 'sk-local-secret', cors: 'http://app.example' });
  });
  afterAll(async () => authed?.close());

  it('requires the bearer token on the API (401 when missing or wrong)', async () => {
    const missing = await fetch(`${authed.url}/v1/models`);
    await expectError(missing, 401, { code: 'missing_api_key' });
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await expectError(await fetch(`${authed.url}/v1/models`, { headers: { Authorization: 'Bearer sk-local-secreT' } }), 401, { code: 'invalid_api_key' });
    await expectError(await fetch(`${authed.url}/v1/models`, { headers: { Authorization: 'Bearer sk-local-secret-and-more' } }), 401, { code: 'invalid_api_key' });
    await expectError(await fetch(`${authed.url}/v1/models`, { headers: { Authorization: 'Basic c2stbG9jYWw=' } }), 401);
    await expectError(await authed.post('/v1/chat/completions', { messages }), 401);
    expect((await fetch(`${authed.url}/v1/models`, { headers: { Authorization: 'Bearer sk-local-secret' } })).status).toBe(200);
    const chat = await authed.post('/v1/chat/completions', { messages, max_tokens: 2 }, { headers: { Authorization: 'Bearer sk-local-secret' } });
    expect(chat.status).toBe(200);
    // The page itself is public (it asks for the key); the API behind it is not.
    expect((await fetch(`${authed.url}/`)).status).toBe(200);
  });

  it('sends CORS headers only for a configured origin, and none by default', async () => {
    const allowed = await fetch(`${authed.url}/v1/models`, { method: 'OPTIONS', headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'POST' } });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const other = await fetch(`${authed.url}/v1/models`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const plain = await fetch(`${t.url}/v1/models`, { headers: { Origin: 'http://app.example' } });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });
});
