import type { Command } from 'commander';
import { existsSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { metaString } from '../../engine/gguf/metadata.js';
import { openGGUF } from '../../engine/gguf/reader.js';
import { ggmlTypeName } from '../../engine/quant/ggml-type.js';
import { listModelFiles, modelsDir, settings } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { printJson } from '../options.js';
import { formatBytes, paint, table } from '../ui.js';

export interface ModelSummary {
  name: string;
  path: string;
  bytes: number;
  architecture?: string;
  /** The type holding most of the weights' bytes (e.g. Q4_0), or the file's own label. */
  quant?: string;
  parameters?: number;
  default: boolean;
  /** Why the header could not be read, when it could not. */
  error?: string;
}

/** Reads only the header: architecture, dominant quantisation type and parameter count. */
export function describeModelFile(path: string): Pick<ModelSummary, 'architecture' | 'quant' | 'parameters' | 'error'> {
  try {
    const f = openGGUF(path);
    try {
      const bytesByType = new Map<string, number>();
      let parameters = 0;
      for (const t of f.tensors) {
        parameters += t.elements;
        if (t.dims.length < 2) continue;
        const n = ggmlTypeName(t.type);
        bytesByType.set(n, (bytesByType.get(n) ?? 0) + t.byteSize);
      }
      const quant = [...bytesByType.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
      return { architecture: metaString(f.metadata, 'general.architecture'), quant, parameters };
    } finally {
      f.close();
    }
  } catch (e) {
    return { error: (e as Error).message };
  }
}

export function modelSummaries(): ModelSummary[] {
  const def = settings().config.model;
  return listModelFiles().map((m) => ({
    name: m.name,
    path: m.path,
    bytes: m.bytes,
    default: def !== undefined && (def === m.name || def === m.path || `${def}.gguf` === m.name),
    ...describeModelFile(m.path),
  }));
}

export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('list the downloaded models (size, architecture, quantisation); `models rm NAME` deletes one')
    .option('--json', 'print a JSON array')
    .action((opts: { json?: boolean }) => {
      const list = modelSummaries();
      if (opts.json) return printJson(list);
      if (list.length === 0) {
        process.stdout.write(`no models in ${modelsDir()}\n`);
        process.stdout.write(paint('dim', 'get one with `localgpt pull qwen2.5-0.5b-instruct`, or `localgpt demo` for a built-in one\n'));
        return;
      }
      const rows = [['NAME', 'SIZE', 'ARCH', 'QUANT', 'PARAMS'].map((h) => h)];
      for (const m of list)
        rows.push([
          `${m.name}${m.default ? ' *' : ''}`,
          formatBytes(m.bytes),
          m.architecture ?? '?',
          m.quant ?? '?',
          m.error ? `unreadable: ${m.error}` : m.parameters !== undefined ? `${(m.parameters / 1e6).toFixed(1)}M` : '?',
        ]);
      table(rows);
      if (list.some((m) => m.default)) process.stdout.write(paint('dim', '* the default model\n'));
    });

  models
    .command('rm')
    .alias('remove')
    .description('delete a downloaded model (and any partial download of it)')
    .argument('<name>', 'file name in the models directory (with or without .gguf)')
    .option('--json', 'print {"removed": PATH}')
    .action((name: string, opts: { json?: boolean }) => {
      const file = basename(name).toLowerCase().endsWith('.gguf') ? basename(name) : `${basename(name)}.gguf`;
      if (basename(name) !== name) throw new CliError(`give a model name, not a path: ${name}`, { exitCode: EXIT.usage, hint: 'see `localgpt models`' });
      const path = join(modelsDir(), file);
      const partial = [`${path}.part`, `${path}.part.json`].filter(existsSync);
      if (!existsSync(path) && partial.length === 0) throw new CliError(`no model ${file} in ${modelsDir()}`, { exitCode: EXIT.noModel, hint: 'see `localgpt models`' });
      for (const p of [path, ...partial]) rmSync(p, { force: true });
      if (opts.json) return printJson({ removed: path });
      process.stdout.write(`removed ${path}\n`);
      if (settings().config.model === file) process.stdout.write(paint('dim', 'it was the default model: `localgpt config unset model`\n'));
    });
}
