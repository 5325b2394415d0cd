// Q6_K: { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d } = 210 bytes per 256 values. Two halves
// of 128; in a half, quarter k (0..3) of 32 values takes the low (k = 0, 1) or high (k = 2, 3)
// nibble of ql[64h + l + 32 * (k & 1)] and bits 2k..2k+1 of qh[32h + l]; scale i8 scales[8h +
// l / 16 + 2k]; x = d * scale * (q - 32). A unit (i = u % 16, h = i / 8, l = 4(i % 8)) is the
// four values l..l+4 of each quarter of half h: one word each of ql[64h + l], ql[64h + 32 + l]
// and qh[32h + l] (funnelled: blocks start at even, not word, offsets).
const UNIT: u32 = 16u;
const UV: u32 = 4u;
const SPAN: u32 = 128u;

fn unit_pos(u: u32, k: u32) -> u32 {
  return unit_pos_halves(u, k);
}

fn unit_w(rb: u32, u: u32) -> array<vec4<f32>, UV> {
  let b = rb + (u >> 4u) * BLOCK_BYTES;
  let i = u & 15u;
  let h = i >> 3u;
  let l = (i & 7u) * 4u;
  let qa = u8x4(ld32(b + 64u * h + l));
  let qb = u8x4(ld32(b + 64u * h + 32u + l));
  let qh = u8x4(ld32(b + 128u + 32u * h + l));
  // scales[8h + l/16 + 2k] for k = 0..3: the even bytes of 8 bytes from 8h + l/16.
  let sw = ld64(b + 192u + 8u * h + (l >> 4u));
  let sc = vec4<f32>(f32(sext8(sw.x)), f32(sext8(sw.x >> 16u)), f32(sext8(sw.y)), f32(sext8(sw.y >> 16u)));
  // d * scale is exact in f32; the product with q rounds once, as the reference's.
  let ds = f16at(b + 208u) * sc;
  let n = vec4<u32>(15u);
  let three = vec4<u32>(3u);
  let q0 = vec4<i32>((qa & n) | ((qh & three) << vec4<u32>(4u))) - 32;
  let q1 = vec4<i32>((qb & n) | (((qh >> vec4<u32>(2u)) & three) << vec4<u32>(4u))) - 32;
  let q2 = vec4<i32>((qa >> vec4<u32>(4u)) | (((qh >> vec4<u32>(4u)) & three) << vec4<u32>(4u))) - 32;
  let q3 = vec4<i32>((qb >> vec4<u32>(4u)) | ((qh >> vec4<u32>(6u)) << vec4<u32>(4u))) - 32;
  return array<vec4<f32>, UV>(ds.x * vec4<f32>(q0), ds.y * vec4<f32>(q1), ds.z * vec4<f32>(q2), ds.w * vec4<f32>(q3));
}

// Rows are whole blocks, hence whole units: never called.
fn elem(rb: u32, e: u32) -> f32 {
  return 0.0;
}
