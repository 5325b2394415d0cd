import { describe, expect, it } from 'vitest';
import { QUANT_TYPES } from '../../src/engine/quant/registry.js';
import { hasIntPath } from '../../src/engine/backend/webgpu/kernels.js';
import { q8Words, uploadMatrix, type Ops } from '../../src/engine/backend/webgpu/ops.js';
import { F32 } from '../../src/engine/quant/f32.js';
import { featureVariants, gpuOps, intReference, noGpu, randomFloats, readF32, reference, runDispatches, skipReason, stepBuffer, storage, storageFrom } from './helpers.js';

/**
 * The tiled prefill matmul for every registry type against the reference dequantise, float64 on
 * the CPU: the same 1e-5-of-sum|w x| bound as matvec (f32 summation order is the only difference).
 * Rows, K and tokens are not multiples of the 16x16x32 tile; the matrix is split over bindings.
 * F16 runs twice where the adapter has shader-f16 (its weight tile in f16, which is lossless, and
 * in f32), and F32 also on a K that is not whole units (the ragged-row path). The integer-path
 * types run with and without dot4I8Packed, against ggml's rounded activations on the integer path
 * (see matvec.test.ts).
 */
describe.skipIf(noGpu)(`WGSL tiled matmul (prefill kernel) for every registry type${skipReason}`, () => {
  const cases = QUANT_TYPES.map((q) => ({ q, cols: q.blockSize === 256 ? 512 : 96 }));
  cases.push({ q: F32, cols: 45 });
  for (const { q, cols } of cases) {
    it(`${q.name}: 37 rows x ${cols} cols x 19 tokens, split bindings, strided output with bias and accumulate`, async () => {
      const variants: [string, Ops][] = q.name === 'F16' ? await featureVariants('shader-f16') : hasIntPath(q.type) ? await featureVariants('dot4') : [['', await gpuOps()]];
      for (const [variant, ops] of variants) {
        const rows = 37, n = 19;
        const bytes = q.quantize(randomFloats(rows * cols, 7 + q.type, 2));
        const w = new Float32Array(rows * cols);
        q.dequantize(bytes, w);
        const x = randomFloats(n * cols, 8);
        const rowBytes = (cols / q.blockSize) * q.bytesPerBlock;
        const m = uploadMatrix(ops.device, { name: 'w', type: q.type, dims: [cols, rows], data: bytes }, rowBytes * 10 + 4);
        const yStride = rows + 5;
        const bias = randomFloats(rows, 3);
        const yb = storageFrom(ops.device, new Float32Array(n * yStride).fill(0.25));
        const xb = storageFrom(ops.device, x);
        const step = stepBuffer(ops, 0, 32);
        const pre = [];
        let xq: GPUBuffer | undefined;
        if (ops.intPath(q.type)) {
          // 32 tokens' room, 19 written: the rows past n_tok must not matter.
          xq = storage(ops.device, 32 * q8Words(cols) * 4);
          pre.push(await ops.quantizeQ8({ x: xb, xq, cols, xStride: cols, tokens: n, step }));
        }
        await runDispatches(ops, [...pre, ...await ops.matmul({ m, x: xb, xq, y: yb, tokens: n, step, xStride: cols, yStride, outOffset: 2, accumulate: true, bias: storageFrom(ops.device, bias) })]);
        const got = await readF32(ops, yb, n * yStride);
        for (let t = 0; t < n; t++) {
          const xt = x.subarray(t * cols, (t + 1) * cols);
          const { y, scale } = xq ? intReference(q, bytes, w, xt, rows, cols)! : reference(w, xt, rows, cols);
          for (let r = 0; r < rows; r++) {
            const want = 0.25 + y[r] + bias[r];
            expect(Math.abs(got[t * yStride + 2 + r] - want), `${variant} token ${t} row ${r}`).toBeLessThanOrEqual(1e-5 * (scale[r] + 1) + 1e-6);
          }
          for (const i of [0, 1, yStride - 3, yStride - 2, yStride - 1]) expect(got[t * yStride + i]).toBe(0.25);
        }
      }
    });
  }
});
