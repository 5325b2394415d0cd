// Q4_K: { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] } = 144 bytes per 256 values: four chunks
// of 64, each 32 low nibbles then 32 high nibbles of qs[32c..32c+32), sub-block s = j / 32 with
// its own 6-bit scale and min: x = d * sc * q - dmin * m.
const BLOCK_SIZE: u32 = 256u;
const BLOCK_BYTES: u32 = 144u;
fn dequant(b: u32, j: u32) -> f32 {
  let c = j >> 6u;
  let s = j >> 5u;
  let l = j & 31u;
  let sm = scale_min_k4(s, b + 4u);
  let byte = rd8(b + 16u + 32u * c + l);
  let q = select(byte & 15u, byte >> 4u, (s & 1u) == 1u);
  return f16at(b) * f32(sm.x) * f32(q) - f16at(b + 2u) * f32(sm.y);
}
