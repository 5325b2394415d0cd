import { describe, expect, it } from 'vitest';
import { QUANT_TYPES } from '../../src/engine/quant/registry.js';
import { hasIntPath } from '../../src/engine/backend/webgpu/kernels.js';
import { q8Words, uploadMatrix } from '../../src/engine/backend/webgpu/ops.js';
import { featureCombos, intReference, noGpu, randomFloats, readF32, reference, runDispatches, skipReason, stepBuffer, storage, storageFrom } from './helpers.js';


/**
 * Every registry type's WGSL matvec and embedding lookup against the reference dequantise:
 * Y = dequant(W) . X in float64 on the CPU vs the shader's f32 accumulation. Both see the same
 * dequantised weights (the shader decodes ggml's bytes itself) and the same f32 activations, so
 * the only difference is f32 summation order: bounded by ~cols * 2^-24 relative to the sum of
 * |w x|; we allow 1e-5 of that scale (cols up to 4096).
 *
 * Each runs with every combination of subgroup reductions and, for the types with an integer
 * path (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1), dot4I8Packed that the adapter has. On the integer path the
 * activations are quantised on the GPU to Q8 blocks first, so the oracle is the reference's
 * ggml-rounded activations (roundActivations: ggml's x86 Q8_0/Q8_1 quantiser, with Q8_1's block
 * sums for the Q4_1/Q5_1 min term): the same numbers, so the same bound holds.
 */
const SHAPES: readonly { rows: number; cols: (bs: number) => number; split?: boolean }[] = [
  { rows: 1, cols: (bs) => Math.max(bs, 32) },
  { rows: 7, cols: (bs) => (bs === 1 ? 45 : bs * 2) }, // rows not a multiple of the 4 rows per workgroup; odd K for scalar types
  { rows: 33, cols: (bs) => (bs === 1 ? 4099 : bs === 32 ? 4096 : 4096) }, // long K
  { rows: 70, cols: (bs) => Math.max(bs, 64), split: true }, // split into several bindings
];

describe.skipIf(noGpu)(`WGSL matvec and get_rows for every registry type${skipReason}`, () => {
  for (const q of QUANT_TYPES) {
    for (const shape of SHAPES) {
      const cols = shape.cols(q.blockSize);
      it(`${q.name} ${shape.rows}x${cols}${shape.split ? ' split' : ''}`, async () => {
        const { rows } = shape;
        const src = randomFloats(rows * cols, rows * 31 + cols + q.type, 2);
        const bytes = q.quantize(src);
        const w = new Float32Array(rows * cols);
        q.dequantize(bytes, w);
        const x = randomFloats(cols, 99 + cols);
        const rowBytes = (cols / q.blockSize) * q.bytesPerBlock;
        const limit = shape.split ? rowBytes * 16 + 4 : 1 << 30;
        const bias = randomFloats(rows, 5);
        const f32ref = reference(w, x, rows, cols);
        const int = intReference(q, bytes, w, x, rows, cols);
        // The two oracles differ by far more than the bound, so passing one is not passing both.
        if (int) expect(Math.max(...int.y.map((v, r) => Math.abs(v - f32ref.y[r]) / (f32ref.scale[r] + 1)))).toBeGreaterThan(1e-4);
        const variants = await featureCombos(hasIntPath(q.type) ? ['subgroups', 'dot4'] : ['subgroups']);
        // One device under every variant: the matrix is uploaded once.
        const ops = variants[0][1];
        const m = uploadMatrix(ops.device, { name: 'w', type: q.type, dims: [cols, rows], data: bytes }, limit);
        if (shape.split) expect(m.chunks.length).toBeGreaterThan(3);
        for (const [variant, vops] of variants) {
          const xb = storageFrom(vops.device, x);
          const yb = storageFrom(vops.device, new Float32Array(rows + 3).fill(0.5));
          const bb = storageFrom(vops.device, bias);
          const onInt = vops.intPath(q.type);
          expect(onInt, variant).toBe(variant.includes('dot4'));
          const pre = [];
          let xq: GPUBuffer | undefined;
          if (onInt) {
            xq = storage(vops.device, q8Words(cols) * 4);
            pre.push(await vops.quantizeQ8({ x: xb, xq, cols }));
          }
          // Y[3..] = 0.5 + W x + bias (accumulate and bias paths in one go).
          await runDispatches(vops, [...pre, ...await vops.matvec({ m, x: xb, xq, y: yb, outOffset: 3, accumulate: true, bias: bb })]);
          const got = await readF32(vops, yb, rows + 3);
          const { y, scale } = onInt ? int! : f32ref;
          expect(Array.from(got.subarray(0, 3))).toEqual([0.5, 0.5, 0.5]);
          for (let r = 0; r < rows; r++) {
            const want = 0.5 + y[r] + bias[r];
            expect(Math.abs(got[3 + r] - want), `${variant} row ${r}`).toBeLessThanOrEqual(1e-5 * (scale[r] + 1) + 1e-6);
          }
        }

        // Embedding lookup of a batch of rows from every chunk (the last row, the first, one in the
        // middle) must equal the reference dequantise exactly.
        const ids = [rows - 1, 0, Math.floor(rows / 2)];
        const out = storage(ops.device, ids.length * cols * 4);
        await runDispatches(ops, await ops.getRows(m, stepBuffer(ops, 0, ids.length), storageFrom(ops.device, Uint32Array.from(ids)), out, 'token', false, ids.length));
        const emb = await readF32(ops, out, ids.length * cols);
        ids.forEach((row, t) => {
          for (let c = 0; c < cols; c++) {
            const want = w[row * cols + c];
            const got = emb[t * cols + c];
            if (got !== want) {
              expect.fail(`get_rows ${q.name} row ${row} col ${c}: got ${got}, want ${want}`);
            }
          }
        });
      });
    }
  }
});
