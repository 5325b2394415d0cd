/**
 * Kernel micro-benchmarks, one row per quantisation type x backend (x ISA path x threads), taken
 * from the registry (QUANT_TYPES) with no per-type code: a decode-shaped matrix x vector (GB/s of
 * weights streamed, GOP/s) and, on the native backend, a prefill-shaped matrix x matrix (GOP/s).
 * The weight matrix is one quantised slab of random rows repeated to the full size, so building it
 * costs little even for the slow reference quantisers. Replaces the old bench/native-matvec.ts loop.
 */
import { matrixOf, project } from '../../src/engine/backend/reference/project.js';
import { loadNative } from '../../src/engine/native/load.js';
import { QUANT_TYPES, type QuantType } from '../../src/engine/quant/registry.js';
import type { KernelRow } from './report.js';
import { MIN_RUNS, timeFast } from './stats.js';

export interface KernelOptions {
  readonly rows: number;
  readonly cols: number;
  readonly batch: number;
  readonly threads: readonly number[];
  /** ISA paths to run on the native backend (default: every one this CPU can run). */
  readonly isas?: readonly string[];
  readonly reference: boolean;
  /** Rows of the (smaller) matrix the reference backend multiplies. */
  readonly referenceRows: number;
  readonly types?: readonly string[];
  readonly runs?: number;
  readonly minMs?: number;
}

function seededFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** rows x cols of `t`, built by quantising a slab of up to 64 rows and repeating its bytes. */
export function kernelMatrix(t: QuantType, rows: number, cols: number): Uint8Array {
  const slabRows = Math.min(64, rows);
  const slab = t.quantize(seededFloats(slabRows * cols, 1234 + t.type));
  const rowBytes = slab.length / slabRows;
  const out = new Uint8Array(rowBytes * rows);
  for (let r = 0; r < rows; r += slabRows) out.set(slab.subarray(0, Math.min(slabRows, rows - r) * rowBytes), r * rowBytes);
  return out;
}

export function runKernels(o: KernelOptions, log: (s: string) => void): KernelRow[] {
  const out: KernelRow[] = [];
  const native = loadNative();
  const info = native?.info();
  const runs = Math.max(MIN_RUNS, o.runs ?? MIN_RUNS);
  const minMs = o.minMs ?? 30;
  const types = QUANT_TYPES.filter((t) => !o.types || o.types.map((s) => s.toUpperCase()).includes(t.name.toUpperCase()));
  const x = seededFloats(o.cols * o.batch, 99);
  const x1 = x.subarray(0, o.cols);
  for (const t of types) {
    if (o.cols % t.blockSize !== 0) continue;
    const w = kernelMatrix(t, o.rows, o.cols);
    if (native && info) {
      const nativeHas = info.types.some((k) => k.type === t.type);
      if (nativeHas) {
        for (const isa of o.isas ?? info.available) {
          for (const threads of o.threads) {
            try {
              // tiled + rows8: the kernels a model runs (rows-of-8 for Q4_0 / Q4_K where rows come in eights)
              const mv = timeFast(() => native.matmul(t.type, w, o.rows, o.cols, x1, 1, threads, isa, true, true), runs, minMs);
              const mm = o.batch > 1 ? timeFast(() => native.matmul(t.type, w, o.rows, o.cols, x, o.batch, threads, isa, true, true), runs, minMs) : null;
              out.push({
                type: t.name,
                backend: 'cpu',
                isa,
                threads,
                rows: o.rows,
                cols: o.cols,
                matvec_gb_per_s: w.length / (mv.median / 1e3) / 1e9,
                matvec_gop_per_s: (2 * o.rows * o.cols) / (mv.median / 1e3) / 1e9,
                matmul_gop_per_s: mm ? (2 * o.rows * o.cols * o.batch) / (mm.median / 1e3) / 1e9 : null,
                batch: o.batch,
              });
            } catch (err) {
              log(`kernel ${t.name} ${isa} t${threads}: ${(err as Error).message}`);
            }
          }
        }
      }
    }
    if (o.reference) {
      const rows = o.referenceRows;
      const raw = w.subarray(0, (w.length / o.rows) * rows);
      const deq = new Float32Array(rows * o.cols);
      t.dequantize(raw, deq);
      const m = matrixOf(t.type, raw, deq);
      const res = new Float32Array(rows);
      const mv = timeFast(() => project(res, m, x1, rows, o.cols), runs, minMs);
      out.push({
        type: t.name,
        backend: 'reference',
        isa: 'ts',
        threads: 1,
        rows,
        cols: o.cols,
        matvec_gb_per_s: raw.length / (mv.median / 1e3) / 1e9,
        matvec_gop_per_s: (2 * rows * o.cols) / (mv.median / 1e3) / 1e9,
        matmul_gop_per_s: null,
        batch: 1,
      });
    }
  }
  return out;
}
