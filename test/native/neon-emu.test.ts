/**
 * The NEON kernels (native/quant/simd_neon.cc) are only built on AArch64, so on x86-64 they are
 * checked two ways against the scalar kernels (test/native/neon_emu.cc: within float summation-order
 * bounds, Q6_K bit for bit), each skipped when its tools are missing:
 * - in emulation: compiled against SIMDe's portable NEON intrinsics (Debian: libsimde-dev);
 * - for real: compiled for AArch64 by a cross compiler with the real arm_neon.h and the real ISA
 *   table, and run under qemu-user (Debian: g++-aarch64-linux-gnu, qemu-user): instruction-exact
 *   emulation of the compiled code, though not a timing of it.
 * On an AArch64 machine kernels.test.ts runs the real thing as well.
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
  'native/quant/q4_1.cc', 'native/quant/q5_0.cc', 'native/quant/q5_1.cc', 'native/quant/q2_k.cc', 'native/quant/q3_k.cc', 'native/quant/q4_k.cc', 'native/quant/q5_k.cc', 'native/quant/q6_k.cc', 'native/quant/iq4_nl.cc', 'native/quant/iq4_xs.cc', 'native/quant/rows8.cc', 'native/quant/tiles8.cc', 'native/quant/tinyblas.cc',
  'native/runtime/cpu.cc',
];

function runs(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveSimde = existsSync('/usr/include/simde/arm/neon.h') && runs('g++');
const haveCross = runs('aarch64-linux-gnu-g++') && runs('qemu-aarch64');

describe.skipIf(!haveSimde)('NEON kernels under SIMDe emulation', () => {
  it('agree with the scalar kernels on random blocks', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lg-neon-')), 'neon_emu');
    execFileSync('g++', ['-std=c++17', '-O1', '-Inative', '-DLG_SIMDE_EMULATE', ...SOURCES, '-o', out], { cwd: ROOT, stdio: 'pipe' });
    const report = execFileSync(out, { encoding: 'utf8' });
    expect(report).toMatch(/(\d+)\/\1 neon emulated checks passed/);
  }, 180_000);
});

describe.skipIf(!haveCross)('NEON kernels compiled for AArch64, run under qemu-user', () => {
  it('compile without warnings and agree with the scalar kernels on random blocks', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lg-neon-a64-')), 'neon_a64');
    // Static: qemu then needs no AArch64 libraries at run time. -Werror: the real arm_neon.h is
    // stricter than SIMDe's (immediates, vector types).
    execFileSync('aarch64-linux-gnu-g++', ['-std=c++17', '-O2', '-Wall', '-Wextra', '-Werror', '-static', '-Inative', '-DLG_HAVE_NEON=1', ...SOURCES, '-o', out], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    const report = execFileSync('qemu-aarch64', [out], { encoding: 'utf8' });
    expect(report).toMatch(/(\d+)\/\1 neon aarch64 checks passed/);
  }, 180_000);
});
