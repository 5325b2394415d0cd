import type { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import type { BackendChoice } from '../../engine/backend/select.js';
import type { GenerationResult } from '../../engine/generate.js';
import { loadModel } from '../../engine/model.js';
import { backendChoice, finiteNumber, nonNegativeInt, positiveInt, printJson, warn } from '../options.js';

interface GenerateFlags {
  model: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
  seed?: number;
  threads?: number;
  backend: BackendChoice;
  context?: number;
  json?: boolean;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('continue a prompt (tokenised as `tokenize` does) and stream the text')
    .requiredOption('-m, --model <path>', 'path to a .gguf file')
    .requiredOption('-p, --prompt <text>', 'the prompt')
    .option('-n, --max-tokens <n>', 'most tokens to generate', positiveInt, 128)
    .option('-t, --temperature <t>', '0 for greedy', finiteNumber, 0.8)
    .option('-s, --seed <n>', 'sampling seed', nonNegativeInt)
    .option('--threads <n>', 'CPU threads', positiveInt)
    .option('--backend <name>', 'auto, cpu, reference or webgpu', backendChoice, 'auto')
    .option('-c, --context <n>', 'context length in tokens', positiveInt)
    .option('--json', 'print one JSON object with ids, text and timings')
    .action(async (opts: GenerateFlags) => {
      const t0 = performance.now();
      const model = await loadModel(opts.model, {
        backend: opts.backend,
        threads: opts.threads,
        contextLength: opts.context,
        onWarning: warn,
      });
      const loadMs = performance.now() - t0;
      const abort = new AbortController();
      const onSigint = () => abort.abort();
      process.once('SIGINT', onSigint);
      try {
        const promptIds = model.tokenize(opts.prompt);
        let result: GenerationResult | undefined;
        const stream = model.generateFromTokens(promptIds, {
          maxTokens: opts.maxTokens,
          sampling: { temperature: opts.temperature, seed: opts.seed },
          signal: abort.signal,
          onDone: (r) => (result = r),
        });
        for await (const piece of stream) if (!opts.json) process.stdout.write(piece.text);
        if (!result) throw new Error('generation ended without a result');
        if (opts.json) {
          return printJson({
            prompt_ids: promptIds,
            generated_ids: result.ids,
            text: result.text,
            stop_reason: result.stopReason,
            timings: {
              load_ms: round(loadMs),
              prefill_tokens_per_s: round(result.timings.prefillTokensPerS),
              decode_tokens_per_s: round(result.timings.decodeTokensPerS),
            },
          });
        }
        process.stdout.write('\n');
      } finally {
        process.off('SIGINT', onSigint);
        model.dispose();
      }
    });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
