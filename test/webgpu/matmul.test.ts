import { describe, expect, it } from 'vitest';
import { QUANT_TYPES } from '../../src/engine/quant/registry.js';
import { uploadMatrix, type Ops } from '../../src/engine/backend/webgpu/ops.js';
import { F32 } from '../../src/engine/quant/f32.js';
import { featureVariants, gpuOps, noGpu, randomFloats, readF32, reference, runDispatches, skipReason, stepBuffer, storageFrom } from './helpers.js';

/**
 * The tiled prefill matmul for every registry type against the reference dequantise, float64 on
 * the CPU: the same 1e-5-of-sum|w x| bound as matvec (f32 summation order is the only difference).
 * Rows, K and tokens are not multiples of the 16x16x32 tile; the matrix is split over bindings.
 * F16 runs twice where the adapter has shader-f16 (its weight tile in f16, which is lossless, and
 * in f32), and F32 also on a K that is not whole units (the ragged-row path).
 */
describe.skipIf(noGpu)(`WGSL tiled matmul (prefill kernel) for every registry type${skipReason}`, () => {
  const cases = QUANT_TYPES.map((q) => ({ q, cols: q.blockSize === 256 ? 512 : 96 }));
  cases.push({ q: F32, cols: 45 });
  for (const { q, cols } of cases) {
    it(`${q.name}: 37 rows x ${cols} cols x 19 tokens, split bindings, strided output with bias and accumulate`, async () => {
      const variants: [string, Ops][] = q.name === 'F16' ? await featureVariants('shader-f16') : [['', await gpuOps()]];
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
        await runDispatches(ops, await ops.matmul({ m, x: storageFrom(ops.device, x), y: yb, tokens: n, step: stepBuffer(ops, 0, 32), xStride: cols, yStride, outOffset: 2, accumulate: true, bias: storageFrom(ops.device, bias) }));
        const got = await readF32(ops, yb, n * yStride);
        for (let t = 0; t < n; t++) {
          const { y, scale } = reference(w, x.subarray(t * cols, (t + 1) * cols), rows, cols);
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
