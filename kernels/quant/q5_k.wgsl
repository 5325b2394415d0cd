// Q5_K: { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] } = 176 bytes per 256 values:
// as Q4_K, plus bit s of qh[j % 32] as the fifth bit of value j (s = j / 32).
const BLOCK_SIZE: u32 = 256u;
const BLOCK_BYTES: u32 = 176u;
fn dequant(b: u32, j: u32) -> f32 {
  let c = j >> 6u;
  let s = j >> 5u;
  let l = j & 31u;
  let sm = scale_min_k4(s, b + 4u);
  let byte = rd8(b + 48u + 32u * c + l);
  let lo = select(byte & 15u, byte >> 4u, (s & 1u) == 1u);
  let q = lo + ((rd8(b + 16u + l) >> s) & 1u) * 16u;
  return f16at(b) * f32(sm.x) * f32(q) - f16at(b + 2u) * f32(sm.y);
}
