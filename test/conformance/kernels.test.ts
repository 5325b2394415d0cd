import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/engine/native/load.js';
import { QUANT_TYPES } from '../../src/engine/quant/registry.js';
import { gaussian } from '../native/helpers.js';
import { ggml, ggmlUnavailable, type GgmlJob } from '../peers/ggml-ops.js';

/**
 * Every native kernel against llama.cpp's own, output by output: the same weights and activations
 * through our AVX2 path and through ggml_mul_mat in node-llama-cpp's prebuilt haswell variant (what
 * llama.cpp runs on an AVX2 machine), weights both in ggml's plain layout and in the CPU backend's
 * repacking buffer (how llama.cpp loads model weights; it repacks Q4_0 and Q4_K whose rows come in
 * eights, which our rows-of-8 arithmetic reproduces from the plain bytes). Batches 1 to 29 cover
 * decode, tinyBLAS, the repacked gemv/gemm split (groups of four) and tile edges. The results must be
 * equal bit for bit: a kernel that sums in another order fails here even when whole-model logits
 * stay within tolerance. SwiGLU, the one activation whose vector code differs from libm there, is
 * checked the same way.
 */
const native = loadNative();
const VARIANT = 'haswell';
const skip = !native ? 'no native addon' : !native.info().available.includes('avx2') ? 'no AVX2 here' : ggmlUnavailable(VARIANT);
if (skip) console.warn(`kernel conformance with llama.cpp skipped: ${skip}`);

const SHAPES: readonly { rows: number; k: number }[] = [
  { rows: 8, k: 1 },
  { rows: 12, k: 2 },
  { rows: 64, k: 3 },
];
const BATCHES = [1, 2, 3, 4, 5, 8, 29];
const REPACKED = new Set(['Q4_0', 'Q4_K']);

describe.skipIf(skip !== undefined)(`native kernels equal llama.cpp's (${VARIANT} variant) bit for bit`, () => {
  const types = QUANT_TYPES.filter((t) => native!.info().types.some((n) => n.type === t.type));
  for (const t of types) {
    it(`${t.name}: plain and repacked weights, batches ${BATCHES.join(', ')}`, () => {
      const jobs: (GgmlJob & { op: 'mul_mat' })[] = [];
      const ours: Float32Array[] = [];
      for (const { rows, k } of SHAPES) {
        const cols = (t.blockSize === 1 ? 64 : Math.max(t.blockSize, 256)) * k;
        const w = t.quantize(gaussian(rows * cols, rows * 31 + k, 0.1));
        for (const batch of BATCHES) {
          const x = gaussian(batch * cols, batch * 7 + k);
          for (const repack of [false, true]) {
            jobs.push({ op: 'mul_mat', type: t.type, rows, cols, batch, repack, w, x });
            ours.push(native!.matmul(t.type, w, rows, cols, x, batch, 1, 'avx2', true, repack));
          }
        }
      }
      const theirs = ggml(VARIANT, jobs);
      jobs.forEach((j, i) => {
        const { repacked, out } = theirs[i];
        const where = `${t.name} ${j.rows}x${j.cols} batch ${j.batch}${repacked ? ' repacked' : ''}`;
        // The matrices llama.cpp repacks are exactly those our rows-of-8 arithmetic takes.
        expect(repacked, where).toBe(j.repack && j.rows % 8 === 0 && REPACKED.has(t.name));
        const bad = ours[i].findIndex((v, o) => !Object.is(v, out[o]));
        expect(bad === -1 ? 'equal' : `out[${bad}] ${ours[i][bad]} vs ${out[bad]}`, where).toBe('equal');
      });
    });
  }

  it("SwiGLU (silu(gate) * up) equals llama.cpp's, its vector expf included", () => {
    // Gates across expf's range, the scaled path past |x| > 87 and both limits included, and a
    // length that leaves a scalar tail.
    const n = 8 * 1000 + 5;
    const gate = gaussian(n, 91, 4);
    for (let i = 0; i < 40; i++) gate[i] = -130 + 6.5 * i;
    gate.set([0, -0, 88.5, -88.5, 103.9, -103.9, 1e-30, -1e-30], 40);
    const up = gaussian(n, 92);
    const [{ out }] = ggml(VARIANT, [{ op: 'swiglu', gate, up }]);
    const ours = native!.swiglu(gate, up, 'avx2');
    const bad = ours.findIndex((v, i) => !Object.is(v, out[i]));
    expect(bad === -1 ? 'equal' : `out[${bad}] (gate ${gate[bad]}): ${ours[bad]} vs ${out[bad]}`).toBe('equal');
  });
});
