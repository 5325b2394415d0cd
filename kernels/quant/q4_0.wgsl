// Q4_0: { f16 d; u8 qs[16] } = 18 bytes; value j < 16 is the low nibble of qs[j], j >= 16 the high
// nibble of qs[j - 16]; x = (q - 8) * d.
const BLOCK_SIZE: u32 = 32u;
const BLOCK_BYTES: u32 = 18u;
fn dequant(b: u32, j: u32) -> f32 {
  let byte = rd8(b + 2u + (j & 15u));
  let q = select(byte & 15u, byte >> 4u, j >= 16u);
  return f32(i32(q) - 8) * f16at(b);
}
