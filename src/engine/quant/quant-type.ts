import type { GGMLType } from './ggml-type.js';

/**
 * One row of the quantisation registry: geometry plus the reference (pure TypeScript) codec.
 * Layouts are byte-exact with ggml's blocks (ggml-common.h), multi-byte fields little-endian.
 */
export interface QuantType {
  /** ggml type id. */
  readonly type: GGMLType;
  /** ggml's name: 'Q4_0', 'F16', ... */
  readonly name: string;
  /** Elements per block (1 for plain scalar types). */
  readonly blockSize: number;
  readonly bytesPerBlock: number;
  /**
   * Decode `out.length` values (a whole number of blocks) from `src` (exactly the needed bytes or
   * more; extra bytes are ignored). Matches ggml's dequantize_row_* bit for bit.
   */
  dequantize(src: Uint8Array, out: Float32Array): void;
  /**
   * Round-to-nearest reference quantiser, byte-exact with ggml's quantize_row_*_ref (what
   * llama-quantize does without an imatrix). `src.length` must be a multiple of blockSize.
   */
  quantize(src: Float32Array): Uint8Array;
}
