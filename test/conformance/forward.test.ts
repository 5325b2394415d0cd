import { beforeAll, describe, expect, it } from 'vitest';
import { openGGUF } from '../../src/engine/gguf/reader.js';
import type { Backend } from '../../src/engine/backend/backend.js';
import { cpuAvailable, cpuBackend } from '../../src/engine/backend/cpu/index.js';
import { loadNative } from '../../src/engine/native/load.js';
import { referenceBackend } from '../../src/engine/backend/reference/index.js';
import { loadWeights } from '../../src/engine/model/load-weights.js';
import { QUANT_SCHEMES } from '../../src/engine/model/quant-scheme.js';
import type { Architecture } from '../../src/engine/model/config.js';
import { smallGpt2Vocab } from '../fixtures/small-vocab.js';
import { askLlamaCpp, oracleInstalled, type OracleResult } from '../peers/oracle.js';
import { hostVariant, variantHasAvx512, variantHasBf16 } from '../peers/ggml-ops.js';
import { testModelPath, type TestModel } from './models.js';

/**
 * The forward pass against llama.cpp on the same GGUF: every architecture x quantisation scheme,
 * seeded random weights, a real (GPT-2) vocabulary cut to 1024 tokens so 60 models stay fast.
 */
const ARCHS: readonly Architecture[] = ['llama', 'qwen2', 'gpt2'];
const PROMPT = [10, 200, 300, 400, 17, 5, 900, 33];
const GREEDY = 32;

/**
 * Log-probabilities relative to the top token, over llama.cpp's 20 likeliest. The reference rounds
 * activations exactly as ggml's CPU dot products do (Q8_0/Q8_K/F16/BF16), so what remains is
 * float32 summation order and node-llama-cpp's float32 softmax: observed below 1e-3 with logits
 * spanning about +-20. 0.01 leaves headroom yet fails on any real arithmetic difference (one
 * activation rounding step missing moves these logits by 0.1 or more).
 */
const TOLERANCE = 0.01;

/**
 * Quantised activations make these models chaotic at quantisation ties: when an activation lands
 * within float32 rounding of a Q8 rounding boundary, ggml's SIMD summation order and ours can
 * round it to different integers, and that one step moves the logits by ~0.2. Our reference sums
 * as ggml does up to SIMD lane order (32-blocks, float32 accumulation), which makes 52 of 60
 * models identical; the eight below diverge that way (with float64 accumulation a different set
 * does). How each was checked: the native backend, which equals llama.cpp to 1e-6 on all of them,
 * against the reference along llama.cpp's own greedy path agrees to ~1e-5 up to one step, where
 * the gap jumps to 0.2..0.4 (one activation rounding step) and stays through the KV cache; on
 * three other prompts the two agree to 1e-5 (or show such a jump elsewhere). The step: qwen2 Q3_K
 * and Q3_K_S (their Q3_K tensors are the same) and gpt2 Q2_K and Q6_K at the first token already
 * (0.16..0.28 off the native logits); llama Q2_K at step 22 (the top two then 2.5e-3 apart in the
 * native logits, swapped at step 28), gpt2 Q4_0 at step 28 (swapped at 29), gpt2 Q3_K_L at step 9
 * (swapped there, 2.7e-2 apart). qwen2 Q5_1: step by step against the native backend the logits
 * agree to ~1e-5 except at a few steps that differ by ~0.2, until a later step's top two (8e-3
 * apart) swap. They are expected failures, so the day they match the suite says so.
 */
const TIE_FLIPS = new Set(['gpt2 Q6_K', 'qwen2 Q5_1', 'qwen2 Q3_K', 'qwen2 Q3_K_S', 'llama Q2_K', 'gpt2 Q2_K', 'gpt2 Q4_0', 'gpt2 Q3_K_L']);
/**
 * Where llama.cpp runs a variant with AVX512_BF16 (zen4, cooperlake, sapphirerapids), its BF16
 * products go through vdpbf16ps, which rounds after every product pair: 'llama BF16' then flips a
 * tie against the reference's block sums. The native backend takes the same instruction there and
 * matches to 1e-6, which is what shows the difference is that order and nothing else.
 */
const host = oracleInstalled() ? hostVariant() : undefined;
if (host && variantHasBf16(host)) TIE_FLIPS.add('llama BF16');
/**
 * The same for the native kernels. Each of them computes what llama.cpp's own AVX2 kernel computes,
 * bit for bit (test/conformance/kernels.test.ts checks that output by output): its dot products,
 * the arithmetic of its repacked Q4_0/Q4_K weights and tinyBLAS for float weights in batches. None
 * of the 60 models is a tie flip for them where that holds (for Q2_K on AVX-512, see NOT_MIRRORED).
 */
const NATIVE_TIE_FLIPS = new Set<string>([]);
/**
 * Where our kernels compute what the llama.cpp variant running here computes (our AVX2 path and its
 * haswell variant, our AVX-512 path and its AVX-512 variants: test/conformance/kernels.test.ts), and
 * attention takes its orders too (native/ops/attention.cc), every scheme's logits must agree down to
 * the oracle's float softmax (measured 6e-8..1.1e-7): a bound that fails if any kernel's order
 * drifts (the old orders gave 2e-6..8e-6, the streaming-softmax attention up to 7e-4 on F16).
 */
const EXACT_TOLERANCE = 1e-6;
const nativeIsa = loadNative()?.info().isa;
const sameArithmetic = host !== undefined && ((nativeIsa === 'avx2' && host === 'haswell') || (nativeIsa === 'avx512' && variantHasAvx512(host)));
/**
 * Schemes whose weights llama.cpp repacks on AVX-512 CPUs into an arithmetic our kernels do not
 * reproduce (Q2_K: q2_K_8x8; test/conformance/kernels.test.ts): there the native backend is held to
 * the reference's bound, not to llama.cpp's bits.
 */
const NOT_MIRRORED = new Set(nativeIsa === 'avx512' && host && variantHasAvx512(host) ? ['Q2_K'] : []);
/**
 * qwen2 Q2_K (the mix: Q2_K for attn_q/attn_k/ffn_gate/ffn_up) is a tie between those two
 * arithmetics: llama.cpp's greedy path is the reference's, and the native logits agree with the
 * reference's to ~1e-5 until step 6, where they jump by 0.4 (one activation step), and swap a top
 * two 3.7e-2 apart at step 12; on two of three other prompts native and reference agree to 1e-5.
 */
if (NOT_MIRRORED.has('Q2_K')) NATIVE_TIE_FLIPS.add('qwen2 Q2_K');
const nativeTolerance = (quant: string): number => (sameArithmetic && !NOT_MIRRORED.has(quant) ? EXACT_TOLERANCE : TOLERANCE);
/**
 * Where llama.cpp's variant is known and our path is another (LOCALGPT_ISA=avx2 on an AVX-512
 * machine, say), their sums differ in order by design and continuations flip at ties: the native
 * comparison says nothing then and is skipped. Without a variant to name (no x86 prebuild) it runs
 * at the looser bound, as the reference does.
 */
const nativeSkip = !cpuAvailable() ? 'no native addon' : host !== undefined && !sameArithmetic ? `our ${nativeIsa} path is not the arithmetic of llama.cpp's ${host} variant` : undefined;
if (nativeSkip && cpuAvailable()) console.warn(`native forward conformance skipped: ${nativeSkip}`);

const cases: TestModel[] = ARCHS.flatMap((arch) =>
  QUANT_SCHEMES.map((quant) => ({ arch, quant, vocabName: 'gpt2-1024', vocab: () => smallGpt2Vocab(1024) })),
);

interface Ours { greedy: number[]; firstLogits: Float32Array }

/** With an f16 cache on both sides (how both engines run by default): keys, queries and softmax weights rounded to f16. */
const F16_CACHE_CASES = cases.filter((m) => ['Q8_0', 'F16', 'Q4_K_M'].includes(m.quant));

describe.skipIf(!oracleInstalled())('forward pass conformance with llama.cpp', () => {
  const theirs = new Map<string, OracleResult>();
  const ours = new Map<string, Ours>();

  const native = new Map<string, Ours>();
  const nativeF16 = new Map<string, Ours>();
  const theirsF16 = new Map<string, OracleResult>();

  beforeAll(async () => {
    const paths = cases.map(testModelPath);
    const results = await askLlamaCpp(paths.map((model) => ({ model, eval: { tokens: PROMPT, greedy: GREEDY, contextSize: 128 } })));
    paths.forEach((p, i) => theirs.set(p, results[i]));
    for (const p of paths) ours.set(p, await run(p, referenceBackend));
    if (!nativeSkip) for (const p of paths) native.set(p, await run(p, cpuBackend, { kvType: 'f32' }));
    if (!nativeSkip) {
      const f16Paths = F16_CACHE_CASES.map(testModelPath);
      const r = await askLlamaCpp(f16Paths.map((model) => ({ model, eval: { tokens: PROMPT, greedy: GREEDY, contextSize: 128, kvCache: 'F16' as const } })));
      f16Paths.forEach((p, i) => theirsF16.set(p, r[i]));
      for (const p of f16Paths) nativeF16.set(p, await run(p, cpuBackend, { kvType: 'f16' }));
    }
  }, 600_000);

  for (const m of cases) {
    const name = `${m.arch} ${m.quant}`;
    (TIE_FLIPS.has(name) ? it.fails : it)(name, () => {
      const path = testModelPath(m);
      const them = theirs.get(path)!.eval!;
      const us = ours.get(path)!;
      expect(worstDiff(them, us)).toBeLessThan(TOLERANCE);
      expect(us.greedy).toEqual(them.generated);
    });
  }

  for (const m of cases) {
    const name = `${m.arch} ${m.quant}`;
    const test = nativeSkip ? it.skip : NATIVE_TIE_FLIPS.has(name) ? it.fails : it;
    test(`${name} (native cpu backend)`, () => {
      const path = testModelPath(m);
      const them = theirs.get(path)!.eval!;
      const us = native.get(path)!;
      expect(worstDiff(them, us)).toBeLessThan(nativeTolerance(m.quant));
      expect(us.greedy).toEqual(them.generated);
    });
  }

  for (const m of F16_CACHE_CASES) {
    (nativeSkip ? it.skip : it)(`${m.arch} ${m.quant} (native cpu backend, f16 cache)`, () => {
      const path = testModelPath(m);
      const them = theirsF16.get(path)!.eval!;
      const us = nativeF16.get(path)!;
      expect(worstDiff(them, us)).toBeLessThan(nativeTolerance(m.quant));
      expect(us.greedy).toEqual(them.generated);
    });
  }
});

/**
 * Every prompt length from 1 to 20 on models whose activations round least (F32) or whose kernels
 * group tokens in fours (Q4_K_M): each length moves tokens across vector and tile boundaries in
 * attention, norms and the rows-of-8 products, where an order that differs shows up as a flip.
 */
describe.skipIf(!oracleInstalled() || !cpuAvailable() || !sameArithmetic)('native backend equals llama.cpp at every prompt length 1..20', () => {
  const LENGTHS = Array.from({ length: 20 }, (_, i) => i + 1);
  const TOKENS = [10, 200, 300, 400, 17, 5, 900, 33, 958, 423, 181, 844, 418, 323, 477, 729, 883, 360, 900, 41];
  const models: TestModel[] = (['llama', 'qwen2', 'gpt2'] as const).flatMap((arch) =>
    ['F32', 'Q4_K_M'].map((quant) => ({ arch, quant, vocabName: 'gpt2-1024', vocab: () => smallGpt2Vocab(1024) })),
  );
  for (const m of models) {
    for (const kv of ['F32', 'F16'] as const) {
      it(`${m.arch} ${m.quant}, ${kv.toLowerCase()} cache`, async () => {
        const path = testModelPath(m);
        const theirs = await askLlamaCpp(LENGTHS.map((n) => ({ model: path, eval: { tokens: TOKENS.slice(0, n), greedy: 1, contextSize: 128, kvCache: kv } })));
        const file = openGGUF(path);
        try {
          const weights = loadWeights(file);
          for (let i = 0; i < LENGTHS.length; i++) {
            const options = { contextLength: 128, kvType: kv === 'F16' ? 'f16' : 'f32' };
            const ctx = await cpuBackend.createContext(weights, options);
            const firstLogits = await ctx.eval(TOKENS.slice(0, LENGTHS[i]), 0);
            ctx.dispose();
            expect(worstDiff(theirs[i].eval!, { greedy: [], firstLogits }), `${LENGTHS[i]} tokens`).toBeLessThan(EXACT_TOLERANCE);
          }
        } finally {
          file.close();
        }
      }, 120_000);
    }
  }
});

/**
 * Past 256 positions (four per accumulator lane of AVX-512's 64) attention hands the query heads of
 * one kv head to one task: their value sums and, with an f16 cache, their key products are taken
 * together. At one thread the test models' two heads per kv head share a task; the decode steps
 * after a 262-token prompt run there, and their greedy tokens follow llama.cpp's.
 */
describe.skipIf(!oracleInstalled() || !cpuAvailable() || !sameArithmetic)('native backend equals llama.cpp past 256 positions (heads of a group together)', () => {
  const LONG = Array.from({ length: 262 }, (_, i) => ((i * 7919 + 13) % 990) + 10);
  for (const quant of ['F32', 'Q8_0']) {
    for (const kv of ['F32', 'F16'] as const) {
      it(`llama ${quant}, ${kv.toLowerCase()} cache`, async () => {
        const path = testModelPath({ arch: 'llama', quant, vocabName: 'gpt2-1024', vocab: () => smallGpt2Vocab(1024) });
        const [theirs] = await askLlamaCpp([{ model: path, eval: { tokens: LONG, greedy: 12, contextSize: 288, kvCache: kv } }]);
        const us = await run(path, cpuBackend, { kvType: kv === 'F16' ? 'f16' : 'f32', threads: 1, prompt: LONG, steps: 12, contextLength: 288 });
        expect(worstDiff(theirs.eval!, us)).toBeLessThan(EXACT_TOLERANCE);
        expect(us.greedy).toEqual(theirs.eval!.generated);
      }, 120_000);
    }
  }
});

/** What `run` evaluates and how: the context's options (threads, kvType) beside the prompt and the greedy steps. */
interface RunOptions {
  kvType?: 'f16' | 'f32';
  threads?: number;
  prompt?: number[];
  steps?: number;
  contextLength?: number;
}

async function run(path: string, backend: Backend, options: RunOptions = {}): Promise<Ours> {
  const { prompt = PROMPT, steps = GREEDY, contextLength = 128, ...contextOptions } = options;
  const file = openGGUF(path);
  try {
    const ctx = await backend.createContext(loadWeights(file), { contextLength, ...contextOptions });
    let logits = await ctx.eval(prompt, 0);
    const firstLogits = logits;
    const greedy: number[] = [];
    for (let pos = prompt.length; greedy.length < steps; pos++) {
      let best = 0;
      for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
      greedy.push(best);
      if (greedy.length < steps) logits = await ctx.eval([best], pos);
    }
    ctx.dispose();
    return { greedy, firstLogits };
  } finally {
    file.close();
  }
}

/** Largest difference in log-probability relative to the top token, over llama.cpp's 20 likeliest. */
function worstDiff(them: { firstProbabilities: [number, number][] }, us: Ours): number {
  const [top, pTop] = them.firstProbabilities[0];
  let worst = 0;
  for (const [id, p] of them.firstProbabilities.slice(0, 20)) {
    worst = Math.max(worst, Math.abs(Math.log(p) - Math.log(pTop) - (us.firstLogits[id] - us.firstLogits[top])));
  }
  return worst;
}
