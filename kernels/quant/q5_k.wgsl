// Q5_K: { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] } = 176 bytes per 256 values:
// as Q4_K, plus bit s of qh[j % 32] as the fifth bit of value j (s = j / 32). Units as Q4_K; the
// unit's 8 qh bytes are qh[8(i % 4)..+8).
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
  let h = (b + 16u + (i & 3u) * 8u) >> 2u;
  let h0 = u8x4(W[h]) >> vec4<u32>(2u * c);
  let h1 = u8x4(W[h + 1u]) >> vec4<u32>(2u * c);
  let q = (b + 48u + c * 32u + (i & 3u) * 8u) >> 2u;
  let q0 = u8x4(W[q]);
  let q1 = u8x4(W[q + 1u]);
  let sm0 = scale_min_k4(s, 2u * c);
  let sm1 = scale_min_k4(s, 2u * c + 1u);
  let d0 = dm.x * sm0.x;
  let m0 = dm.y * sm0.y;
  let d1 = dm.x * sm1.x;
  let m1 = dm.y * sm1.y;
  let n = vec4<u32>(15u);
  let one = vec4<u32>(1u);
  let four = vec4<u32>(4u);
  return array<vec4<f32>, UV>(
    d0 * vec4<f32>((q0 & n) | ((h0 & one) << four)) - m0,
    d0 * vec4<f32>((q1 & n) | ((h1 & one) << four)) - m0,
    d1 * vec4<f32>((q0 >> four) | (((h0 >> one) & one) << four)) - m1,
    d1 * vec4<f32>((q1 >> four) | (((h1 >> one) & one) << four)) - m1);
}

// Rows are whole blocks, hence whole units: never called.
fn elem(rb: u32, e: u32) -> f32 {
  return 0.0;
}
