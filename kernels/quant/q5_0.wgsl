// Q5_0: { f16 d; u32 qh; u8 qs[16] } = 22 bytes; bit j of qh is the fifth bit of value j;
// x = (q - 16) * d. Units as Q4_0, with qh's bits 4g.. and 16 + 4g.. on top.
const UNIT: u32 = 8u;
const UV: u32 = 2u;
const SPAN: u32 = 32u;

fn unit_pos(u: u32, k: u32) -> u32 {
  return unit_pos_nibbles32(u, k);
}

fn unit_w(rb: u32, u: u32) -> array<vec4<f32>, UV> {
  let b = rb + (u >> 2u) * BLOCK_BYTES;
  let g = u & 3u;
  let d = f16at(b);
  let qh = ld32(b + 2u);
  let q = u8x4(ld32(b + 6u + g * 4u));
  let lo = (q & vec4<u32>(15u)) | bits4(qh, 4u * g);
  let hi = (q >> vec4<u32>(4u)) | bits4(qh, 16u + 4u * g);
  return array<vec4<f32>, UV>((vec4<f32>(lo) - 16.0) * d, (vec4<f32>(hi) - 16.0) * d);
}

// Rows are whole blocks, hence whole units: never called.
fn elem(rb: u32, e: u32) -> f32 {
  return 0.0;
}

// No min term: the Q8 block sums are never read (one may be infinite).
const INT_MIN: bool = false;

// The 5-bit q becomes the signed byte q - 16 as (q + 112) ^ 128: no byte carries.
fn unit_i8(rb: u32, u: u32) -> IntUnit {
  let b = rb + (u >> 2u) * BLOCK_BYTES;
  let g = u & 3u;
  let qh = ld32(b + 2u);
  let w = ld32(b + 6u + g * 4u);
  let lo = (((w & 0x0f0f0f0fu) | spread4(qh, 4u * g)) + 0x70707070u) ^ 0x80808080u;
  let hi = ((((w >> 4u) & 0x0f0f0f0fu) | spread4(qh, 16u + 4u * g)) + 0x70707070u) ^ 0x80808080u;
  return IntUnit(vec2<u32>(lo, hi), f16at(b), 0.0);
}
