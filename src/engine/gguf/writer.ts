import { closeSync, fsyncSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { AlignedChunks } from './aligned-chunks.js';
import { ggmlByteSize, ggmlTypeName } from '../quant/ggml-type.js';
import { GGUFError } from './errors.js';
import { GGUFValueType, type GGUFMetadataValue, type GGUFValue } from './types.js';

export interface GGUFTensorInput {
  readonly name: string;
  /** ggml order: dims[0] is the row length. */
  readonly dims: readonly number[];
  readonly type: number;
  /** Exactly the tensor's ggml bytes. */
  readonly data: Uint8Array;
}

export interface GGUFWriteInput {
  /** Insertion order is kept in the file. */
  readonly metadata: Iterable<readonly [string, GGUFMetadataValue]>;
  readonly tensors: readonly GGUFTensorInput[];
  /** Defaults to general.alignment when present, else 32. */
  readonly alignment?: number;
}

/** Serialises a GGUF v3 image in memory (for small files: tests, fuzzing). */
export function encodeGGUF(input: GGUFWriteInput): Uint8Array {
  const parts: Uint8Array[] = [];
  writeParts(input, (b) => parts.push(b));
  // A fresh Uint8Array, not a Buffer that may share Node's pool: callers get their own ArrayBuffer.
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Writes a GGUF v3 file atomically: into a temporary file beside it, synced, then renamed, so a
 * crash never leaves a half-written model under the final name.
 */
export function writeGGUF(path: string, input: GGUFWriteInput): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    // In whole aligned chunks, so the page cache can hold the new file in huge pages (aligned-chunks.ts).
    const out = AlignedChunks.toFile(fd);
    writeParts(input, (b) => out.push(b));
    out.flush();
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try { closeSync(fd); } catch { /* already closed */ }
    try { unlinkSync(tmp); } catch { /* nothing to remove */ }
    throw err;
  }
}

function writeParts(input: GGUFWriteInput, emit: (bytes: Uint8Array) => void): void {
  const metadata = [...input.metadata];
  const alignEntry = metadata.find(([k]) => k === 'general.alignment');
  const alignment = input.alignment ?? (alignEntry ? Number(alignEntry[1].value) : 32);
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new GGUFError(`alignment must be a power of two, got ${alignment}`);
  }

  const h = new HeaderBuilder();
  h.u32(0x46554747);
  h.u32(3);
  h.u64(input.tensors.length);
  h.u64(metadata.length);
  for (const [key, value] of metadata) {
    h.string(key);
    h.value(value.type, value.value, value.itemType, key);
  }
  let offset = 0;
  for (const t of input.tensors) {
    const elements = t.dims.reduce((a, b) => a * b, 1);
    const size = ggmlByteSize(t.type, t.dims[0] ?? 0) === undefined ? undefined : ggmlByteSize(t.type, elements);
    if (size === undefined) throw new GGUFError(`tensor "${t.name}": rows of ${t.dims[0]} are not whole ${ggmlTypeName(t.type)} blocks`);
    if (size !== t.data.byteLength) {
      throw new GGUFError(`tensor "${t.name}": ${t.data.byteLength} bytes given, ${ggmlTypeName(t.type)} [${t.dims.join(', ')}] needs ${size}`);
    }
    h.string(t.name);
    h.u32(t.dims.length);
    for (const d of t.dims) h.u64(d);
    h.u32(t.type);
    h.u64(offset);
    offset = alignUp(offset + size, alignment);
  }
  const header = h.finish();
  emit(header);
  emit(new Uint8Array(alignUp(header.byteLength, alignment) - header.byteLength));
  for (const t of input.tensors) {
    emit(t.data);
    const pad = alignUp(t.data.byteLength, alignment) - t.data.byteLength;
    if (pad) emit(new Uint8Array(pad));
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

class HeaderBuilder {
  private buf = Buffer.alloc(1 << 16);
  private len = 0;
  private readonly encoder = new TextEncoder();

  private reserve(n: number): void {
    if (this.len + n <= this.buf.byteLength) return;
    const next = Buffer.alloc(Math.max(this.buf.byteLength * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u32(v: number): void { this.reserve(4); this.buf.writeUInt32LE(v, this.len); this.len += 4; }
  u64(v: number | bigint): void { this.reserve(8); this.buf.writeBigUInt64LE(BigInt(v), this.len); this.len += 8; }

  string(s: string): void {
    const b = this.encoder.encode(s);
    this.u64(b.byteLength);
    this.reserve(b.byteLength);
    this.buf.set(b, this.len);
    this.len += b.byteLength;
  }

  value(type: GGUFValueType, v: GGUFValue, itemType: GGUFValueType | undefined, key: string): void {
    this.u32(type);
    this.payload(type, v, itemType, key);
  }

  private payload(type: GGUFValueType, v: GGUFValue, itemType: GGUFValueType | undefined, key: string): void {
    const bad = (): never => { throw new GGUFError(`metadata "${key}": value does not match type ${GGUFValueType[type] ?? type}`); };
    if (type === GGUFValueType.ARRAY) {
      if (!Array.isArray(v) || itemType === undefined) return bad();
      this.u32(itemType);
      this.u64(v.length);
      for (const item of v) {
        if (itemType === GGUFValueType.ARRAY) {
          const inner = inferItemType(item);
          this.payload(GGUFValueType.ARRAY, item, inner, key);
        } else this.payload(itemType, item, undefined, key);
      }
      return;
    }
    if (type === GGUFValueType.STRING) return typeof v === 'string' ? this.string(v) : bad();
    if (type === GGUFValueType.BOOL) {
      if (typeof v !== 'boolean') return bad();
      this.reserve(1); this.buf.writeUInt8(v ? 1 : 0, this.len); this.len += 1;
      return;
    }
    if (typeof v !== 'number' && typeof v !== 'bigint') return bad();
    const n = Number(v);
    const at = this.len;
    switch (type) {
      case GGUFValueType.UINT8: this.reserve(1); this.buf.writeUInt8(n, at); this.len += 1; break;
      case GGUFValueType.INT8: this.reserve(1); this.buf.writeInt8(n, at); this.len += 1; break;
      case GGUFValueType.UINT16: this.reserve(2); this.buf.writeUInt16LE(n, at); this.len += 2; break;
      case GGUFValueType.INT16: this.reserve(2); this.buf.writeInt16LE(n, at); this.len += 2; break;
      case GGUFValueType.UINT32: this.reserve(4); this.buf.writeUInt32LE(n, at); this.len += 4; break;
      case GGUFValueType.INT32: this.reserve(4); this.buf.writeInt32LE(n, at); this.len += 4; break;
      case GGUFValueType.FLOAT32: this.reserve(4); this.buf.writeFloatLE(n, at); this.len += 4; break;
      case GGUFValueType.FLOAT64: this.reserve(8); this.buf.writeDoubleLE(n, at); this.len += 8; break;
      case GGUFValueType.UINT64: this.reserve(8); this.buf.writeBigUInt64LE(BigInt(v), at); this.len += 8; break;
      case GGUFValueType.INT64: this.reserve(8); this.buf.writeBigInt64LE(BigInt(v), at); this.len += 8; break;
      default: bad();
    }
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** Nested arrays carry no declared item type in our in-memory form: infer it from the first item. */
function inferItemType(v: GGUFValue): GGUFValueType {
  if (!Array.isArray(v) || v.length === 0) return GGUFValueType.INT32;
  const first = v[0];
  if (Array.isArray(first)) return GGUFValueType.ARRAY;
  if (typeof first === 'string') return GGUFValueType.STRING;
  if (typeof first === 'boolean') return GGUFValueType.BOOL;
  if (typeof first === 'bigint') return GGUFValueType.INT64;
  return Number.isInteger(first) ? GGUFValueType.INT32 : GGUFValueType.FLOAT32;
}
