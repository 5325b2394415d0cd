import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Memory } from '../../src/assistant/memory/memory.js';

/** A private temp directory per test, removed by the returned cleanup. */
export function tempDir(prefix = 'lgpt-vault-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const PASS = 'correct horse battery staple';

/**
 * Memories a test file opens: `fresh()` creates one in its own temp directory; everything in
 * `open` is closed and every directory removed after each test.
 */
export function memoryFixtures(): { open: Memory[]; fresh(): Promise<{ mem: Memory; path: string }> } {
  const open: Memory[] = [];
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (open.length) open.pop()!.close();
    while (cleanups.length) cleanups.pop()!();
  });
  return {
    open,
    async fresh() {
      const t = tempDir();
      cleanups.push(t.cleanup);
      const path = join(t.dir, 'vault.db');
      const mem = await Memory.open({ path, passphrase: PASS, kdf: 'min' });
      open.push(mem);
      return { mem, path };
    },
  };
}
