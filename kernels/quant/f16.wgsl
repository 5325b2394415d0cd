// F16: IEEE half, 2 bytes per value. A unit is 8 consecutive values, 16 bytes (rows of an odd
// number of values start mid-word: funnel reads).
const UNIT: u32 = 8u;
const UV: u32 = 2u;
const SPAN: u32 = 8u;

fn unit_pos(u: u32, k: u32) -> u32 {
  return u * 8u + k * 4u;
}

fn unit_w(rb: u32, u: u32) -> array<vec4<f32>, UV> {
  let w = ld128(rb + u * 16u);
  return array<vec4<f32>, UV>(
    vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y)),
    vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w)));
}

// Value e of the row at byte rb: the ragged end of a row that is not whole units.
fn elem(rb: u32, e: u32) -> f32 {
  return f16at(rb + 2u * e);
}
