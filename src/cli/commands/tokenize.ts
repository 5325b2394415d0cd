import type { Command } from 'commander';
import { loadModel } from '../../engine/model.js';
import { printJson, warn } from '../options.js';

export function registerTokenize(program: Command): void {
  program
    .command('tokenize')
    .description('print the token ids of a text (BOS/EOS as the model\'s metadata says)')
    .requiredOption('-m, --model <path>', 'path to a .gguf file')
    .argument('<text>', 'the text to tokenise')
    .option('--json', 'print {"ids": [...]}')
    .action(async (text: string, opts: { model: string; json?: boolean }) => {
      const model = await loadModel(opts.model, { backend: 'reference', contextLength: 1, onWarning: warn });
      try {
        const ids = model.tokenize(text);
        if (opts.json) return printJson({ ids });
        for (const id of ids) process.stdout.write(`${id}\t${JSON.stringify(model.tokenizer.tokenText(id))}\n`);
      } finally {
        model.dispose();
      }
    });
}
