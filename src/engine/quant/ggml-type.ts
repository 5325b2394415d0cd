/**
 * ggml's tensor type ids and their storage geometry, for every type a GGUF file may name.
 *
 * The GGUF reader needs the geometry of every type (even ones we cannot compute with) so it can
 * validate tensor sizes against the file; which types we can actually compute with is the quant
 * registry's business (registry.ts). Ids and sizes are ggml's (ggml.h / ggml.c type traits).
 */
export enum GGMLType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
}

export interface GGMLTypeGeometry {
  readonly name: string;
  /** Elements per block (1 for plain scalar types). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

/** Geometry of every ggml type id we know of; ids absent here are rejected by the reader. */
export const GGML_TYPE_GEOMETRY: ReadonlyMap<number, GGMLTypeGeometry> = new Map<number, GGMLTypeGeometry>([
  [GGMLType.F32, { name: 'F32', blockSize: 1, typeSize: 4 }],
  [GGMLType.F16, { name: 'F16', blockSize: 1, typeSize: 2 }],
  [GGMLType.Q4_0, { name: 'Q4_0', blockSize: 32, typeSize: 18 }],
  [GGMLType.Q4_1, { name: 'Q4_1', blockSize: 32, typeSize: 20 }],
  [GGMLType.Q5_0, { name: 'Q5_0', blockSize: 32, typeSize: 22 }],
  [GGMLType.Q5_1, { name: 'Q5_1', blockSize: 32, typeSize: 24 }],
  [GGMLType.Q8_0, { name: 'Q8_0', blockSize: 32, typeSize: 34 }],
  [GGMLType.Q8_1, { name: 'Q8_1', blockSize: 32, typeSize: 36 }],
  [GGMLType.Q2_K, { name: 'Q2_K', blockSize: 256, typeSize: 84 }],
  [GGMLType.Q3_K, { name: 'Q3_K', blockSize: 256, typeSize: 110 }],
  [GGMLType.Q4_K, { name: 'Q4_K', blockSize: 256, typeSize: 144 }],
  [GGMLType.Q5_K, { name: 'Q5_K', blockSize: 256, typeSize: 176 }],
  [GGMLType.Q6_K, { name: 'Q6_K', blockSize: 256, typeSize: 210 }],
  [GGMLType.Q8_K, { name: 'Q8_K', blockSize: 256, typeSize: 292 }],
  [GGMLType.IQ2_XXS, { name: 'IQ2_XXS', blockSize: 256, typeSize: 66 }],
  [GGMLType.IQ2_XS, { name: 'IQ2_XS', blockSize: 256, typeSize: 74 }],
  [GGMLType.IQ3_XXS, { name: 'IQ3_XXS', blockSize: 256, typeSize: 98 }],
  [GGMLType.IQ1_S, { name: 'IQ1_S', blockSize: 256, typeSize: 50 }],
  [GGMLType.IQ4_NL, { name: 'IQ4_NL', blockSize: 32, typeSize: 18 }],
  [GGMLType.IQ3_S, { name: 'IQ3_S', blockSize: 256, typeSize: 110 }],
  [GGMLType.IQ2_S, { name: 'IQ2_S', blockSize: 256, typeSize: 82 }],
  [GGMLType.IQ4_XS, { name: 'IQ4_XS', blockSize: 256, typeSize: 136 }],
  [GGMLType.I8, { name: 'I8', blockSize: 1, typeSize: 1 }],
  [GGMLType.I16, { name: 'I16', blockSize: 1, typeSize: 2 }],
  [GGMLType.I32, { name: 'I32', blockSize: 1, typeSize: 4 }],
  [GGMLType.I64, { name: 'I64', blockSize: 1, typeSize: 8 }],
  [GGMLType.F64, { name: 'F64', blockSize: 1, typeSize: 8 }],
  [GGMLType.IQ1_M, { name: 'IQ1_M', blockSize: 256, typeSize: 56 }],
  [GGMLType.BF16, { name: 'BF16', blockSize: 1, typeSize: 2 }],
  [GGMLType.TQ1_0, { name: 'TQ1_0', blockSize: 256, typeSize: 54 }],
  [GGMLType.TQ2_0, { name: 'TQ2_0', blockSize: 256, typeSize: 66 }],
  [GGMLType.MXFP4, { name: 'MXFP4', blockSize: 32, typeSize: 17 }],
]);

export function ggmlTypeName(type: number): string {
  return GGML_TYPE_GEOMETRY.get(type)?.name ?? `unknown(${type})`;
}

/**
 * Bytes needed for `elements` values of `type`, or undefined when `elements` is not a whole number
 * of blocks (ggml requires rows to be whole blocks).
 */
export function ggmlByteSize(type: number, elements: number): number | undefined {
  const g = GGML_TYPE_GEOMETRY.get(type);
  if (!g || elements % g.blockSize !== 0) return undefined;
  return (elements / g.blockSize) * g.typeSize;
}
