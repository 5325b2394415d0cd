import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/engine/model.js';
import type { ChatResult } from '../../src/provider/engine.js';
import { startProxyServer, type RunningProxy } from '../../src/provider/proxy.js';
import { RemoteModel } from '../../src/provider/remote.js';
import { loadTestModel, MODEL_ID, parseSse, startTestServer, type TestServer } from '../server/helpers.js';

let model: Model;
let t: TestServer;
let proxy: RunningProxy;

beforeAll(async () => {
  model = await loadTestModel();
  t = await startTestServer(model);
  proxy = await startProxyServer({ remote: await RemoteModel.connect({ url: t.url }), modelId: 'front', port: 0, apiKey: 'secret' });
});

afterAll(async () => {
  await proxy?.close();
  await t?.close();
  model?.dispose();
});

const messages = [{ role: 'user' as const, content: 'Hello there' }];
const auth = { Authorization: 'Bearer secret', 'Content-Type': 'application/json' };

describe('serve --provider: the proxy', () => {
  it('needs the bearer token, lists its own model id, and 404s another', async () => {
    expect((await fetch(`${proxy.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${proxy.url}/health`)).status).toBe(200);
    const list = (await (await fetch(`${proxy.url}/v1/models`, { headers: auth })).json()) as { data: { id: string; localgpt: { backend: string } }[] };
    expect(list.data.map((m) => [m.id, m.localgpt.backend])).toEqual([['front', 'remote']]);
    const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: auth, body: JSON.stringify({ model: 'other', messages }) });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
  });

  it('passes streamed and whole answers through, and the upstream 4xx as it is', async () => {
    const direct = (await (await t.post('/v1/chat/completions', { model: MODEL_ID, messages, temperature: 0, max_tokens: 10 })).json()) as { choices: { message: { content: string } }[] };
    const whole = (await (await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: auth, body: JSON.stringify({ model: 'front', messages, temperature: 0, max_tokens: 10 }) })).json()) as typeof direct;
    expect(whole.choices[0].message.content).toBe(direct.choices[0].message.content);
    const streamed = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: auth, body: JSON.stringify({ messages, temperature: 0, max_tokens: 10, stream: true }) });
    expect(streamed.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = parseSse(await streamed.text());
    expect(events.at(-1)).toBe('[DONE]');
    const text = events.filter((e): e is { choices: { delta: { content?: string } }[] } => typeof e === 'object').map((e) => e.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(direct.choices[0].message.content);
    const bad = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: auth, body: JSON.stringify({ messages: [], max_tokens: 2 }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/messages/);
  });

  it('a RemoteModel on the proxy aborts through both hops', async () => {
    const front = await RemoteModel.connect({ url: proxy.url, apiKey: 'secret' });
    expect(front.modelId).toBe('front');
    const seen = t.events.length;
    const ac = new AbortController();
    let result: ChatResult | undefined;
    for await (const p of front.chat(messages, { maxTokens: 400, sampling: { temperature: 0 }, signal: ac.signal, onDone: (r) => (result = r) })) if (p.text) ac.abort();
    expect(result?.stopReason).toBe('abort');
    const event = await t.nextEvent(seen);
    expect(event.delivered).toBe(false);
  });
});
