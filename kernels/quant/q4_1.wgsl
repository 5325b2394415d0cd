// Q4_1: { f16 d; f16 m; u8 qs[16] } = 20 bytes; x = q * d + m (nibbles as Q4_0).
const BLOCK_SIZE: u32 = 32u;
const BLOCK_BYTES: u32 = 20u;
fn dequant(b: u32, j: u32) -> f32 {
  let byte = rd8(b + 4u + (j & 15u));
  let q = select(byte & 15u, byte >> 4u, j >= 16u);
  return f32(q) * f16at(b) + f16at(b + 2u);
}
