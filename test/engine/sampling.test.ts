import { describe, expect, it } from 'vitest';
import { exp64 } from '../../src/engine/sampling/exp.js';
import { mulberry32 } from '../fixtures/random.js';
import {
  Rng,
  Sampler,
  DEFAULT_SAMPLING,
  applyPenalties,
  argmax,
  minP,
  selectTop,
  topK,
  topP,
  type Candidates,
} from '../../src/engine/sampling/index.js';

const OFF = { topK: 0, topP: 1, minP: 0 } as const;

function cands(logits: number[]): Candidates {
  return { ids: Int32Array.from(logits.map((_, i) => i)), logits: Float32Array.from(logits), size: logits.length, sorted: false };
}
function kept(c: Candidates): number[] {
  return Array.from(c.ids.subarray(0, c.size));
}
function distOf(s: Sampler, logits: number[]): Map<number, number> {
  const d = s.distribution(Float32Array.from(logits));
  return new Map(Array.from(d.ids).map((id, i) => [id, d.probs[i]]));
}

describe('Rng', () => {
  it('is reproducible per seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 16 }, () => a.nextUint32());
    const xb = Array.from({ length: 16 }, () => b.nextUint32());
    const xc = Array.from({ length: 16 }, () => c.nextUint32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
    // seeds differing only above 2^32 differ too
    expect(new Rng(2 ** 40 + 1).nextUint32()).not.toBe(new Rng(1).nextUint32());
  });
  it('gives floats in [0,1) with mean about 1/2', () => {
    const r = new Rng(7);
    let sum = 0;
    let bad = 0;
    for (let i = 0; i < 100000; i++) {
      const f = r.nextFloat();
      if (!(f >= 0 && f < 1)) bad++;
      sum += f;
    }
    expect(bad).toBe(0);
    expect(Math.abs(sum / 100000 - 0.5)).toBeLessThan(0.005);
  });
});

describe('defaults', () => {
  it('match llama.cpp common defaults', () => {
    expect(DEFAULT_SAMPLING).toEqual({
      temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05,
      repeatPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, penaltyLastN: 64,
    });
  });
});

describe('greedy', () => {
  it('picks the argmax', () => {
    const s = new Sampler({ temperature: 0 });
    expect(s.sample(Float32Array.from([1, 3, 2, -1]))).toBe(1);
  });
  it('breaks ties by the lowest id', () => {
    expect(argmax(Float32Array.from([0, 5, 5, 1, 5]))).toBe(1);
    const s = new Sampler({ temperature: -1, seed: 1 });
    expect(s.sample(Float32Array.from([-3, 2, 7, 7]))).toBe(2);
  });
  it('ignores NaN and is independent of the seed', () => {
    const row = Float32Array.from([NaN, 1, 4, NaN]);
    expect(new Sampler({ temperature: 0, seed: 1 }).sample(row)).toBe(2);
    expect(new Sampler({ temperature: 0, seed: 999 }).sample(row)).toBe(2);
  });
  it('still applies penalties (as llama.cpp does before the greedy pick)', () => {
    const s = new Sampler({ temperature: 0, repeatPenalty: 4 });
    s.accept(0);
    expect(s.sample(Float32Array.from([4, 2]))).toBe(1); // 4/4 = 1 < 2
  });
});

describe('top-k', () => {
  it('keeps the k highest, sorted, ties to lower ids', () => {
    const c = topK(cands([1, 2, 2, 2, 0, 3]), 3);
    expect(c.sorted).toBe(true);
    expect(kept(c)).toEqual([5, 1, 2]);
  });
  it('k <= 0 disables, k > size clamps', () => {
    expect(topK(cands([1, 2]), 0).size).toBe(2);
    expect(kept(topK(cands([1, 2]), 10))).toEqual([1, 0]);
  });
  it('matches a full sort on a 150k vocabulary (the sorted list up to 64 kept, the heap above)', () => {
    const r = new Rng(3);
    const n = 150_000;
    const logits = Array.from({ length: n }, () => Math.round(r.nextFloat() * 2000) / 100); // many ties
    const f32 = Float32Array.from(logits);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => f32[b] - f32[a] || a - b);
    for (const k of [1, 40, 64, 65, 300]) expect(kept(selectTop(cands(logits), k)), `k = ${k}`).toEqual(order.slice(0, k));
    // Ids need not ascend with the index (candidates a stage has reordered): ties still go to the lower id.
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r.nextFloat() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const shuffled: Candidates = { ids: perm, logits: f32, size: n, sorted: false };
    const byId = Array.from({ length: n }, (_, i) => i).sort((a, b) => f32[b] - f32[a] || perm[a] - perm[b]).map((i) => perm[i]);
    for (const k of [40, 300]) expect(kept(selectTop(shuffled, k)), `shuffled ids, k = ${k}`).toEqual(byId.slice(0, k));
  });
});

describe('top-p', () => {
  it('keeps the smallest prefix reaching p (the crossing token included)', () => {
    expect(kept(topP(cands([0, 0, 0, 0]), 0.5))).toEqual([0, 1]); // cum 0.5 >= 0.5
    expect(kept(topP(cands([0, 0, 0, 0]), 0.51))).toEqual([0, 1, 2]);
    // probs 0.5, 0.25, 0.125, 0.125 (logits ln 4, ln 2, 0, 0)
    const c = cands([0, Math.log(4), 0, Math.log(2)]);
    expect(kept(topP(c, 0.6))).toEqual([1, 3]);
    expect(kept(topP(c, 0.1))).toEqual([1]);
  });
  it('p >= 1 disables it', () => {
    const c = cands([3, 1, 2]);
    expect(topP(c, 1)).toBe(c);
  });
  it('on a large unsorted vocabulary agrees with a full sort (both the 256 shortcut and the fallback)', () => {
    const r = new Rng(11);
    const n = 5000;
    for (const [scale, p] of [[8, 0.9], [0.01, 0.95]] as const) {
      const logits = Array.from({ length: n }, () => r.nextFloat() * scale);
      const got = kept(topP(cands(logits), p));
      const f32 = Float32Array.from(logits);
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => f32[b] - f32[a] || a - b);
      const max = f32[order[0]];
      const sum = order.reduce((s, i) => s + Math.exp(f32[i] - max), 0);
      let cum = 0;
      let m = 0;
      while (m < n) {
        cum += Math.exp(f32[order[m]] - max) / sum;
        m++;
        if (cum >= p) break;
      }
      expect(got).toEqual(order.slice(0, m));
    }
  });
});

describe('min-p', () => {
  // probs relative to max: 1, 0.5, 0.1, 0.01
  const logits = [Math.log(0.01), 0, Math.log(0.1), Math.log(0.5)];
  it('keeps tokens with prob >= p * max prob', () => {
    expect(kept(minP(cands(logits), 0.2)).sort()).toEqual([1, 3]);
    expect(kept(minP(cands(logits), 0.05)).sort()).toEqual([1, 2, 3]);
    expect(kept(minP(cands(logits), 0.9))).toEqual([1]);
  });
  it('works the same on sorted candidates and is off at p <= 0', () => {
    expect(kept(minP(topK(cands(logits), 4), 0.2))).toEqual([1, 3]);
    expect(minP(cands(logits), 0).size).toBe(4);
  });
});

describe('penalties (llama.cpp definition)', () => {
  it('divides positive logits, multiplies non-positive ones, then subtracts frequency and presence', () => {
    const l = Float32Array.from([2, -2, 0, 1]);
    applyPenalties(l, new Map([[0, 2], [1, 1], [2, 1]]), 2, 0.5, 0.25);
    expect(Array.from(l)).toEqual([2 / 2 - 1.25, -2 * 2 - 0.75, 0 - 0.75, 1]);
  });
  it('only counts the last penaltyLastN accepted tokens', () => {
    const s = new Sampler({ temperature: 0, repeatPenalty: 1, frequencyPenalty: 10, penaltyLastN: 2 });
    s.acceptMany([0, 0, 0, 1, 2]);
    expect(s.window()).toEqual([1, 2]);
    // token 0 is no longer penalised; 1 and 2 are
    expect(s.sample(Float32Array.from([1, 5, 5]))).toBe(0);
  });
  it('penaltyLastN = 0 disables them', () => {
    const s = new Sampler({ temperature: 0, repeatPenalty: 100, penaltyLastN: 0 });
    s.acceptMany([0, 0]);
    expect(s.sample(Float32Array.from([5, 1]))).toBe(0);
  });
  it('the sampled token joins the window', () => {
    const s = new Sampler({ temperature: 0, presencePenalty: 10 });
    expect(s.sample(Float32Array.from([5, 1]))).toBe(0);
    expect(s.sample(Float32Array.from([5, 1]))).toBe(1); // 5 - 10 < 1
  });
});

describe('temperature and the whole chain', () => {
  it('scales logits before the softmax', () => {
    const d = distOf(new Sampler({ ...OFF, temperature: 2 }), [0, Math.log(4)]);
    expect(d.get(0)).toBeCloseTo(1 / 3, 6);
    expect(d.get(1)).toBeCloseTo(2 / 3, 6);
  });
  it('default chain on a hand-computed example', () => {
    // probs at t=1: a=0.5, b=0.25, c=0.15, d=0.07, e=0.02, f=0.01
    const p = [0.5, 0.25, 0.15, 0.07, 0.02, 0.01];
    const logits = p.map(Math.log);
    // top-k 40: all. top-p 0.95: cum 0.5,.75,.9,.97 -> keep a,b,c,d. min-p 0.05: >= 0.025 -> a..d.
    // temperature 0.5: q_i ∝ p_i^2 over a..d.
    const sq = p.slice(0, 4).map((x) => x * x);
    const z = sq.reduce((a, b) => a + b, 0);
    const d = distOf(new Sampler({ seed: 1, temperature: 0.5 }), logits);
    expect([...d.keys()]).toEqual([0, 1, 2, 3]);
    for (let i = 0; i < 4; i++) expect(d.get(i)).toBeCloseTo(sq[i] / z, 6);
  });
  it('the same seed gives the same tokens, different seeds differ', () => {
    const r = new Rng(5);
    const rows = Array.from({ length: 300 }, () => Float32Array.from({ length: 50 }, () => r.nextFloat() * 3));
    const run = (seed: number): number[] => {
      const s = new Sampler({ seed, temperature: 1.0, topK: 0, topP: 1, minP: 0 });
      return rows.map((row) => s.sample(row));
    };
    expect(run(1234)).toEqual(run(1234));
    expect(run(1234)).not.toEqual(run(1235));
    // reset() restarts the same stream
    const s = new Sampler({ seed: 77, ...OFF, temperature: 1 });
    const first = rows.slice(0, 20).map((row) => s.sample(row));
    s.reset();
    expect(rows.slice(0, 20).map((row) => s.sample(row))).toEqual(first);
  });
  it('draws follow the distribution (chi-square, fixed seed)', () => {
    const p = [0.1, 0.2, 0.3, 0.4];
    const row = Float32Array.from(p.map(Math.log));
    const s = new Sampler({ ...OFF, temperature: 1, seed: 2024, penaltyLastN: 0 });
    const n = 40000;
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) counts[s.sample(row)]++;
    const chi2 = counts.reduce((acc, c, i) => acc + (c - n * p[i]) ** 2 / (n * p[i]), 0);
    expect(chi2).toBeLessThan(16.27); // df = 3, p = 0.001
  });
  it('without top-k, the min-p-first shortcut keeps exactly what top-p then min-p keep', () => {
    const r = new Rng(21);
    for (const [scale, p, mp] of [[20, 0.95, 0.05], [3, 0.5, 0.01], [40, 0.99, 0.3], [0.5, 0.9, 0.9]] as const) {
      const row = Float32Array.from({ length: 4000 }, () => Math.round(r.nextFloat() * scale * 100) / 100);
      const d = new Sampler({ seed: 1, topK: 0, topP: p, minP: mp }).distribution(row);
      const ref = minP(topP(cands(Array.from(row)), p), mp);
      expect(Array.from(d.ids)).toEqual(kept(ref));
    }
  });
  it('filtered tokens are never drawn', () => {
    const s = new Sampler({ seed: 9, temperature: 1.5, topK: 2, topP: 1, minP: 0 });
    const row = Float32Array.from([3, 0, 2.9, 2.8, -1]);
    for (let i = 0; i < 2000; i++) expect([0, 2]).toContain(s.sample(row));
  });
  it('rejects bad options clearly', () => {
    expect(() => new Sampler({ topK: Number.NaN })).toThrow(/topK/);
    expect(() => new Sampler({ topK: 2.5 })).toThrow(/topK must be an integer, got 2.5/);
    expect(() => new Sampler({ penaltyLastN: 1.5 })).toThrow(/penaltyLastN must be an integer/);
  });
});

describe('exp64 (the sampler\'s exp, the same bits in JS and in the addon)', () => {
  const ulps = (a: number, b: number): number => {
    const v = new Float64Array([a, b]);
    const u = new BigInt64Array(v.buffer);
    return Math.abs(Number(u[0]! - u[1]!));
  };
  it('is within one ulp of Math.exp over the sampler\'s range and beyond', () => {
    const r = mulberry32(5);
    let worst = 0;
    for (let i = 0; i < 200000; i++) {
      const x = i % 2 ? -r() * 60 : (r() - 0.5) * 1400;
      worst = Math.max(worst, ulps(exp64(x), Math.exp(x)));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });
  it('is exact where e^x is, and saturates like Math.exp', () => {
    expect(exp64(0)).toBe(1);
    expect(exp64(-0)).toBe(1);
    expect(exp64(-Infinity)).toBe(0);
    expect(exp64(Infinity)).toBe(Infinity);
    expect(exp64(NaN)).toBeNaN();
    expect(exp64(710)).toBe(Infinity);
    expect(exp64(-746)).toBe(0);
    // subnormal results, down to the smallest
    for (const x of [-708.5, -720, -740, -745]) expect(ulps(exp64(x), Math.exp(x))).toBeLessThanOrEqual(1);
  });
});
