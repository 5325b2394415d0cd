/**
 * The quantisation-type registry: every type the engine can compute with, one row each.
 *
 * Tests, benchmarks and backends iterate QUANT_TYPES; adding a type means adding its file
 * (geometry + reference dequantise/quantise, byte-exact with ggml) and one entry below. The
 * geometry of every ggml id, supported or not, lives in ggml-type.ts (the GGUF reader needs it);
 * registry rows must agree with it (the tests check).
 */
import { GGML_TYPE_GEOMETRY, ggmlTypeName } from './ggml-type.js';
import type { QuantType } from './quant-type.js';
import { F32 } from './f32.js';
import { F16 } from './f16.js';
import { BF16 } from './bf16.js';
import { Q8_0 } from './q8_0.js';
import { Q4_0 } from './q4_0.js';
import { Q4_1 } from './q4_1.js';
import { Q5_0 } from './q5_0.js';
import { Q5_1 } from './q5_1.js';
import { Q2_K } from './q2_k.js';
import { Q3_K } from './q3_k.js';
import { Q4_K } from './q4_k.js';
import { Q5_K } from './q5_k.js';
import { Q6_K } from './q6_k.js';
import { IQ4_NL } from './iq4_nl.js';
import { IQ4_XS } from './iq4_xs.js';

export type { QuantType } from './quant-type.js';
export { GGMLType } from './ggml-type.js';

/** Every supported type, in ggml id order. */
export const QUANT_TYPES: readonly QuantType[] = Object.freeze(
  [F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, BF16].sort((a, b) => a.type - b.type),
);

const BY_ID = new Map<number, QuantType>(QUANT_TYPES.map((t) => [t.type as number, t]));
const BY_NAME = new Map<string, QuantType>(QUANT_TYPES.map((t) => [t.name.toUpperCase(), t]));

/** The registry row for a ggml type id, or undefined if we cannot compute with it. */
export function findQuantType(type: number): QuantType | undefined {
  return BY_ID.get(type);
}

/** The registry row for a ggml type id; throws a clear Error naming the type if unsupported. */
export function quantType(type: number): QuantType {
  const t = BY_ID.get(type);
  if (t) return t;
  const known = GGML_TYPE_GEOMETRY.has(type);
  throw new Error(
    known
      ? `unsupported quantisation type ${ggmlTypeName(type)} (ggml type ${type}); supported: ${supportedList()}`
      : `unknown ggml type id ${type}; supported: ${supportedList()}`,
  );
}

/** Case-insensitive lookup by ggml name ('q4_k', 'Q4_K', 'bf16', ...). */
export function quantTypeByName(name: string): QuantType | undefined {
  return BY_NAME.get(name.toUpperCase());
}

/** Bytes for a row of `n` values of `type`; throws if unsupported or `n` is not whole blocks. */
export function rowByteSize(type: number, n: number): number {
  const t = quantType(type);
  if (!Number.isSafeInteger(n) || n < 0 || n % t.blockSize !== 0) {
    throw new RangeError(`${t.name}: a row of ${n} values is not a whole number of ${t.blockSize}-value blocks`);
  }
  return (n / t.blockSize) * t.bytesPerBlock;
}

function supportedList(): string {
  return QUANT_TYPES.map((t) => t.name).join(', ');
}
