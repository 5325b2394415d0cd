// Q4_0: { f16 d; u8 qs[16] } = 18 bytes; value j < 16 is the low nibble of qs[j], j >= 16 the high
// nibble of qs[j - 16]; x = (q - 8) * d. A unit (g = u % 4) is one word of qs, qs[4g..4g+4): its
// low nibbles are values 4g.., its high nibbles values 16 + 4g...
const UNIT: u32 = 8u;
const UV: u32 = 2u;
const SPAN: u32 = 32u;

fn unit_pos(u: u32, k: u32) -> u32 {
  return unit_pos_nibbles32(u, k);
}

fn unit_w(rb: u32, u: u32) -> array<vec4<f32>, UV> {
  let b = rb + (u >> 2u) * BLOCK_BYTES;
  let d = f16at(b);
  let q = u8x4(ld32(b + 2u + (u & 3u) * 4u));
  return array<vec4<f32>, UV>((vec4<f32>(q & vec4<u32>(15u)) - 8.0) * d, (vec4<f32>(q >> vec4<u32>(4u)) - 8.0) * d);
}

// Rows are whole blocks, hence whole units: never called.
fn elem(rb: u32, e: u32) -> f32 {
  return 0.0;
}

// No min term: the Q8 block sums are never read (one may be infinite).
const INT_MIN: bool = false;

// Nibble q becomes the signed byte q - 8 as (q + 120) ^ 128: no byte carries into the next.
fn unit_i8(rb: u32, u: u32) -> IntUnit {
  let b = rb + (u >> 2u) * BLOCK_BYTES;
  let w = ld32(b + 2u + (u & 3u) * 4u);
  let lo = ((w & 0x0f0f0f0fu) + 0x78787878u) ^ 0x80808080u;
  let hi = (((w >> 4u) & 0x0f0f0f0fu) + 0x78787878u) ^ 0x80808080u;
  return IntUnit(vec2<u32>(lo, hi), f16at(b), 0.0);
}
