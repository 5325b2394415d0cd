// Q8_0: { f16 d; i8 qs[32] } = 34 bytes; x = d * q.
const BLOCK_SIZE: u32 = 32u;
const BLOCK_BYTES: u32 = 34u;
fn dequant(b: u32, j: u32) -> f32 {
  return f32(sext8(rd8(b + 2u + j))) * f16at(b);
}
