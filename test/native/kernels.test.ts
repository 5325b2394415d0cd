/**
 * Every native kernel x type x ISA path available here (scalar always, forced) against the TS
 * registry's reference codecs (src/engine/quant/registry.ts).
 *
 * - dequantise: bit-exact with the registry (both are ggml's dequantize_row_*).
 * - activation quantisers (Q8_0, Q8_K, F16, BF16): byte-exact with the TS ones.
 * - matmul (each ISA, batch 1 and >1, 1 and 2 threads, awkward row counts, one row, long K):
 *   (a) against sum(dequant(W) * roundActivations(x)) in float64, i.e. the same rounded
 *       activations: only summation order differs, so |err| <= 2e-5 * sum|w_i x_i| (f32 sums of at
 *       most a few hundred block partials, each exact in int32, times products of two f16-rounded
 *       scales: well under 1e-5 relative);
 *   (b) against the float32 activations: the difference is the activation rounding itself, bounded
 *       per element by half a quantisation step (Q8_0/Q8_K: amax_block/127/2; F16: 2^-11 |x|;
 *       BF16: 2^-8 |x|), so |err| <= sum_i |w_i| * step_i / 2 (+ the (a) slack).
 */
import { describe, expect, it } from 'vitest';
import { QUANT_TYPES, type QuantType } from '../../src/engine/quant/registry.js';
import { activationTypeFor, roundActivations } from '../../src/engine/quant/activation.js';
import { matrixOf, project } from '../../src/engine/backend/reference/project.js';
import { quantizeQ8K } from '../../src/engine/quant/q8_k.js';
import { GGMLType } from '../../src/engine/quant/ggml-type.js';
import { readF16 } from '../../src/engine/quant/common.js';
import { IQ4_VALUES } from '../../src/engine/quant/iq4-util.js';
import { rope } from '../../src/engine/backend/reference/math.js';
import { gaussian, native, randomBlocks, skipReason, Q8_0, Q8_K } from './helpers.js';

const info = native?.info();
const nativeTypes = new Set(info?.types.map((t) => t.type) ?? []);
const TYPES = QUANT_TYPES.filter((t) => nativeTypes.has(t.type));
const ISAS = info?.available ?? [];
// The ISAs that have the rows-of-8 arithmetic (llama.cpp's x86 repacked kernels): NEON does not
// (quant_gemm_rows8 gives it none, so it keeps its ordinary dot products, as llama.cpp does on ARM).
const ROWS8_ISAS = ISAS.filter((isa) => isa !== 'neon');

if (!native) console.warn(`native suites skipped: ${skipReason}`);

function dequant(t: QuantType, bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  t.dequantize(bytes, out);
  return out;
}

/** Reference rows: float64 sums of the dequantised weights times the given activations. */
function refMatmul(w: Float32Array, rows: number, cols: number, x: Float32Array, batch: number) {
  const out = new Float64Array(rows * batch);
  const mag = new Float64Array(rows * batch);
  for (let b = 0; b < batch; b++)
    for (let r = 0; r < rows; r++) {
      let s = 0, m = 0;
      for (let c = 0; c < cols; c++) {
        const p = w[r * cols + c] * x[b * cols + c];
        s += p;
        m += Math.abs(p);
      }
      out[b * rows + r] = s;
      mag[b * rows + r] = m;
    }
  return { out, mag };
}

/** Per-element bound on |x - round(x)| for the activation format of `type`. */
function activationStep(type: number, x: Float32Array): Float64Array {
  const act = activationTypeFor(type);
  const step = new Float64Array(x.length);
  const block = act === GGMLType.Q8_K ? 256 : act === GGMLType.F32 || act === GGMLType.F16 || act === GGMLType.BF16 ? 1 : 32;
  for (let i = 0; i < x.length; i += block) {
    let amax = 0;
    for (let j = i; j < i + block; j++) amax = Math.max(amax, Math.abs(x[j]));
    for (let j = i; j < i + block; j++) {
      if (act === GGMLType.F32) step[j] = 0;
      else if (act === GGMLType.F16) step[j] = Math.abs(x[j]) * 2 ** -10 + 6e-8;
      else if (act === GGMLType.BF16) step[j] = Math.abs(x[j]) * 2 ** -7;
      // Q8: step d = amax/127 (Q8_0 stores d as f16: +2^-11 relative)
      else step[j] = (amax / 127) * (1 + 2 ** -10);
    }
  }
  return step;
}

const SHAPES: { rows: number; blocks: number; batch: number; threads: number }[] = [
  { rows: 1, blocks: 1, batch: 1, threads: 1 },
  { rows: 7, blocks: 3, batch: 1, threads: 2 },
  { rows: 37, blocks: 2, batch: 5, threads: 2 },
  { rows: 3, blocks: 4096 / 32, batch: 2, threads: 1 }, // long K (for K-quants: 16 super-blocks)
  { rows: 129, blocks: 5, batch: 1, threads: 2 },
];

describe.skipIf(!native)('native kernels', () => {
  it('reports its ISA paths and covers every registry type', () => {
    expect(info!.compiled).toContain('scalar');
    expect(info!.available).toContain(info!.isa);
    expect(TYPES.map((t) => t.name).sort()).toEqual(QUANT_TYPES.map((t) => t.name).sort());
    for (const t of TYPES) {
      const row = info!.types.find((r) => r.type === t.type)!;
      expect(row.blockSize).toBe(t.blockSize);
      expect(row.bytesPerBlock).toBe(t.bytesPerBlock);
      expect(row.vecDotType).toBe(activationTypeFor(t.type));
    }
  });

  for (const t of TYPES) {
    it(`${t.name}: dequantise is bit-exact with the registry`, () => {
      const n = t.blockSize === 1 ? 1000 : t.blockSize * 13;
      const sources = [t.quantize(gaussian(n, 11))];
      const raw = randomBlocks(t, 1, n, 12);
      if (raw) sources.push(raw);
      for (const src of sources) {
        const got = native!.dequantize(t.type, src, n);
        const want = dequant(t, src, n);
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      }
    });
  }

  it('every ISA path quantises activations byte-identically to the scalar one', () => {
    const qa = native!.quantizeActivation as (...a: unknown[]) => Uint8Array;
    const x = gaussian(32 * 40, 5, 3);
    x.fill(0, 0, 32); // an all-zero block
    for (let i = 32; i < 64; i++) x[i] = (i - 48) * 0.5; // exact halves after scaling: rounding ties
    x[64] = 1e-30; // a denormal-scale block
    // f16 edges: subnormal results, a rounding tie (2049 -> 2048), overflow to infinity, the largest finite
    x.set([1e-5, -3e-7, 6.1e-5, 2049, -2051, 65519, 65520, -1e6, 65504, 5.96e-8, 2.98e-8], 96);
    for (const act of [Q8_0, GGMLType.Q8_1, Q8_K, GGMLType.F16, GGMLType.BF16]) {
      const ref = Buffer.from(qa(act, x, 'scalar'));
      for (const isa of ISAS) expect(Buffer.from(qa(act, x, isa)).equals(ref), `${act} ${isa}`).toBe(true);
    }
  });

  it('Q8_K / Q8_1 quantisers on every ISA path: exact ties, signed-maximum ties, a denormal maximum', () => {
    const qa = native!.quantizeActivation as (...a: unknown[]) => Uint8Array;
    const x = new Float32Array(256 * 4); // block 0 stays all zero
    for (const [b, first] of [[1, -127], [2, 127]]) {
      const o = 256 * b;
      // |max| = 127 twice with opposite signs: Q8_K takes the sign of the FIRST one (iscale = -127/max = +-1),
      // so every other value k + 0.5 is an exact rounding tie (for Q8_1's first 32-block as well: id = 1)
      x[o] = first;
      x[o + 1] = -first;
      for (let j = 2; j < 256; j++) x[o + j] = (j % 253) - 125.5;
    }
    // a denormal maximum: iscale overflows to inf, the scalar path turns the inf/NaN products into 0
    for (let j = 0; j < 256; j++) x[768 + j] = ((j % 3) - 1) * 1e-45;
    for (const isa of ISAS) {
      expect(Buffer.from(qa(Q8_K, x, isa)).equals(Buffer.from(qa(Q8_K, x, 'scalar'))), `Q8_K ${isa}`).toBe(true);
      // (Q8_0 / Q8_1 cast inf to int8 on a denormal maximum: out of range, so not compared there)
      const x1 = x.subarray(0, 768);
      expect(Buffer.from(qa(GGMLType.Q8_1, x1, isa)).equals(Buffer.from(qa(GGMLType.Q8_1, x1, 'scalar'))), `Q8_1 ${isa}`).toBe(true);
    }
    // and the ties land where the TS (ggml reference) quantiser puts them
    expect(Buffer.from(qa(Q8_K, x.subarray(0, 768), 'scalar')).equals(Buffer.from(quantizeQ8K(x.subarray(0, 768))))).toBe(true);
  });

  it('activation quantisers are byte-exact with the TS ones', () => {
    for (const seed of [1, 2, 3]) {
      const x = gaussian(256 * 5, seed, seed);
      // Q8_0/Q8_1 follow ggml's x86 activation path (not the *_ref weight quantiser): compare values.
      for (const [act, weight] of [[Q8_0, GGMLType.Q4_0], [GGMLType.Q8_1, GGMLType.Q4_1]] as const) {
        const got = native!.dequantize(act, native!.quantizeActivation(act, x), x.length);
        expect([...got]).toEqual([...roundActivations(weight, x).values]);
      }
      expect(Buffer.from(native!.quantizeActivation(Q8_K, x)).equals(Buffer.from(quantizeQ8K(x)))).toBe(true);
      for (const id of [GGMLType.F16, GGMLType.BF16]) {
        const h = QUANT_TYPES.find((t) => t.type === id)!;
        expect(Buffer.from(native!.quantizeActivation(id, x)).equals(Buffer.from(h.quantize(x)))).toBe(true);
      }
    }
  });

  for (const t of TYPES) {
    for (const isa of ISAS) {
      it(`${t.name} matmul [${isa}] matches the reference within the stated bounds`, () => {
        const k = t.blockSize === 1 ? 32 : t.blockSize;
        let seed = 100;
        for (const s of SHAPES) {
          const cols = Math.min(s.blocks * k, 4096);
          const wf = gaussian(s.rows * cols, seed++, 0.05);
          const variants = [t.quantize(wf)];
          const raw = randomBlocks(t, s.rows, cols, seed++);
          if (raw) variants.push(raw);
          const x = gaussian(s.batch * cols, seed++);
          for (const wq of variants) {
            const w = dequant(t, wq, s.rows * cols);
            const got = native!.matmul(t.type, wq, s.rows, cols, x, s.batch, s.threads, isa);
            // (a) the reference backend's product (same activation rounding): summation order only
            const xr = new Float32Array(x.length);
            for (let b = 0; b < s.batch; b++) xr.set(roundActivations(t.type, x.subarray(b * cols, (b + 1) * cols)).values, b * cols);
            const a = refMatmul(w, s.rows, cols, xr, s.batch);
            const m = matrixOf(t.type, wq, w);
            const row = new Float32Array(s.rows);
            for (let b = 0; b < s.batch; b++) {
              project(row, m, x.subarray(b * cols, (b + 1) * cols), s.rows, cols);
              a.out.set(row, b * s.rows);
            }
            for (let i = 0; i < got.length; i++) {
              const tol = 2e-5 * a.mag[i] + 1e-6;
              if (Math.abs(got[i] - a.out[i]) > tol) {
                throw new Error(`${t.name}/${isa} rows=${s.rows} cols=${cols} batch=${s.batch} out[${i}]: got ${got[i]}, want ${a.out[i]} (tol ${tol})`);
              }
            }
            // (b) float activations: bounded by the activation rounding step
            const f = refMatmul(w, s.rows, cols, x, s.batch);
            for (let b = 0; b < s.batch; b++) {
              const step = activationStep(t.type, x.subarray(b * cols, (b + 1) * cols));
              for (let r = 0; r < s.rows; r++) {
                let bound = 0;
                for (let c = 0; c < cols; c++) bound += Math.abs(w[r * cols + c]) * step[c] * 0.5;
                const i = b * s.rows + r;
                expect(Math.abs(got[i] - f.out[i])).toBeLessThanOrEqual(bound + 2e-5 * f.mag[i] + 1e-6);
              }
            }
          }
        }
      });
    }
  }

  it('every ISA path agrees with the forced scalar path', () => {
    for (const t of TYPES) {
      const cols = t.blockSize === 1 ? 96 : t.blockSize * 4;
      const wq = t.quantize(gaussian(19 * cols, 7, 0.1));
      const x = gaussian(3 * cols, 8);
      const ref = native!.matmul(t.type, wq, 19, cols, x, 3, 1, 'scalar');
      for (const isa of ISAS) {
        const got = native!.matmul(t.type, wq, 19, cols, x, 3, 2, isa);
        for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(ref[i])));
      }
    }
  });

  it.each(['Q4_0', 'IQ4_NL'])("%s rows-of-8 arithmetic (llama.cpp's repacked order): every ISA equals its definition bit for bit", (name) => {
    // Definition: per output one float accumulator, acc = fma(f32(exact block sum), d_w * d_x, acc)
    // block by block. Emulated here in float64: the product of two f32 is exact in f64 and the
    // block sums are small integers, so only the final rounding of each fma can differ (double
    // rounding, rare); the native ISAs must agree with each other exactly.
    const mm = native!.matmul as (...a: unknown[]) => Float32Array;
    const t = TYPES.find((q) => q.name === name)!;
    // Q4_0's levels are the nibble - 8, IQ4_NL's a table (the same block layout)
    const level = name === 'Q4_0' ? (q: number) => q - 8 : (q: number) => IQ4_VALUES[q]!;
    // Blocks 1-3, 5-7 and 12: the AVX-512 decode kernel takes four blocks a step, every remainder.
    // Batches 2, 3, 7 and 29: its prefill tile holds columns in twos, a batch's odd last one alone.
    for (const [rows, blocks, threads] of [[8, 1, 1], [8, 2, 1], [16, 3, 2], [24, 12, 2], [64, 5, 1], [16, 6, 2], [8, 7, 1]]) {
      const cols = 32 * blocks;
      const wq = t.quantize(gaussian(rows * cols, rows + blocks, 0.1));
      for (const batch of [1, 2, 3, 4, 5, 7, 9, 29]) {
        const x = gaussian(batch * cols, 40 + batch);
        // each ISA from ggml's rows and from the weights repacked into tiles (AVX-512's tile kernels)
        const results = ROWS8_ISAS.flatMap((isa) => [false, true].map((repack) => mm(t.type, wq, rows, cols, x, batch, threads, isa, true, true, repack)));
        for (const r of results) expect(Array.from(r)).toEqual(Array.from(results[0]));
        for (let b = 0; b < batch; b++) {
          const xq = native!.quantizeActivation(Q8_0, x.subarray(b * cols, (b + 1) * cols));
          for (let r = 0; r < rows; r++) {
            let acc = 0;
            for (let k = 0; k < blocks; k++) {
              const wo = (r * blocks + k) * 18, xo = k * 34;
              let sum = 0;
              for (let j = 0; j < 16; j++) {
                const xs = (v: number) => (v << 24) >> 24;
                sum += level(wq[wo + 2 + j] & 15) * xs(xq[xo + 2 + j]) + level(wq[wo + 2 + j] >> 4) * xs(xq[xo + 18 + j]);
              }
              acc = Math.fround(sum * Math.fround(readF16(wq, wo) * readF16(xq, xo)) + acc);
            }
            const got = results[0][b * rows + r];
            expect(Math.abs(got - acc), `rows=${rows} blocks=${blocks} batch=${batch} out[${b},${r}]`).toBeLessThanOrEqual(Math.abs(acc) * 2 ** -21 + 1e-12);
          }
        }
      }
    }
    // A row count that is not a multiple of 8 keeps the ordinary kernels.
    const wq = t.quantize(gaussian(12 * 64, 5, 0.1));
    const x = gaussian(2 * 64, 6);
    expect(Array.from(mm(t.type, wq, 12, 64, x, 2, 1, ISAS[ISAS.length - 1], true, true))).toEqual(Array.from(mm(t.type, wq, 12, 64, x, 2, 1, ISAS[ISAS.length - 1], true, false)));
  });

  // NEON runs ggml's NEON arithmetic instead: there is no AVX2 dot product to hold it to.
  it.skipIf(!ISAS.includes('avx2'))("IQ4_XS rows in eights below the panel's batch take ggml's AVX2 dot product's bits on every SIMD path", () => {
    // AVX-512 computes that dot product's integers two sub-blocks a 512-bit step, with the
    // activations reordered to the nibbles' byte order (simd_avx512_iq4.cc); each output must be the
    // AVX2 dot product's, which llama.cpp's AVX2 and AVX-512 builds both run. Sub-block magnitudes
    // vary by a factor of up to 16, so a scale taken from the wrong sub-block shows.
    const mm = native!.matmul as (...a: unknown[]) => Float32Array;
    const iq4 = TYPES.find((t) => t.name === 'IQ4_XS')!;
    const simd = ISAS.filter((isa) => isa === 'avx2' || isa === 'avx512');
    for (const [rows, blocks, threads] of [[8, 1, 1], [16, 2, 2], [24, 5, 1], [8, 13, 2]]) {
      const cols = 256 * blocks;
      const w = gaussian(rows * cols, 70 + blocks, 0.1).map((v, i) => v * (1 + ((i >> 5) * 7) % 16));
      const wq = iq4.quantize(w);
      for (const batch of [1, 2, 3, 7]) {
        const x = gaussian(batch * cols, 80 + batch);
        const want = Array.from(mm(iq4.type, wq, rows, cols, x, batch, 1, 'avx2', true, false));
        for (const isa of simd) expect(Array.from(mm(iq4.type, wq, rows, cols, x, batch, threads, isa, true, true)), `${isa} rows=${rows} blocks=${blocks} batch=${batch}`).toEqual(want);
      }
    }
  });

  it("Q4_K rows-of-8 arithmetic: every ISA equals the scalar definition bit for bit, both orders, near the reference", () => {
    // Columns in whole groups of four take llama.cpp's gemm order (one fma per 64-value pair),
    // the rest its gemv order (one per superblock): batches 1, 3, 4, 5, 9, 29 exercise both and the
    // mix. Against the float64 reference the result is within summation-order bounds. Each ISA also
    // runs from the weights repacked into tiles (AVX-512's tile kernel; other ISAs read ggml's rows).
    const mm = native!.matmul as (...a: unknown[]) => Float32Array;
    const q4k = TYPES.find((t) => t.type === GGMLType.Q4_K)!;
    for (const [rows, blocks, threads] of [[8, 1, 1], [16, 2, 2], [40, 3, 2]]) {
      const cols = 256 * blocks;
      const variants = [q4k.quantize(gaussian(rows * cols, rows + blocks, 0.1))];
      const raw = randomBlocks(q4k, rows, cols, 77 + rows);
      if (raw) variants.push(raw);
      for (const wq of variants) {
        const w = dequant(q4k, wq, rows * cols);
        for (const batch of [1, 3, 4, 5, 9, 29]) {
          const x = gaussian(batch * cols, 50 + batch);
          const results = ROWS8_ISAS.flatMap((isa) => [false, true].map((repack) => mm(q4k.type, wq, rows, cols, x, batch, threads, isa, true, true, repack)));
          for (const r of results) expect(Array.from(r)).toEqual(Array.from(results[0]));
          const xr = new Float32Array(x.length);
          for (let b = 0; b < batch; b++) xr.set(roundActivations(q4k.type, x.subarray(b * cols, (b + 1) * cols)).values, b * cols);
          const ref = refMatmul(w, rows, cols, xr, batch);
          for (let i = 0; i < results[0].length; i++) {
            expect(Math.abs(results[0][i] - ref.out[i]), `rows=${rows} batch=${batch} out[${i}]`).toBeLessThanOrEqual(2e-5 * ref.mag[i] + 1e-6);
          }
        }
      }
    }
  });

  it("F32/F16/BF16 batches take llama.cpp's tinyBLAS order: every ISA equals its definition bit for bit", () => {
    // Definition (tinyblasOutput below): per output L float lanes stepping over L values each (8 on
    // AVX2 and the scalar path, 16 on AVX-512, BF16 on AVX512_BF16 CPUs 32 values through vdpbf16ps),
    // then the ISA's horizontal sum. llama.cpp takes that order only for batches of rows in fours
    // and n in whole steps; elsewhere the vec_dot stays, checked by the second loop.
    const mm = native!.matmul as (...a: unknown[]) => Float32Array;
    for (const t of TYPES.filter((q) => q.blockSize === 1)) {
      // 16-256 values take AVX-512's short-row kernel (one to sixteen steps, sixteen rows reduced at
      // once, a row tail, columns in fours, twos or ones and a column tail).
      for (const [rows, cols, batch, threads] of [[4, 8, 2, 1], [12, 32, 3, 2], [40, 96, 7, 2], [8, 264, 5, 1], [36, 64, 29, 2], [12, 320, 4, 2], [36, 16, 6, 1], [20, 128, 5, 1], [20, 256, 3, 2]]) {
        const wq = t.quantize(gaussian(rows * cols, rows + cols, 0.1));
        const w = dequant(t, wq, rows * cols);
        const x = gaussian(batch * cols, 60 + batch);
        for (const isa of ISAS.filter((i) => i !== 'neon')) {
          const order = tinyblasOrder(t.type, isa);
          if (cols % order.step !== 0) continue;
          const got = mm(t.type, wq, rows, cols, x, batch, threads, isa);
          for (let b = 0; b < batch; b++) {
            const a = roundActivations(t.type, x.subarray(b * cols, (b + 1) * cols)).values;
            for (let r = 0; r < rows; r++) {
              const want = tinyblasOutput(order, w.subarray(r * cols, (r + 1) * cols), a);
              expect(got[b * rows + r], `${t.name} [${isa}] rows=${rows} cols=${cols} batch=${batch} out[${b},${r}]`).toBe(want);
            }
          }
        }
      }
      // The shapes llama.cpp keeps on vec_dot: the tiled call equals one dot product per output.
      for (const [rows, cols, batch] of [[6, 64, 3], [8, 60, 3], [8, 64, 1], [8, 40, 3], [8, 48, 2]]) {
        const wq = t.quantize(gaussian(rows * cols, 3, 0.1));
        const x = gaussian(batch * cols, 4);
        for (const isa of ISAS) {
          if (isa !== 'neon' && rows % 4 === 0 && batch >= 2 && cols % tinyblasOrder(t.type, isa).step === 0) continue;
          expect(Array.from(mm(t.type, wq, rows, cols, x, batch, 1, isa, true)), `${t.name} [${isa}] ${rows}x${cols} batch ${batch}`).toEqual(Array.from(mm(t.type, wq, rows, cols, x, batch, 1, isa, false)));
        }
      }
    }
  });

  it('the tiled kernels equal one dot product per output bit for bit (every tile shape and edge)', () => {
    // Tiles are 4x1 or 8x1 (batch 1) and 2x2, 3x2 or 4x3 (batch > 1) with 2-row, 1-row and 1-token edges
    // (11 rows, batches 2 and 5); 1, 3 and 4 blocks per row.
    const mm = native!.matmul as (...a: unknown[]) => Float32Array;
    for (const t of TYPES) {
      for (const blocks of [1, 3, 4]) {
        const cols = t.blockSize === 1 ? 32 * blocks + 5 : t.blockSize * blocks;
        const wq = t.quantize(gaussian(11 * cols, 21 + blocks, 0.1));
        for (const batch of [1, 2, 5]) {
          const x = gaussian(batch * cols, 30 + batch);
          for (const isa of ISAS) {
            // IQ4_NL's batches take llamafile's tinyBLAS order, not its dot product's, as llama.cpp
            // does (quant.h); test/conformance/kernels.test.ts holds them to llama.cpp bit for bit.
            if (t.name === 'IQ4_NL' && batch > 1 && isa !== 'scalar') continue;
            const tiled = mm(t.type, wq, 11, cols, x, batch, 1, isa, true);
            const plain = mm(t.type, wq, 11, cols, x, batch, 1, isa, false);
            expect(Array.from(tiled), `${t.name}/${isa} cols=${cols} batch=${batch}`).toEqual(Array.from(plain));
          }
        }
      }
    }
  });

  it.each(['Q5_0', 'Q5_1', 'Q4_1'])('%s repacked into tiles equals one dot product per output bit for bit (every batch tail, 1-2 threads)', (name) => {
    // The AVX-512 tile kernel keeps the type's own arithmetic (quant.h repack_tiles8_q5_0 / _q5_1 / _q4_1):
    // its pairs' nibbles, fifth bits, scales (and Q5_1's mins) come from the tile in another byte
    // order, and a bit taken from the wrong row or value shows here. Batches 1-3 and 5-7 leave every
    // column tail of its four-column tile; other ISAs read ggml's rows.
    const mm = native!.matmul as (...a: unknown[]) => Float32Array;
    const t = TYPES.find((q) => q.name === name)!;
    for (const [rows, blocks, threads] of [[8, 1, 1], [16, 3, 2], [24, 28, 1], [40, 5, 2]]) {
      const cols = 32 * blocks;
      const wq = t.quantize(gaussian(rows * cols, 90 + rows + blocks, 0.1));
      for (const batch of [1, 2, 3, 4, 5, 7, 9]) {
        const x = gaussian(batch * cols, 60 + batch);
        for (const isa of ISAS) {
          const plain = mm(t.type, wq, rows, cols, x, batch, 1, isa, false);
          const repacked = mm(t.type, wq, rows, cols, x, batch, threads, isa, true, true, true);
          expect(Array.from(repacked), `${isa} rows=${rows} blocks=${blocks} batch=${batch}`).toEqual(Array.from(plain));
        }
      }
    }
  });

  it('many short rows (attention keys against a query) equal one dot product per row bit for bit', () => {
    // The AVX-512 F16 kernel reduces sixteen rows at once where a row is whole 64-value steps.
    const mm = native!.matmul as (...a: unknown[]) => Float32Array;
    for (const t of TYPES.filter((q) => q.blockSize === 1)) {
      for (const cols of [64, 128, 256, 80]) {
        for (const rows of [16, 37, 300]) {
          const wq = t.quantize(gaussian(rows * cols, rows + cols, 0.5));
          const x = gaussian(cols, cols + 1);
          for (const isa of ISAS)
            expect(Array.from(mm(t.type, wq, rows, cols, x, 1, 1, isa, true)), `${t.name}/${isa} ${rows}x${cols}`).toEqual(Array.from(mm(t.type, wq, rows, cols, x, 1, 1, isa, false)));
        }
      }
    }
  });

  it('Q4_0 rows-of-8 decode in four-row streams equals its eight-row tiles for every tail of blocks mod 4', () => {
    // The AVX-512 Q4_0 decode kernel reads four blocks a step; streams (rows of ~4 KB, 328 of them)
    // take its four-row tile, eight-row slices its eight-row one: the same sums bit for bit.
    const t = TYPES.find((q) => q.name === 'Q4_0')!;
    for (const nb of [220, 221, 222, 223]) {
      const cols = 32 * nb, rows = 328;
      const wq = randomBlocks(t, rows, cols, nb)!;
      const x = gaussian(cols, nb + 1);
      for (const isa of ROWS8_ISAS)
        for (const threads of [1, 2]) expectEightRowSlices(t.type, wq, rows, cols, x, threads, isa, `${isa} nb=${nb} threads=${threads}`);
    }
  });

  it('Q4_0 rows-of-8 decode lays out each new activation row, even one with the same block sums', () => {
    // The AVX-512 decode kernel keeps its activation layout while the activations stay the same
    // (simd_avx512_q4_0_gemv.cc). Reversing each 32-value block keeps every block's scale and sum
    // and changes its values: a layout kept on the sums alone would give x's outputs for y.
    const t = TYPES.find((q) => q.name === 'Q4_0')!;
    const cols = 32 * 40, rows = 64;
    const wq = randomBlocks(t, rows, cols, 7)!;
    const x = gaussian(cols, 8);
    const y = new Float32Array(cols);
    for (let b = 0; b < cols; b += 32) for (let i = 0; i < 32; i++) y[b + i] = x[b + 31 - i]!;
    const mm = native!.matmul as (...a: unknown[]) => Float32Array;
    for (const isa of ROWS8_ISAS) {
      const fx = mm(t.type, wq, rows, cols, x, 1, 1, isa, true, true);
      const fy = mm(t.type, wq, rows, cols, y, 1, 1, isa, true, true);
      expect(Array.from(fy), isa).not.toEqual(Array.from(fx));
      expectEightRowSlices(t.type, wq, rows, cols, y, 1, isa, `${isa} y`);
      expect(Array.from(mm(t.type, wq, rows, cols, x, 1, 1, isa, true, true)), isa).toEqual(Array.from(fx));
    }
  });

  it('decode walks tall matrices as streams of rows: each output is the same as computed alone', () => {
    // Decode tiles take rows j, j + S, ... of a task where each stream would run 16 KiB or more
    // (tile_drive.h decode_streams; AVX-512 Q4_K's eight streams 64 KiB, here at one thread): rows
    // of about 4 KB, row counts too short for streams, with a remainder, and tall enough for
    // streams in each of two threads' tasks.
    const mm = native!.matmul as (...a: unknown[]) => Float32Array;
    for (const t of TYPES) {
      const cols = t.blockSize * Math.ceil(4000 / t.bytesPerBlock);
      const all = randomBlocks(t, 328, cols, 7) ?? t.quantize(gaussian(328 * cols, 7, 0.1));  // random blocks: the JS K-quantisers are slow
      const rowBytes = all.length / 328;
      const x = gaussian(cols, 8);
      for (const rows of [16, 67, 328]) {
        const wq = all.subarray(0, rows * rowBytes);
        for (const isa of ISAS) {
          for (const threads of [1, 2]) {
            const label = `${t.name}/${isa} rows=${rows} threads=${threads}`;
            expect(Array.from(mm(t.type, wq, rows, cols, x, 1, threads, isa, true)), label).toEqual(Array.from(mm(t.type, wq, rows, cols, x, 1, 1, isa, false)));
            if (rows % 8 !== 0 || !ROWS8_ISAS.includes(isa)) continue;
            expectEightRowSlices(t.type, wq, rows, cols, x, threads, isa, label);
          }
        }
      }
    }
  });

  it('rope on every ISA equals the scalar path bit for bit, and the reference closely', () => {
    // Adjacent and neox pairs, whole and partial rotary dims, pair counts that leave vector tails
    // (3, 5, 13), a late position (angles well past 2 pi), and signed zeros.
    const shapes = [
      { heads: 3, headDim: 64, dims: 64 },
      { heads: 2, headDim: 64, dims: 32 },
      { heads: 5, headDim: 26, dims: 26 },
      { heads: 1, headDim: 10, dims: 6 },
      { heads: 4, headDim: 128, dims: 10 },
    ];
    for (const { heads, headDim, dims } of shapes)
      for (const neox of [false, true])
        for (const pos of [0, 7, 3001]) {
          const x = gaussian(heads * headDim, 17 + pos);
          for (let h = 0; h < heads; h++) x[h * headDim] = -0; // at position 0 (sin 0): -0 + -(x1 * 0) must stay -0
          const label = `heads ${heads} x ${headDim}, dims ${dims}, ${neox ? 'neox' : 'norm'}, pos ${pos}`;
          const scalar = native!.rope(x, heads, headDim, dims, pos, 10000, neox, 'scalar');
          for (const isa of ISAS) expect(Array.from(native!.rope(x, heads, headDim, dims, pos, 10000, neox, isa)), `${isa}: ${label}`).toEqual(Array.from(scalar));
          const want = x.slice();
          rope(want, heads, headDim, pos, { mode: neox ? 'neox' : 'norm', dims, base: 10000, scale: 1 });
          for (let i = 0; i < want.length; i++) expect(Math.abs(scalar[i]! - want[i]!), `${label} [${i}]`).toBeLessThan(2e-3 * (1 + Math.abs(want[i]!)));
        }
    expect(() => native!.rope(new Float32Array(10), 2, 4, 4, 0, 10000, false)).toThrow(/heads \* headDim/);
    expect(() => native!.rope(new Float32Array(8), 2, 4, 3, 0, 10000, false)).toThrow(/even/);
  });

  it('the thread pool runs every task exactly once, job after job, at every thread count', () => {
    // Many back-to-back jobs of 1..64 tasks: late-waking workers must never take a task of a
    // later job, and the caller must not return before a claimed task has finished.
    for (const threads of [1, 2, 3, 5]) expect(native!.poolCheck(threads, 20_000)).toBe(0);
  });

  it('rejects bad arguments with clear errors', () => {
    expect(() => native!.matmul(2, new Uint8Array(10), 1, 32, new Float32Array(32), 1)).toThrow(/too short/);
    expect(() => native!.matmul(999, new Uint8Array(10), 1, 32, new Float32Array(32), 1)).toThrow(/not supported/);
    expect(() => native!.dequantize(2, new Uint8Array(18), 31)).toThrow(/whole number of blocks/);
    expect(() => native!.matmul(2, new Uint8Array(18), 1, 32, new Float32Array(32), 1, 1, 'sse9')).toThrow(/not available/);
    expect(() => native!.swiglu(new Float32Array(8), new Float32Array(9))).toThrow(/one length/);
    // Too few arguments: the entry's own usage line.
    const loose = (f: unknown) => f as (...a: unknown[]) => unknown;
    expect(() => loose(native!.matmul)(2, new Uint8Array(18), 1, 32, new Float32Array(32))).toThrow(/^matmul\(type, w, rows, cols, x, batch, threads\?, isa\?, tiled\?, rows8\?, repack\?\)$/);
    expect(() => loose(native!.rope)(new Float32Array(8), 2, 4, 4, 0, 10000)).toThrow(/^rope\(x, heads, headDim, ropeDims, pos, base, neox, isa\?\)$/);
  });
});

/**
 * Rows-of-8 kernels: a whole matrix (rows a multiple of 8, its own tiles and streams at `threads`)
 * equals its eight-row slices, each computed as one tile on one thread, bit for bit.
 */
function expectEightRowSlices(type: number, wq: Uint8Array, rows: number, cols: number, x: Float32Array, threads: number, isa: string, label: string) {
  const mm = native!.matmul as (...a: unknown[]) => Float32Array;
  const rowBytes = wq.length / rows;
  const whole = mm(type, wq, rows, cols, x, 1, threads, isa, true, true);
  for (let r = 0; r < rows; r += 8) {
    const slice = mm(type, wq.subarray(r * rowBytes, (r + 8) * rowBytes), 8, cols, x, 1, 1, isa, true, true);
    expect(Array.from(whole.subarray(r, r + 8)), `${label} rows ${r}..${r + 7}`).toEqual(Array.from(slice));
  }
}

/** llama.cpp's tinyBLAS order for a float weight type on one of our x86 paths (native/quant/quant.h). */
interface TinyblasOrder { readonly step: number; readonly lanes: number; readonly dpbf16: boolean }
function tinyblasOrder(type: number, isa: string): TinyblasOrder {
  if (isa !== 'avx512') return { step: 8, lanes: 8, dpbf16: false };
  if (type === GGMLType.BF16 && info!.cpuFeatures.split(' ').includes('avx512bf16')) return { step: 32, lanes: 16, dpbf16: true };
  return { step: 16, lanes: 16, dpbf16: false };
}

/**
 * One output in that order, emulated in float64 with a rounding after every step. A lane's fma is
 * the exact product plus the lane, rounded once: products of these f32 values are exact in float64
 * and the sum rounds twice (there, then to f32), which differs from one rounding only at an exact
 * f32 midpoint that these seeded inputs do not hit. vdpbf16ps adds a lane's odd product, rounds,
 * then its even one, rounds (bf16 products are exact in f32; denormals, flushed there, do not occur).
 * Horizontal sums: 16 lanes fold high onto low to 8 (_mm512_reduce_add_ps), then hsum_ps's
 * ((l4+l0) + (l6+l2)) + ((l5+l1) + (l7+l3)).
 */
function tinyblasOutput(o: TinyblasOrder, w: Float32Array, a: Float32Array): number {
  const f = Math.fround;
  const lane = new Array<number>(o.lanes).fill(0);
  for (let i = 0; i < w.length; i += o.step) {
    for (let l = 0; l < o.lanes; l++) {
      if (o.dpbf16) {
        const j = i + 2 * l;
        lane[l] = f(f(lane[l] + w[j + 1] * a[j + 1]) + w[j] * a[j]);
      } else {
        lane[l] = f(w[i + l] * a[i + l] + lane[l]);
      }
    }
  }
  let h = lane;
  if (o.lanes === 16) h = h.slice(0, 8).map((v, l) => f(h[l + 8] + v));
  const q = [0, 1, 2, 3].map((l) => f(h[l + 4] + h[l]));
  return f(f(q[0] + q[2]) + f(q[1] + q[3]));
}
