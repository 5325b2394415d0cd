import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { homeWithModel } from './helpers.js';

/** Starts the CLI with standard input left open, and resolves once stdout has `bytes` bytes. */
function start(args: string[], home: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, LOCALGPT_HOME: home, NO_COLOR: '1', LOCALGPT_PASSPHRASE: '', LOCALGPT_MODEL: '', LOCALGPT_CONFIG: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const output = (bytes: number) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no output: ${stderr}`)), 60_000);
      const check = () => {
        if (stdout.length >= bytes) {
          clearTimeout(t);
          child.stdout.off('data', check);
          resolve();
        }
      };
      child.stdout.on('data', check);
      check();
    });
  return { child, closed, output, get stdout() { return stdout; }, get stderr() { return stderr; } };
}

describe('Ctrl-C', () => {
  it('stops the current chat answer and keeps the chat', async () => {
    const home = homeWithModel();
    const p = start(['-c', '8192', '-n', '100000', '--seed', '3', '--no-memory'], home);
    p.child.stdin.write('hello\n');
    await p.output(40);
    p.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    p.child.stdin.end('/status\n');
    expect(await p.closed).toBe(0);
    expect(p.stdout).toMatch(/\[stopped\]\nmodel\s+tiny\.gguf[\s\S]*history\s+1 exchange/);
  });

  it('stops a one-shot answer: what was written stays, exit 130', async () => {
    const home = homeWithModel();
    const p = start(['-c', '8192', '-n', '100000', '--seed', '3', 'hello'], home);
    p.child.stdin.end();
    await p.output(40);
    p.child.kill('SIGINT');
    expect(await p.closed).toBe(130);
    expect(p.stdout.length).toBeGreaterThanOrEqual(40);
  });
});
