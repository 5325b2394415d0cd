import { describe, expect, it } from 'vitest';
import { QUANT_TYPES } from '../../src/engine/quant/registry.js';
import { quantizeWeights } from '../../src/engine/native/quantize.js';
import { GOLDEN_CASES } from '../engine/quant/golden-cases.js';
import { DISTRIBUTIONS, makeData } from '../engine/quant/data.js';
import { gaussian, native, skipReason } from './helpers.js';

/**
 * The addon's weight quantisers (native/quant/quantize_*.cc) against the registry's TypeScript,
 * which golden.test.ts holds to ggml's own C: the same bytes on every input, degenerate ones
 * included, whatever way the blocks are shared out to threads.
 */
describe.skipIf(!native)(`native weight quantisers ${skipReason}`, () => {
  const inputs: { id: string; data: Float32Array }[] = [
    ...GOLDEN_CASES.map((c) => ({ id: c.id, data: c.data() })),
    // Longer rows of every distribution, so each quantiser sees many blocks of each kind.
    ...DISTRIBUTIONS.map((dist, i) => ({ id: `${dist}/long`, data: makeData(dist, 8192, 31 + i) })),
    { id: 'gaussian x 1e-30', data: gaussian(4096, 5, 1e-30) },
    { id: 'gaussian x 3e37', data: gaussian(4096, 6, 3e37) },
    { id: 'infinities and NaN', data: specials() },
  ];

  for (const t of QUANT_TYPES) {
    it(`${t.name}: the registry's bytes on ${inputs.length} inputs`, () => {
      for (const { id, data } of inputs) {
        const n = data.length - (data.length % t.blockSize);
        const x = data.subarray(0, n);
        const want = t.quantize(x);
        for (const threads of [1, 2]) {
          const got = native!.quantizeWeights!(t.type, x, threads);
          const bad = got.findIndex((b, i) => b !== want[i]);
          expect(bad === -1 && got.length === want.length ? 'equal' : `byte ${bad}: ${got[bad]} vs ${want[bad]}`, `${t.name} ${id} threads ${threads}`).toBe('equal');
        }
      }
    });
  }

  it("quantizeWeights gives the registry's bytes; the addon's quantiser refuses malformed input", () => {
    expect(typeof native!.quantizeWeights).toBe('function');  // an addon built before it would go unnoticed
    const x = gaussian(256 * 3, 9);
    for (const t of QUANT_TYPES) expect(Array.from(quantizeWeights(t.type, x))).toEqual(Array.from(t.quantize(x)));
    expect(() => native!.quantizeWeights!(QUANT_TYPES[0]!.type, new Float64Array(4) as unknown as Float32Array)).toThrow(/Float32Array/);
    expect(() => native!.quantizeWeights!(2 /* Q4_0 */, new Float32Array(33))).toThrow(/whole number of blocks/);
  });
});

/** Blocks with +-Infinity, NaN and -0 among ordinary values, and blocks made only of them. */
function specials(): Float32Array {
  const x = gaussian(2048, 7);
  const odd = [Infinity, -Infinity, NaN, -0];
  for (let i = 0; i < 256; i++) x[(i * 37) % 1024] = odd[i % 4]!;
  for (let i = 1024; i < 1280; i++) x[i] = Infinity;
  for (let i = 1280; i < 1536; i++) x[i] = NaN;
  for (let i = 1536; i < 1792; i++) x[i] = i % 2 ? -Infinity : Infinity;
  return x;
}
