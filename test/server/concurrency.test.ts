import { describe, expect, it } from 'vitest';
import type { Model } from '../../src/engine/model.js';
import { FifoQueue } from '../../src/server/queue.js';
import { HttpError } from '../../src/server/errors.js';
import { readEvents, serveTestModel, startTestServer, type TestServer } from './helpers.js';

let model: Model;
let t: TestServer;
serveTestModel((server, m) => {
  t = server;
  model = m;
});

/** Polls /api/info until the queue is in the wanted state. */
async function queueState(want: { running: boolean; waiting: number }): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const info = (await (await fetch(`${t.url}/api/info`)).json()) as { queue: { running: boolean; waiting: number } };
    if (info.queue.running === want.running && info.queue.waiting === want.waiting) return;
    if (Date.now() > deadline) throw new Error(`queue never reached ${JSON.stringify(want)}: ${JSON.stringify(info.queue)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const long = (extra: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user', content: 'Tell me a long story' }],
  temperature: 0,
  max_tokens: 400,
  stream: true,
  ...extra,
});

describe('cancellation', () => {
  it('a client that disconnects mid-stream cancels its generation, and the next request is served promptly', async () => {
    const seen = t.events.length;
    const ac = new AbortController();
    const res = await t.post('/v1/chat/completions', long(), { signal: ac.signal });
    expect(res.status).toBe(200);
    const { events } = await readEvents(res, 4); // role chunk + 3 pieces
    expect(events).toHaveLength(4);
    ac.abort();
    const event = await t.nextEvent(seen);
    expect(event.stopReason).toBe('abort');
    expect(event.delivered).toBe(false);
    expect(event.completionTokens).toBeLessThan(400);

    const t0 = performance.now();
    const next = await t.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 });
    expect(next.status).toBe(200);
    await next.json();
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('a non-streaming request whose client leaves is cancelled too', async () => {
    const seen = t.events.length;
    const ac = new AbortController();
    const pending = t.post('/v1/chat/completions', long({ stream: false }), { signal: ac.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 150));
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    const event = await t.nextEvent(seen);
    expect(event).toMatchObject({ stopReason: 'abort', delivered: false });
    expect(event.completionTokens).toBeLessThan(400);
  });

  it('a request that leaves while still queued never runs', async () => {
    const seen = t.events.length;
    const first = await t.post('/v1/chat/completions', long({ max_tokens: 200 }));
    const { reader } = await readEvents(first, 2); // the first is running
    const ac = new AbortController();
    const queued = t.post('/v1/completions', { prompt: 'queued', max_tokens: 5 }, { signal: ac.signal }).catch((e: unknown) => e);
    await queueState({ running: true, waiting: 1 });
    ac.abort();
    await queued;
    await queueState({ running: true, waiting: 0 }); // it left the line at once
    while (!(await reader.read()).done) {
      // drain the first answer
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(t.events.slice(seen).map((e) => e.endpoint)).toEqual(['chat']);
  });
});

describe('scheduling', () => {
  it('answers GET /v1/models while a generation runs (streamed or not)', async () => {
    const res = await t.post('/v1/chat/completions', long({ max_tokens: 200 }));
    const { reader } = await readEvents(res, 2);
    const t0 = performance.now();
    const models = await fetch(`${t.url}/v1/models`);
    expect(models.status).toBe(200);
    const modelsMs = performance.now() - t0;
    let finishedAfter = false;
    for (;;) {
      const step = await reader.read();
      if (step.done) break;
      finishedAfter = true; // more of the stream came after /v1/models was answered
    }
    expect(finishedAfter).toBe(true);
    expect(modelsMs).toBeLessThan(2000);

    // A non-streamed answer writes nothing while it runs: the server must still yield between tokens.
    const seen = t.events.length;
    const whole = t.post('/v1/chat/completions', long({ max_tokens: 200, stream: false }));
    await new Promise((r) => setTimeout(r, 100));
    const info = await fetch(`${t.url}/api/info`);
    expect(info.status).toBe(200);
    expect(((await info.json()) as { queue: { running: boolean } }).queue.running).toBe(true);
    expect(t.events.length).toBe(seen); // answered before the generation ended
    expect((await whole).status).toBe(200);
  });

  it('serves concurrent requests first-come first-served, and all complete', async () => {
    const seen = t.events.length;
    const order: string[] = [];
    const send = async (name: string, body: Record<string, unknown>) => {
      const res = await t.post(name.startsWith('chat') ? '/v1/chat/completions' : '/v1/completions', body);
      const json = (await res.json()) as { usage: { completion_tokens: number } };
      order.push(name);
      return { status: res.status, tokens: json.usage.completion_tokens };
    };
    const a = send('chat-a', { messages: [{ role: 'user', content: 'first' }], temperature: 0, max_tokens: 150 });
    await queueState({ running: true, waiting: 0 });
    const b = send('completions-b', { prompt: 'second', temperature: 0, max_tokens: 10 });
    await queueState({ running: true, waiting: 1 });
    const c = send('chat-c', { messages: [{ role: 'user', content: 'third' }], temperature: 0, max_tokens: 5 });
    const results = await Promise.all([a, b, c]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.map((r) => r.tokens)).toEqual([150, 10, 5]);
    expect(order).toEqual(['chat-a', 'completions-b', 'chat-c']);
    expect(t.events.slice(seen).map((e) => e.endpoint)).toEqual(['chat', 'completions', 'chat']);
  });

  it('close() cancels a running generation', async () => {
    const own = await startTestServer(model);
    const res = await own.post('/v1/chat/completions', long());
    await readEvents(res, 2);
    await own.close();
    // close() resolves only after the generation let go of the model.
    expect(own.events).toHaveLength(1);
    expect(own.events[0].stopReason).toBe('abort');
  });
});

describe('FifoQueue', () => {
  it('grants turns in arrival order, drops waiters that abort, and refuses past its limit', async () => {
    const q = new FifoQueue(2);
    const order: string[] = [];
    const r1 = await q.acquire();
    const p2 = q.acquire().then((r) => (order.push('2'), r));
    const ac = new AbortController();
    const p3 = q.acquire(ac.signal).then(() => order.push('3'), () => order.push('3 left'));
    await expect(q.acquire()).rejects.toBeInstanceOf(HttpError); // two already waiting
    ac.abort();
    await p3;
    const p4 = q.acquire().then((r) => (order.push('4'), r));
    expect(q.waiting).toBe(2);
    r1();
    (await p2)();
    (await p4)();
    expect(order).toEqual(['3 left', '2', '4']);
    expect(q.busy).toBe(false);
    r1(); // releasing twice is harmless
    expect(q.busy).toBe(false);
  });
});
