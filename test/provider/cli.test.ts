import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BASE } from '../../src/assistant/memory/prompt.js';
import type { Model } from '../../src/engine/model.js';
import { cli, tempHome } from '../cli/helpers.js';
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

async function serverAnswer(user: string, maxTokens: number): Promise<string> {
  const res = await t.post('/v1/chat/completions', { messages: [{ role: 'system', content: DEFAULT_BASE }, { role: 'user', content: user }], temperature: 0, max_tokens: maxTokens });
  return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content;
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('localgpt --provider URL (no local model)', () => {
  it('answers a one-shot prompt on the remote engine: the same greedy text, --json says remote', async () => {
    const home = tempHome(); // no models/ at all
    const expected = await serverAnswer('Hello there', 6);
    const j = await cli(['--provider', t.url, '--no-memory', '-n', '6', '-t', '0', '--json', 'Hello there'], { env: { LOCALGPT_HOME: home } });
    expect(j.stderr).toBe('');
    expect(j.code).toBe(0);
    const out = JSON.parse(j.stdout);
    expect(out).toMatchObject({ model: MODEL_ID, backend: 'remote', text: expected });
    expect(out.prompt_tokens).toBeGreaterThan(0);

    const r = await cli(['--provider', t.url, '--no-memory', '-n', '6', '-t', '0', 'Hello there'], { env: { LOCALGPT_HOME: home } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected}\n`);
  });

  it('uses the `provider` setting from the config file', async () => {
    const home = tempHome();
    writeFileSync(join(home, 'config.json'), JSON.stringify({ provider: { url: `${t.url}/v1`, model: MODEL_ID } }));
    const expected = await serverAnswer('Hi', 4);
    const r = await cli(['--no-memory', '-n', '4', '-t', '0', '--json', 'Hi'], { env: { LOCALGPT_HOME: home, LOCALGPT_CONFIG: join(home, 'config.json') } });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ model: MODEL_ID, backend: 'remote', text: expected });
  });

  it('a refused connection: one clear line naming the URL, exit 1', async () => {
    const port = await closedPort();
    const r = await cli(['--provider', `http://127.0.0.1:${port}`, '--no-memory', 'Hi'], { env: { LOCALGPT_HOME: tempHome() } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`localgpt: cannot connect to the provider at http://127.0.0.1:${port}/v1: connection refused`);
  });

  it('`localgpt serve --provider URL` serves the remote model through our API', async () => {
    const port = await closedPort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--provider', t.url, '--port', String(port), '--name', 'proxied'], {
      env: { ...process.env, LOCALGPT_HOME: tempHome(), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
        child.stderr!.setEncoding('utf8').on('data', (d: string) => {
          stderr += d;
          if (stderr.includes('press Ctrl+C')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
      });
      expect(stderr).toContain(`from ${t.url}/v1 (remote)`);
      const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id)).toEqual(['proxied']);
      const expected = await serverAnswer('Hello there', 5);
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'proxied', messages: [{ role: 'system', content: DEFAULT_BASE }, { role: 'user', content: 'Hello there' }], temperature: 0, max_tokens: 5 }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe(expected);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});

describe('the chat (REPL) on a provider', () => {
  it('answers, keeps memory local and sealed, and /model names the remote', async () => {
    const home = tempHome();
    const env = { LOCALGPT_HOME: home, LOCALGPT_PASSPHRASE: 'pass phrase' };
    const r = await cli(['--provider', t.url, '-n', '4', '-t', '0'], { env, input: 'Hello there\n/model\n/status\n/quit\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${MODEL_ID} at ${t.url}/v1 (remote`);
    expect(r.stdout).toMatch(/memory\s+on/);
    const list = await cli(['memory', 'list', 'sessions'], { env });
    expect(list.stdout).toContain('Hello there');
  });
});
