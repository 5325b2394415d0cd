import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { gguf } from '../../engine/gguf/metadata.js';
import { openGGUF } from '../../engine/gguf/reader.js';
import type { GGUFMetadataValue } from '../../engine/gguf/types.js';
import { type GGUFTensorInput, writeGGUF } from '../../engine/gguf/writer.js';
import { QUANT_SCHEMES, tensorTypeFor } from '../../engine/model/quant-scheme.js';
import { GGMLType, ggmlTypeName } from '../../engine/quant/ggml-type.js';
import { quantType } from '../../engine/quant/registry.js';
import { CliError, EXIT } from '../errors.js';
import { printJson } from '../options.js';
import { formatBytes, progress } from '../ui.js';

/** llama.cpp's llama_ftype values for general.file_type ("mostly X"). */
const FILE_TYPE: Record<string, number> = {
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q8_0: 7, Q5_0: 8, Q5_1: 9, Q2_K: 10, Q3_K: 11 /* Q3_K_S */, Q4_K: 14 /* Q4_K_S */, Q5_K: 16 /* Q5_K_S */, Q6_K: 18, Q4_K_M: 15, Q5_K_M: 17, BF16: 32,
};

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
 * Quantise an F32/F16/BF16 GGUF with the engine's reference quantisers (byte-exact with ggml's
 * round-to-nearest, no imatrix): each matrix gets the scheme's type (tensorTypeFor, with ggml's
 * fallbacks), norms and biases stay F32, metadata is kept and general.file_type set.
 */
export function quantizeFile(input: string, output: string, type: string, onProgress?: (done: number, total: number) => void): QuantizeResult {
  const file = openGGUF(input);
  try {
    const total = file.tensors.reduce((n, t) => n + t.byteSize, 0);
    let done = 0;
    const tensors: GGUFTensorInput[] = [];
    const counts: Record<string, number> = {};
    for (const t of file.tensors) {
      const data = file.tensorData(t);
      let target: number = tensorTypeFor(type, t.name, t.dims);
      if (t.dims.length >= 2 && !SOURCE_TYPES.has(t.type) && target !== t.type)
        throw new CliError(`${input} is already quantised (${t.name} is ${ggmlTypeName(t.type)})`, {
          exitCode: EXIT.usage,
          hint: 'quantise from an F32, F16 or BF16 file: requantising loses precision twice',
        });
      const rowLen = t.dims[0] ?? 0;
      if (target !== t.type && rowLen % quantType(target).blockSize !== 0) target = t.type === GGMLType.F32 && t.dims.length < 2 ? GGMLType.F32 : GGMLType.F16;
      let out: Uint8Array;
      if (target === t.type) out = data;
      else {
        const values = new Float32Array(t.elements);
        quantType(t.type).dequantize(data, values);
        out = quantType(target).quantize(values);
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
        metadata.push([k, gguf.u32(FILE_TYPE[type] ?? 0)]);
        sawFileType = true;
      } else if (k === 'general.quantization_version') {
        metadata.push([k, gguf.u32(2)]);
        sawVersion = true;
      } else metadata.push([k, v]);
    }
    if (!sawFileType) metadata.push(['general.file_type', gguf.u32(FILE_TYPE[type] ?? 0)]);
    if (!sawVersion && !['F32', 'F16', 'BF16'].includes(type)) metadata.push(['general.quantization_version', gguf.u32(2)]);
    writeGGUF(output, { metadata, tensors, alignment: file.alignment });
    return { input, output, type, inputBytes: file.fileSize, outputBytes: statSync(output).size, tensors: counts };
  } finally {
    file.close();
  }
}

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description('quantise an F32/F16/BF16 GGUF model to a smaller type')
    .argument('<in>', 'the F32, F16 or BF16 .gguf file')
    .argument('<out>', 'where to write the quantised file')
    .requiredOption('--type <type>', `${QUANT_SCHEMES.join(', ')} (Q4_K_M / Q5_K_M: Q6_K for the sensitive matrices, Q4_K / Q5_K elsewhere)`, scheme)
    .option('-f, --force', 'overwrite OUT if it exists')
    .option('--json', 'print {"input", "output", "type", "inputBytes", "outputBytes", "tensors"}')
    .action((input: string, output: string, opts: { type: string; force?: boolean; json?: boolean }) => {
      const inPath = resolve(input);
      const outPath = resolve(output);
      if (!existsSync(inPath)) throw new CliError(`no such file: ${input}`, { exitCode: EXIT.usage });
      if (inPath === outPath) throw new CliError('OUT must differ from IN', { exitCode: EXIT.usage });
      if (existsSync(outPath) && !opts.force) throw new CliError(`${output} exists`, { exitCode: EXIT.usage, hint: 'use --force to overwrite it' });
      const bar = progress(`quantising to ${opts.type}`, { bytes: true, quiet: opts.json });
      const r = quantizeFile(inPath, outPath, opts.type, (d, t) => bar.update(d, t));
      bar.finish();
      if (opts.json) return printJson(r);
      const mix = Object.entries(r.tensors).map(([t, n]) => `${t} x${n}`).join(', ');
      process.stdout.write(`wrote ${r.output}: ${formatBytes(r.inputBytes)} -> ${formatBytes(r.outputBytes)} (${mix})\n`);
    });
}
