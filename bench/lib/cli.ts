/**
 * `localgpt bench` (src/cli/commands/bench.ts loads this from the source checkout) and
 * `npx tsx bench/run.ts`: runs the suite, writes JSON + markdown + SVG, compares with an old JSON.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CACHE_DIR } from './paths.js';
import type { BackendName, BenchCase, Mode } from './plan.js';
import { assertReportShape, compareReports, formatComparison, markdownReport, svgChart, type BenchReport } from './report.js';
import { runSuite, suitePlan } from './suite.js';

export interface BenchCliOptions {
  readonly quick?: boolean;
  readonly json?: boolean;
  readonly compare?: string;
  /** With compare: a second report to compare against instead of running the suite. */
  readonly against?: string;
  readonly threshold?: number;
  readonly out?: string;
  readonly threads?: number;
  readonly runs?: number;
  readonly peers?: boolean;
  readonly kernels?: boolean;
  readonly plan?: boolean;
  readonly backends?: string;
  readonly models?: string;
  readonly quants?: string;
  readonly prompts?: string;
}

const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

export function describePlan(cases: readonly BenchCase[]): string {
  return cases.map((c) => `${c.model.name} ${c.quant} ${c.backend} threads=${c.threads} prompt=${c.promptTokens} decode=${c.decodeTokens} runs=${c.runs}+${c.warmup} peer=${c.peer}`).join('\n');
}

export function readReport(path: string): BenchReport {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the bench report ${path}: ${(err as Error).message}`);
  }
  assertReportShape(value);
  return value;
}

/** Returns the process exit code: 0, or 1 when --compare found a regression. */
export async function benchMain(o: BenchCliOptions): Promise<number> {
  const mode: Mode = o.quick ? 'quick' : 'full';
  const threshold = o.threshold ?? 0.1;
  const suite = {
    mode,
    threads: o.threads,
    runs: o.runs,
    peers: o.peers,
    kernels: o.kernels,
    backends: list(o.backends) as BackendName[] | undefined,
    models: list(o.models),
    quants: list(o.quants),
    prompts: list(o.prompts)?.map(Number),
  };
  if (o.plan) {
    const cases = suitePlan(suite);
    if (o.json) process.stdout.write(`${JSON.stringify({ mode, rows: cases.map((c) => ({ model: c.model.name, quant: c.quant, backend: c.backend, threads: c.threads, prompt_tokens: c.promptTokens, decode_tokens: c.decodeTokens, runs: c.runs, warmup: c.warmup, peer: c.peer })) })}\n`);
    else process.stdout.write(`${describePlan(cases)}\n`);
    return 0;
  }
  const old = o.compare ? readReport(o.compare) : undefined;
  let report: BenchReport;
  if (o.against) {
    report = readReport(o.against);
  } else {
    const t0 = performance.now();
    report = await runSuite(suite);
    const outDir = resolve(o.out ?? join(CACHE_DIR, 'results'));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'bench.json'), `${JSON.stringify(report, null, 1)}\n`);
    writeFileSync(join(outDir, 'bench.md'), markdownReport(report));
    writeFileSync(join(outDir, 'bench.svg'), svgChart(report));
    process.stderr.write(`bench: ${((performance.now() - t0) / 1e3).toFixed(0)} s; wrote bench.json, bench.md, bench.svg to ${outDir}\n`);
    if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(markdownReport(report));
  }
  if (old) {
    const c = compareReports(old, report, threshold);
    process.stderr.write(`${formatComparison(c, threshold)}\n`);
    return c.regressions.length ? 1 : 0;
  }
  return 0;
}
