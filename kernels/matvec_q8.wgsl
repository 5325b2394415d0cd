// Matrix x vector for decode on the integer path (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 weights): the same
// contract and shape as matvec.wgsl (ROWS rows per workgroup, one vec4 reduction), but the
// activations come pre-quantised to Q8 blocks (quantize_q8.wgsl, 12 words per block) and an
// invocation takes whole 32-value blocks: 8 dot4I8Packed into one integer sum, then
// (d_w * d_x) * sum, plus m_w * s_x for Q4_1/Q5_1. That is ggml's CPU arithmetic per block, in its
// order; summing per unit instead rounds differently, enough to tip activations downstream that
// sit on a Q8 rounding tie.

struct Params {
  rows: u32,
  cols: u32,
  row_bytes: u32,
  out_off: u32,
  x_off: u32, // unused: XQ holds the quantised input from its start
  flags: u32, // 1: accumulate into Y, 2: add bias
  bias_off: u32,
  pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> XQ: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read> B: array<f32>;

const WG: u32 = 64u;
const ROWS: u32 = 4u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row0 = (wg.x + wg.y * nw.x) * ROWS;
  var rb: array<u32, ROWS>;
  for (var r = 0u; r < ROWS; r = r + 1u) {
    rb[r] = min(row0 + r, p.rows - 1u) * p.row_bytes;
  }
  var acc = vec4<f32>(0.0);
  let blocks = p.cols / 32u;
  for (var blk = lid; blk < blocks; blk = blk + WG) {
    let xb = blk * 12u;
    let dx = bitcast<f32>(XQ[xb + 8u]);
    let sx = bitcast<f32>(XQ[xb + 10u]);
    // The block's activations once, for all ROWS rows.
    var xw: array<u32, 8>;
    for (var k = 0u; k < 8u; k = k + 1u) {
      xw[k] = XQ[xb + k];
    }
    for (var r = 0u; r < ROWS; r = r + 1u) {
      var si = 0;
      var w: IntUnit;
      for (var g = 0u; g < 4u; g = g + 1u) {
        let u = blk * 4u + g;
        w = unit_i8(rb[r], u);
        si = si + dot4I8Packed(w.q.x, xw[(unit_pos(u, 0u) & 31u) >> 2u]) + dot4I8Packed(w.q.y, xw[(unit_pos(u, 1u) & 31u) >> 2u]);
      }
      var y = (w.d * dx) * f32(si);
      if (INT_MIN) {
        y = y + w.m * sx;
      }
      acc[r] = acc[r] + y;
    }
  }
  let total = wg_sum4(acc, lid);
  let row = row0 + lid;
  if (lid < ROWS && row < p.rows) {
    var y = total[lid];
    if ((p.flags & 2u) != 0u) {
      y = y + B[p.bias_off + row];
    }
    if ((p.flags & 1u) != 0u) {
      y = y + Y[p.out_off + row];
    }
    Y[p.out_off + row] = y;
  }
}
