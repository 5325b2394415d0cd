import { describe, expect, it } from 'vitest';
import { AlignedChunks } from '../../../src/engine/gguf/aligned-chunks.js';

describe('AlignedChunks', () => {
  it('writes the same bytes in place, every write but the last ending at a multiple of the chunk', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (const chunk of [1, 16, 64]) {
      for (const start of [0, 5, chunk, 3 * chunk + 1]) {
        const pieces = Array.from({ length: 40 }, () => Uint8Array.from({ length: rand(3 * chunk + 2) }, () => rand(256)));
        const writes: { bytes: Uint8Array; at: number }[] = [];
        const out = new AlignedChunks((bytes, at) => writes.push({ bytes: bytes.slice(), at }), chunk, start);
        for (const p of pieces) out.push(p);
        out.flush();
        expect(Buffer.concat(writes.map((w) => w.bytes))).toEqual(Buffer.concat(pieces));
        let at = start;
        for (const [i, w] of writes.entries()) {
          expect(w.at).toBe(at);
          expect(w.bytes.byteLength).toBeGreaterThan(0);
          at += w.bytes.byteLength;
          if (i < writes.length - 1) expect(at % chunk).toBe(0);
          expect(w.bytes.byteLength).toBeLessThanOrEqual(chunk);
        }
      }
    }
  });

  it('writes nothing for nothing, and an exact multiple without an empty last write', () => {
    const writes: number[] = [];
    const none = new AlignedChunks((b) => writes.push(b.byteLength), 8);
    none.push(new Uint8Array(0));
    none.flush();
    expect(writes).toEqual([]);
    const exact = new AlignedChunks((b) => writes.push(b.byteLength), 8);
    exact.push(new Uint8Array(5));
    exact.push(new Uint8Array(19));
    exact.flush();
    expect(writes).toEqual([8, 8, 8]);
  });
});
