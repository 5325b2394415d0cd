import { GGML_TYPE_GEOMETRY, ggmlTypeName } from '../quant/ggml-type.js';
import { bufferSource, fileSource, type ByteSource } from './byte-source.js';
import { loadNative } from '../native/load.js';
import { GGUFError } from './errors.js';
import {
  GGUFValueType,
  type GGUFMetadata,
  type GGUFMetadataValue,
  type GGUFTensorInfo,
  type GGUFValue,
} from './types.js';

export interface GGUFFile {
  readonly version: number;
  readonly metadata: GGUFMetadata;
  readonly tensors: readonly GGUFTensorInfo[];
  readonly alignment: number;
  /** Absolute file offset of the tensor-data section. */
  readonly dataOffset: number;
  readonly fileSize: number;
  /** True when the file is memory-mapped: tensor data are views of the page cache, not copies. */
  readonly mapped: boolean;
  /** The tensor's bytes (a view when mapped or in memory, read on demand otherwise). */
  tensorData(tensor: GGUFTensorInfo): Uint8Array;
  /** Closes the file; a mapping is released when its views are garbage-collected. */
  close(): void;
}

export interface OpenGGUFOptions {
  /** Map the file when the native addon is present (default true); else read on demand. */
  readonly mmap?: boolean;
}

/** Opens a GGUF file and parses its header; tensor data is mapped or read only when asked for. */
export function openGGUF(path: string, options: OpenGGUFOptions = {}): GGUFFile {
  const native = options.mmap === false ? undefined : loadNative();
  let source: ByteSource;
  try {
    source = native ? bufferSource(new Uint8Array(native.mapFile(path))) : fileSource(path);
  } catch (err) {
    throw new GGUFError(`cannot open ${path}: ${(err as Error).message}`);
  }
  try {
    return parseGGUFSource(source, native !== undefined);
  } catch (err) {
    source.close();
    throw err;
  }
}

/** Parses a GGUF image held in memory (tests, fuzzing, downloaded buffers). */
export function parseGGUF(bytes: Uint8Array): GGUFFile {
  return parseGGUFSource(bufferSource(bytes), false);
}

const MAGIC = 0x46554747; // "GGUF" read as little-endian u32
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4;
const MAX_ARRAY_NESTING = 8;
/** Smallest encoding of one metadata entry: key length u64 + empty key + type u32 + one byte. */
const MIN_KV_BYTES = 8 + 4 + 1;
/** Smallest tensor info: name length u64 + n_dims u32 + one dim u64 + type u32 + offset u64. */
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

function parseGGUFSource(source: ByteSource, mapped: boolean): GGUFFile {
  const c = new Cursor(source);
  if (source.size < 4 || c.u32() !== MAGIC) {
    throw new GGUFError('not a GGUF file (the magic bytes "GGUF" are missing)', 0);
  }
  const version = c.u32();
  if (version === 1) throw new GGUFError('GGUF version 1 is not supported (re-convert the model: v2 and v3 are)', 4);
  if (version !== 2 && version !== 3) throw new GGUFError(`unsupported GGUF version ${version} (supported: 2, 3)`, 4);

  const tensorCount = c.count('tensor count', MIN_TENSOR_INFO_BYTES);
  const kvCount = c.count('metadata entry count', MIN_KV_BYTES);

  const metadata = new Map<string, GGUFMetadataValue>();
  for (let i = 0; i < kvCount; i++) {
    const at = c.pos;
    const key = c.string(`key of metadata entry ${i}`);
    if (metadata.has(key)) throw new GGUFError(`duplicate metadata key "${key}"`, at);
    metadata.set(key, c.metadataValue(key));
  }

  const alignment = readAlignment(metadata);

  const tensors: GGUFTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const info = c.tensorInfo(i);
    if (names.has(info.name)) throw new GGUFError(`duplicate tensor name "${info.name}"`, c.pos);
    names.add(info.name);
    if (info.offset % alignment !== 0) {
      throw new GGUFError(`tensor "${info.name}" data offset ${info.offset} is not a multiple of the alignment ${alignment}`);
    }
    tensors.push(info);
  }

  const dataOffset = alignUp(c.pos, alignment);
  checkTensorExtents(tensors, dataOffset, source.size);

  return {
    version,
    metadata,
    tensors,
    alignment,
    dataOffset,
    fileSize: source.size,
    mapped,
    tensorData: (t) => source.read(dataOffset + t.offset, t.byteSize),
    close: () => source.close(),
  };
}

function readAlignment(metadata: GGUFMetadata): number {
  const entry = metadata.get('general.alignment');
  if (!entry) return DEFAULT_ALIGNMENT;
  const a = entry.value;
  if (entry.type !== GGUFValueType.UINT32 || typeof a !== 'number' || a === 0 || (a & (a - 1)) !== 0) {
    throw new GGUFError(`general.alignment must be a power-of-two u32, got ${String(a)}`);
  }
  return a;
}

function checkTensorExtents(tensors: readonly GGUFTensorInfo[], dataOffset: number, fileSize: number): void {
  for (const t of tensors) {
    const end = dataOffset + t.offset + t.byteSize;
    if (end > fileSize) {
      throw new GGUFError(
        `tensor "${t.name}" needs bytes ${dataOffset + t.offset}..${end} but the file has ${fileSize} (truncated file?)`,
      );
    }
  }
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (prev.offset + prev.byteSize > sorted[i].offset) {
      throw new GGUFError(`tensors "${prev.name}" and "${sorted[i].name}" overlap in the data section`);
    }
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Bounds-checked little-endian reads over a ByteSource: no read ever trusts a length unchecked. */
class Cursor {
  pos = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly src: ByteSource) {}

  private take(n: number, what: string): DataView {
    if (n > this.src.size - this.pos) {
      throw new GGUFError(`file ends inside ${what}: need ${n} bytes, ${this.src.size - this.pos} left (truncated file?)`, this.pos);
    }
    const b = this.src.read(this.pos, n);
    this.pos += n;
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private remaining(): number {
    return this.src.size - this.pos;
  }

  u32(what = 'a u32'): number {
    return this.take(4, what).getUint32(0, true);
  }

  /** A u64 that must fit a JS number exactly (counts, lengths, offsets, dims). */
  u64(what: string): number {
    const at = this.pos;
    const v = this.take(8, what).getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GGUFError(`${what} is absurdly large (${v})`, at);
    return Number(v);
  }

  /** A u64 count whose every item needs at least `minItemBytes`: checked against what the file can hold. */
  count(what: string, minItemBytes: number): number {
    const at = this.pos;
    const n = this.u64(what);
    if (n * minItemBytes > this.remaining()) {
      throw new GGUFError(`${what} ${n} cannot fit in the ${this.remaining()} bytes left in the file`, at);
    }
    return n;
  }

  string(what: string): string {
    const at = this.pos;
    const len = this.u64(`length of ${what}`);
    if (len > this.remaining()) {
      throw new GGUFError(`${what}: string length ${len} runs past the end of the file`, at);
    }
    const bytes = this.src.read(this.pos, len);
    this.pos += len;
    try {
      return this.decoder.decode(bytes);
    } catch {
      throw new GGUFError(`${what} is not valid UTF-8`, at + 8);
    }
  }

  metadataValue(key: string): GGUFMetadataValue {
    const at = this.pos;
    const type = this.u32(`type of "${key}"`);
    if (!(type in GGUFValueType)) throw new GGUFError(`metadata "${key}" has unknown value type ${type}`, at);
    if (type !== GGUFValueType.ARRAY) return { type, value: this.scalar(type, key) };
    const itemType = this.peekArrayItemType(key);
    return { type, itemType, value: this.array(key, 0) };
  }

  private peekArrayItemType(key: string): GGUFValueType {
    const t = this.src.read(this.pos, Math.min(4, this.remaining()));
    if (t.byteLength < 4) throw new GGUFError(`file ends inside the array "${key}"`, this.pos);
    return new DataView(t.buffer, t.byteOffset, 4).getUint32(0, true);
  }

  private array(key: string, depth: number): GGUFValue[] {
    if (depth >= MAX_ARRAY_NESTING) throw new GGUFError(`metadata "${key}" nests arrays deeper than ${MAX_ARRAY_NESTING}`, this.pos);
    const at = this.pos;
    const itemType = this.u32(`array item type of "${key}"`);
    if (!(itemType in GGUFValueType)) throw new GGUFError(`metadata "${key}" is an array of unknown type ${itemType}`, at);
    const n = this.count(`item count of "${key}"`, minValueBytes(itemType));
    const out: GGUFValue[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = itemType === GGUFValueType.ARRAY ? this.array(key, depth + 1) : this.scalar(itemType, key);
    }
    return out;
  }

  private scalar(type: GGUFValueType, key: string): GGUFValue {
    const what = `value of "${key}"`;
    switch (type) {
      case GGUFValueType.UINT8: return this.take(1, what).getUint8(0);
      case GGUFValueType.INT8: return this.take(1, what).getInt8(0);
      case GGUFValueType.UINT16: return this.take(2, what).getUint16(0, true);
      case GGUFValueType.INT16: return this.take(2, what).getInt16(0, true);
      case GGUFValueType.UINT32: return this.take(4, what).getUint32(0, true);
      case GGUFValueType.INT32: return this.take(4, what).getInt32(0, true);
      case GGUFValueType.FLOAT32: return this.take(4, what).getFloat32(0, true);
      case GGUFValueType.FLOAT64: return this.take(8, what).getFloat64(0, true);
      case GGUFValueType.UINT64: return safeNumber(this.take(8, what).getBigUint64(0, true));
      case GGUFValueType.INT64: return safeNumber(this.take(8, what).getBigInt64(0, true));
      case GGUFValueType.BOOL: {
        const at = this.pos;
        const b = this.take(1, what).getUint8(0);
        if (b > 1) throw new GGUFError(`${what} is a bool stored as ${b}`, at);
        return b === 1;
      }
      case GGUFValueType.STRING: return this.string(what);
      default: throw new GGUFError(`${what} has unexpected type ${type}`, this.pos);
    }
  }

  tensorInfo(index: number): GGUFTensorInfo {
    const name = this.string(`name of tensor ${index}`);
    const at = this.pos;
    const nDims = this.u32(`dimension count of "${name}"`);
    if (nDims < 1 || nDims > MAX_DIMS) throw new GGUFError(`tensor "${name}" has ${nDims} dimensions (1 to ${MAX_DIMS} allowed)`, at);
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const dimAt = this.pos;
      const dim = this.u64(`dimension ${d} of "${name}"`);
      if (dim < 1) throw new GGUFError(`tensor "${name}" has an empty dimension ${d}`, dimAt);
      elements *= dim;
      if (elements > Number.MAX_SAFE_INTEGER) throw new GGUFError(`tensor "${name}" has too many elements`, dimAt);
      dims.push(dim);
    }
    const typeAt = this.pos;
    const type = this.u32(`type of "${name}"`);
    const geometry = GGML_TYPE_GEOMETRY.get(type);
    if (!geometry) throw new GGUFError(`tensor "${name}" has unknown ggml type ${type}`, typeAt);
    if (dims[0] % geometry.blockSize !== 0) {
      throw new GGUFError(
        `tensor "${name}" rows of ${dims[0]} are not whole ${ggmlTypeName(type)} blocks of ${geometry.blockSize}`,
        typeAt,
      );
    }
    const offset = this.u64(`data offset of "${name}"`);
    const byteSize = (elements / geometry.blockSize) * geometry.typeSize;
    return { name, dims, type, offset, elements, byteSize };
  }
}

function minValueBytes(type: GGUFValueType): number {
  switch (type) {
    case GGUFValueType.UINT8: case GGUFValueType.INT8: case GGUFValueType.BOOL: return 1;
    case GGUFValueType.UINT16: case GGUFValueType.INT16: return 2;
    case GGUFValueType.UINT32: case GGUFValueType.INT32: case GGUFValueType.FLOAT32: return 4;
    case GGUFValueType.STRING: return 8;
    case GGUFValueType.ARRAY: return 12;
    default: return 8;
  }
}

function safeNumber(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
