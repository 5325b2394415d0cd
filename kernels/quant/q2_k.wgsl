// Q2_K: { u8 scales[16]; u8 qs[64]; f16 d; f16 dmin } = 84 bytes per 256 values. Two halves of 128;
// in half n, quarter j (0..3) of 32 values takes bits 2j..2j+1 of qs[32n + l]; sub-block 8n + 2j +
// l / 16 has the 4-bit scale sc (low nibble of its byte in scales) and min m (high nibble); x =
// (d * sc) * q - dmin * m. A unit (i = u % 16, n = i / 8, l = 4(i % 8)) is the four values l..l+4
// of each quarter of half n: one word of qs[32n + l].
const UNIT: u32 = 16u;
const UV: u32 = 4u;
const SPAN: u32 = 128u;

fn unit_pos(u: u32, k: u32) -> u32 {
  return unit_pos_halves(u, k);
}

fn unit_w(rb: u32, u: u32) -> array<vec4<f32>, UV> {
  let b = rb + (u >> 4u) * BLOCK_BYTES;
  let i = u & 15u;
  let n = i >> 3u;
  let l = (i & 7u) * 4u;
  let qs = u8x4(ld32(b + 16u + 32u * n + l));
  // The scale bytes of quarters j = 0..3: scales[8n + l/16 + 2j], the even bytes of 8 from there.
  let sw = ld64(b + 8u * n + (l >> 4u));
  let sb = vec4<u32>(sw.x, sw.x >> 16u, sw.y, sw.y >> 16u);
  let dm = unpack2x16float(ld32(b + 80u));
  // d * sc and dmin * m are exact in f32 (11 x 4 bits), and so is the product with q (2 more bits):
  // only the subtraction rounds, once, as in the reference.
  let ds = dm.x * vec4<f32>(sb & vec4<u32>(15u));
  let ms = dm.y * vec4<f32>((sb >> vec4<u32>(4u)) & vec4<u32>(15u));
  let three = vec4<u32>(3u);
  let q0 = vec4<f32>(qs & three);
  let q1 = vec4<f32>((qs >> vec4<u32>(2u)) & three);
  let q2 = vec4<f32>((qs >> vec4<u32>(4u)) & three);
  let q3 = vec4<f32>(qs >> vec4<u32>(6u));
  return array<vec4<f32>, UV>(ds.x * q0 - ms.x, ds.y * q1 - ms.y, ds.z * q2 - ms.z, ds.w * q3 - ms.w);
}

// Rows are whole blocks, hence whole units: never called.
fn elem(rb: u32, e: u32) -> f32 {
  return 0.0;
}
