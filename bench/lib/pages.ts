/**
 * How much of a file this process maps through 2 MiB pages (Linux: /proc/self/smaps). Decode reads
 * weights 1.04-1.10x faster through them (bench/native-notes.md section 24), and whether a file gets
 * them depends on how its page cache was filled, so the bench records it beside the rows.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Bytes mapped and bytes of them in PMD (2 MiB) mappings, over every mapping of `path`; null off Linux. */
export function hugePageShare(path: string): { mapped: number; huge: number } | null {
  let smaps: string;
  try {
    smaps = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return null;
  }
  const want = resolve(path);
  let mapped = 0;
  let huge = 0;
  let inFile = false;
  for (const line of smaps.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s+(.*)$/.exec(line);
    if (header) {
      inFile = header[1] === want;
      continue;
    }
    if (!inFile) continue;
    const field = /^(Size|FilePmdMapped):\s+(\d+) kB$/.exec(line);
    if (field?.[1] === 'Size') mapped += Number(field[2]) * 1024;
    else if (field) huge += Number(field[2]) * 1024;
  }
  return { mapped, huge };
}
