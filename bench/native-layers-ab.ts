/**
 * A/B of two builds of the native addon on a decode from DRAM: one activation row through a whole
 * model's sequence of matrices (a llama's per-layer Q/K/V, O, gate/up and down shapes, then the
 * output matrix), far larger than the cache, so each pass streams every weight from memory as a
 * decode step does. The two builds alternate pass by pass; the host's bandwidth drifts by 10-20%
 * from minute to minute (bench/RESULTS.md), so what counts is the median of the paired ratios.
 * Outputs are compared bit for bit. How the decode-stream changes were measured
 * (bench/native-notes.md section 11).
 *
 *   npx tsx bench/native-layers-ab.ts A.node B.node [type=Q8_0] [threads=1] [rounds=12] [embd=1280] [ff=3328] [layers=22] [kv=256] [vocab=32768]
 *   npx tsx bench/native-layers-ab.ts A.node B.node MODEL.gguf [threads=1] [rounds=12]
 *
 * The defaults are the 500M test model's shapes. Given a GGUF file instead of a type, the matrices
 * are that file's own (mapped, in file order, the token embeddings left out): a mix such as
 * Q4_K_M's Q4_K and Q6_K exactly as the model decodes it, without attention and the rest of a
 * step. ISA_A / ISA_B (env) force an ISA path per build.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { openGGUF } from '../src/engine/gguf/index.js';
import { QUANT_TYPES } from '../src/engine/quant/registry.js';
import type { NativeAddon } from '../src/engine/native/load.js';
import { kernelMatrix } from './lib/kernels.js';

const [pa, pb, tn = 'Q8_0', th = '1', rs = '12', es = '1280', fs = '3328', ls = '22', ks = '256', vs = '32768'] = process.argv.slice(2);
if (!pa || !pb) throw new Error('usage: npx tsx bench/native-layers-ab.ts A.node B.node [type] [threads] [rounds] [embd] [ff] [layers] [kv] [vocab]');
const require = createRequire(import.meta.url);
const addons = [pa, pb].map((p) => require(resolve(p)) as NativeAddon);
const isas = [process.env.ISA_A || undefined, process.env.ISA_B || undefined];
const [E, F, L, KV, V, threads, rounds] = [es, fs, ls, ks, vs, th, rs].map(Number) as [number, number, number, number, number, number, number];
const mats = tn.endsWith('.gguf') ? fileMatrices(tn) : modelMatrices(tn);
const bytes = mats.reduce((s, m) => s + m.w.length, 0);
const label = tn.split('/').pop();
const x = new Map<number, Float32Array>();
for (const m of mats) if (!x.has(m.cols)) x.set(m.cols, new Float32Array(m.cols).map((_, i) => Math.sin(i * 0.37)));

const pass = (k: number): Float32Array[] =>
  mats.map((m) => addons[k]!.matmul(m.type, m.w, m.rows, m.cols, x.get(m.cols)!, 1, threads, isas[k], true, true));
const best = [Infinity, Infinity];
const ratios: number[] = [];
const outs: Float32Array[][] = [pass(0), pass(1)];
for (let r = 0; r < rounds; r++) {
  const ms = [0, 1].map((k) => {
    const t0 = performance.now();
    outs[k] = pass(k);
    const dt = performance.now() - t0;
    best[k] = Math.min(best[k]!, dt);
    return dt;
  });
  ratios.push(ms[0]! / ms[1]!);
}
ratios.sort((a, b) => a - b);
const same = outs[0]!.every((o, i) => o.every((v, j) => Object.is(v, outs[1]![i]![j])));
const gb = (ms: number) => (bytes / ms / 1e6).toFixed(1);
const q = (f: number) => ratios[Math.min(ratios.length - 1, Math.floor(f * ratios.length))]!.toFixed(2);
console.log(
  `${label} t${threads}, ${mats.length} matrices, ${(bytes / 1e6).toFixed(0)} MB: A best ${gb(best[0]!)} GB/s, B best ${gb(best[1]!)} GB/s; ` +
    `B/A median ${q(0.5)} [quartiles ${q(0.25)}..${q(0.75)}]; outputs ${same ? 'equal' : 'DIFFER'}`,
);

interface Matrix { type: number; w: Uint8Array; rows: number; cols: number }

// A llama's per-layer shapes in one type, each matrix its own copy, so nothing is shared in the
// cache between layers; gate and up as one matrix, as the forward pass runs them in one job.
function modelMatrices(name: string): Matrix[] {
  const type = QUANT_TYPES.find((q) => q.name === name);
  if (!type) throw new Error(`unknown type ${name}`);
  const shapes: [number, number][] = [[E + 2 * KV, E], [E, E], [2 * F, E], [E, F]];
  const out: Matrix[] = [];
  for (let l = 0; l < L; l++) for (const [rows, cols] of shapes) out.push({ type: type.type, w: kernelMatrix(type, rows, cols).slice(), rows, cols });
  out.push({ type: type.type, w: kernelMatrix(type, V, E).slice(), rows: V, cols: E });
  return out;
}

// A model file's weight matrices as its decode step reads them.
function fileMatrices(path: string): Matrix[] {
  const file = openGGUF(path);
  return file.tensors
    .filter((t) => t.dims.length === 2 && t.name !== 'token_embd.weight')
    .map((t) => ({ type: t.type, w: file.tensorData(t), rows: t.dims[1]!, cols: t.dims[0]! }));
}
