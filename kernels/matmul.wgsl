// Tiled matrix x matrix for prefill: Y[t * y_stride + out_off + r] (+)= W[r] . X[t * x_stride ..]
// (+ bias) for rows r < rows and tokens t < min(n_tok, step.n). A 16x16 workgroup computes a 16-row x
// 16-token tile, stepping through K in 32-wide slices: each slice of W is dequantised once into
// workgroup memory (so a weight is decoded once per 16 tokens, not once per token) next to the
// matching slice of X, then every invocation accumulates its (row, token) dot product from there.

struct Params {
  rows: u32,
  cols: u32,
  row_bytes: u32,
  n_tok: u32,
  x_stride: u32,
  y_stride: u32,
  out_off: u32,
  flags: u32, // 1: accumulate into Y, 2: add bias
  bias_off: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read> B: array<f32>;

struct Step {
  pos: u32,
  n: u32,
  pad0: u32,
  pad1: u32,
}
@group(0) @binding(5) var<uniform> step: Step;

const TR: u32 = 16u;
const TT: u32 = 16u;
const TK: u32 = 32u;
var<workgroup> ws: array<f32, 512>; // TR x TK
var<workgroup> xs: array<f32, 512>; // TT x TK

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) li: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let r0 = wg.x * TR;
  let t0 = wg.y * TT;
  let n_tok = min(p.n_tok, step.n);
  var acc = 0.0;
  for (var k0 = 0u; k0 < p.cols; k0 = k0 + TK) {
    for (var e = lid; e < TR * TK; e = e + TR * TT) {
      let kk = e % TK;
      let k = k0 + kk;
      let row = r0 + e / TK;
      var w = 0.0;
      if (row < p.rows && k < p.cols) {
        w = dequant(row * p.row_bytes + (k / BLOCK_SIZE) * BLOCK_BYTES, k % BLOCK_SIZE);
      }
      ws[e] = w;
      let t = t0 + e / TK;
      var x = 0.0;
      if (t < n_tok && k < p.cols) {
        x = X[t * p.x_stride + k];
      }
      xs[e] = x;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk = kk + 1u) {
      acc = acc + ws[li.x * TK + kk] * xs[li.y * TK + kk];
    }
    workgroupBarrier();
  }
  let row = r0 + li.x;
  let t = t0 + li.y;
  if (row < p.rows && t < n_tok) {
    var y = acc;
    if ((p.flags & 2u) != 0u) {
      y = y + B[p.bias_off + row];
    }
    let o = t * p.y_stride + p.out_off + row;
    if ((p.flags & 1u) != 0u) {
      y = y + Y[o];
    }
    Y[o] = y;
  }
}
