// Reads from the packed weight array W (array<u32>, ggml's bytes little-endian). Block and row
// offsets are in bytes, so blocks of any size (18, 20, 22, 24, 34, 84, 110, 144, 176, 210 bytes) need no
// realignment on upload: a block that starts two bytes into a word is read as whole words and
// funnel-shifted, never byte by byte.

// Four bytes from any byte offset: one word when aligned, else two funnelled. Branch-free
// because neighbouring blocks of an 18- or 34-byte type alternate alignment; the second word
// of an aligned read is fetched and dropped (it lies inside the padded buffer or is clamped by
// WebGPU's bounds checks, and never reaches the result).
fn ld32(b: u32) -> u32 {
  let i = b >> 2u;
  let s = (b & 3u) * 8u;
  return (W[i] >> s) | select(0u, W[i + 1u] << (32u - s), s != 0u);
}

// Eight bytes from any byte offset (three words when unaligned; branch-free as ld32).
fn ld64(b: u32) -> vec2<u32> {
  let i = b >> 2u;
  let s = (b & 3u) * 8u;
  let t = 32u - s;
  let w0 = W[i];
  let w1 = W[i + 1u];
  let w2 = W[i + 2u];
  let odd = s != 0u;
  return vec2<u32>(select(w0, (w0 >> s) | (w1 << t), odd), select(w1, (w1 >> s) | (w2 << t), odd));
}

// Sixteen bytes from any byte offset (five words when unaligned).
fn ld128(b: u32) -> vec4<u32> {
  let lo = ld64(b);
  let hi = ld64(b + 8u);
  return vec4<u32>(lo, hi);
}

fn rd8(b: u32) -> u32 {
  return (W[b >> 2u] >> ((b & 3u) * 8u)) & 0xffu;
}

fn rd16(b: u32) -> u32 {
  return ld32(b) & 0xffffu;
}

fn f16at(b: u32) -> f32 {
  return unpack2x16float(ld32(b)).x;
}

fn sext8(v: u32) -> i32 {
  return i32(v << 24u) >> 24u;
}

// The four bytes of a word, unsigned / sign-extended, lowest byte first.
fn u8x4(w: u32) -> vec4<u32> {
  return (vec4<u32>(w) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu);
}

fn s8x4(w: u32) -> vec4<i32> {
  return bitcast<vec4<i32>>(vec4<u32>(w) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u);
}

// The fifth bits of Q5_0/Q5_1 (a u32 qh whose bit j belongs to value j): four of them, from bit
// s on, moved to bit 4 of each byte lane, as a vector (bits4) or packed in a word (spread4).
fn bits4(h: u32, s: u32) -> vec4<u32> {
  return ((vec4<u32>(h >> s) >> vec4<u32>(0u, 1u, 2u, 3u)) & vec4<u32>(1u)) << vec4<u32>(4u);
}

fn spread4(h: u32, s: u32) -> u32 {
  let v = (h >> s) & 15u;
  return ((v & 1u) << 4u) | ((v & 2u) << 11u) | ((v & 4u) << 18u) | ((v & 8u) << 25u);
}

// A unit of a 32-value quant type as the integer path sees it: its two words of packed signed
// bytes (the values at unit_pos(u, 0).. and unit_pos(u, 1)..), the block's scale d, and its min
// m (0 for the symmetric types), so that value = d * q + m.
struct IntUnit {
  q: vec2<u32>,
  d: f32,
  m: f32,
}
