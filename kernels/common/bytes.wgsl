// Byte-addressed reads from the packed weight array W (array<u32>, ggml's bytes little-endian).
// Block and row offsets are in bytes, so blocks of any size (18, 20, 22, 34, 144, 176, 210 bytes)
// need no realignment on upload.

fn rd8(b: u32) -> u32 {
  return (W[b >> 2u] >> ((b & 3u) * 8u)) & 0xffu;
}

fn rd16(b: u32) -> u32 {
  if ((b & 3u) != 3u) {
    return (W[b >> 2u] >> ((b & 3u) * 8u)) & 0xffffu;
  }
  return rd8(b) | (rd8(b + 1u) << 8u);
}

fn rd32(b: u32) -> u32 {
  if ((b & 3u) == 0u) {
    return W[b >> 2u];
  }
  return rd16(b) | (rd16(b + 2u) << 16u);
}

fn f16at(b: u32) -> f32 {
  return unpack2x16float(rd16(b)).x;
}

fn sext8(v: u32) -> i32 {
  return i32(v << 24u) >> 24u;
}
