// F32: 4 bytes per value.
const BLOCK_SIZE: u32 = 1u;
const BLOCK_BYTES: u32 = 4u;
fn dequant(b: u32, j: u32) -> f32 {
  return bitcast<f32>(W[b >> 2u]);
}
