import { afterAll, beforeAll } from 'vitest';
import { loadModel, type Model } from '../../src/engine/model.js';
import { startServer, type GenerationEvent, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { testModelPath } from '../conformance/models.js';
import { smallGpt2Vocab } from '../fixtures/small-vocab.js';

/** The team's small llama test model (random weights, GPT-2's first 1024 tokens). */
export function serverTestModelPath(): string {
  return testModelPath({ arch: 'llama', quant: 'Q4_0', vocabName: 'gpt2-1024', vocab: () => smallGpt2Vocab(1024) });
}

export async function loadTestModel(): Promise<Model> {
  return loadModel(serverTestModelPath(), { backend: 'reference', contextLength: 512 });
}

export interface TestServer {
  server: RunningServer;
  url: string;
  events: GenerationEvent[];
  /** Resolves with the next generation event (or one already recorded past `seen`). */
  nextEvent(seen?: number): Promise<GenerationEvent>;
  post(path: string, body: unknown, init?: RequestInit & { headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

export const MODEL_ID = 'test-model';

export async function startTestServer(model: Model, options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const events: GenerationEvent[] = [];
  const waiters: (() => void)[] = [];
  const server = await startServer({
    model,
    modelId: MODEL_ID,
    port: 0,
    ...options,
    onGeneration: (e) => {
      events.push(e);
      for (const w of waiters.splice(0)) w();
    },
  });
  return {
    server,
    url: server.url,
    events,
    async nextEvent(seen = events.length) {
      while (events.length <= seen) await new Promise<void>((r) => waiters.push(r));
      return events[seen];
    },
    post: (path, body, init = {}) =>
      fetch(server.url + path, {
        ...init,
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(init.headers ?? {}) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    close: () => server.close(),
  };
}

/** Splits an SSE body into its `data:` payloads (the JSON ones parsed, '[DONE]' kept as is). */
export function parseSse(text: string): unknown[] {
  const out: unknown[] = [];
  for (const event of text.split('\n\n')) {
    for (const line of event.split('\n')) {
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      out.push(data === '[DONE]' ? data : JSON.parse(data));
    }
  }
  return out;
}

/** Reads an SSE response until `n` data events have arrived; returns them and the reader. */
export async function readEvents(res: Response, n: number): Promise<{ events: unknown[]; reader: ReadableStreamDefaultReader<Uint8Array> }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: unknown[] = [];
  while (events.length < n) {
    const step = await reader.read();
    if (step.done) break;
    buffer += decoder.decode(step.value, { stream: true });
    const parts = buffer.split('\n\n');
    buffer = parts.pop()!;
    for (const p of parts) events.push(...parseSse(`${p}\n\n`));
  }
  return { events, reader };
}

/**
 * Registers the suite's server: the small test model served on 127.0.0.1 before the tests, closed
 * and disposed after. `ready` receives both once they are up.
 */
export function serveTestModel(ready: (server: TestServer, model: Model) => void, options: Partial<ServerOptions> = {}): void {
  let model: Model | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    model = await loadTestModel();
    server = await startTestServer(model, options);
    ready(server, model);
  });
  afterAll(async () => {
    await server?.close();
    model?.dispose();
  });
}
