import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What llama.cpp (node-llama-cpp 3.21.1) says about a model: the oracle the engine is checked against. */
export interface OracleJob {
  readonly model: string;
  readonly tokenize?: readonly { text: string; special: boolean }[];
  /** kvCache: the cache's type (default F32, so the comparison measures the weights' arithmetic). */
  readonly eval?: { tokens: readonly number[]; greedy: number; contextSize: number; kvCache?: 'F32' | 'F16' };
}

export interface OracleResult {
  readonly tokenize?: number[][];
  readonly eval?: { generated: number[]; firstProbabilities: [number, number][] };
}

const here = fileURLToPath(new URL('.', import.meta.url));

/** True when `npm run peers` has installed node-llama-cpp beside this file. */
export function oracleInstalled(): boolean {
  return existsSync(`${here}node_modules/node-llama-cpp/package.json`);
}

export function askLlamaCpp(jobs: readonly OracleJob[]): Promise<OracleResult[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [`${here}llama-oracle.mjs`], { cwd: here, maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`llama.cpp oracle failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as OracleResult[]);
    });
    child.stdin!.end(JSON.stringify(jobs));
  });
}
