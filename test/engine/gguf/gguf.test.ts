import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  GGUFError,
  GGUFValueType,
  encodeGGUF,
  gguf,
  openGGUF,
  parseGGUF,
  writeGGUF,
  type GGUFWriteInput,
} from '../../../src/engine/gguf/index.js';
import { GGMLType } from '../../../src/engine/quant/ggml-type.js';
import { cpuAvailable } from '../../../src/engine/backend/cpu/index.js';

function sample(): GGUFWriteInput {
  const f32 = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const q8 = new Uint8Array(34 * 2).map((_, i) => (i * 37) & 0xff);
  return {
    metadata: [
      ['general.architecture', gguf.str('llama')],
      ['general.name', gguf.str('tiny — ünïcode ✓')],
      ['u8', gguf.u8(200)],
      ['i8', { type: GGUFValueType.INT8, value: -100 }],
      ['u16', { type: GGUFValueType.UINT16, value: 65000 }],
      ['i16', { type: GGUFValueType.INT16, value: -32000 }],
      ['llama.context_length', gguf.u32(4096)],
      ['llama.block_count', gguf.u64(12)],
      ['i32', gguf.i32(-5)],
      ['big', gguf.u64(2n ** 60n)],
      ['neg64', { type: GGUFValueType.INT64, value: -7 }],
      ['f32', gguf.f32(0.5)],
      ['f64', gguf.f64(Math.PI)],
      ['flag', gguf.bool(true)],
      ['tokens', gguf.array(GGUFValueType.STRING, ['a', 'b', '', '▁hello'])],
      ['scores', gguf.array(GGUFValueType.FLOAT32, [0.25, -1.5])],
      ['nested', gguf.array(GGUFValueType.ARRAY, [[1, 2], [3]])],
    ],
    tensors: [
      { name: 'a', dims: [4, 2], type: GGMLType.F32, data: new Uint8Array(f32.buffer) },
      { name: 'b', dims: [64], type: GGMLType.Q8_0, data: q8 },
    ],
  };
}

describe('GGUF reader and writer', () => {
  it('round-trips every metadata type, tensor infos and tensor bytes', () => {
    const input = sample();
    const file = parseGGUF(encodeGGUF(input));
    expect(file.version).toBe(3);
    expect(file.alignment).toBe(32);
    for (const [key, v] of input.metadata) {
      expect(file.metadata.get(key)?.type, key).toBe(v.type);
      if (v.type === GGUFValueType.FLOAT32 && typeof v.value === 'number') {
        expect(file.metadata.get(key)?.value).toBeCloseTo(v.value, 6);
      } else {
        expect(file.metadata.get(key)?.value, key).toEqual(v.value);
      }
    }
    expect(file.metadata.get('big')?.value).toBe(2n ** 60n);
    expect(file.metadata.get('llama.block_count')?.value).toBe(12);
    expect(file.tensors.map((t) => [t.name, t.dims, t.type, t.byteSize])).toEqual([
      ['a', [4, 2], GGMLType.F32, 32],
      ['b', [64], GGMLType.Q8_0, 68],
    ]);
    expect(file.dataOffset % 32).toBe(0);
    for (const t of input.tensors) {
      const info = file.tensors.find((x) => x.name === t.name)!;
      expect(info.offset % 32).toBe(0);
      expect([...file.tensorData(info)]).toEqual([...t.data]);
    }
  });

  it.for([
    ['read on demand', false],
    ['memory-mapped (native addon)', true],
  ] as const)('honours general.alignment, %s', ([, mmap], { skip }) => {
    skip(mmap && !cpuAvailable(), 'no native addon on this machine');
    const dir = mkdtempSync(join(tmpdir(), 'gguf-'));
    const path = join(dir, 'm.gguf');
    const input = sample();
    writeGGUF(path, { ...input, metadata: [['general.alignment', gguf.u32(64)], ...input.metadata] });
    const file = openGGUF(path, { mmap });
    try {
      expect(file.mapped).toBe(mmap);
      expect(file.alignment).toBe(64);
      expect(file.dataOffset % 64).toBe(0);
      for (const t of file.tensors) expect(t.offset % 64).toBe(0);
      const b = file.tensors.find((t) => t.name === 'b')!;
      expect([...file.tensorData(b)]).toEqual([...input.tensors[1].data]);
    } finally {
      file.close();
    }
  });

  it('reads version 2 files and rejects version 1 and bad magic', () => {
    const bytes = encodeGGUF(sample());
    const v2 = bytes.slice();
    new DataView(v2.buffer).setUint32(4, 2, true);
    expect(parseGGUF(v2).version).toBe(2);
    const v1 = bytes.slice();
    new DataView(v1.buffer).setUint32(4, 1, true);
    expect(() => parseGGUF(v1)).toThrow(/version 1/);
    expect(() => parseGGUF(new TextEncoder().encode('GGML and some more bytes'))).toThrow(/magic/);
  });

  it('gives a GGUFError for a file truncated at every possible length', () => {
    const bytes = encodeGGUF(sample());
    const file = parseGGUF(bytes);
    // Padding after the last tensor is optional, so the file is complete where that tensor ends.
    const end = Math.max(...file.tensors.map((t) => file.dataOffset + t.offset + t.byteSize));
    expect(end).toBeLessThanOrEqual(bytes.byteLength);
    for (let n = 0; n < end; n++) {
      let err: unknown;
      try {
        parseGGUF(bytes.subarray(0, n));
      } catch (e) {
        err = e;
      }
      expect(err, `truncated to ${n}`).toBeInstanceOf(GGUFError);
    }
  });

  it('never crashes, hangs or allocates wildly on mutated files', () => {
    const bytes = encodeGGUF(sample());
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    let parsed = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const m = bytes.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(rand() * m.byteLength);
        m[at] = rand() < 0.3 ? 0xff : Math.floor(rand() * 256);
      }
      try {
        parseGGUF(m);
        parsed++;
      } catch (e) {
        expect(e).toBeInstanceOf(GGUFError);
      }
    }
    expect(parsed).toBeGreaterThan(0); // mutations in tensor data stay readable
  });

  it('names hostile counts and lengths instead of trusting them', () => {
    const hostile = (patch: (dv: DataView, bytes: Uint8Array) => void) => {
      const b = encodeGGUF(sample()).slice();
      patch(new DataView(b.buffer), b);
      return () => parseGGUF(b);
    };
    expect(hostile((dv) => dv.setBigUint64(8, 2n ** 40n, true))).toThrow(/tensor count/);
    expect(hostile((dv) => dv.setBigUint64(16, 2n ** 62n, true))).toThrow(/absurdly large|metadata entry count/);
    // first key's length
    expect(hostile((dv) => dv.setBigUint64(24, 2n ** 50n, true))).toThrow(/string length|past the end/);
    // first value's type
    expect(hostile((dv) => dv.setUint32(24 + 8 + 'general.architecture'.length, 99, true))).toThrow(/unknown value type 99/);
  });

  it('rejects tensors that lie about their type, shape or place', () => {
    const base = sample();
    const q = { name: 'q', dims: [33], type: GGMLType.Q8_0, data: new Uint8Array(34) };
    expect(() => encodeGGUF({ metadata: [], tensors: [q] })).toThrow(/whole Q8_0 blocks/);
    const bytes = encodeGGUF(base).slice();
    // Find tensor "b"'s type field and make it an unknown type id.
    const nameAt = Buffer.from(bytes).lastIndexOf(Buffer.from('\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000b', 'latin1'));
    expect(nameAt).toBeGreaterThan(0);
    const typeAt = nameAt + 9 + 4 + 8;
    new DataView(bytes.buffer).setUint32(typeAt, 77, true);
    expect(() => parseGGUF(bytes)).toThrow(/unknown ggml type 77/);
    new DataView(bytes.buffer).setUint32(typeAt, GGMLType.Q8_0, true);
    new DataView(bytes.buffer).setBigUint64(typeAt + 4, 1n << 40n, true);
    expect(() => parseGGUF(bytes)).toThrow(/truncated file/);
    new DataView(bytes.buffer).setBigUint64(typeAt + 4, 0n, true);
    expect(() => parseGGUF(bytes)).toThrow(/overlap/);
  });

  it('rejects duplicate keys and a bad alignment', () => {
    expect(() => parseGGUF(encodeGGUF({ metadata: [['k', gguf.u32(1)], ['k', gguf.u32(2)]], tensors: [] }))).toThrow(/duplicate metadata key "k"/);
    expect(() => parseGGUF(encodeGGUF({ metadata: [['general.alignment', gguf.u32(3)]], tensors: [], alignment: 32 }))).toThrow(/power-of-two/);
  });

  it.each([false, true])('reports a missing or empty file as a GGUFError (mmap %s)', (mmap) => {
    expect(() => openGGUF('/nonexistent/x.gguf', { mmap })).toThrow(GGUFError);
    const dir = mkdtempSync(join(tmpdir(), 'gguf-'));
    writeFileSync(join(dir, 'empty.gguf'), '');
    expect(() => openGGUF(join(dir, 'empty.gguf'), { mmap })).toThrow(mmap && cpuAvailable() ? /is empty/ : /not a GGUF file/);
  });
});
