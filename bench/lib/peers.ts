/**
 * llama.cpp on the same GGUF files, two ways: node-llama-cpp 3.21.1 (how a Node program would use
 * it; best of its thread counts, since it builds a fresh thread pool per call and 2 threads can be
 * slower than 1 on a 2-core machine), and bench/peers/llama-harness.c, a small C program against
 * the same prebuilt libllama with one persistent thread pool (llama.cpp at its best here).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_DIR, cachePath, compileAgainstLlama, llamaLibDir, nodeLlamaCppRoot } from './paths.js';
import type { PeerResult } from './report.js';
import { summarize } from './stats.js';

export interface RunTimes {
  readonly prefill_ms: number;
  readonly decode_ms: number;
}

function toPeer(name: string, threads: number, promptTokens: number, decodeSteps: number, runs: readonly RunTimes[]): PeerResult {
  const ttft = summarize(runs.map((r) => r.prefill_ms)).median;
  const dec = summarize(runs.map((r) => r.decode_ms)).median;
  return {
    name,
    threads,
    ttft_ms: ttft,
    prefill_tokens_per_s: (promptTokens * 1e3) / ttft,
    decode_tokens_per_s: dec > 0 ? (decodeSteps * 1e3) / dec : 0,
  };
}

let harness: string | null | undefined;
let harnessReason = '';

/** Compiles bench/peers/llama-harness.c against node-llama-cpp's libllama (headers from its bundled release); null when it cannot. */
export function buildHarness(log: (s: string) => void): string | null {
  if (harness !== undefined) return harness;
  let built: string | null = null;
  try {
    built = compileAgainstLlama(join(BENCH_DIR, 'peers/llama-harness.c'), cachePath('llama-harness'), log);
  } catch (err) {
    harnessReason = (err as Error).message;
  }
  harness = built;
  return built;
}

export function harnessUnavailableReason(): string {
  return harnessReason;
}

/** One C-harness process: per-run prefill and decode times after `warmup` untimed runs, and its name. */
export function runHarnessRuns(bin: string, model: string, promptTokens: number, decodeTokens: number, threads: number, runs: number, warmup: number): { name: string; runs: RunTimes[] } {
  const r = spawnSync(bin, [model, String(promptTokens), String(decodeTokens), String(threads), String(runs), String(warmup), '0'], {
    encoding: 'utf8',
    env: { ...process.env, LIBDIR: llamaLibDir() },
    timeout: 600_000,
    maxBuffer: 16 << 20,
  });
  if (r.status !== 0) throw new Error(`llama-harness failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  const j = JSON.parse(r.stdout) as { runs: RunTimes[]; persistent_pool: boolean };
  return { name: j.persistent_pool ? 'llama.cpp C harness' : 'llama.cpp C harness (no pool)', runs: j.runs };
}

/** The C harness's figures over runs (possibly pooled from several processes). */
export function harnessResult(name: string, threads: number, promptTokens: number, decodeTokens: number, runs: readonly RunTimes[]): PeerResult {
  return toPeer(name, threads, promptTokens, decodeTokens, runs);
}

export interface PeerSet {
  readonly prompts: readonly number[][];
  readonly warmup: number;
  readonly decodeTokens: number;
}

/** node-llama-cpp at each thread count for every prompt set of one file, in one child process (one model load). */
export function runNodeLlama(model: string, sets: readonly PeerSet[], threads: readonly number[]): PeerResult[][] {
  const r = spawnSync(process.execPath, [join(BENCH_DIR, 'peers/node-llama.mjs')], { input: JSON.stringify({ model, sets, threads }), encoding: 'utf8', timeout: 600_000, maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`node-llama-cpp failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  const j = JSON.parse(r.stdout) as { sets: { byThreads: { threads: number; runs: (RunTimes & { decoded: number })[] }[] }[] };
  return j.sets.map((set, i) => set.byThreads.map((b) => toPeer('node-llama-cpp', b.threads, sets[i].prompts[0].length, b.runs[0]?.decoded ?? sets[i].decodeTokens, b.runs)));
}

export function peersAvailable(): boolean {
  return nodeLlamaCppRoot() !== undefined;
}
