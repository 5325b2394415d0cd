import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/engine/model.js';
import { approxTokens, engineCompletion, splitByChars, type ChatResult } from '../../src/provider/engine.js';
import { normaliseBaseUrl, ProviderError, RemoteModel } from '../../src/provider/remote.js';
import { loadTestModel, MODEL_ID, startTestServer, type TestServer } from '../server/helpers.js';

let model: Model;
let t: TestServer;

beforeAll(async () => {
  model = await loadTestModel();
  t = await startTestServer(model);
});

afterAll(async () => {
  await t?.close();
  model?.dispose();
});

const messages = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: 'Hello there' },
];

async function collect(it: AsyncIterable<{ text: string }>): Promise<string> {
  let s = '';
  for await (const p of it) s += p.text;
  return s;
}

/** A node:http server on 127.0.0.1 answering with `handler`; resolves with its base URL. */
async function tinyServer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('RemoteModel against our own server', () => {
  it('connects: picks the served model id and its context length', async () => {
    const remote = await RemoteModel.connect({ url: t.url });
    expect(remote.info).toMatchObject({ id: MODEL_ID, backend: 'remote', contextLength: 512, baseUrl: `${t.url}/v1` });
  });

  it('streams the same greedy text the server answers non-streamed, with usage and stop reason', async () => {
    const res = await t.post('/v1/chat/completions', { model: MODEL_ID, messages, temperature: 0, max_tokens: 20 });
    const whole = (await res.json()) as { choices: { message: { content: string }; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number } };
    const remote = await RemoteModel.connect({ url: `${t.url}/v1/` });
    let result: ChatResult | undefined;
    const pieces: string[] = [];
    for await (const p of remote.chat(messages, { maxTokens: 20, sampling: { temperature: 0 }, onDone: (r) => (result = r) })) {
      expect(p.token).toBe(-1);
      pieces.push(p.text);
    }
    expect(pieces.join('')).toBe(whole.choices[0].message.content);
    expect(pieces.length).toBeGreaterThan(1);
    expect(result).toBeDefined();
    expect(result!.text).toBe(whole.choices[0].message.content);
    expect(result!.stopReason).toBe(whole.choices[0].finish_reason === 'length' ? 'length' : 'eos');
    expect(result!.promptTokens).toBe(whole.usage.prompt_tokens);
    expect(result!.completionTokens).toBe(whole.usage.completion_tokens);
    expect(result!.ids).toEqual([]);
  });

  it('completes a raw prompt like /v1/completions', async () => {
    const res = await t.post('/v1/completions', { model: MODEL_ID, prompt: 'Once upon a time', temperature: 0, max_tokens: 12 });
    const whole = (await res.json()) as { choices: { text: string }[] };
    const remote = new RemoteModel({ url: t.url }, MODEL_ID);
    expect(await collect(remote.complete('Once upon a time', { maxTokens: 12, sampling: { temperature: 0 } }))).toBe(whole.choices[0].text);
  });

  it('serves scheduled jobs through the CompletionModel adapter', async () => {
    const remote = new RemoteModel({ url: t.url }, MODEL_ID);
    const text = await engineCompletion(remote).complete('Hello there', { system: 'Be brief.', maxTokens: 8 });
    expect(typeof text).toBe('string');
    expect(text.length).toBeGreaterThan(0);
  });

  it('abort mid-stream ends with stopReason abort, and the server sees the disconnect', async () => {
    const remote = new RemoteModel({ url: t.url }, MODEL_ID);
    const seen = t.events.length;
    const ac = new AbortController();
    let result: ChatResult | undefined;
    let n = 0;
    for await (const p of remote.chat(messages, { maxTokens: 400, sampling: { temperature: 0 }, signal: ac.signal, onDone: (r) => (result = r) })) {
      if (p.text && ++n === 2) ac.abort();
    }
    expect(result?.stopReason).toBe('abort');
    const event = await t.nextEvent(seen);
    expect(event.delivered).toBe(false);
    expect(event.stopReason).toBe('abort');
    expect(event.completionTokens).toBeLessThan(400);
  });

  it('breaking out of the loop also counts as abort', async () => {
    const remote = new RemoteModel({ url: t.url }, MODEL_ID);
    const seen = t.events.length;
    let result: ChatResult | undefined;
    for await (const p of remote.chat(messages, { maxTokens: 400, sampling: { temperature: 0 }, onDone: (r) => (result = r) })) if (p.text) break;
    expect(result?.stopReason).toBe('abort');
    expect((await t.nextEvent(seen)).delivered).toBe(false);
  });

  it('a 4xx surfaces the server\'s own error message (not retried)', async () => {
    const remote = new RemoteModel({ url: t.url, retryDelayMs: 1 }, 'no-such-model');
    const err = await collect(remote.chat(messages, { maxTokens: 4 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).status).toBe(404);
    expect((err as Error).message).toContain(t.url);
    expect((err as Error).message).toMatch(/no-such-model/);
  });
});

describe('RemoteModel errors and retries', () => {
  it('a refused connection is one clear error naming the URL', async () => {
    // A port that was just free: listen, note it, close.
    const s = await tinyServer(() => {});
    const url = s.url;
    await s.close();
    const t0 = Date.now();
    const err = await RemoteModel.connect({ url, retryDelayMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toBe(`cannot connect to the provider at ${url}/v1: connection refused (is the server running there?)`);
    expect(Date.now() - t0).toBeLessThan(1000); // not retried
    const err2 = await collect(new RemoteModel({ url }, 'm').chat(messages)).catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(/connection refused/);
  });

  it('503 twice then 200: retried with backoff, and succeeds', async () => {
    let calls = 0;
    const bodies: unknown[] = [];
    const s = await tinyServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        calls++;
        bodies.push(JSON.parse(raw));
        if (calls <= 2) {
          res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { message: 'warming up', type: 'server_error' } }));
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write('data: {"choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}\n\n');
        res.write('data: {"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}\r\n\r\n');
        res.write(': a comment\n\ndata: {"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}\n\n');
        res.write('data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop","stop_reason":"END"}]}\n\n');
        res.write('data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}\n\n');
        res.end('data: [DONE]\n\n');
      });
    });
    try {
      const remote = new RemoteModel({ url: s.url, apiKey: 'k', retryDelayMs: 20 }, 'tiny');
      let result: ChatResult | undefined;
      const t0 = Date.now();
      expect(await collect(remote.chat(messages, { maxTokens: 5, stop: ['END'], sampling: { temperature: 0, topP: 0.9, seed: 3 }, onDone: (r) => (result = r) }))).toBe('Hello');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(55); // 20 + 40 ms of backoff
      expect(calls).toBe(3);
      expect(result).toMatchObject({ text: 'Hello', stopReason: 'stop', promptTokens: 7, completionTokens: 2 });
      expect(bodies[2]).toMatchObject({ model: 'tiny', stream: true, max_tokens: 5, stop: ['END'], temperature: 0, top_p: 0.9, seed: 3 });
    } finally {
      await s.close();
    }
  });

  it('5xx every time: a clear error after 3 attempts', async () => {
    let calls = 0;
    const s = await tinyServer((_req, res) => {
      calls++;
      res.writeHead(502).end('bad gateway');
    });
    try {
      const err = await collect(new RemoteModel({ url: s.url, retryDelayMs: 1 }, 'm').chat(messages)).catch((e: unknown) => e);
      expect(calls).toBe(3);
      expect((err as Error).message).toBe(`the provider at ${s.url}/v1 failed (502 Bad Gateway, 3 attempts): bad gateway`);
    } finally {
      await s.close();
    }
  });

  it('a timeout is retried, then a clear error', async () => {
    let calls = 0;
    const s = await tinyServer(() => {
      calls++; // never answers
    });
    try {
      const err = await collect(new RemoteModel({ url: s.url, retryDelayMs: 1, timeoutMs: 100 }, 'm').chat(messages)).catch((e: unknown) => e);
      expect(calls).toBe(3);
      expect((err as Error).message).toMatch(/did not answer within .* \(3 attempts\)/);
    } finally {
      await s.close();
    }
  });

  it('a 400 surfaces the OpenAI-shaped message and code', async () => {
    const s = await tinyServer((_req, res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { message: "'messages' must not be empty", type: 'invalid_request_error', code: 'invalid_value' } }));
    });
    try {
      const err = await collect(new RemoteModel({ url: s.url, retryDelayMs: 1 }, 'm').chat(messages)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).code).toBe('invalid_value');
      expect((err as Error).message).toBe(`the provider at ${s.url}/v1 refused the request (400 Bad Request): 'messages' must not be empty`);
    } finally {
      await s.close();
    }
  });
});

describe('helpers', () => {
  it('normalises base URLs', () => {
    expect(normaliseBaseUrl('http://h:8000')).toBe('http://h:8000/v1');
    expect(normaliseBaseUrl('http://h:8000/v1/')).toBe('http://h:8000/v1');
    expect(normaliseBaseUrl('https://h/openai/')).toBe('https://h/openai/v1');
    expect(() => normaliseBaseUrl('ftp://h')).toThrow(/http/);
    expect(() => normaliseBaseUrl('nope')).toThrow(/not a URL/);
  });
  it('approximates tokens as chars/4 and splits text by that budget', () => {
    expect(approxTokens('abcdefgh')).toBe(2);
    const parts = splitByChars('aaaa bbbb cccc dddd', 10);
    expect(parts.join('')).toBe('aaaa bbbb cccc dddd');
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(10);
  });
});

describe('scheduled jobs on a provider', () => {
  it('remoteCompletionSource connects lazily and answers', async () => {
    const { remoteCompletionSource } = await import('../../src/provider/index.js');
    const source = remoteCompletionSource({ url: t.url });
    const m = await source();
    expect(await source()).toBe(m);
    expect((await m.complete('Hello', { maxTokens: 4 })).length).toBeGreaterThan(0);
  });
});
