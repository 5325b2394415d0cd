/// <reference types="@webgpu/types" />
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quantType } from '../../quant/registry.js';
import { checked, type KernelFeatures, type WebGPUDevice } from './device.js';

/**
 * The WGSL sources in kernels/ and the compiled pipelines, cached per device and feature set. A
 * module is the op's file with what it needs prepended: the word readers, the quantisation type's
 * decoder (kernels/quant/<type>.wgsl, found by the registry name, so a new type needs one WGSL
 * file), the per-submit Step uniform's struct, and the workgroup reductions (subgroup or
 * shared-memory variant).
 *
 * BLOCK_SIZE and BLOCK_BYTES (ggml's layout) come from the registry's row for the type, written
 * ahead of its file; the file defines UNIT, the values it decodes
 * at once (8 or 16, from whole-word loads), UV = UNIT / 4, and SPAN, the aligned run of a row
 * that a consecutive group of units covers (matmul's K slice); unit_pos(u, k), the row position
 * of vec4 k of unit u; unit_w(rb, u), unit u of the row at byte rb as UV vec4s; elem(rb, e), a
 * single value, for the ragged end of F32/F16/BF16 rows; and, for the integer path, unit_i8().
 */

export type OpName =
  | 'matvec' | 'matmul' | 'get_rows' | 'matvec_q8' | 'matmul_q8' | 'quantize_q8'
  | 'norm' | 'rope' | 'kv_store' | 'attention' | 'activation' | 'argmax';

const USES_QUANT = new Set<OpName>(['matvec', 'matmul', 'get_rows', 'matvec_q8', 'matmul_q8']);
const USES_REDUCE = new Set<OpName>(['matvec', 'matvec_q8', 'norm', 'attention']);
/** The ops that run on a batch and read the per-submit Step uniform (common/step.wgsl). */
const USES_STEP = new Set<OpName>(['matmul', 'matmul_q8', 'get_rows', 'quantize_q8', 'norm', 'rope', 'kv_store', 'attention', 'activation', 'argmax']);

let kernelDir: string | undefined;

/** kernels/ at the package root, found upwards from this file (src/ in the checkout, dist/ when built). */
export function kernelsDirectory(): string {
  if (kernelDir) return kernelDir;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'kernels');
    if (existsSync(join(candidate, 'matvec.wgsl'))) return (kernelDir = candidate);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('the WGSL kernels directory (kernels/) was not found next to the package');
}

const sources = new Map<string, string>();
function source(rel: string): string {
  let s = sources.get(rel);
  if (s === undefined) {
    const path = join(kernelsDirectory(), rel);
    if (!existsSync(path)) throw new Error(`missing WGSL kernel ${rel}`);
    s = readFileSync(path, 'utf8');
    sources.set(rel, s);
  }
  return s;
}

/**
 * Whether a type has the integer path (its file defines unit_i8(): 32-value blocks whose units
 * are 8 values in two 4-value runs, as packed signed bytes with a scale and a min), which the
 * *_q8 kernels run against activations quantised to Q8 blocks.
 */
export function hasIntPath(type: number): boolean {
  const rel = quantKernelFile(type);
  return rel !== undefined && source(rel).includes('fn unit_i8(');
}

/** The WGSL file with a type's unit decoder, or undefined when there is none. */
export function quantKernelFile(type: number): string | undefined {
  const rel = `quant/${quantType(type).name.toLowerCase()}.wgsl`;
  return existsSync(join(kernelsDirectory(), rel)) ? rel : undefined;
}

/** The F16 weight tile of matmul is stored as f16 when the device can: lossless, half the workgroup memory. */
function f16Tile(op: OpName, f: KernelFeatures, type?: number): boolean {
  return op === 'matmul' && f.shaderF16 && type !== undefined && quantType(type).name === 'F16';
}

/** The full WGSL module text for an op (and weight type, for the ops that read weights). */
export function moduleSource(op: OpName, f: KernelFeatures, type?: number): string {
  const { subgroups } = f;
  const parts: string[] = [];
  if (f16Tile(op, f, type)) parts.push('enable f16;');
  if (USES_REDUCE.has(op) && subgroups) parts.push('enable subgroups;');
  if (USES_QUANT.has(op)) {
    if (type === undefined) throw new Error(`${op} needs a weight type`);
    const q = quantType(type);
    const rel = quantKernelFile(type);
    if (!rel) throw new Error(`no WGSL kernel for ${q.name} (expected kernels/quant/${q.name.toLowerCase()}.wgsl)`);
    parts.push(
      `const BLOCK_SIZE: u32 = ${q.blockSize}u;\nconst BLOCK_BYTES: u32 = ${q.bytesPerBlock}u;`,
      source('common/bytes.wgsl'), source('quant/units.wgsl'), source('quant/k_scales.wgsl'), source('quant/iq4_levels.wgsl'), source(rel),
    );
    // The element type of matmul's weight tile in workgroup memory.
    if (op === 'matmul') parts.push(`alias WT = ${f16Tile(op, f, type) ? 'f16' : 'f32'};`);
  }
  if (USES_STEP.has(op)) parts.push(source('common/step.wgsl'));
  if (USES_REDUCE.has(op)) parts.push(source(subgroups ? 'common/reduce_subgroup.wgsl' : 'common/reduce_shared.wgsl'));
  parts.push(source(`${op}.wgsl`));
  return parts.join('\n');
}

export class Kernels {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  /** What these pipelines use: the device's features unless a caller withholds some (tests, options). */
  readonly features: KernelFeatures;

  constructor(readonly gpu: WebGPUDevice, features: KernelFeatures = gpu) {
    this.features = { subgroups: features.subgroups && gpu.subgroups, shaderF16: features.shaderF16 && gpu.shaderF16, dot4: features.dot4 && gpu.dot4 };
  }

  /** The compiled pipeline (compiled once per device, op and type). */
  pipeline(op: OpName, type?: number): Promise<GPUComputePipeline> {
    const key = USES_QUANT.has(op) ? `${op}:${type}` : op;
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.compile(op, type);
      p.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, p);
    }
    return p;
  }

  private async compile(op: OpName, type?: number): Promise<GPUComputePipeline> {
    const code = moduleSource(op, this.features, type);
    const label = USES_QUANT.has(op) ? `${op}:${quantType(type!).name}` : op;
    const { device } = this.gpu;
    const module = await checked(this.gpu, `compiling ${label}`, () => device.createShaderModule({ code, label }));
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      throw new Error(`WGSL ${label} does not compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
    }
    this.gpu.device.pushErrorScope('validation');
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label });
    } catch (e) {
      await device.popErrorScope();
      throw new Error(`creating the ${label} pipeline failed: ${(e as Error).message}`);
    }
    const err = await device.popErrorScope();
    if (err) throw new Error(`creating the ${label} pipeline failed: ${err.message}`);
    return pipeline;
  }
}

const perDevice = new WeakMap<GPUDevice, Map<string, Kernels>>();
/** The pipeline cache for a device and feature set (the device's own features by default). */
export function kernelsFor(gpu: WebGPUDevice, features: KernelFeatures = gpu): Kernels {
  let byFeatures = perDevice.get(gpu.device);
  if (!byFeatures) perDevice.set(gpu.device, (byFeatures = new Map()));
  const key = `${features.subgroups && gpu.subgroups}${features.shaderF16 && gpu.shaderF16}${features.dot4 && gpu.dot4}`;
  let k = byFeatures.get(key);
  if (!k) {
    k = new Kernels(gpu, features);
    byFeatures.set(key, k);
  }
  return k;
}
