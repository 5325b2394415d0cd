import type { Command } from 'commander';
import { loadModel } from '../../engine/model.js';
import { backendChoice, printJson, warn } from '../options.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('describe a GGUF model: architecture, parameters, quantisation mix, vocabulary, context')
    .argument('<model>', 'path to a .gguf file')
    .option('--backend <name>', 'auto, cpu, reference or webgpu', backendChoice, 'reference')
    .option('--json', 'print one JSON object')
    .action(async (path: string, opts: { backend: ReturnType<typeof backendChoice>; json?: boolean }) => {
      const model = await loadModel(path, { backend: opts.backend, contextLength: 1, onWarning: warn });
      try {
        const { contextLength: _unused, ...info } = model.info;
        if (opts.json) return printJson(info);
        const mix = Object.entries(info.quantisation).map(([t, n]) => `${t} x${n}`).join(', ');
        const lines = [
          ['name', info.name ?? '(none)'],
          ['architecture', info.architecture],
          ['parameters', `${(info.parameters / 1e6).toFixed(1)}M (${info.parameters})`],
          ['file size', `${(info.fileSize / 2 ** 20).toFixed(1)} MiB`],
          ['quantisation', mix],
          ['vocabulary', `${info.vocabSize} tokens (${info.tokenizer})`],
          ['context', `${info.trainContextLength} tokens (trained)`],
          ['layers', `${info.blockCount} x ${info.embeddingLength} wide, ${info.headCount} heads (${info.headCountKv} kv)`],
        ];
        for (const [k, v] of lines) process.stdout.write(`${k.padEnd(14)}${v}\n`);
      } finally {
        model.dispose();
      }
    });
}
