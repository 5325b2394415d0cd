import type { Command } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dataDir } from '../../assistant/vault/paths.js';
import { writeGGUF } from '../../engine/gguf/writer.js';
import { loadModel } from '../../engine/model.js';
import { gpt2Vocabulary } from '../../engine/model/gpt2-vocab.js';
import { syntheticModel } from '../../engine/model/synthetic.js';
import { backendChoice, printJson, warn } from '../options.js';

/**
 * Writes a small built-in model (random weights, GPT-2's real vocabulary) so every feature can be
 * tried offline before a real model is downloaded. Its answers are noise, and it says so.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('write a small built-in model (random weights: its answers are noise) and run it')
    .option('-o, --out <path>', 'where to write it', join(dataDir(), 'models', 'demo-llama-q8_0.gguf'))
    .option('-p, --prompt <text>', 'prompt to continue', 'Once upon a time')
    .option('--backend <name>', 'auto, cpu, reference or webgpu', backendChoice, 'auto')
    .option('--json', 'print one JSON object')
    .action(async (opts: { out: string; prompt: string; backend: ReturnType<typeof backendChoice>; json?: boolean }) => {
      if (!existsSync(opts.out)) {
        mkdirSync(dirname(opts.out), { recursive: true });
        if (!opts.json) process.stderr.write(`writing the demo model to ${opts.out} ...\n`);
        writeGGUF(opts.out, syntheticModel({
          arch: 'llama', vocab: gpt2Vocabulary(), embeddingLength: 256, blockCount: 4, feedForwardLength: 768,
          headCount: 8, headCountKv: 4, contextLength: 2048, quant: 'Q8_0', seed: 2026, name: 'localgpt-demo',
        }));
      }
      const model = await loadModel(opts.out, { backend: opts.backend, onWarning: warn });
      try {
        const result = await model.completeAll(opts.prompt, { maxTokens: 24, sampling: { temperature: 0 } });
        if (opts.json) return printJson({ model: opts.out, backend: model.backend.name, prompt: opts.prompt, text: result.text, timings: result.timings });
        process.stdout.write(`model    ${opts.out} (${(model.info.parameters / 1e6).toFixed(1)}M parameters, ${model.backend.describe()})\n`);
        process.stdout.write(`prompt   ${opts.prompt}\n`);
        process.stdout.write(`answer   ${JSON.stringify(result.text)}\n`);
        process.stdout.write('note     the demo model has random weights: its answers are noise. Try:\n');
        process.stdout.write(`         localgpt generate --model ${opts.out} --prompt "Hello" --json\n`);
      } finally {
        model.dispose();
      }
    });
}
