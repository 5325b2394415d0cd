// Activations to Q8 blocks for the integer matrix kernels, as ggml's x86 quantize_row_q8_0/q8_1
// do it, so the integer dot products see the activations llama.cpp's CPU backend sees: per
// 32-value block, d = amax / 127, q = round-to-nearest-even(x * (127 / amax)) (the multiplier is
// 127/amax, not 1/d), and d stored as f16. Block b of token t goes to XQ[t * stride + 12b ..):
// 8 words of packed i8 q, then f16(d) as f32, the integer sum of q, and f16(d * sum q) as f32
// (Q8_1's s, which the Q4_1/Q5_1 min term multiplies), and a pad word. One invocation per block;
// tokens t < step.n of X rows t * x_stride + x_off.
//
// (The two divisions are exact on IEEE hardware; WGSL allows 2.5 ulp, which on a GPU that uses
// it can move a value sitting within a few ulps of a rounding tie to the other integer.)

struct Params {
  cols: u32,
  x_stride: u32,
  x_off: u32,
  stride: u32, // XQ words per token
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> XQ: array<u32>;

// Round to the nearest f16 value (ties to even), subnormals included: quantizeToF16 may flush
// those to zero, which would drop a whole block of small activations, and its result past the
// f16 range is unspecified, where ggml's conversion gives infinity.
fn f16_round(x: f32) -> f32 {
  if (abs(x) >= 65520.0) {
    return bitcast<f32>((bitcast<u32>(x) & 0x80000000u) | 0x7f800000u);
  }
  if (abs(x) < 6.103515625e-5) {
    return round(x * 16777216.0) / 16777216.0;
  }
  return quantizeToF16(x);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let blk = gid.x;
  let t = gid.y;
  if (blk * 32u >= p.cols || t >= step.n) {
    return;
  }
  let xo = t * p.x_stride + p.x_off + blk * 32u;
  var amax = 0.0;
  for (var i = 0u; i < 32u; i = i + 1u) {
    amax = max(amax, abs(X[xo + i]));
  }
  let d = amax / 127.0;
  let id = select(0.0, 127.0 / amax, amax != 0.0);
  let o = t * p.stride + blk * 12u;
  var sum = 0;
  for (var w = 0u; w < 8u; w = w + 1u) {
    let q = vec4<i32>(round(vec4<f32>(X[xo + 4u * w], X[xo + 4u * w + 1u], X[xo + 4u * w + 2u], X[xo + 4u * w + 3u]) * id));
    sum = sum + q.x + q.y + q.z + q.w;
    let b = bitcast<vec4<u32>>(q) & vec4<u32>(0xffu);
    XQ[o + w] = b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
  }
  XQ[o + 8u] = bitcast<u32>(f16_round(d));
  XQ[o + 9u] = bitcast<u32>(sum);
  XQ[o + 10u] = bitcast<u32>(f16_round(d * f32(sum)));
  XQ[o + 11u] = 0u;
}
