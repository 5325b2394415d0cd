import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/engine/model.js';
import { loadTestModel, MODEL_ID, startTestServer, type TestServer } from './helpers.js';

/** The official `openai` npm client as a real client of the server: what any OpenAI tool does. */
describe('the official openai client', () => {
  let model: Model;
  let srv: TestServer;
  let client: OpenAI;

  beforeAll(async () => {
    model = await loadTestModel();
    srv = await startTestServer(model, { apiKey: 'sekret' });
    client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'sekret', maxRetries: 0 });
  });
  afterAll(async () => {
    await srv.close();
    model.dispose();
  });

  it('lists the model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain(MODEL_ID);
  });

  it('chats, streamed and not, with the same greedy text and usage counts', async () => {
    const request = { model: MODEL_ID, messages: [{ role: 'user' as const, content: 'Hello there' }], max_tokens: 12, temperature: 0 };
    const whole = await client.chat.completions.create(request);
    expect(whole.choices[0].finish_reason).toBe('length');
    expect(whole.usage?.completion_tokens).toBe(12);
    let streamed = '';
    const stream = await client.chat.completions.create({ ...request, stream: true });
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    expect(streamed).toBe(whole.choices[0].message.content);
  });

  it('completes text', async () => {
    const r = await client.completions.create({ model: MODEL_ID, prompt: 'Once upon', max_tokens: 5, temperature: 0 });
    expect(r.usage?.completion_tokens).toBe(5);
    expect(typeof r.choices[0].text).toBe('string');
  });

  it('creates embeddings', async () => {
    const r = await client.embeddings.create({ model: MODEL_ID, input: ['first', 'second'] });
    expect(r.data).toHaveLength(2);
    expect(r.data[0].embedding).toHaveLength(model.config.embeddingLength);
    expect(Math.hypot(...r.data[1].embedding)).toBeCloseTo(1, 5);
  });

  it('surfaces OpenAI-shaped errors as the client\'s error types', async () => {
    const bad = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
