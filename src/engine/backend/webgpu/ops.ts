/// <reference types="@webgpu/types" />
import { quantType } from '../../quant/registry.js';
import type { WeightTensor } from '../backend.js';
import { BufferUsage, type WebGPUDevice } from './device.js';
import { hasIntPath, type Kernels } from './kernels.js';

/**
 * Buffers and recorded dispatches. Every op is recorded once (pipeline + bind group + workgroup
 * counts, with its parameters in its own small uniform buffer) when a context is built; a step
 * only writes the 16-byte step uniform (first position, token count) and the token ids, and
 * replays the list into one compute pass. Activations are batches of up to B rows (row t is the
 * token at position step.pos + t); kernels ignore rows t >= step.n.
 */

export interface Dispatch {
  /** The op's own parameter buffer (destroyed with the context that recorded it). */
  readonly params?: GPUBuffer;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly x: number;
  readonly y: number;
}

export function encode(pass: GPUComputePassEncoder, list: readonly Dispatch[]): void {
  for (const d of list) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.x, d.y);
  }
}

const pad4 = (n: number): number => Math.max(4, Math.ceil(n / 4) * 4);

/** A storage buffer holding `bytes` (padded to 4), uploaded at creation. */
export function storageFrom(device: GPUDevice, bytes: Uint8Array | Float32Array | Uint32Array, label?: string): GPUBuffer {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const buffer = device.createBuffer({ size: pad4(u8.byteLength), usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC, mappedAtCreation: true, label });
  new Uint8Array(buffer.getMappedRange()).set(u8);
  buffer.unmap();
  return buffer;
}

export function storage(device: GPUDevice, bytes: number, label?: string): GPUBuffer {
  return device.createBuffer({ size: pad4(bytes), usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC, label });
}

/** A uniform buffer of u32/f32 words; `floats` marks the word indices that are f32. */
export function uniform(device: GPUDevice, words: readonly number[], floats: readonly number[] = []): GPUBuffer {
  const n = Math.max(4, Math.ceil(words.length / 4) * 4);
  const buffer = device.createBuffer({ size: n * 4, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, mappedAtCreation: true });
  const range = buffer.getMappedRange();
  const u = new Uint32Array(range);
  const f = new Float32Array(range);
  words.forEach((w, i) => {
    if (floats.includes(i)) f[i] = w;
    else u[i] = w >>> 0;
  });
  buffer.unmap();
  return buffer;
}

/**
 * A weight matrix on the GPU in ggml's bytes, split by rows into chunks that each fit one storage
 * binding (maxStorageBufferBindingSize; smaller in tests to exercise the split).
 */
export interface GpuMatrix {
  readonly type: number;
  readonly rows: number;
  readonly cols: number;
  readonly rowBytes: number;
  readonly chunks: readonly { readonly buffer: GPUBuffer; readonly firstRow: number; readonly rows: number }[];
}

export function uploadMatrix(device: GPUDevice, t: WeightTensor, maxBindingBytes: number): GpuMatrix {
  const q = quantType(t.type);
  const cols = t.dims[0];
  const rows = t.dims.slice(1).reduce((a, b) => a * b, 1);
  if (cols % q.blockSize !== 0) throw new Error(`${t.name}: rows of ${cols} values are not whole ${q.name} blocks`);
  const rowBytes = (cols / q.blockSize) * q.bytesPerBlock;
  if (t.data.byteLength < rows * rowBytes) throw new Error(`${t.name}: ${t.data.byteLength} bytes, expected ${rows * rowBytes}`);
  const perChunk = Math.floor((maxBindingBytes - 4) / rowBytes);
  if (perChunk < 1) throw new Error(`${t.name}: one row (${rowBytes} bytes) exceeds the GPU's storage binding limit (${maxBindingBytes} bytes)`);
  const chunks = [];
  for (let first = 0; first < rows; first += perChunk) {
    const n = Math.min(perChunk, rows - first);
    const bytes = t.data.subarray(first * rowBytes, (first + n) * rowBytes);
    chunks.push({ buffer: storageFrom(device, bytes, `${t.name}[${first}..${first + n})`), firstRow: first, rows: n });
  }
  return { type: t.type, rows, cols, rowBytes, chunks };
}

/** Workgroup counts for `groups` groups, folded into 2D past the per-dimension limit. */
export function grid(groups: number, maxPerDim: number): [number, number] {
  if (groups <= maxPerDim) return [Math.max(1, groups), 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y];
}

const MATVEC_ROWS = 4;

/** u32 words per token of activations quantised to Q8 blocks (12 per 32 values; see quantize_q8.wgsl). */
export function q8Words(cols: number): number {
  return Math.ceil(cols / 32) * 12;
}

export interface MatvecArgs {
  readonly m: GpuMatrix;
  readonly x: GPUBuffer;
  /**
   * The activations quantised by quantizeQ8 (same tokens, same columns): required, and read
   * instead of x, when intPath(m.type).
   */
  readonly xq?: GPUBuffer;
  readonly y: GPUBuffer;
  readonly outOffset?: number;
  readonly xOffset?: number;
  readonly accumulate?: boolean;
  readonly bias?: GPUBuffer;
  readonly biasOffset?: number;
}

/** Records Y[outOffset + r] (+)= W[r] . X[xOffset..] (+ bias[r]), one dispatch per weight chunk. */
export class Ops {
  readonly device: GPUDevice;
  private readonly dummy: GPUBuffer;
  /** A step uniform for one token at position 0, for ops recorded outside a context. */
  private readonly oneToken: GPUBuffer;
  private readonly maxPerDim: number;

  constructor(readonly gpu: WebGPUDevice, readonly kernels: Kernels) {
    this.device = gpu.device;
    this.dummy = storage(this.device, 16, 'dummy');
    this.oneToken = uniform(this.device, [0, 1, 0, 0]);
    this.maxPerDim = gpu.adapter.limits.maxComputeWorkgroupsPerDimension;
  }

  private bind(pipeline: GPUComputePipeline, buffers: readonly GPUBuffer[]): GPUBindGroup {
    return this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }

  /**
   * Whether matvec/matmul of this weight type take the integer path: the device has dot4I8Packed
   * (and it is not withheld) and the type has a unit_i8() decoder (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL).
   */
  intPath(type: number): boolean {
    return this.kernels.features.dot4 && hasIntPath(type);
  }

  private xqFor(a: MatvecArgs, what: string): GPUBuffer {
    if (!a.xq) throw new Error(`${what} of ${quantType(a.m.type).name} weights runs on the integer path and needs the Q8-quantised activations (xq)`);
    if (a.m.cols % 32 !== 0) throw new Error(`${what}: the integer path needs rows of whole 32-value blocks, got ${a.m.cols}`);
    return a.xq;
  }

  /**
   * Quantises `tokens` rows of `cols` activations (row t at t * xStride + xOffset of x; rows
   * t >= step.n are skipped) to Q8 blocks in xq (q8Words(cols) words per token), for the integer
   * matvec/matmul. Once per input: every projection of the same input reads the same xq.
   */
  async quantizeQ8(a: { x: GPUBuffer; xq: GPUBuffer; cols: number; xStride?: number; xOffset?: number; tokens?: number; step?: GPUBuffer }): Promise<Dispatch> {
    if (a.cols % 32 !== 0) throw new Error(`Q8 activation blocks need a multiple of 32 values, got ${a.cols}`);
    const pipeline = await this.kernels.pipeline('quantize_q8');
    const u = uniform(this.device, [a.cols, a.xStride ?? a.cols, a.xOffset ?? 0, q8Words(a.cols)]);
    const tokens = a.tokens ?? 1;
    if (tokens > this.maxPerDim) throw new Error(`quantising ${tokens} tokens exceeds the workgroup grid`);
    return { params: u, pipeline, bindGroup: this.bind(pipeline, [u, a.step ?? this.oneToken, a.x, a.xq]), x: Math.ceil(a.cols / 32 / 64), y: tokens };
  }

  async matvec(a: MatvecArgs): Promise<Dispatch[]> {
    const int = this.intPath(a.m.type);
    const input = int ? this.xqFor(a, 'matvec') : a.x;
    const pipeline = await this.kernels.pipeline(int ? 'matvec_q8' : 'matvec', a.m.type);
    const flags = (a.accumulate ? 1 : 0) | (a.bias ? 2 : 0);
    return a.m.chunks.map((c) => {
      const u = uniform(this.device, [c.rows, a.m.cols, a.m.rowBytes, (a.outOffset ?? 0) + c.firstRow, a.xOffset ?? 0, flags, (a.biasOffset ?? 0) + c.firstRow, 0]);
      const [x, y] = grid(Math.ceil(c.rows / MATVEC_ROWS), this.maxPerDim);
      return { params: u, pipeline, bindGroup: this.bind(pipeline, [u, c.buffer, input, a.y, a.bias ?? this.dummy]), x, y };
    });
  }

  /**
   * Tiled matrix x matrix over `tokens` activation rows (X row t at t * xStride, Y row t at
   * t * yStride + outOffset): the prefill kernel. One dispatch per weight chunk.
   */
  async matmul(a: MatvecArgs & { tokens: number; xStride: number; yStride: number; step: GPUBuffer }): Promise<Dispatch[]> {
    const int = this.intPath(a.m.type);
    const input = int ? this.xqFor(a, 'matmul') : a.x;
    const pipeline = await this.kernels.pipeline(int ? 'matmul_q8' : 'matmul', a.m.type);
    const flags = (a.accumulate ? 1 : 0) | (a.bias ? 2 : 0);
    // The integer kernel reads xq, whose token stride is fixed by the column count.
    const xStride = int ? q8Words(a.m.cols) : a.xStride;
    return a.m.chunks.map((c) => {
      const u = uniform(this.device, [c.rows, a.m.cols, a.m.rowBytes, a.tokens, xStride, a.yStride, (a.outOffset ?? 0) + c.firstRow, flags, (a.biasOffset ?? 0) + c.firstRow, 0, 0, 0]);
      const x = Math.ceil(c.rows / 16);
      const y = Math.ceil(a.tokens / 16);
      if (x > this.maxPerDim || y > this.maxPerDim) throw new Error(`matmul of ${c.rows} rows x ${a.tokens} tokens exceeds the workgroup grid`);
      return { params: u, pipeline, bindGroup: this.bind(pipeline, [u, c.buffer, input, a.y, a.bias ?? this.dummy, a.step]), x, y };
    });
  }

  /**
   * Embedding rows for a batch of `batch` tokens (ids in `tokens`, or positions), one dispatch
   * per chunk of the matrix; each writes the rows it holds.
   */
  async getRows(m: GpuMatrix, step: GPUBuffer, tokens: GPUBuffer, y: GPUBuffer, which: 'token' | 'position', accumulate: boolean, batch = 1): Promise<Dispatch[]> {
    const pipeline = await this.kernels.pipeline('get_rows', m.type);
    return m.chunks.map((c) => {
      const u = uniform(this.device, [m.cols, m.rowBytes, which === 'position' ? 1 : 0, accumulate ? 1 : 0, c.firstRow, c.rows, 0, 0]);
      // One invocation per unit of 8 or more values.
      return { params: u, pipeline, bindGroup: this.bind(pipeline, [u, step, c.buffer, y, tokens]), x: Math.ceil(m.cols / 8 / 64), y: batch };
    });
  }

  async norm(p: { step: GPUBuffer; x: GPUBuffer; y: GPUBuffer; n: number; mode: 'rms' | 'layer'; eps: number; weight: GPUBuffer; bias?: GPUBuffer; batch?: number }): Promise<Dispatch> {
    const pipeline = await this.kernels.pipeline('norm');
    const u = uniform(this.device, [p.n, p.mode === 'layer' ? 1 : 0, p.bias ? 1 : 0, p.eps], [3]);
    return { params: u, pipeline, bindGroup: this.bind(pipeline, [u, p.x, p.y, p.weight, p.bias ?? this.dummy, p.step]), x: p.batch ?? 1, y: 1 };
  }

  /** `stride`: floats per token row of the fused QKV buffer (default: q + k + v widths). */
  async rope(p: { step: GPUBuffer; qkv: GPUBuffer; freqs: GPUBuffer; heads: number; headsKv: number; headDim: number; dims: number; mode: 'norm' | 'neox'; stride?: number; batch?: number }): Promise<Dispatch> {
    const pipeline = await this.kernels.pipeline('rope');
    const stride = p.stride ?? (p.heads + 2 * p.headsKv) * p.headDim;
    const u = uniform(this.device, [p.heads, p.headsKv, p.headDim, p.dims, p.mode === 'norm' ? 0 : 1, p.heads * p.headDim, stride, 0]);
    const pairs = (p.heads + p.headsKv) * (p.dims / 2);
    return { params: u, pipeline, bindGroup: this.bind(pipeline, [u, p.step, p.qkv, p.freqs]), x: Math.ceil(pairs / 64), y: p.batch ?? 1 };
  }

  async kvStore(step: GPUBuffer, qkv: GPUBuffer, k: GPUBuffer, v: GPUBuffer, qDim: number, kvDim: number, batch = 1): Promise<Dispatch> {
    const pipeline = await this.kernels.pipeline('kv_store');
    const u = uniform(this.device, [qDim, kvDim, qDim + 2 * kvDim, 0]);
    return { params: u, pipeline, bindGroup: this.bind(pipeline, [u, step, qkv, k, v]), x: Math.ceil(kvDim / 64), y: batch };
  }

  /** Scores scratch: batch x heads x ctx floats. q rows are the fused QKV rows. */
  async attention(p: { step: GPUBuffer; q: GPUBuffer; k: GPUBuffer; v: GPUBuffer; scores: GPUBuffer; out: GPUBuffer; heads: number; headsKv: number; headDim: number; ctx: number; batch?: number }): Promise<Dispatch> {
    const pipeline = await this.kernels.pipeline('attention');
    const qStride = (p.heads + 2 * p.headsKv) * p.headDim;
    const u = uniform(this.device, [p.heads, p.headsKv, p.headDim, p.headsKv * p.headDim, p.ctx, 1 / Math.sqrt(p.headDim), qStride, 0], [5]);
    return { params: u, pipeline, bindGroup: this.bind(pipeline, [u, p.step, p.q, p.k, p.v, p.scores, p.out]), x: p.heads, y: p.batch ?? 1 };
  }

  /** On step.n rows of n values. mode: 'swiglu' a = a * silu(g); 'gelu'; 'silu'; 'mul' a = a * g; 'add' a = a + g. */
  async activation(step: GPUBuffer, a: GPUBuffer, n: number, mode: 'swiglu' | 'gelu' | 'silu' | 'mul' | 'add', g?: GPUBuffer, batch = 1): Promise<Dispatch> {
    const pipeline = await this.kernels.pipeline('activation');
    const m = ['swiglu', 'gelu', 'silu', 'mul', 'add'].indexOf(mode);
    const u = uniform(this.device, [n, m, 0, 0]);
    const [x, y] = grid(Math.ceil((n * batch) / 64), this.maxPerDim);
    if (y > 1) throw new Error(`activation of ${n * batch} values exceeds the workgroup grid`);
    return { params: u, pipeline, bindGroup: this.bind(pipeline, [u, a, g ?? this.dummy, step]), x, y };
  }

  /** Argmax of the last row (step.n - 1) of n-wide logits. */
  async argmax(step: GPUBuffer, logits: GPUBuffer, n: number, result: GPUBuffer): Promise<Dispatch> {
    const pipeline = await this.kernels.pipeline('argmax');
    const u = uniform(this.device, [n, 0, 0, 0]);
    return { params: u, pipeline, bindGroup: this.bind(pipeline, [u, logits, result, step]), x: 1, y: 1 };
  }
}

/** Copies `bytes` of `src` back to the CPU (tests and logits readback). */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: pad4(bytes), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, offset, staging, 0, pad4(bytes));
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(0x1);
  const out = staging.getMappedRange().slice(0, bytes);
  staging.unmap();
  staging.destroy();
  return out;
}
