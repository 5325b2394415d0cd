/**
 * 2 MiB pages for the model files. Decode reads weights 1.04-1.10x faster through them
 * (bench/native-notes.md section 24), and whether a file gets them depends on how its page cache
 * was filled: the bench refills each file's cache through the addon's advised mapping before its
 * rows, and records how much of it this process mapped through them after.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { platform } from 'node:os';
import { resolve } from 'node:path';
import { loadNative } from '../../src/engine/native/load.js';

/**
 * Drops a file's cached pages (GNU dd's iflag=nocache: posix_fadvise DONTNEED; pages another
 * process maps stay) and faults it back in through the addon's mapping, which is advised
 * MADV_HUGEPAGE (native/runtime/mmap.cc), so the cache holds it in 2 MiB folios that every later
 * mapping shares, llama.cpp's too. Without this a file evicted since it was written comes back in
 * whatever folios its next reader faults: llama.cpp, which runs first for each file and maps
 * without the advice, left 12-21% of the 500M Q4_K_M file in 2 MiB pages (93% after a refill).
 * False where it could not (not Linux, no addon, no GNU dd).
 */
export function refillInHugePages(path: string): boolean {
  const native = platform() === 'linux' ? loadNative() : null;
  if (!native) return false;
  if (spawnSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']).status !== 0) return false;
  const bytes = new Uint8Array(native.mapFile(path));  // unmapped when collected
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 4096) sum += bytes[i]!;  // a read a page faults the file in
  return sum >= 0;
}

/**
 * Bytes mapped, bytes of them resident, and bytes of those in PMD (2 MiB) mappings, over every
 * mapping of `path`; null off Linux. Resident, not mapped, is the measure's base: a model whose
 * matrices are repacked at load drops its pages of their mapped rows (native/runtime/mmap.cc
 * release_mapped).
 */
export function hugePageShare(path: string): Mapping | null {
  const maps = mappingsOf(path);
  if (!maps) return null;
  const sum = (k: keyof Mapping) => maps.reduce((a, m) => a + m[k], 0);
  return { mapped: sum('mapped'), resident: sum('resident'), huge: sum('huge') };
}

/** Bytes of a mapping (Size), resident of them (Rss), and of those in PMD mappings (FilePmdMapped). */
export interface Mapping {
  mapped: number;
  resident: number;
  huge: number;
}

/** This process's mappings of `path` in address order, from /proc/self/smaps; null off Linux. */
export function mappingsOf(path: string): Mapping[] | null {
  let smaps: string;
  try {
    smaps = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return null;
  }
  const want = resolve(path);
  const out: Mapping[] = [];
  let current: Mapping | null = null;
  for (const line of smaps.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s+(.*)$/.exec(line);
    if (header) {
      current = header[1] === want ? { mapped: 0, resident: 0, huge: 0 } : null;
      if (current) out.push(current);
      continue;
    }
    const field = current ? /^(Size|Rss|FilePmdMapped):\s+(\d+) kB$/.exec(line) : null;
    if (!field || !current) continue;
    const bytes = Number(field[2]) * 1024;
    if (field[1] === 'Size') current.mapped += bytes;
    else if (field[1] === 'Rss') current.resident += bytes;
    else current.huge += bytes;
  }
  return out;
}
