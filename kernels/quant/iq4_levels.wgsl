// The sixteen non-linear levels IQ4_NL and IQ4_XS share (ggml's kvalues_iq4nl).
const IQ4_LEVELS = array<i32, 16>(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

// The levels of four nibbles.
fn iq4_levels4(n: vec4<u32>) -> vec4<i32> {
  return vec4<i32>(IQ4_LEVELS[n.x], IQ4_LEVELS[n.y], IQ4_LEVELS[n.z], IQ4_LEVELS[n.w]);
}

// The low (s = 0) or high (s = 4) nibbles of a word's four bytes as the levels' signed bytes, packed.
fn iq4_i8x4(w: u32, s: u32) -> u32 {
  let v = vec4<u32>(iq4_levels4((u8x4(w) >> vec4<u32>(s)) & vec4<u32>(15u))) & vec4<u32>(255u);
  return v.x | (v.y << 8u) | (v.z << 16u) | (v.w << 24u);
}
