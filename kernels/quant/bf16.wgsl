// BF16: the top 16 bits of an f32. A unit is 8 consecutive values, 16 bytes.
const UNIT: u32 = 8u;
const UV: u32 = 2u;
const SPAN: u32 = 8u;

fn unit_pos(u: u32, k: u32) -> u32 {
  return u * 8u + k * 4u;
}

fn bf16x2(w: u32) -> vec2<f32> {
  return bitcast<vec2<f32>>(vec2<u32>(w << 16u, w & 0xffff0000u));
}

fn unit_w(rb: u32, u: u32) -> array<vec4<f32>, UV> {
  let w = ld128(rb + u * 16u);
  return array<vec4<f32>, UV>(vec4<f32>(bf16x2(w.x), bf16x2(w.y)), vec4<f32>(bf16x2(w.z), bf16x2(w.w)));
}

// Value e of the row at byte rb: the ragged end of a row that is not whole units.
fn elem(rb: u32, e: u32) -> f32 {
  return bitcast<f32>(rd16(rb + 2u * e) << 16u);
}
