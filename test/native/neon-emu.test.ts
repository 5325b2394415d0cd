/**
 * The NEON kernels (native/quant/simd_neon.cc) are only built on AArch64, so on x86-64 they are
 * checked in emulation: the file is compiled against SIMDe's portable NEON intrinsics (Debian:
 * libsimde-dev) and compared with the scalar kernels (test/native/neon_emu.cc: within float
 * summation-order bounds, Q6_K bit for bit). Skipped when g++ or the SIMDe headers are missing. On an
 * AArch64 machine kernels.test.ts runs the real thing as well.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SOURCES = [
  'test/native/neon_emu.cc', 'native/quant/simd_neon.cc', 'native/quant/traits.cc', 'native/quant/f32.cc',
  'native/quant/f16.cc', 'native/quant/bf16.cc', 'native/quant/q8_0.cc', 'native/quant/q8_k.cc', 'native/quant/q4_0.cc',
  'native/quant/q4_1.cc', 'native/quant/q5_0.cc', 'native/quant/q4_k.cc', 'native/quant/q5_k.cc', 'native/quant/q6_k.cc', 'native/quant/rows8.cc', 'native/quant/tinyblas.cc',
  'native/runtime/cpu.cc',
];

function haveToolchain(): boolean {
  if (!existsSync('/usr/include/simde/arm/neon.h')) return false;
  try {
    execFileSync('g++', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!haveToolchain())('NEON kernels under SIMDe emulation', () => {
  it('agree with the scalar kernels on random blocks', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lg-neon-')), 'neon_emu');
    execFileSync('g++', ['-std=c++17', '-O1', '-Inative', '-DLG_SIMDE_EMULATE', ...SOURCES, '-o', out], { cwd: ROOT, stdio: 'pipe' });
    const report = execFileSync(out, { encoding: 'utf8' });
    expect(report).toMatch(/(\d+)\/\1 neon emulated checks passed/);
  }, 180_000);
});
