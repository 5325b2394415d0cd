/**
 * The machine, described and measured: CPU model, ISA path, threads, and its limits (memory
 * bandwidth with a STREAM-style triad and a read-only stream, peak arithmetic per data type) from
 * bench/c/roofline.c.
 * Without gcc, bandwidth falls back to the native addon's F32 matvec over a 256 MB buffer.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { loadNative } from '../../src/engine/native/load.js';
import { BENCH_DIR, cachePath, compileC } from './paths.js';
import type { MachineInfo, MachineLimits } from './report.js';
import { timeFast } from './stats.js';

export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function describeMachine(threads: number, limits: MachineLimits | null, notes: string[] = []): MachineInfo {
  const native = loadNative();
  const info = native?.info();
  return {
    date: new Date().toISOString(),
    cpu: cpuModel(),
    logical_cpus: cpus().length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.versions.node,
    isa: info?.isa ?? null,
    isa_paths: info?.available ?? [],
    cpu_features: info?.cpuFeatures ?? '',
    threads,
    limits,
    notes,
  };
}

/** Runs the C roofline probe for 1..threads threads; falls back to the addon's F32 matvec for bandwidth. */
export function measureLimits(threads: number, quick: boolean, log: (s: string) => void): MachineLimits | null {
  try {
    const j = roofline([String(threads), quick ? '96' : '256', quick ? '5' : '7']);
    return {
      triad_gb_per_s: byThreads(j, 'triad_gb_per_s'),
      read_gb_per_s: byThreads(j, 'read_gb_per_s'),
      f32_fma_gflops: byThreads(j, 'f32_fma_gflops'),
      int8_madd_gops: byThreads(j, 'int8_madd_gops'),
      source: `bench/c/roofline.c (${j.isa}, gcc -O2 -march=native)`,
    };
  } catch (err) {
    log(`roofline probe unavailable (${(err as Error).message.split('\n')[0]}); measuring bandwidth through the native F32 matvec`);
  }
  const bw = matvecBandwidth(threads);
  // (a matvec only reads: its rate is the read-only stream's as well)
  return bw ? { triad_gb_per_s: bw, read_gb_per_s: bw, f32_fma_gflops: {}, int8_madd_gops: {}, source: 'native F32 matvec over 256 MB (no peak arithmetic without gcc)' } : null;
}

/** Without the C probe: GB/s of the addon's F32 matvec over 256 MB at 1..threads threads, or null without an addon. */
function matvecBandwidth(threads: number): Record<string, number> | null {
  const native = loadNative();
  if (!native) return null;
  const cols = 4096;
  const rows = (64 * 1024 * 1024) / cols; // 256 MB of F32 weights
  const w = new Uint8Array(rows * cols * 4);
  new Float32Array(w.buffer).fill(0.5);
  const x = new Float32Array(cols).fill(1);
  const out: Record<string, number> = {};
  for (let t = 1; t <= threads; t++) {
    const s = timeFast(() => native.matmul(0, w, rows, cols, x, 1, t), 5, 200);
    out[String(t)] = w.length / (s.min / 1e3) / 1e9;
  }
  return out;
}

/**
 * The bandwidth probes alone (96 MiB arrays) at from..threads threads, GB/s by thread count: the
 * triad (the issue's yardstick) and the read-only stream (a decode's weights are only read), the
 * probes a decode is paired with, without the arithmetic loops' seconds. Where the C probe cannot
 * run, the addon's F32 matvec for both (all its thread counts up to `threads`).
 */
export function measureBandwidth(threads: number, from = 1): { triad: Record<string, number>; read: Record<string, number> } | null {
  try {
    const j = roofline([String(threads), '96', '5', 'triad', String(from)]);
    return { triad: byThreads(j, 'triad_gb_per_s'), read: byThreads(j, 'read_gb_per_s') };
  } catch {
    const bw = matvecBandwidth(threads);
    return bw ? { triad: bw, read: bw } : null;
  }
}

/** The triad alone (measureBandwidth's first probe), GB/s by thread count. */
export function measureTriad(threads: number, from = 1): Record<string, number> | null {
  return measureBandwidth(threads, from)?.triad ?? null;
}

interface RooflineOutput {
  isa: string;
  results: { threads: number; triad_gb_per_s: number; read_gb_per_s?: number; f32_fma_gflops?: number; int8_madd_gops?: number }[];
}

/** One of the probe's readings by thread count (0 where this build of the probe has no such reading). */
function byThreads(j: RooflineOutput, k: Exclude<keyof RooflineOutput['results'][number], 'threads'>): Record<string, number> {
  return Object.fromEntries(j.results.map((x) => [String(x.threads), x[k] ?? 0]));
}

function roofline(args: string[]): RooflineOutput {
  const bin = compileC(join(BENCH_DIR, 'c/roofline.c'), cachePath('roofline'), ['-march=native', '-pthread']);
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(r.stderr || `exit ${r.status}`);
  return JSON.parse(r.stdout) as RooflineOutput;
}

/**
 * Per limit and thread count, the higher of two probes (b may be null: a failed second probe). A
 * shared host's neighbours only ever lower a probe's reading.
 */
export function betterLimits(a: MachineLimits, b: MachineLimits | null): MachineLimits {
  if (!b) return a;
  return {
    triad_gb_per_s: betterReadings(a.triad_gb_per_s, b.triad_gb_per_s),
    ...(a.read_gb_per_s || b.read_gb_per_s ? { read_gb_per_s: betterReadings(a.read_gb_per_s ?? {}, b.read_gb_per_s ?? null) } : {}),
    f32_fma_gflops: betterReadings(a.f32_fma_gflops, b.f32_fma_gflops),
    int8_madd_gops: betterReadings(a.int8_madd_gops, b.int8_madd_gops),
    source: a.source === b.source ? a.source : `${a.source}; ${b.source}`,
  };
}

/** Per thread count, the higher of two readings of one limit (b may be null: a failed probe). */
export function betterReadings(a: Record<string, number>, b: Record<string, number> | null): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b ?? {})) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

/** A limit at `threads`, else at the nearest measured thread count. */
export function limitAt(o: Record<string, number> | undefined, threads: number): number | undefined {
  if (!o) return undefined;
  if (o[String(threads)] !== undefined) return o[String(threads)];
  const keys = Object.keys(o).map(Number).sort((a, b) => a - b);
  const k = keys.filter((n) => n <= threads).pop() ?? keys[0];
  return k === undefined ? undefined : o[String(k)];
}
