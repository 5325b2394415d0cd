import { describe, expect, it } from 'vitest';
import type { Model } from '../../src/engine/model.js';
import { MODEL_ID, parseSse, serveTestModel, type TestServer } from './helpers.js';

interface ChatChunk {
  id: string;
  object: string;
  model: string;
  choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

let model: Model;
let t: TestServer;
serveTestModel((server, m) => {
  t = server;
  model = m;
});

const chatBody = (extra: Record<string, unknown> = {}) => ({
  model: MODEL_ID,
  messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }],
  temperature: 0,
  max_tokens: 24,
  ...extra,
});

describe('GET /v1/models', () => {
  it('lists the served model with its backend', async () => {
    const res = await fetch(`${t.url}/v1/models`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { object: string; data: { id: string; object: string; owned_by: string; localgpt: { backend: string; architecture: string } }[] };
    expect(body.object).toBe('list');
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ id: MODEL_ID, object: 'model', owned_by: 'localgpt' });
    expect(body.data[0].localgpt).toMatchObject({ backend: 'reference', architecture: 'llama' });
  });

  it('retrieves the model by id and 404s an unknown one', async () => {
    expect((await fetch(`${t.url}/v1/models/${MODEL_ID}`)).status).toBe(200);
    const res = await fetch(`${t.url}/v1/models/gpt-4`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
  });
});

describe('POST /v1/chat/completions', () => {
  it('answers in the chat.completion shape with usage', async () => {
    const res = await t.post('/v1/chat/completions', chatBody());
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      id: string;
      object: string;
      model: string;
      choices: { index: number; message: { role: string; content: string }; finish_reason: string }[];
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.object).toBe('chat.completion');
    expect(body.model).toBe(MODEL_ID);
    expect(body.choices).toHaveLength(1);
    expect(body.choices[0].message.role).toBe('assistant');
    expect(typeof body.choices[0].message.content).toBe('string');
    expect(body.choices[0].finish_reason).toBe('length');
    expect(body.usage.completion_tokens).toBe(24);
    expect(body.usage.prompt_tokens).toBeGreaterThan(5);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 24);
  });

  it('streams SSE chunks whose text equals the non-streamed greedy answer, ending in [DONE]', async () => {
    const whole = (await (await t.post('/v1/chat/completions', chatBody())).json()) as { choices: { message: { content: string } }[]; usage: unknown };
    const res = await t.post('/v1/chat/completions', chatBody({ stream: true, stream_options: { include_usage: true } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const raw = await res.text();
    expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = parseSse(raw);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1) as ChatChunk[];
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    for (const c of chunks) expect(c.object).toBe('chat.completion.chunk');
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(whole.choices[0].message.content);
    // The finish chunk, then the usage chunk (choices: []) that include_usage asks for.
    const usageChunk = chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toEqual(whole.usage);
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('length');
    expect(chunks.slice(0, -2).every((c) => c.choices[0].finish_reason === null && c.usage === null)).toBe(true);
  });

  it("maps a stop string to finish_reason 'stop' and leaves it out of the text", async () => {
    const whole = (await (await t.post('/v1/chat/completions', chatBody({ max_tokens: 40 }))).json()) as { choices: { message: { content: string } }[] };
    const text = whole.choices[0].message.content;
    const stop = text.slice(6, 9);
    expect(stop).toHaveLength(3);
    const res = await t.post('/v1/chat/completions', chatBody({ max_tokens: 40, stop: [stop] }));
    const body = (await res.json()) as { choices: { message: { content: string }; finish_reason: string }[]; usage: { completion_tokens: number } };
    expect(body.choices[0].finish_reason).toBe('stop');
    expect(body.choices[0].message.content).toBe(text.slice(0, text.indexOf(stop)));
    expect(body.usage.completion_tokens).toBeLessThan(40);
  });

  it('accepts content parts and the developer role', async () => {
    const res = await t.post('/v1/chat/completions', {
      messages: [{ role: 'developer', content: 'Be brief.' }, { role: 'user', content: [{ type: 'text', text: 'Hello' }, { type: 'text', text: 'there' }] }],
      max_tokens: 4,
      seed: 3,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage: { completion_tokens: number } };
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(4);
  });
});

describe('POST /v1/completions', () => {
  it('completes a prompt (16 tokens by default, as OpenAI does) with usage', async () => {
    const res = await t.post('/v1/completions', { model: MODEL_ID, prompt: 'Once upon a time', temperature: 0 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; object: string; choices: { text: string; index: number; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } };
    expect(body.id).toMatch(/^cmpl-/);
    expect(body.object).toBe('text_completion');
    expect(body.choices[0].finish_reason).toBe('length');
    expect(body.usage.completion_tokens).toBe(16);
    expect(body.usage.prompt_tokens).toBe(model.tokenize('Once upon a time').length);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 16);
    const expected = await model.completeAll('Once upon a time', { maxTokens: 16, sampling: { temperature: 0 } });
    expect(body.choices[0].text).toBe(expected.text);
  });

  it('streams the same text, echoes the prompt, and takes token ids', async () => {
    const prompt = 'The quick brown fox';
    const whole = (await (await t.post('/v1/completions', { prompt, temperature: 0, max_tokens: 12 })).json()) as { choices: { text: string }[] };
    const res = await t.post('/v1/completions', { prompt, temperature: 0, max_tokens: 12, stream: true });
    const events = parseSse(await res.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1) as { object: string; choices: { text: string; finish_reason: string | null }[] }[];
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true);
    expect(chunks.map((c) => c.choices[0].text).join('')).toBe(whole.choices[0].text);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('length');

    const echoed = (await (await t.post('/v1/completions', { prompt, temperature: 0, max_tokens: 12, echo: true })).json()) as { choices: { text: string }[] };
    expect(echoed.choices[0].text).toBe(prompt + whole.choices[0].text);

    const ids = model.tokenize(prompt);
    const byIds = (await (await t.post('/v1/completions', { prompt: ids, temperature: 0, max_tokens: 12 })).json()) as { choices: { text: string }[] };
    expect(byIds.choices[0].text).toBe(whole.choices[0].text);
  });
});

describe('POST /v1/embeddings', () => {
  type EmbeddingList = { object: string; data: { object: string; index: number; embedding: number[] | string }[]; usage: { prompt_tokens: number } };

  it('returns each input\'s mean-pooled hidden state, unit length, equal to the library\'s', async () => {
    const res = await t.post('/v1/embeddings', { model: MODEL_ID, input: ['hello world', 'a rather different sentence'] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as EmbeddingList;
    expect(body.object).toBe('list');
    expect(body.data.map((d) => d.index)).toEqual([0, 1]);
    const [a, b] = body.data.map((d) => d.embedding as number[]);
    expect(a).toHaveLength(model.config.embeddingLength);
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
    expect(a).not.toEqual(b);
    expect(body.usage.prompt_tokens).toBe(model.tokenize('hello world').length + model.tokenize('a rather different sentence').length);
    const direct = await model.embed('hello world');
    a.forEach((x, i) => expect(x).toBeCloseTo(direct[i], 6));
    // Generation after an embedding still gives the same greedy text (the cache was reset).
    const again = await t.post('/v1/embeddings', { model: MODEL_ID, input: 'hello world', encoding_format: 'base64' });
    const b64 = ((await again.json()) as EmbeddingList).data[0].embedding as string;
    const decoded = new Float32Array(Uint8Array.from(Buffer.from(b64, 'base64')).buffer);
    expect(Array.from(decoded)).toEqual(Array.from(Float32Array.from(a)));
  });

  it('validates: missing input, unknown model, wrong dimensions', async () => {
    expect((await t.post('/v1/embeddings', { model: MODEL_ID })).status).toBe(400);
    expect((await t.post('/v1/embeddings', { model: 'nope', input: 'x' })).status).toBe(404);
    const dims = await t.post('/v1/embeddings', { model: MODEL_ID, input: 'x', dimensions: 3 });
    expect(dims.status).toBe(400);
    expect(((await dims.json()) as { error: { param: string } }).error.param).toBe('dimensions');
  });
});

describe('the web page', () => {
  it('is served at / as one self-contained document', async () => {
    const res = await fetch(`${t.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('<script>');
    expect(html).toContain('/v1/chat/completions');
    expect(html).toContain('"[DONE]"');
    expect(html).toMatch(/id="stop"/);
    // Nothing loads from elsewhere: no URLs with a scheme or protocol-relative, no src/href attributes.
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/["'(]\/\/[a-z0-9]/i);
    expect(html).not.toMatch(/\s(src|href)=/i);
    expect(html).not.toMatch(/@import/i);
    // The inline script at least parses.
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1];
    expect(() => new Function(script)).not.toThrow();
  });
});
