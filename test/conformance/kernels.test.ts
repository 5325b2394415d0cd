import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/engine/native/load.js';
import { QUANT_TYPES } from '../../src/engine/quant/registry.js';
import { gaussian } from '../native/helpers.js';
import { ggml, ggmlGeluTable, ggmlUnavailable, hostVariant, variantHasAvx512, type GgmlJob } from '../peers/ggml-ops.js';
import { gelu as referenceGelu } from '../../src/engine/backend/reference/math.js';
import { f16ToF32 } from '../../src/engine/quant/half.js';

/**
 * Every native kernel against llama.cpp's own, output by output: the same weights and activations
 * through one of our x86 paths and through ggml_mul_mat in the node-llama-cpp prebuilt variant that
 * llama.cpp runs on such a machine — our AVX2 path against the haswell variant everywhere AVX2
 * exists, and our AVX-512 path against the variant llama.cpp picks here when that is an AVX-512 one
 * (zen4, icelake, ...: 16-lane float orders, vdpbf16ps for BF16 where the CPU has it). Weights go
 * both in ggml's plain layout and in the CPU backend's repacking buffer (how llama.cpp loads model
 * weights; it repacks Q4_0 and Q4_K whose rows come in eights, which our rows-of-8 arithmetic
 * reproduces from the plain bytes). Batches 1 to 29 cover decode, tinyBLAS, the repacked gemv/gemm
 * split (groups of four) and tile edges. The results must be equal bit for bit: a kernel that sums in
 * another order fails here even when whole-model logits stay within tolerance. SwiGLU, the one
 * activation whose vector code differs from libm there, is checked the same way.
 */
const native = loadNative();
const available = native?.info().available ?? [];
const host = hostVariant();
const PAIRS: readonly { isa: string; variant: string; skip?: string }[] = [
  { isa: 'avx2', variant: 'haswell' },
  {
    isa: 'avx512',
    variant: host ?? 'none',
    skip: !available.includes('avx512') ? 'no AVX-512 path here' : !host || !variantHasAvx512(host) ? `llama.cpp runs ${host ?? 'no'} variant here, not an AVX-512 one` : undefined,
  },
];

const SHAPES: readonly { rows: number; k: number }[] = [
  { rows: 8, k: 1 },
  { rows: 12, k: 2 },
  { rows: 64, k: 3 },
];
// Float weights also in rows whose length is not a whole step of every order (8, 16, 32 or 64
// values: tinyBLAS's condition and the vec_dot leftovers).
const FLOAT_COLS = [40, 48, 72, 200];
const BATCHES = [1, 2, 3, 4, 5, 8, 29];
const REPACKED = new Set(['Q4_0', 'Q4_K', 'IQ4_NL']);
/**
 * Types llama.cpp repacks on AVX-512 CPUs whose repacked arithmetic we do not reproduce: Q2_K
 * (q2_K_8x8, its own float order). Our AVX-512 path takes ggml's AVX2 dot product for them, which
 * llama.cpp computes for the plain layout: those are compared, the repacked runs are not.
 */
const REPACKED_NOT_MIRRORED: Readonly<Record<string, ReadonlySet<string>>> = { avx2: new Set(), avx512: new Set(['Q2_K']) };

for (const { isa, variant, skip: pairSkip } of PAIRS) {
  const skip = !native ? 'no native addon' : !available.includes(isa) ? `no ${isa} here` : pairSkip ?? ggmlUnavailable(variant);
  if (skip) console.warn(`kernel conformance of the ${isa} path with llama.cpp skipped: ${skip}`);

  describe.skipIf(skip !== undefined)(`native ${isa} kernels equal llama.cpp's (${variant} variant) bit for bit`, () => {
    const types = QUANT_TYPES.filter((t) => native!.info().types.some((n) => n.type === t.type));
    for (const t of types) {
      const layouts = REPACKED_NOT_MIRRORED[isa]!.has(t.name) ? 'plain weights (llama.cpp repacks these: not mirrored)' : 'plain and repacked weights';
      it(`${t.name}: ${layouts}, batches ${BATCHES.join(', ')}`, () => {
        const jobs: (GgmlJob & { op: 'mul_mat' })[] = [];
        const ours: Float32Array[] = [];
        const shapes = SHAPES.map(({ rows, k }) => ({ rows, k, cols: (t.blockSize === 1 ? 64 : Math.max(t.blockSize, 256)) * k }));
        if (t.blockSize === 1) shapes.push(...FLOAT_COLS.map((cols, k) => ({ rows: 12, k: 4 + k, cols })));
        // An odd count of 32-value blocks: the dot products that take blocks in pairs end on one alone.
        if (t.blockSize === 32) shapes.push({ rows: 12, k: 9, cols: 32 * 9 });
        for (const { rows, k, cols } of shapes) {
          const w = t.quantize(gaussian(rows * cols, rows * 31 + k, 0.1));
          for (const batch of BATCHES) {
            const x = gaussian(batch * cols, batch * 7 + k);
            for (const repack of [false, true]) {
              if (repack && REPACKED_NOT_MIRRORED[isa]!.has(t.name)) continue;
              jobs.push({ op: 'mul_mat', type: t.type, rows, cols, batch, repack, w, x });
              ours.push(native!.matmul(t.type, w, rows, cols, x, batch, 1, isa, true, repack));
            }
          }
        }
        const theirs = ggml(variant, jobs);
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
      const [{ out }] = ggml(variant, [{ op: 'swiglu', gate, up }]);
      const ours = native!.swiglu(gate, up, isa);
      const bad = ours.findIndex((v, i) => !Object.is(v, out[i]));
      expect(bad === -1 ? 'equal' : `out[${bad}] (gate ${gate[bad]}): ${ours[bad]} vs ${out[bad]}`).toBe('equal');
    });
  });
}

describe.skipIf(!native || ggmlUnavailable('haswell') !== undefined)("GELU equals llama.cpp's (its f16 table)", () => {
  it('native and reference, every f16 input inside (-10, 10)', () => {
    const table = ggmlGeluTable(host ?? 'haswell');
    const inputs: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const x = f16ToF32(h);
      if (x > -10 && x < 10) inputs.push(h);
    }
    const x = Float32Array.from(inputs, f16ToF32);
    const ours = native!.gelu(x);
    const want = Float32Array.from(inputs, (h) => f16ToF32(table[h]));
    const bad = ours.findIndex((v, i) => !Object.is(v, want[i]));
    expect(bad === -1 ? 'equal' : `gelu(${x[bad]}): ${ours[bad]} vs ${want[bad]}`).toBe('equal');
    const ref = x.map(referenceGelu);
    const badRef = ref.findIndex((v, i) => !Object.is(v, want[i]));
    expect(badRef === -1 ? 'equal' : `reference gelu(${x[badRef]}): ${ref[badRef]} vs ${want[badRef]}`).toBe('equal');
  });
});
