// Matrix x vector for decode: Y[out_off + r] = (acc ? Y[out_off + r] : 0) + (bias ? B[bias_off + r] : 0)
//   + sum_c W[r, c] * X[x_off + c], for r < rows. W is one weight chunk in ggml's byte layout
// (rows of row_bytes bytes); the quantisation type's unit_w() (prepended) decodes one unit (8 or
// 16 values of a block) from whole-word loads.
//
// A workgroup owns ROWS rows. Its invocations stride over the units of a row; each loads the
// unit's activations once and dots them, as vec4s, with the same unit of all ROWS rows, so an
// activation load serves ROWS rows and neighbouring invocations read neighbouring weight words.
// The ROWS partial sums travel as one vec4 through a single workgroup reduction.

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

fn x4(i: u32) -> vec4<f32> {
  return vec4<f32>(X[i], X[i + 1u], X[i + 2u], X[i + 3u]);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row0 = (wg.x + wg.y * nw.x) * ROWS;
  // Rows past the end repeat the last row (in range, results dropped) so the loop stays uniform.
  var rb: array<u32, ROWS>;
  for (var r = 0u; r < ROWS; r = r + 1u) {
    rb[r] = min(row0 + r, p.rows - 1u) * p.row_bytes;
  }
  var acc = vec4<f32>(0.0);
  let units = p.cols / UNIT;
  for (var u = lid; u < units; u = u + WG) {
    var xv: array<vec4<f32>, UV>;
    for (var k = 0u; k < UV; k = k + 1u) {
      xv[k] = x4(p.x_off + unit_pos(u, k));
    }
    for (var r = 0u; r < ROWS; r = r + 1u) {
      let w = unit_w(rb[r], u);
      var s = dot(w[0], xv[0]);
      for (var k = 1u; k < UV; k = k + 1u) {
        s = s + dot(w[k], xv[k]);
      }
      acc[r] = acc[r] + s;
    }
  }
  // The ragged end of F32/F16/BF16 rows (cols not a multiple of UNIT).
  for (var e = units * UNIT + lid; e < p.cols; e = e + WG) {
    let xe = X[p.x_off + e];
    for (var r = 0u; r < ROWS; r = r + 1u) {
      acc[r] = acc[r] + elem(rb[r], e) * xe;
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
