// Q8_0: { f16 d; i8 qs[32] } = 34 bytes; x = d * q. A unit is 8 consecutive values of a block
// (g = u % 4): 8 bytes at 2 + 8g, funnelled when the block starts mid-word.
const UNIT: u32 = 8u;
const UV: u32 = 2u;
const SPAN: u32 = 32u;

fn unit_pos(u: u32, k: u32) -> u32 {
  return u * 8u + k * 4u;
}

fn unit_w(rb: u32, u: u32) -> array<vec4<f32>, UV> {
  let b = rb + (u >> 2u) * BLOCK_BYTES;
  let d = f16at(b);
  let q = ld64(b + 2u + (u & 3u) * 8u);
  return array<vec4<f32>, UV>(vec4<f32>(s8x4(q.x)) * d, vec4<f32>(s8x4(q.y)) * d);
}

// Rows are whole blocks, hence whole units: never called.
fn elem(rb: u32, e: u32) -> f32 {
  return 0.0;
}

// No min term: the Q8 block sums are never read (one may be infinite).
const INT_MIN: bool = false;

fn unit_i8(rb: u32, u: u32) -> IntUnit {
  let b = rb + (u >> 2u) * BLOCK_BYTES;
  return IntUnit(ld64(b + 2u + (u & 3u) * 8u), f16at(b), 0.0);
}
