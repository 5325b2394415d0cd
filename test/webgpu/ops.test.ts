import { describe, expect, it } from 'vitest';
import { gelu, layernorm, rmsnorm, rope, silu, softmaxInPlace } from '../../src/engine/backend/reference/math.js';
import { Ops, q8Words, uploadMatrix } from '../../src/engine/backend/webgpu/ops.js';
import { roundActivations } from '../../src/engine/quant/activation.js';
import { F32 } from '../../src/engine/quant/f32.js';
import { GGMLType } from '../../src/engine/quant/registry.js';
import { featureVariants, gpuOps, noGpu, randomFloats, readF32, relErr, runDispatches, skipReason, stepBuffer, storage, storageFrom } from './helpers.js';

/**
 * Each op kernel against math.ts (the reference backend's arithmetic), with both reduction
 * variants (subgroups, where the adapter has them, and the shared-memory fallback). Tolerances:
 * f32 on the GPU vs float64-accumulated f32 on the CPU, so a few ulps times the length of the
 * reduction (1e-5 relative); transcendental functions (exp, tanh, cos/sin) are allowed 1e-5
 * relative / 1e-6 absolute, except GELU, whose f16 output rounding (as ggml's table) can land on
 * the other side of an f16 step when tanh differs in its last bits: one f16 ulp (2^-10 relative).
 */
const variants = (): Promise<[string, Ops][]> => featureVariants('subgroups');

describe.skipIf(noGpu)(`WGSL op kernels against math.ts${skipReason}`, () => {
  it('rmsnorm and layernorm (odd length, with and without bias, a batch of rows)', async () => {
    for (const [name, ops] of await variants()) {
      for (const n of [1, 300, 2048]) {
        const rowsN = 3;
        const x = randomFloats(rowsN * n, n, 3);
        const w = randomFloats(n, n + 1);
        const b = randomFloats(n, n + 2);
        const xb = storageFrom(ops.device, x);
        // 4 rows of output, 3 tokens: the 4th row must stay untouched.
        const y = storageFrom(ops.device, new Float32Array(4 * n).fill(7));
        const step = stepBuffer(ops, 0, rowsN);
        const rms = new Float32Array(4 * n).fill(7);
        for (let t = 0; t < rowsN; t++) rmsnorm(rms.subarray(t * n, (t + 1) * n), x.subarray(t * n, (t + 1) * n), w, 1e-6);
        await runDispatches(ops, [await ops.norm({ step, x: xb, y, n, mode: 'rms', eps: 1e-6, weight: storageFrom(ops.device, w), batch: 4 })]);
        expect(relErr(await readF32(ops, y, 4 * n), rms), `${name} rms ${n}`).toBeLessThan(1e-5);
        if (n === 1) continue; // a layer norm of one value is all bias
        const ln = new Float32Array(4 * n).fill(7);
        for (let t = 0; t < rowsN; t++) layernorm(ln.subarray(t * n, (t + 1) * n), x.subarray(t * n, (t + 1) * n), w, b, 1e-5);
        await runDispatches(ops, [await ops.norm({ step, x: xb, y, n, mode: 'layer', eps: 1e-5, weight: storageFrom(ops.device, w), bias: storageFrom(ops.device, b), batch: 4 })]);
        expect(relErr(await readF32(ops, y, 4 * n), ln), `${name} layer ${n}`).toBeLessThan(1e-5);
      }
    }
  });

  it('rope: norm and neox, partial dims, linear scale, frequency factors, q and k heads', async () => {
    const ops = await gpuOps();
    const heads = 4, headsKv = 2, headDim = 16;
    for (const mode of ['norm', 'neox'] as const) {
      for (const [dims, scale, factors] of [[16, 1, false], [8, 2, true]] as const) {
        for (const pos of [0, 7, 300]) {
          const qDim = heads * headDim;
          const kvDim = headsKv * headDim;
          const qkv = randomFloats(qDim + 2 * kvDim, pos + dims);
          const freqFactors = factors ? Float32Array.from({ length: dims / 2 }, (_, i) => 1 + i * 0.5) : undefined;
          const p = { mode, dims, base: 10000, scale, freqFactors };
          const want = qkv.slice();
          rope(want.subarray(0, qDim), heads, headDim, pos, p);
          rope(want.subarray(qDim, qDim + kvDim), headsKv, headDim, pos, p);
          const freqs = Float32Array.from({ length: dims / 2 }, (_, i) => Math.pow(10000, (-2 * i) / dims) / scale / (freqFactors ? freqFactors[i] : 1));
          const step = stepBuffer(ops, pos);
          const buf = storageFrom(ops.device, qkv);
          await runDispatches(ops, [await ops.rope({ step, qkv: buf, freqs: storageFrom(ops.device, freqs), heads, headsKv, headDim, dims, mode })]);
          const got = await readF32(ops, buf, qkv.length);
          expect(relErr(got, want), `${mode} dims ${dims} pos ${pos}`).toBeLessThan(2e-5 * Math.max(1, pos / 30));
        }
      }
    }
  });

  it('kv store and causal grouped-query attention against the reference loop', async () => {
    for (const [name, ops] of await variants()) {
      const heads = 4, headsKv = 2, headDim = 24, ctx = 100;
      const qDim = heads * headDim, kvDim = headsKv * headDim;
      for (const pos of [0, 1, 70, 99]) {
        const kCache = randomFloats(ctx * kvDim, 3 + pos);
        const vCache = randomFloats(ctx * kvDim, 4 + pos);
        const qkv = randomFloats(qDim + 2 * kvDim, 5 + pos, 2);
        const kb = storageFrom(ops.device, kCache);
        const vb = storageFrom(ops.device, vCache);
        const qkvb = storageFrom(ops.device, qkv);
        const step = stepBuffer(ops, pos);
        const out = storage(ops.device, qDim * 4);
        const scores = storage(ops.device, heads * ctx * 4);
        await runDispatches(ops, [
          await ops.kvStore(step, qkvb, kb, vb, qDim, kvDim),
          await ops.attention({ step, q: qkvb, k: kb, v: vb, scores, out, heads, headsKv, headDim, ctx }),
        ]);
        kCache.set(qkv.subarray(qDim, qDim + kvDim), pos * kvDim);
        vCache.set(qkv.subarray(qDim + kvDim), pos * kvDim);
        expect(relErr(await readF32(ops, kb, ctx * kvDim), kCache)).toBe(0);
        const want = new Float32Array(qDim);
        const s = new Float64Array(pos + 1);
        for (let h = 0; h < heads; h++) {
          const ko = Math.floor(h / (heads / headsKv)) * headDim;
          for (let t = 0; t <= pos; t++) {
            let d = 0;
            for (let i = 0; i < headDim; i++) d += qkv[h * headDim + i] * kCache[t * kvDim + ko + i];
            s[t] = d / Math.sqrt(headDim);
          }
          softmaxInPlace(s, pos + 1);
          for (let i = 0; i < headDim; i++) {
            let a = 0;
            for (let t = 0; t <= pos; t++) a += s[t] * vCache[t * kvDim + ko + i];
            want[h * headDim + i] = a;
          }
        }
        expect(relErr(await readF32(ops, out, qDim), want), `${name} pos ${pos}`).toBeLessThan(1e-5);
      }
    }
  });

  it('swiglu, gelu (ggml f16 table rounding), silu, mul, add', async () => {
    const ops = await gpuOps();
    const n = 1000;
    const a = randomFloats(n, 1, 12);
    const g = randomFloats(n, 2, 6);
    const cases: [Parameters<Ops['activation']>[3], (x: number, y: number) => number, number][] = [
      ['swiglu', (x, y) => x * silu(y), 1e-5],
      ['gelu', (x) => gelu(x), 2 ** -10],
      ['silu', (x) => silu(x), 1e-5],
      ['mul', (x, y) => x * y, 1e-7],
      ['add', (x, y) => x + y, 1e-7],
    ];
    for (const [mode, f, tol] of cases) {
      const ab = storageFrom(ops.device, a);
      await runDispatches(ops, [await ops.activation(stepBuffer(ops, 0), ab, n, mode, storageFrom(ops.device, g))]);
      const got = await readF32(ops, ab, n);
      for (let i = 0; i < n; i++) {
        const want = f(a[i], g[i]);
        expect(Math.abs(got[i] - want), `${mode}(${a[i]}, ${g[i]})`).toBeLessThanOrEqual(tol * Math.abs(want) + 1e-6);
      }
    }
  });

  it('argmax: first index on ties, odd lengths, all negative', async () => {
    const ops = await gpuOps();
    for (const [values, want] of [
      [[-5, -3, -3, -9], 1],
      [Array.from({ length: 1027 }, (_, i) => (i === 1000 || i === 1026 ? 7 : Math.sin(i))), 1000],
      [[0.25], 0],
      [Array.from({ length: 151_936 }, (_, i) => -1 - (i % 17)).map((v, i) => (i === 150_001 ? 0 : v)), 150_001],
    ] as [number[], number][]) {
      const l = storageFrom(ops.device, Float32Array.from(values));
      const r = storage(ops.device, 4);
      await runDispatches(ops, [await ops.argmax(stepBuffer(ops, 0), l, values.length, r)]);
      expect(new Uint32Array((await readF32(ops, r, 1)).buffer)[0]).toBe(want);
    }
  });

  it('the shared-memory matvec fallback agrees with the subgroup path', async () => {
    const [first, ...rest] = await variants();
    const rows = 37, cols = 1000;
    const w = randomFloats(rows * cols, 9);
    const x = randomFloats(cols, 10);
    const results: Float32Array[] = [];
    for (const [, ops] of [first, ...rest]) {
      const m = uploadMatrix(ops.device, { name: 'w', type: F32.type, dims: [cols, rows], data: F32.quantize(w) }, 1 << 30);
      const y = storage(ops.device, rows * 4);
      await runDispatches(ops, await ops.matvec({ m, x: storageFrom(ops.device, x), y }));
      results.push(await readF32(ops, y, rows));
    }
    for (const r of results.slice(1)) expect(relErr(r, results[0])).toBeLessThan(1e-5);
  });

  it('quantize_q8: the same q, d and Q8_1 sums as ggml\'s x86 quantiser, ties to even, tiny, zero and huge blocks', async () => {
    const ops = await gpuOps();
    const blocks = 2048;
    const cols = 32 * blocks;
    const x = randomFloats(cols, 21, 5);
    x.fill(0, 0, 32); // amax 0: d = 0, q = 0
    for (let j = 32; j < 64; j++) x[j] *= 1e-4; // f16 d subnormal
    // amax 127 makes the multiplier 1: x.5 values are exact ties, which go to the even integer.
    x.set([127, 2.5, 3.5, -2.5, -3.5, 0.5, -0.5, 1.5, 126.5], 64);
    x.fill(4000, 96, 128); // d * sum(q) = 128000: Q8_1's s overflows f16 to infinity
    const xq = storage(ops.device, q8Words(cols) * 4);
    const step = stepBuffer(ops, 0, 2);
    // Two tokens of `cols / 2` values, so the token stride is exercised as well.
    await runDispatches(ops, [await ops.quantizeQ8({ x: storageFrom(ops.device, x), xq, cols: cols / 2, xStride: cols / 2, tokens: 2, step })]);
    const words = new Uint32Array((await readF32(ops, xq, q8Words(cols))).buffer);
    const floats = new Float32Array(words.buffer);
    const want = roundActivations(GGMLType.Q4_1, x);
    let bad = 0;
    for (let b = 0; b < blocks; b++) {
      const d = floats[b * 12 + 8];
      let sum = 0;
      for (let j = 0; j < 32; j++) {
        const q = (words[b * 12 + (j >> 2)] << (24 - 8 * (j & 3))) >> 24;
        sum += q;
        if (Math.fround(d * q) !== want.values[b * 32 + j]) bad++;
      }
      expect(words[b * 12 + 9] | 0, `block ${b} sum`).toBe(sum);
      expect(floats[b * 12 + 10], `block ${b} s`).toBe(want.blockSums![b]);
    }
    expect(bad).toBe(0);
    expect(floats[8]).toBe(0);
    expect(floats[12 + 8]).toBeGreaterThan(0);
    expect(floats[3 * 12 + 10]).toBe(Infinity);
    const tie = (j: number): number => (words[2 * 12 + (j >> 2)] << (24 - 8 * (j & 3))) >> 24;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(tie)).toEqual([2, 4, -2, -4, 0, 0, 2, 126]);
  });
});

