// F16: IEEE half, 2 bytes per value.
const BLOCK_SIZE: u32 = 1u;
const BLOCK_BYTES: u32 = 2u;
fn dequant(b: u32, j: u32) -> f32 {
  return f16at(b);
}
