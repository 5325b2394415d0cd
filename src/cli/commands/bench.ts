import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { positiveInt } from '../options.js';

interface BenchOptions {
  quick?: boolean;
  json?: boolean;
  plan?: boolean;
  compare?: string;
  against?: string;
  threshold?: number;
  out?: string;
  threads?: number;
  runs?: number;
  peers: boolean;
  kernels: boolean;
  backends?: string;
  models?: string;
  quants?: string;
  prompts?: string;
}

/** The repository root when running from a source checkout (src/ or dist/), else undefined. */
function checkoutRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'bench/lib/cli.ts')) && existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/**
 * `localgpt bench`: the benchmark suite lives in bench/ (TypeScript, with C harnesses and the
 * llama.cpp peer), which ships only with the source checkout. It is loaded through tsx's ESM hook
 * (a dev dependency), in this process, so the built CLI and `tsx src/cli/main.ts` both run it.
 */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('latency/throughput table per backend, model, quantisation and prompt length, with llama.cpp side by side and the machine\'s roofline')
    .option('--quick', 'the 15M models, prompts 50 and 128, Q4_0/Q8_0/F16 (under two minutes)')
    .option('--json', 'print the report as one JSON object on stdout')
    .option('--compare <old.json>', 'compare with an earlier --json report; regressions over the threshold exit 1')
    .option('--against <new.json>', 'with --compare: compare two reports without running anything')
    .option('--threshold <fraction>', 'regression threshold for --compare', (v) => Number(v), 0.1)
    .option('--out <dir>', 'where bench.json, bench.md and bench.svg go (default bench/.cache/results)')
    .option('--threads <n>', 'most threads for the cpu backend (rows at 1 and at n)', positiveInt)
    .option('--runs <n>', 'timed runs per row (at least 5)', positiveInt)
    .option('--no-peers', 'skip llama.cpp')
    .option('--no-kernels', 'skip the kernel micro-benchmarks')
    .option('--plan', 'print the rows this mode would run, and stop')
    .option('--backends <list>', 'reference,cpu')
    .option('--models <list>', 'e.g. llama-15M,gpt2-110M')
    .option('--quants <list>', 'e.g. Q4_0,Q8_0,F16,Q4_K_M')
    .option('--prompts <list>', 'prompt lengths, e.g. 50,128,512')
    .action(async (opts: BenchOptions) => {
      const root = checkoutRoot();
      if (!root) throw new Error('localgpt bench needs the source checkout (bench/ is not part of the installed package)');
      try {
        const { register } = await import('tsx/esm/api');
        register();
      } catch (err) {
        throw new Error(`localgpt bench needs the dev dependencies (tsx): ${(err as Error).message}`);
      }
      const mod = (await import(pathToFileURL(join(root, 'bench/lib/cli.ts')).href)) as {
        benchMain(o: BenchOptions): Promise<number>;
      };
      process.exitCode = await mod.benchMain(opts);
    });
}
