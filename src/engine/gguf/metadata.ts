import { GGUFError } from './errors.js';
import { GGUFValueType, type GGUFMetadata, type GGUFMetadataValue, type GGUFValue } from './types.js';

/**
 * Typed access to metadata, so model code states what it expects and a file that disagrees gets a
 * GGUFError naming the key instead of a NaN somewhere downstream.
 */
export function metaString(meta: GGUFMetadata, key: string): string | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (typeof v.value !== 'string') throw new GGUFError(`metadata "${key}" should be a string`);
  return v.value;
}

/** Any integer or float type; integer keys may be stored as u32 or u64 (or signed) in the wild. */
export function metaNumber(meta: GGUFMetadata, key: string): number | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (typeof v.value !== 'number') throw new GGUFError(`metadata "${key}" should be a number`);
  return v.value;
}

export function metaInteger(meta: GGUFMetadata, key: string): number | undefined {
  const n = metaNumber(meta, key);
  if (n !== undefined && !Number.isInteger(n)) throw new GGUFError(`metadata "${key}" should be an integer, got ${n}`);
  return n;
}

export function metaBool(meta: GGUFMetadata, key: string): boolean | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (typeof v.value !== 'boolean') throw new GGUFError(`metadata "${key}" should be a bool`);
  return v.value;
}

export function metaArray(meta: GGUFMetadata, key: string): GGUFValue[] | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v.value)) throw new GGUFError(`metadata "${key}" should be an array`);
  return v.value;
}

/** Builders for writing metadata with explicit on-disk types. */
export const gguf = {
  u8: (value: number): GGUFMetadataValue => ({ type: GGUFValueType.UINT8, value }),
  i32: (value: number): GGUFMetadataValue => ({ type: GGUFValueType.INT32, value }),
  u32: (value: number): GGUFMetadataValue => ({ type: GGUFValueType.UINT32, value }),
  u64: (value: number | bigint): GGUFMetadataValue => ({ type: GGUFValueType.UINT64, value }),
  f32: (value: number): GGUFMetadataValue => ({ type: GGUFValueType.FLOAT32, value }),
  f64: (value: number): GGUFMetadataValue => ({ type: GGUFValueType.FLOAT64, value }),
  bool: (value: boolean): GGUFMetadataValue => ({ type: GGUFValueType.BOOL, value }),
  str: (value: string): GGUFMetadataValue => ({ type: GGUFValueType.STRING, value }),
  array: (itemType: GGUFValueType, value: GGUFValue[]): GGUFMetadataValue => ({ type: GGUFValueType.ARRAY, itemType, value }),
};
