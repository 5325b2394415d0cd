import { InvalidArgumentError } from 'commander';
import type { BackendChoice } from '../engine/backend/select.js';

/** Shared option parsers: bad values are named at parse time, with the option they belong to. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

export function finiteNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('must be a number');
  return n;
}

const BACKENDS: readonly BackendChoice[] = ['auto', 'reference', 'cpu', 'webgpu'];
export function backendChoice(value: string): BackendChoice {
  if (!(BACKENDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`choose one of ${BACKENDS.join(', ')}`);
  return value as BackendChoice;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Warnings go to stderr so --json output on stdout stays parseable. */
export function warn(message: string): void {
  process.stderr.write(`localgpt: warning: ${message}\n`);
}
