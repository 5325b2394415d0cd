// Matrix x vector for decode: Y[out_off + r] = (acc ? Y[out_off + r] : 0) + (bias ? B[bias_off + r] : 0)
//   + sum_c W[r, c] * X[x_off + c], for r < rows. W is one weight chunk in ggml's byte layout
// (rows of row_bytes bytes); the quantisation type's dequant() (prepended) decodes it in place.
// ROWS rows per workgroup; each row is split into 32-value pieces spread over the WG invocations
// and summed with a workgroup reduction (subgroups where available).

struct Params {
  rows: u32,
  cols: u32,
  row_bytes: u32,
  out_off: u32,
  x_off: u32,
  flags: u32, // 1: accumulate into Y, 2: add bias
  bias_off: u32,
  pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read> B: array<f32>;

const WG: u32 = 64u;
const ROWS: u32 = 4u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let group = wg.x + wg.y * nw.x;
  let pieces = (p.cols + 31u) / 32u;
  for (var r = 0u; r < ROWS; r = r + 1u) {
    let row = group * ROWS + r;
    var acc = 0.0;
    if (row < p.rows) {
      let rb = row * p.row_bytes;
      for (var c = lid; c < pieces; c = c + WG) {
        let e0 = c * 32u;
        let e1 = min(p.cols, e0 + 32u);
        var s = 0.0;
        for (var e = e0; e < e1; e = e + 1u) {
          s = s + dequant(rb + (e / BLOCK_SIZE) * BLOCK_BYTES, e % BLOCK_SIZE) * X[p.x_off + e];
        }
        acc = acc + s;
      }
    }
    let total = wg_sum(acc, lid);
    if (lid == 0u && row < p.rows) {
      var y = total;
      if ((p.flags & 2u) != 0u) {
        y = y + B[p.bias_off + row];
      }
      if ((p.flags & 1u) != 0u) {
        y = y + Y[p.out_off + row];
      }
      Y[p.out_off + row] = y;
    }
  }
}
