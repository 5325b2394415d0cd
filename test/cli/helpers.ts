import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smallGpt2Vocab } from '../fixtures/small-vocab.js';
import { testModelPath } from '../conformance/models.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Written to a pipe on standard input, then closed. */
  input?: string;
  /** Standard input redirected from this file (as `localgpt < file` does). */
  stdinFile?: string;
  timeoutMs?: number;
}

/** Runs `node --import tsx src/cli/main.ts ARGS` with a test environment (cheap vault KDF, no colour). */
export function cli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, LOCALGPT_KDF: 'min', NO_COLOR: '1', LOCALGPT_PASSPHRASE: '', LOCALGPT_MODEL: '', LOCALGPT_CONFIG: '', ...opts.env }))
      if (v !== undefined && v !== '') env[k] = v;
    const fd = opts.stdinFile ? openSync(opts.stdinFile, 'r') : undefined;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env,
      stdio: [fd ?? 'pipe', 'pipe', 'pipe'],
    });
    if (fd !== undefined) closeSync(fd);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (child.stdin) {
      if (opts.input !== undefined) child.stdin.end(opts.input);
      else child.stdin.end();
    }
  });
}

/** A fresh data directory. */
export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'localgpt-cli-'));
}

/** The small llama test model (Q4_0, GPT-2 vocabulary): answers are noise, but fast. */
export function testModel(): string {
  return testModelPath({ arch: 'llama', quant: 'Q4_0', vocabName: 'gpt2-1024', vocab: () => smallGpt2Vocab(1024) });
}

/** A data directory whose models/ holds exactly the test model. */
export function homeWithModel(name = 'tiny.gguf'): string {
  const home = tempHome();
  mkdirSync(join(home, 'models'), { recursive: true });
  copyFileSync(testModel(), join(home, 'models', name));
  return home;
}
