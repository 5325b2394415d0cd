import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { gguf } from '../../engine/gguf/metadata.js';
import { openGGUF } from '../../engine/gguf/reader.js';
import type { GGUFMetadataValue } from '../../engine/gguf/types.js';
import { type GGUFTensorInput, writeGGUF } from '../../engine/gguf/writer.js';
import { quantModelFromGGUF } from '../../engine/model/quant-model.js';
import { QUANT_SCHEMES, resolveScheme, tensorTypeFor } from '../../engine/model/quant-scheme.js';
import { GGMLType, ggmlTypeName } from '../../engine/quant/ggml-type.js';
import { quantType } from '../../engine/quant/registry.js';
import { quantizeWeights } from '../../engine/native/quantize.js';
import { CliError, EXIT } from '../errors.js';
import { printJson } from '../options.js';
import { formatBytes, progress } from '../ui.js';

const SOURCE_TYPES = new Set<number>([GGMLType.F32, GGMLType.F16, GGMLType.BF16]);

function scheme(value: string): string {
  const v = value.toUpperCase();
  if (!QUANT_SCHEMES.includes(v)) throw new InvalidArgumentError(`choose one of ${QUANT_SCHEMES.join(', ')}`);
  return v;
}

export interface QuantizeResult {
  input: string;
  output: string;
  type: string;
  inputBytes: number;
  outputBytes: number;
  /** Tensor count per ggml type in the output. */
  tensors: Record<string, number>;
}

/**
 * Quantise an F32/F16/BF16 GGUF as llama-quantize does (no imatrix): each tensor gets the type its
 * rules give it (tensorTypeFor: the file type's mix, or one type with --pure, and ggml's fallbacks
 * for short rows), with quantizeWeights (the addon's quantisers, else the registry's: the same
 * bytes, ggml's). Tensors it does not quantise (norms, biases, position embeddings) are copied as
 * they are; metadata is kept and general.file_type set to the llama_ftype.
 */
export function quantizeFile(input: string, output: string, type: string, onProgress?: (done: number, total: number) => void, options: { pure?: boolean } = {}): QuantizeResult {
  const scheme = resolveScheme(type, options);
  const file = openGGUF(input);
  try {
    const model = quantModelFromGGUF(file.metadata, file.tensors.map((t) => t.name));
    const total = file.tensors.reduce((n, t) => n + t.byteSize, 0);
    let done = 0;
    const tensors: GGUFTensorInput[] = [];
    const counts: Record<string, number> = {};
    for (const t of file.tensors) {
      const data = file.tensorData(t);
      const target = tensorTypeFor(scheme, t, model);
      if (target !== t.type && !SOURCE_TYPES.has(t.type))
        throw new CliError(`${input} is already quantised (${t.name} is ${ggmlTypeName(t.type)})`, {
          exitCode: EXIT.usage,
          hint: 'quantise from an F32, F16 or BF16 file: requantising loses precision twice',
        });
      let out: Uint8Array;
      if (target === t.type) out = data;
      else {
        const values = new Float32Array(t.elements);
        quantType(t.type).dequantize(data, values);
        out = quantizeWeights(target, values);
      }
      tensors.push({ name: t.name, dims: t.dims, type: target, data: out });
      const n = ggmlTypeName(target);
      counts[n] = (counts[n] ?? 0) + 1;
      done += t.byteSize;
      onProgress?.(done, total);
    }
    const metadata: [string, GGUFMetadataValue][] = [];
    let sawFileType = false;
    let sawVersion = false;
    for (const [k, v] of file.metadata) {
      if (k === 'general.file_type') {
        metadata.push([k, gguf.u32(scheme.ftype)]);
        sawFileType = true;
      } else if (k === 'general.quantization_version') {
        metadata.push([k, gguf.u32(2)]);
        sawVersion = true;
      } else metadata.push([k, v]);
    }
    if (!sawFileType) metadata.push(['general.file_type', gguf.u32(scheme.ftype)]);
    // llama-quantize writes the quantisation version into every file, float ones too.
    if (!sawVersion) metadata.push(['general.quantization_version', gguf.u32(2)]);
    writeGGUF(output, { metadata, tensors, alignment: file.alignment });
    return { input, output, type: scheme.name, inputBytes: file.fileSize, outputBytes: statSync(output).size, tensors: counts };
  } finally {
    file.close();
  }
}

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description("quantise an F32/F16/BF16 GGUF model as llama-quantize does (its file types and per-tensor mixes)")
    .argument('<in>', 'the F32, F16 or BF16 .gguf file')
    .argument('<out>', 'where to write the quantised file')
    .requiredOption(
      '--type <type>',
      `${QUANT_SCHEMES.join(', ')}: llama-quantize's file types, each with its per-tensor mix (Q4_K_M: Q6_K for half the ` +
        'attn_v and ffn_down matrices and the output matrix, Q4_K elsewhere); Q3_K, Q4_K and Q5_K put every matrix in that one ' +
        "type (llama-quantize's Q3_K_S/Q4_K_S/Q5_K_S --pure; note llama-quantize itself reads these three as the _M mixes)",
      scheme,
    )
    .option('--pure', "every quantised matrix in the type's main type, output and embeddings included (llama-quantize --pure)")
    .option('-f, --force', 'overwrite OUT if it exists')
    .option('--json', 'print {"input", "output", "type", "inputBytes", "outputBytes", "tensors"}')
    .action((input: string, output: string, opts: { type: string; pure?: boolean; force?: boolean; json?: boolean }) => {
      const inPath = resolve(input);
      const outPath = resolve(output);
      if (!existsSync(inPath)) throw new CliError(`no such file: ${input}`, { exitCode: EXIT.usage });
      if (inPath === outPath) throw new CliError('OUT must differ from IN', { exitCode: EXIT.usage });
      if (existsSync(outPath) && !opts.force) throw new CliError(`${output} exists`, { exitCode: EXIT.usage, hint: 'use --force to overwrite it' });
      const bar = progress(`quantising to ${opts.type}`, { bytes: true, quiet: opts.json });
      const r = quantizeFile(inPath, outPath, opts.type, (d, t) => bar.update(d, t), { pure: opts.pure });
      bar.finish();
      if (opts.json) return printJson(r);
      const mix = Object.entries(r.tensors).map(([t, n]) => `${t} x${n}`).join(', ');
      process.stdout.write(`wrote ${r.output}: ${formatBytes(r.inputBytes)} -> ${formatBytes(r.outputBytes)} (${mix})\n`);
    });
}
