// Q6_K: { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d } = 210 bytes per 256 values. Two halves
// of 128; in a half, quarter k (0..3) of 32 values takes the low (k = 0, 1) or high (k = 2, 3)
// nibble of ql[64h + l + 32 * (k & 1)] and bits 2k..2k+1 of qh[32h + l]; scale i8 scales[8h +
// l / 16 + 2k]; x = d * scale * (q - 32).
const BLOCK_SIZE: u32 = 256u;
const BLOCK_BYTES: u32 = 210u;
fn dequant(b: u32, j: u32) -> f32 {
  let h = j >> 7u;
  let r = j & 127u;
  let k = r >> 5u;
  let l = r & 31u;
  let byte = rd8(b + 64u * h + l + 32u * (k & 1u));
  let lo = select(byte & 15u, byte >> 4u, k >= 2u);
  let hi = (rd8(b + 128u + 32u * h + l) >> (2u * k)) & 3u;
  let q = i32(lo | (hi << 4u)) - 32;
  let sc = sext8(rd8(b + 192u + 8u * h + (l >> 4u) + 2u * k));
  return (f16at(b + 208u) * f32(sc)) * f32(q);
}
