// Q3_K: { u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d } = 110 bytes per 256 values. Two halves
// of 128; in half n, quarter j (0..3) of 32 values takes bits 2j..2j+1 of qs[32n + l] as its low
// bits and bit 4n + j of hmask[l] as its third (clear: minus 4), so q is in -4..3; sub-block
// 8n + 2j + l / 16 has a 6-bit scale stored +32 (ggml's packing, below); x = d * scale * q. A
// unit (i = u % 16, n = i / 8, l = 4(i % 8)) is the four values l..l+4 of each quarter of half n:
// one word each of qs[32n + l] and hmask[l] (funnelled: blocks start at even, not word, offsets).
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
  let qs = u8x4(ld32(b + 32u + 32u * n + l));
  let hm = u8x4(ld32(b + l)) >> vec4<u32>(4u * n);
  // Scale s = 8n + l/16 + 2k of quarter k: its low 4 bits are nibble n of scales[l/16 + 2k] (the
  // even bytes of 8 from l/16), its high 2 bits are bits 4n + 2(k/2).. of scales[8 + l/16 +
  // 2(k % 2)] (bytes 0 and 2 of a word from 8 + l/16).
  let o = b + 96u + (l >> 4u);
  let lw = ld64(o);
  let hw = ld32(o + 8u);
  let lo = (vec4<u32>(lw.x, lw.x >> 16u, lw.y, lw.y >> 16u) >> vec4<u32>(4u * n)) & vec4<u32>(15u);
  let hi = (vec4<u32>(hw, hw >> 16u, hw, hw >> 16u) >> (vec4<u32>(0u, 0u, 2u, 2u) + 4u * n)) & vec4<u32>(3u);
  let sc = vec4<f32>(vec4<i32>(lo | (hi << vec4<u32>(4u))) - 32);
  // d * scale is exact in f32 (11 x 6 bits) and so is its product with q (2 more bits), so this
  // is the reference's value whatever the order.
  let ds = f16at(b + 108u) * sc;
  let three = vec4<u32>(3u);
  let one = vec4<u32>(1u);
  let q0 = vec4<i32>((qs & three) | ((hm & one) << vec4<u32>(2u))) - 4;
  let q1 = vec4<i32>(((qs >> vec4<u32>(2u)) & three) | (((hm >> one) & one) << vec4<u32>(2u))) - 4;
  let q2 = vec4<i32>(((qs >> vec4<u32>(4u)) & three) | (((hm >> vec4<u32>(2u)) & one) << vec4<u32>(2u))) - 4;
  let q3 = vec4<i32>((qs >> vec4<u32>(6u)) | (((hm >> three) & one) << vec4<u32>(2u))) - 4;
  return array<vec4<f32>, UV>(ds.x * vec4<f32>(q0), ds.y * vec4<f32>(q1), ds.z * vec4<f32>(q2), ds.w * vec4<f32>(q3));
}

// Rows are whole blocks, hence whole units: never called.
fn elem(rb: u32, e: u32) -> f32 {
  return 0.0;
}
