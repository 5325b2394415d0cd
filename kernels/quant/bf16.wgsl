// BF16: the top 16 bits of an f32.
const BLOCK_SIZE: u32 = 1u;
const BLOCK_BYTES: u32 = 2u;
fn dequant(b: u32, j: u32) -> f32 {
  return bitcast<f32>(rd16(b) << 16u);
}
