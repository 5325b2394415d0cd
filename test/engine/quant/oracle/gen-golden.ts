/** Regenerates ../golden.json from the C oracle (see README.md). Not run by the test suite. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUANT_TYPES } from '../../../../src/engine/quant/registry.js';
import { GOLDEN_CASES, randomBlocks, digest, floatDigest } from '../golden-cases.js';

const oracle = process.env.GGML_ORACLE ?? '/tmp/ggml-oracle';
const dir = mkdtempSync(join(tmpdir(), 'quant-golden-'));
const out: Record<string, Record<string, { q?: string; deq: string }>> = {};
for (const t of QUANT_TYPES) {
  const row: Record<string, { q?: string; deq: string }> = {};
  for (const c of GOLDEN_CASES) {
    const x = c.data();
    writeFileSync(join(dir, 'in.f32'), new Uint8Array(x.buffer));
    execFileSync(oracle, ['q', t.name, join(dir, 'in.f32'), join(dir, 'q.bin'), join(dir, 'y.f32')]);
    row[c.id] = {
      q: digest(new Uint8Array(readFileSync(join(dir, 'q.bin')))),
      deq: floatDigest(new Float32Array(new Uint8Array(readFileSync(join(dir, 'y.f32'))).buffer)),
    };
  }
  const raw = randomBlocks(t, 0xb10c);
  writeFileSync(join(dir, 'in.bin'), raw.bytes);
  execFileSync(oracle, ['deq', t.name, join(dir, 'in.bin'), join(dir, 'y.f32')]);
  row['random-bytes'] = { deq: floatDigest(new Float32Array(new Uint8Array(readFileSync(join(dir, 'y.f32'))).buffer)) };
  out[t.name] = row;
}
const fixture = { ggmlCommit: process.env.GGML_COMMIT ?? 'unknown', generatedBy: 'test/engine/quant/oracle/gen-golden.ts', types: out };
writeFileSync(new URL('../golden.json', import.meta.url), JSON.stringify(fixture, null, 1) + '\n');
console.log(`wrote golden.json for ${QUANT_TYPES.length} types x ${GOLDEN_CASES.length + 1} cases`);
