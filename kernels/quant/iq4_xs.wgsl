// IQ4_XS: { f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128] } = 136 bytes per 256 values: eight
// sub-blocks of 32 in IQ4_NL's nibble layout, sub-block s scaled by d * (ls - 32), ls six bits:
// nibble s % 2 of scales_l[s / 2] and bits 2s..2s+1 of scales_h above it. A unit (s = u / 4 % 8,
// g = u % 4) is one word of sub-block s's qs, as IQ4_NL's.
const UNIT: u32 = 8u;
const UV: u32 = 2u;
const SPAN: u32 = 32u;

fn unit_pos(u: u32, k: u32) -> u32 {
  return unit_pos_nibbles32(u, k);
}

fn unit_w(rb: u32, u: u32) -> array<vec4<f32>, UV> {
  let b = rb + (u >> 5u) * BLOCK_BYTES;
  let s = (u >> 2u) & 7u;
  let ls = ((rd8(b + 4u + (s >> 1u)) >> (4u * (s & 1u))) & 15u) | (((rd16(b + 2u) >> (2u * s)) & 3u) << 4u);
  // d * (ls - 32) is exact in f32, as the reference computes it first.
  let dl = f16at(b) * f32(i32(ls) - 32);
  let q = u8x4(ld32(b + 8u + 16u * s + (u & 3u) * 4u));
  return array<vec4<f32>, UV>(dl * vec4<f32>(iq4_levels4(q & vec4<u32>(15u))), dl * vec4<f32>(iq4_levels4(q >> vec4<u32>(4u))));
}

// Rows are whole blocks, hence whole units: never called.
fn elem(rb: u32, e: u32) -> f32 {
  return 0.0;
}
