// The 6-bit scale/min packing of Q4_K and Q5_K (ggml's get_scale_min_k4): 12 bytes at `o`.
fn scale_min_k4(j: u32, o: u32) -> vec2<u32> {
  if (j < 4u) {
    return vec2<u32>(rd8(o + j) & 63u, rd8(o + j + 4u) & 63u);
  }
  let sc = (rd8(o + j + 4u) & 15u) | ((rd8(o + j - 4u) >> 6u) << 4u);
  let m = (rd8(o + j + 4u) >> 4u) | ((rd8(o + j) >> 6u) << 4u);
  return vec2<u32>(sc, m);
}
