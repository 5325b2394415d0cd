// Q4_1: { f16 d; f16 m; u8 qs[16] } = 20 bytes; x = q * d + m (nibbles and units as Q4_0).
const UNIT: u32 = 8u;
const UV: u32 = 2u;
const SPAN: u32 = 32u;

fn unit_pos(u: u32, k: u32) -> u32 {
  return unit_pos_nibbles32(u, k);
}

fn unit_w(rb: u32, u: u32) -> array<vec4<f32>, UV> {
  let b = rb + (u >> 2u) * BLOCK_BYTES;
  let dm = unpack2x16float(ld32(b));
  let q = u8x4(ld32(b + 4u + (u & 3u) * 4u));
  // q * d is exact in f32 (4 x 11 bits), so a fused multiply-add rounds as the reference does.
  return array<vec4<f32>, UV>(vec4<f32>(q & vec4<u32>(15u)) * dm.x + dm.y, vec4<f32>(q >> vec4<u32>(4u)) * dm.x + dm.y);
}

// Rows are whole blocks, hence whole units: never called.
fn elem(rb: u32, e: u32) -> f32 {
  return 0.0;
}

// value = d * q + m: the min term takes the Q8_1 block sum s.
const INT_MIN: bool = true;

fn unit_i8(rb: u32, u: u32) -> IntUnit {
  let b = rb + (u >> 2u) * BLOCK_BYTES;
  let dm = unpack2x16float(ld32(b));
  let w = ld32(b + 4u + (u & 3u) * 4u);
  return IntUnit(vec2<u32>(w & 0x0f0f0f0fu, (w >> 4u) & 0x0f0f0f0fu), dm.x, dm.y);
}
