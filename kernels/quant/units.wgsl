// Unit layouts that several decoders share: unit_pos(u, k) is where the k-th four values of unit
// u start (the k-th vec4 of its unit_w). Each decoder's unit_pos names the one it takes.

// The 32-value nibble blocks (Q4_0, Q4_1, Q5_0, Q5_1): unit u is values 4(u % 4).. of block u / 4,
// from the low nibbles (k = 0) and the high ones (k = 1, 16 values on).
fn unit_pos_nibbles32(u: u32, k: u32) -> u32 {
  return (u >> 2u) * 32u + (u & 3u) * 4u + k * 16u;
}

// Q2_K, Q3_K and Q6_K, whose super-blocks are two halves of 128 values, each four quarters of 32:
// unit u (i = u % 16) is values l..l+3 (l = 4(i % 8)) of quarter k of half i / 8.
fn unit_pos_halves(u: u32, k: u32) -> u32 {
  let i = u & 15u;
  return (u >> 4u) * 256u + (i >> 3u) * 128u + (i & 7u) * 4u + k * 32u;
}
