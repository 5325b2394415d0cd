/**
 * A/B of two builds of the native addon on a whole model, through the bench's own path (greedy
 * completeAll: the native greedy loop, no JS round trip per token). The addon is chosen when the
 * engine loads, so each measurement is a child process (LOCALGPT_NATIVE = that build); A and B
 * alternate pair by pair, and what counts is the median of the paired ratios, the host's drift
 * being 10-20% from minute to minute (bench/RESULTS.md). How scheduling and whole-step changes were
 * measured (bench/native-notes.md section 15). `native-prof.ts` returns to JS after every token,
 * which lets the pool's workers fall asleep between tokens: it understates two-thread decode.
 *
 *   npx tsx bench/native-model-ab.ts A.node B.node MODEL.gguf [threads=2] [pairs=4] [prompt=128] [decode=64]
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/index.js';
import { summarizeRuns, timeEngineRuns } from './lib/engine.js';

const args = process.argv.slice(2);
if (args[0] === '--one') {
  const [, path, th, p, d] = args;
  console.log(JSON.stringify(await decodeRate(path!, Number(th), Number(p), Number(d))));
} else {
  const [pa, pb, model, th = '2', pairs = '4', p = '128', d = '64'] = args;
  if (!pa || !pb || !model) throw new Error('usage: npx tsx bench/native-model-ab.ts A.node B.node MODEL.gguf [threads] [pairs] [prompt] [decode]');
  const ratios: number[] = [];
  for (let i = 0; i < Number(pairs); i++) {
    const [a, b] = [pa, pb].map((addon) => child(addon, model, th, p, d));
    ratios.push(b.decode / a.decode);
    console.log(`pair ${i + 1}: A ${a.decode.toFixed(1)} / B ${b.decode.toFixed(1)} decode tok/s (prefill ${a.prefill.toFixed(0)} / ${b.prefill.toFixed(0)})`);
  }
  ratios.sort((x, y) => x - y);
  const q = (f: number) => ratios[Math.min(ratios.length - 1, Math.floor(f * ratios.length))]!.toFixed(3);
  console.log(`${model.split('/').pop()} t${th}: decode B/A median ${q(0.5)} [${ratios.map((r) => r.toFixed(3)).join(', ')}]`);
}

/** Median decode and prefill tok/s over three timed generations after one warm-up. */
async function decodeRate(path: string, threads: number, prompt: number, decode: number): Promise<{ decode: number; prefill: number }> {
  const model = await loadModel(path, { backend: 'cpu', threads, contextLength: Math.max(1024, prompt + decode + 8) });
  try {
    const runs = { ttft: [] as number[], prefill: [] as number[], decode: [] as number[] };
    await timeEngineRuns(model, prompt, decode, 3, 1, runs);
    const s = summarizeRuns(runs);
    return { decode: s.decode.median, prefill: s.prefill.median };
  } finally {
    model.dispose();
  }
}

function child(addon: string, model: string, th: string, p: string, d: string): { decode: number; prefill: number } {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--one', model, th, p, d], {
    env: { ...process.env, LOCALGPT_NATIVE: resolve(addon) },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`measuring ${addon} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { decode: number; prefill: number };
}
