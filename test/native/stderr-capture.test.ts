/**
 * The addon's captureStderr (used to filter Dawn's adapter warnings, webgpu/device.ts quietDawn):
 * what the call writes to descriptor 2 comes back instead of reaching standard error, the
 * descriptor is restored afterwards, also when the call throws.
 */
import { writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { native } from './helpers.js';

describe.skipIf(!native || process.platform !== 'linux')('captureStderr', () => {
  it('returns the value and what was written to descriptor 2, and restores it', () => {
    const r = native!.captureStderr(() => {
      writeSync(2, 'first line\n');
      writeSync(2, 'second');
      return 42;
    });
    expect(r).toEqual({ value: 42, stderr: 'first line\nsecond' });
    // Restored: a second capture sees only its own writes, none of the first's.
    expect(native!.captureStderr(() => writeSync(2, 'x')).stderr).toBe('x');
  });

  it('restores descriptor 2 when the call throws, and passes the exception on', () => {
    expect(() =>
      native!.captureStderr(() => {
        writeSync(2, 'lost');
        throw new RangeError('boom');
      }),
    ).toThrow(RangeError);
    expect(native!.captureStderr(() => 'ok')).toEqual({ value: 'ok', stderr: '' });
    expect(() => (native!.captureStderr as unknown as (x: unknown) => unknown)(7)).toThrow('captureStderr needs a function');
  });
});
