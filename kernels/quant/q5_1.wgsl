// Q5_1: { f16 d; f16 m; u32 qh; u8 qs[16] } = 24 bytes; bit j of qh is the fifth bit of value j;
// x = q * d + m. Units as Q4_0, with qh's bits 4g.. and 16 + 4g.. on top (as Q5_0).
const UNIT: u32 = 8u;
const UV: u32 = 2u;
const SPAN: u32 = 32u;

fn unit_pos(u: u32, k: u32) -> u32 {
  return unit_pos_nibbles32(u, k);
}

fn unit_w(rb: u32, u: u32) -> array<vec4<f32>, UV> {
  let b = rb + (u >> 2u) * BLOCK_BYTES;
  let g = u & 3u;
  let dm = unpack2x16float(ld32(b));
  let qh = ld32(b + 4u);
  let q = u8x4(ld32(b + 8u + g * 4u));
  let lo = (q & vec4<u32>(15u)) | bits4(qh, 4u * g);
  let hi = (q >> vec4<u32>(4u)) | bits4(qh, 16u + 4u * g);
  // q * d is exact in f32 (5 x 11 bits), so a fused multiply-add rounds as the reference does.
  return array<vec4<f32>, UV>(vec4<f32>(lo) * dm.x + dm.y, vec4<f32>(hi) * dm.x + dm.y);
}

// Rows are whole blocks, hence whole units: never called.
fn elem(rb: u32, e: u32) -> f32 {
  return 0.0;
}

// value = d * q + m: the min term takes the Q8_1 block sum s.
const INT_MIN: bool = true;

// q is 0..31, so it is already a non-negative signed byte: no bias, unlike Q5_0.
fn unit_i8(rb: u32, u: u32) -> IntUnit {
  let b = rb + (u >> 2u) * BLOCK_BYTES;
  let g = u & 3u;
  let dm = unpack2x16float(ld32(b));
  let qh = ld32(b + 4u);
  let w = ld32(b + 8u + g * 4u);
  let lo = (w & 0x0f0f0f0fu) | spread4(qh, 4u * g);
  let hi = ((w >> 4u) & 0x0f0f0f0fu) | spread4(qh, 16u + 4u * g);
  return IntUnit(vec2<u32>(lo, hi), dm.x, dm.y);
}
