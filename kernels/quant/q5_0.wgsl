// Q5_0: { f16 d; u32 qh; u8 qs[16] } = 22 bytes; bit j of qh is the fifth bit of value j;
// x = (q - 16) * d.
const BLOCK_SIZE: u32 = 32u;
const BLOCK_BYTES: u32 = 22u;
fn dequant(b: u32, j: u32) -> f32 {
  let qh = rd32(b + 2u);
  let byte = rd8(b + 6u + (j & 15u));
  let lo = select(byte & 15u, byte >> 4u, j >= 16u);
  let q = lo | (((qh >> j) & 1u) << 4u);
  return f32(i32(q) - 16) * f16at(b);
}
