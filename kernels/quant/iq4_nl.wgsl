// IQ4_NL: { f16 d; u8 qs[16] } = 18 bytes, Q4_0's layout with non-linear levels: value j < 16 is
// level[low nibble of qs[j]], j >= 16 level[high nibble of qs[j - 16]]; x = d * level. A unit
// (g = u % 4) is one word of qs, qs[4g..4g+4): its low nibbles are values 4g.., its high 16 + 4g...
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
  return array<vec4<f32>, UV>(d * vec4<f32>(iq4_levels4(q & vec4<u32>(15u))), d * vec4<f32>(iq4_levels4(q >> vec4<u32>(4u))));
}

// Rows are whole blocks, hence whole units: never called.
fn elem(rb: u32, e: u32) -> f32 {
  return 0.0;
}

// No min term: the Q8 block sums are never read (one may be infinite).
const INT_MIN: bool = false;

fn unit_i8(rb: u32, u: u32) -> IntUnit {
  let b = rb + (u >> 2u) * BLOCK_BYTES;
  let w = ld32(b + 2u + (u & 3u) * 4u);
  return IntUnit(vec2<u32>(iq4_i8x4(w, 0u), iq4_i8x4(w, 4u)), f16at(b), 0.0);
}
