// Tiled matrix x matrix for prefill on the integer path (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 weights): the
// contract and 16-row x 16-token tiles of matmul.wgsl, with K stepped a 32-value block at a time.
// Per block, the tile's weights (4 units a row, as packed signed bytes, plus d and m) and the
// tokens' Q8 blocks (quantize_q8.wgsl) go to workgroup memory, word-major so neighbouring
// invocations read neighbouring words; each invocation then takes 8 dot4I8Packed and adds
// (d_w * d_x) * sum + m_w * s_x: ggml's CPU arithmetic for the block.

struct Params {
  rows: u32,
  cols: u32,
  row_bytes: u32,
  n_tok: u32,
  x_stride: u32, // XQ words per token
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
@group(0) @binding(2) var<storage, read> XQ: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read> B: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;

const TR: u32 = 16u;
const TT: u32 = 16u;
var<workgroup> wq: array<u32, 8 * TR>;
var<workgroup> wdm: array<vec2<f32>, TR>;
var<workgroup> xq: array<u32, 8 * TT>;
var<workgroup> xds: array<vec2<f32>, TT>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) li: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let r0 = wg.x * TR;
  let t0 = wg.y * TT;
  let n_tok = min(p.n_tok, step.n);
  var acc = 0.0;
  for (var blk = 0u; blk < p.cols / 32u; blk = blk + 1u) {
    if (lid < TR * 4u) {
      let r = lid >> 2u;
      let u = blk * 4u + (lid & 3u);
      let w = unit_i8(min(r0 + r, p.rows - 1u) * p.row_bytes, u);
      wq[((unit_pos(u, 0u) & 31u) >> 2u) * TR + r] = w.q.x;
      wq[((unit_pos(u, 1u) & 31u) >> 2u) * TR + r] = w.q.y;
      if ((lid & 3u) == 0u) {
        wdm[r] = vec2<f32>(w.d, w.m);
      }
    } else if (lid < TR * 4u + TT * 8u) {
      let e = lid - TR * 4u;
      let t = e >> 3u;
      let k = e & 7u;
      // Tokens past the batch read token 0's block (in range); their results are dropped.
      let o = select(0u, (t0 + t) * p.x_stride, t0 + t < n_tok) + blk * 12u;
      xq[k * TT + t] = XQ[o + k];
      if (k == 0u) {
        xds[t] = vec2<f32>(bitcast<f32>(XQ[o + 8u]), bitcast<f32>(XQ[o + 10u]));
      }
    }
    workgroupBarrier();
    var si = 0;
    for (var k = 0u; k < 8u; k = k + 1u) {
      si = si + dot4I8Packed(wq[k * TR + li.x], xq[k * TT + li.y]);
    }
    let w = wdm[li.x];
    let x = xds[li.y];
    acc = acc + (w.x * x.x) * f32(si);
    if (INT_MIN) {
      acc = acc + w.y * x.y;
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
