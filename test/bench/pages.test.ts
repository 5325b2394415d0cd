import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hugePageShare, refillInHugePages } from '../../bench/lib/pages.js';
import { loadNative } from '../../src/engine/native/load.js';

describe('hugePageShare', () => {
  it.skipIf(platform() !== 'linux')('is nothing for a file this process does not map', () => {
    expect(hugePageShare('/nonexistent/model.gguf')).toEqual({ mapped: 0, resident: 0, huge: 0 });
  });

  it.skipIf(platform() !== 'linux' || !loadNative())('counts every byte of a file the addon maps, and no more in 2 MiB pages than mapped', () => {
    const native = loadNative()!;
    const path = join(mkdtempSync(join(tmpdir(), 'pages-')), 'w.bin');
    writeFileSync(path, new Uint8Array(3 * 4096 + 5).fill(7));
    const bytes = new Uint8Array(native.mapFile(path));  // unmapped when collected, after the checks
    expect(bytes[3 * 4096 + 4]).toBe(7);
    const share = hugePageShare(path)!;
    expect(share.mapped).toBe(4 * 4096);
    expect(share.resident).toBeGreaterThanOrEqual(4096);  // the page just read
    expect(share.resident).toBeLessThanOrEqual(share.mapped);
    expect(share.huge).toBeGreaterThanOrEqual(0);
    expect(share.huge).toBeLessThanOrEqual(share.resident);
  });

  it.skipIf(platform() !== 'linux' || !loadNative())('refills a file\'s page cache through the addon\'s mapping, its bytes unchanged', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pages-')), 'w.bin');
    const data = new Uint8Array(5 * 4096 + 3).map((_, i) => (i * 31) & 0xff);
    writeFileSync(path, data);
    expect(refillInHugePages(path)).toBe(true);
    expect(new Uint8Array(readFileSync(path))).toEqual(data);
    expect(refillInHugePages(join(tmpdir(), 'no-such-dir', 'w.bin'))).toBe(false);
  });
});
