/**
 * The AVX-512 kernels cannot run on a CPU without AVX-512, so they are also checked in emulation:
 * simd_avx512.cc and simd_avx512_tinyblas.cc are compiled against SIMDe's portable intrinsics
 * (Debian: libsimde-dev) and compared with the scalar kernels and the tinyBLAS definition
 * (test/native/avx512_emu.cc). The AVX512_BF16 kernels, the 16-lane expf and the attention helpers
 * are not emulated: they are checked on hardware that has them (kernels.test.ts here and against
 * llama.cpp). Skipped when g++ or the SIMDe headers are missing. On an AVX-512 machine
 * kernels.test.ts runs the real thing as well.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SOURCES = [
  'test/native/avx512_emu.cc', 'native/quant/simd_avx512.cc', 'native/quant/simd_avx512_tinyblas.cc', 'native/quant/traits.cc', 'native/quant/f32.cc',
  'native/quant/f16.cc', 'native/quant/bf16.cc', 'native/quant/q8_0.cc', 'native/quant/q8_k.cc', 'native/quant/q4_0.cc',
  'native/quant/q4_1.cc', 'native/quant/q5_0.cc', 'native/quant/q5_1.cc', 'native/quant/q2_k.cc', 'native/quant/q3_k.cc', 'native/quant/q4_k.cc', 'native/quant/q5_k.cc', 'native/quant/q6_k.cc', 'native/quant/iq4_nl.cc', 'native/quant/iq4_xs.cc', 'native/quant/rows8.cc', 'native/quant/tiles8.cc', 'native/quant/tinyblas.cc',
  'native/runtime/cpu.cc',
];

// SIMDe's 512-bit fma is fused only where it can use the CPU's own (-mfma); without one the
// tinyBLAS order, which is one fma per lane and step, cannot be emulated bit for bit.
const HOST_FMA = existsSync('/proc/cpuinfo') && /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));

function haveToolchain(): boolean {
  if (!existsSync('/usr/include/simde/x86/avx512.h')) return false;
  try {
    execFileSync('g++', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!haveToolchain())('AVX-512 kernels under SIMDe emulation', () => {
  it('agree with the scalar kernels on random blocks', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lg-avx512-')), 'avx512_emu');
    execFileSync('g++', ['-std=c++17', '-O1', '-Inative', '-DLG_SIMDE_EMULATE', ...(HOST_FMA ? ['-mfma'] : ['-DLG_EMU_NO_FMA']), ...SOURCES, '-o', out], { cwd: ROOT, stdio: 'pipe' });
    const report = execFileSync(out, { encoding: 'utf8' });
    expect(report).toMatch(/(\d+)\/\1 avx512 emulated checks passed/);
  }, 180_000);
});
