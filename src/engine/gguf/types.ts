/** GGUF's metadata value types (gguf.h). */
export enum GGUFValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** 64-bit integers come back as numbers when they are safe integers, else as bigints. */
export type GGUFScalar = number | bigint | boolean | string;
export type GGUFValue = GGUFScalar | GGUFValue[];

/** One metadata entry as stored: its type, and for arrays the element type. */
export interface GGUFMetadataValue {
  readonly type: GGUFValueType;
  /** Element type, for ARRAY values (nested arrays carry their own in `value`). */
  readonly itemType?: GGUFValueType;
  readonly value: GGUFValue;
}

export type GGUFMetadata = ReadonlyMap<string, GGUFMetadataValue>;

export interface GGUFTensorInfo {
  readonly name: string;
  /** ggml order: dims[0] is the contiguous (row) length. */
  readonly dims: readonly number[];
  readonly type: number;
  /** Offset of the data from the start of the tensor-data section. */
  readonly offset: number;
  readonly elements: number;
  readonly byteSize: number;
}
