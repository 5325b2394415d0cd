// F32: 4 bytes per value. A unit is 8 consecutive values, 8 aligned words.
const UNIT: u32 = 8u;
const UV: u32 = 2u;
const SPAN: u32 = 8u;

fn unit_pos(u: u32, k: u32) -> u32 {
  return u * 8u + k * 4u;
}

fn unit_w(rb: u32, u: u32) -> array<vec4<f32>, UV> {
  let i = (rb >> 2u) + u * 8u;
  return array<vec4<f32>, UV>(
    bitcast<vec4<f32>>(vec4<u32>(W[i], W[i + 1u], W[i + 2u], W[i + 3u])),
    bitcast<vec4<f32>>(vec4<u32>(W[i + 4u], W[i + 5u], W[i + 6u], W[i + 7u])));
}

// Value e of the row at byte rb: the ragged end of a row that is not whole units.
fn elem(rb: u32, e: u32) -> f32 {
  return bitcast<f32>(W[(rb >> 2u) + e]);
}
