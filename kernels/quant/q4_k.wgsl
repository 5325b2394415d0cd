// Q4_K: { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] } = 144 bytes per 256 values: four chunks
// of 64, each 32 low nibbles then 32 high nibbles of qs[32c..32c+32), sub-block s = j / 32 with
// its own 6-bit scale and min: x = d * sc * q - dmin * m. A unit (i = u % 16, chunk c = i / 4) is
// 8 bytes of qs at 32c + 8(i % 4): 8 values of sub-block 2c (low nibbles) and the same 8 of 2c + 1
// (high). Blocks are word-aligned.
const UNIT: u32 = 16u;
const UV: u32 = 4u;
const SPAN: u32 = 64u;

fn unit_pos(u: u32, k: u32) -> u32 {
  let i = u & 15u;
  return (u >> 4u) * 256u + (i >> 2u) * 64u + (i & 3u) * 8u + (k & 1u) * 4u + (k >> 1u) * 32u;
}

fn unit_w(rb: u32, u: u32) -> array<vec4<f32>, UV> {
  let b = rb + (u >> 4u) * BLOCK_BYTES;
  let i = u & 15u;
  let c = i >> 2u;
  let w = b >> 2u;
  let dm = unpack2x16float(W[w]);
  let s = vec3<u32>(W[w + 1u], W[w + 2u], W[w + 3u]);
  let q = (b + 16u + c * 32u + (i & 3u) * 8u) >> 2u;
  let q0 = u8x4(W[q]);
  let q1 = u8x4(W[q + 1u]);
  let sm0 = scale_min_k4(s, 2u * c);
  let sm1 = scale_min_k4(s, 2u * c + 1u);
  // d * sc and dmin * m are exact in f32, and so is (d * sc) * q: one rounding, as the reference.
  let d0 = dm.x * sm0.x;
  let m0 = dm.y * sm0.y;
  let d1 = dm.x * sm1.x;
  let m1 = dm.y * sm1.y;
  let n = vec4<u32>(15u);
  return array<vec4<f32>, UV>(
    d0 * vec4<f32>(q0 & n) - m0, d0 * vec4<f32>(q1 & n) - m0,
    d1 * vec4<f32>(q0 >> vec4<u32>(4u)) - m1, d1 * vec4<f32>(q1 >> vec4<u32>(4u)) - m1);
}

// Rows are whole blocks, hence whole units: never called.
fn elem(rb: u32, e: u32) -> f32 {
  return 0.0;
}
