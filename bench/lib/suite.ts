/**
 * The benchmark suite: machine limits, kernel micro-benchmarks, then the latency/throughput table
 * for every planned row with llama.cpp beside it on the same GGUF file.
 */
import { availableParallelism } from 'node:os';
import { cpuAvailable } from '../../src/engine/backend/cpu/index.js';
import { loadNative } from '../../src/engine/native/load.js';
import type { Model } from '../../src/engine/model.js';
import { openBenchModel, summarizeRuns, timeEngineRuns, type EngineRuns } from './engine.js';
import { runKernels } from './kernels.js';
import { betterLimits, betterReadings, describeMachine, limitAt, measureLimits, measureTriad } from './machine.js';
import { ensureModel, modelCost, prefillFlops } from './models.js';
import { hugePageShare, refillInHugePages } from './pages.js';
import { buildHarness, harnessResult, harnessUnavailableReason, peersAvailable, runHarnessRuns, runNodeLlama, type RunTimes } from './peers.js';
import { planCases, REFERENCE_MAX_PROMPT, type BackendName, type BenchCase, type Mode } from './plan.js';
import type { BenchReport, BenchRow, KernelRow, MachineLimits, PeerResult } from './report.js';
import { benchPrompt } from './stats.js';

export interface SuiteOptions {
  readonly mode: Mode;
  /** The most threads to use (default: the CPUs this process may run on); the cpu rows run at 1 and at this. */
  readonly threads?: number;
  readonly runs?: number;
  readonly peers?: boolean;
  readonly kernels?: boolean;
  readonly backends?: readonly BackendName[];
  readonly models?: readonly string[];
  readonly quants?: readonly string[];
  readonly prompts?: readonly number[];
  readonly log?: (s: string) => void;
}

export function availableBackends(): BackendName[] {
  return cpuAvailable() ? ['reference', 'cpu'] : ['reference'];
}

export function defaultThreads(): number {
  return loadNative()?.info().threads ?? availableParallelism();
}

/** The rows a run would time, without timing anything (`localgpt bench --plan`). */
export function suitePlan(o: SuiteOptions): BenchCase[] {
  return planCases({
    mode: o.mode,
    backends: o.backends ?? availableBackends(),
    threads: [1, o.threads ?? defaultThreads()],
    peers: o.peers,
    runs: o.runs,
    models: o.models,
    quants: o.quants,
    prompts: o.prompts,
  });
}

export async function runSuite(o: SuiteOptions): Promise<BenchReport> {
  const started = performance.now();
  const log = o.log ?? ((s: string) => process.stderr.write(`[${((performance.now() - started) / 1e3).toFixed(1).padStart(5)} s] ${s}\n`));
  const quick = o.mode === 'quick';
  const threads = o.threads ?? defaultThreads();
  const notes: string[] = [
    `mode ${o.mode}; every figure is the median of >= 5 timed runs after a warm-up, min and max beside; synthetic models with fixed seeds`,
    `the reference backend (plain TypeScript) runs only on the 15M models with prompts of at most ${REFERENCE_MAX_PROMPT} tokens`,
  ];

  log(`machine limits (${threads} threads) ...`);
  const before: MachineLimits | null = measureLimits(threads, quick, log);

  let kernels: KernelRow[] = [];
  if (o.kernels ?? true) {
    log('kernel micro-benchmarks ...');
    const native = loadNative()?.info();
    kernels = runKernels(
      quick
        ? { rows: 1024, cols: 4096, batch: 16, threads: [threads], isas: native ? [native.isa] : [], reference: true, referenceRows: 64, runs: 5, minMs: 20 }
        : { rows: 4096, cols: 4096, batch: 64, threads: [...new Set([1, threads])], reference: true, referenceRows: 256, runs: 7, minMs: 50 },
      log,
    );
  }

  const cases = suitePlan(o);
  const usePeers = (o.peers ?? true) && peersAvailable();
  const harness = usePeers ? buildHarness(log) : null;
  if (usePeers && !harness) notes.push(`C harness unavailable: ${harnessUnavailableReason()}`);
  if ((o.peers ?? true) && !usePeers) notes.push('llama.cpp peer not installed (npm run peers): peer columns empty');
  const peerThreads = [...new Set([1, threads])];
  // node-llama-cpp builds a fresh thread pool per call, so above 1 thread it decodes far slower on
  // a small machine; quick mode runs it at 1 thread only (the C harness covers every count).
  const nodeLlamaThreads = quick ? [1] : peerThreads;

  // Each row with its prefill arithmetic rate; the fractions of the machine's limits come last,
  // once the limits are final (see below).
  const measured: { row: BenchRow; prefillOpsPerS: number; int8: boolean; nearTriad: number | undefined }[] = [];
  // The host's speed drifts by tens of percent from minute to minute, so per file our rows and
  // llama.cpp's C harness alternate: harness, ours, harness, ours, harness (full mode; quick: one
  // round), each side's runs pooled (node-llama-cpp, never the fastest, runs once before): a ratio
  // then compares figures from the same stretch of time, and one slow minute lands on both sides.
  const rounds = quick ? 1 : 2;
  const files = new Map<string, BenchCase[]>();
  for (const c of cases) {
    const k = `${c.model.name}|${c.quant}`;
    files.set(k, [...(files.get(k) ?? []), c]);
  }
  for (const fileCases of files.values()) {
    const first = fileCases[0];
    const path = ensureModel(first.model, first.quant, log);
    const cost = modelCost(path);
    // Only our cpu rows read the mapping (webgpu uploads the weights; the reference reads them on demand).
    const refilled = fileCases.some((c) => c.backend === 'cpu') && refillInHugePages(path);
    const pk = (x: BenchCase) => `${x.promptTokens}|${x.decodeTokens}`;
    const peerCases = [...new Map(fileCases.filter((x) => x.peer).map((x) => [pk(x), x])).values()];
    const peerRuns = new Map<string, { nodeLlama: PeerResult[]; harness: Map<number, { name: string; runs: RunTimes[] }> }>();
    const perRound = (x: BenchCase) => Math.ceil(x.runs / rounds);
    const harnessPass = () => {
      if (!harness) return;
      for (const x of peerCases) {
        for (const pt of peerThreads) {
          try {
            const got = peerRuns.get(pk(x))!.harness;
            const pass = runHarnessRuns(harness, path, x.promptTokens, x.decodeTokens, pt, perRound(x), x.warmup);
            got.set(pt, { name: pass.name, runs: [...(got.get(pt)?.runs ?? []), ...pass.runs] });
          } catch (err) {
            log(`  ${(err as Error).message}`);
          }
        }
      }
    };
    if (usePeers && peerCases.length) {
      log(`  llama.cpp on ${first.model.name} ${first.quant} (${peerCases.map((x) => x.promptTokens).join(', ')} tokens) ...`);
      const sets = peerCases.map((x) => ({ prompts: Array.from({ length: x.warmup + x.runs }, (_, r) => benchPrompt(x.promptTokens, cost.vocabSize, r)), warmup: x.warmup, decodeTokens: x.decodeTokens }));
      let found: PeerResult[][] = peerCases.map(() => []);
      try {
        found = runNodeLlama(path, sets, nodeLlamaThreads);
      } catch (err) {
        log(`  ${(err as Error).message}`);
      }
      peerCases.forEach((x, i) => peerRuns.set(pk(x), { nodeLlama: found[i], harness: new Map() }));
      harnessPass();
    }

    // The triad next to this file's rows (full mode): the better of a probe just before our rows
    // and one just after, so each row's decode also has a denominator from its own minutes.
    const probeNear = () => (before && !quick ? measureTriad(threads) : null);
    const nearBefore = probeNear();

    // our rows, one model load per backend and thread count, in rounds between harness passes
    const groups = new Map<string, BenchCase[]>();
    for (const c of fileCases) groups.set(`${c.backend}|${c.threads}`, [...(groups.get(`${c.backend}|${c.threads}`) ?? []), c]);
    const runsOf = new Map<BenchCase, EngineRuns>(fileCases.map((c) => [c, { ttft: [], prefill: [], decode: [] }]));
    const models: Model[] = [];
    try {
      for (const group of groups.values()) {
        const g = group[0];
        const ctxLen = Math.max(...group.map((c) => c.promptTokens + c.decodeTokens + 8));
        models.push(await openBenchModel(path, g.backend, ctxLen, g.backend === 'cpu' ? g.threads : undefined));
      }
      for (let round = 0; round < rounds; round++) {
        let gi = 0;
        for (const group of groups.values()) {
          const model = models[gi++];
          for (const c of group) {
            log(`${c.model.name} ${c.quant} ${c.backend} t${c.threads} prompt ${c.promptTokens}${rounds > 1 ? ` (round ${round + 1}/${rounds})` : ''} ...`);
            await timeEngineRuns(model, c.promptTokens, c.decodeTokens, perRound(c), c.warmup, runsOf.get(c)!, round * (perRound(c) + c.warmup));
          }
        }
        if (usePeers && peerCases.length && harness) {
          log(`  llama.cpp C harness again on ${first.model.name} ${first.quant} ...`);
          harnessPass();
        }
      }
      const pages = hugePageShare(path);
      if (pages?.resident) notes.push(`${first.model.name} ${first.quant}: ${(100 * pages.huge / pages.resident).toFixed(0)}% of the file's resident mapped bytes in 2 MiB pages after its rows${refilled ? ' (its page cache refilled through them first)' : ''}`);
    } finally {
      for (const m of models) m.dispose();
    }
    const timed = fileCases.map((c) => ({ c, t: summarizeRuns(runsOf.get(c)!) }));
    const near = nearBefore ? betterReadings(nearBefore, probeNear()) : null;

    for (const { c, t } of timed) {
      const pr = c.peer ? peerRuns.get(pk(c)) : undefined;
      const peers: PeerResult[] = pr
        ? [...pr.nodeLlama, ...[...pr.harness].map(([pt, h]) => harnessResult(h.name, pt, c.promptTokens, c.decodeTokens, h.runs))]
        : [];
      const rowThreads = c.threads;
      const prefillSeconds = t.ttft.median / 1e3;
      const row: BenchRow = {
        model: c.model.name,
        quant: c.quant,
        backend: c.backend,
        threads: rowThreads,
        prompt_tokens: c.promptTokens,
        decode_tokens: c.decodeTokens,
        runs: t.ttft.runs,
        ttft_ms: t.ttft.median,
        ttft_ms_min: t.ttft.min,
        ttft_ms_max: t.ttft.max,
        prefill_tokens_per_s: t.prefill.median,
        decode_tokens_per_s: t.decode.median,
        decode_tokens_per_s_min: t.decode.min,
        decode_tokens_per_s_max: t.decode.max,
        roofline_fraction: null,
        prefill_roofline_fraction: null,
        weight_bytes_per_token: cost.weightBytesPerToken,
        peer: bestOf(peers),
        peers,
      };
      measured.push({ row, prefillOpsPerS: prefillFlops(cost, c.promptTokens) / prefillSeconds, int8: cost.arithmetic === 'int8', nearTriad: limitAt(near ?? undefined, rowThreads) });
      log(`  ${c.backend} t${c.threads}: ttft ${row.ttft_ms.toFixed(1)} ms, prefill ${row.prefill_tokens_per_s.toFixed(0)} tok/s, decode ${row.decode_tokens_per_s.toFixed(1)} tok/s${row.peer ? ` | llama.cpp ${row.peer.prefill_tokens_per_s.toFixed(0)} / ${row.peer.decode_tokens_per_s.toFixed(1)}` : ''}`);
    }
  }
  // The machine's limits are the better of a probe before and one after the rows: a neighbour's
  // load only ever lowers a probe, and a lowered limit would overstate every fraction.
  let limits = before;
  if (before && measured.length && !quick) {
    log('machine limits again ...');
    limits = betterLimits(before, measureLimits(threads, quick, log));
    notes.push('machine limits: the better of two probes, before and after the rows');
    if (measured.some((m) => m.nearTriad)) notes.push('each file\'s rows also have the triad probed next to them (the better of a probe just before and one just after its rows; 96 MiB arrays), for a decode fraction from the same minutes');
  }
  const rows = measured.map(({ row, prefillOpsPerS, int8, nearTriad }): BenchRow => {
    const bw = limitAt(limits?.triad_gb_per_s, row.threads);
    const peak = limitAt(int8 ? limits?.int8_madd_gops : limits?.f32_fma_gflops, row.threads);
    const decodeBytesPerS = row.weight_bytes_per_token * row.decode_tokens_per_s;
    return {
      ...row,
      roofline_fraction: bw ? decodeBytesPerS / (bw * 1e9) : null,
      ...(nearTriad ? { near_triad_gb_per_s: nearTriad, near_roofline_fraction: decodeBytesPerS / (nearTriad * 1e9) } : {}),
      prefill_roofline_fraction: peak ? prefillOpsPerS / (peak * 1e9) : null,
    };
  });
  if (limits) notes.push('decode roofline counts weight bytes only (KV cache reads and activations excluded); prefill peak is int8 multiply-add for block-quantised weights, f32 FMA for F16/F32');
  return { machine: describeMachine(threads, limits, notes), rows, kernels };
}

/** llama.cpp at its best: the fastest variant per metric (named in `name`). */
export function bestOf(peers: readonly PeerResult[]): PeerResult | null {
  if (!peers.length) return null;
  const bestPrefill = peers.reduce((a, b) => (b.prefill_tokens_per_s > a.prefill_tokens_per_s ? b : a));
  const bestDecode = peers.reduce((a, b) => (b.decode_tokens_per_s > a.decode_tokens_per_s ? b : a));
  const label = (p: PeerResult) => `${p.name} t${p.threads}`;
  return {
    name: bestPrefill === bestDecode ? label(bestDecode) : `prefill: ${label(bestPrefill)}; decode: ${label(bestDecode)}`,
    threads: bestDecode.threads,
    ttft_ms: bestPrefill.ttft_ms,
    prefill_tokens_per_s: bestPrefill.prefill_tokens_per_s,
    decode_tokens_per_s: bestDecode.decode_tokens_per_s,
  };
}
