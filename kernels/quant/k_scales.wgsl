// The 6-bit scale/min packing of Q4_K and Q5_K (ggml's get_scale_min_k4), from the 12 scale bytes
// as three words s (bytes 0..3, 4..7, 8..11): (scale, min) of sub-block j as floats.
fn scale_min_k4(s: vec3<u32>, j: u32) -> vec2<f32> {
  let sh = (j & 3u) * 8u;
  let a = (s.x >> sh) & 0xffu;
  let b = (s.y >> sh) & 0xffu;
  if (j < 4u) {
    return vec2<f32>(f32(a & 63u), f32(b & 63u));
  }
  let c = (s.z >> sh) & 0xffu;
  return vec2<f32>(f32((c & 15u) | ((a >> 6u) << 4u)), f32((c >> 4u) | ((b >> 6u) << 4u)));
}
