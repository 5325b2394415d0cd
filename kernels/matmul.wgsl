// Tiled matrix x matrix for prefill: Y[t * y_stride + out_off + r] (+)= W[r] . X[t * x_stride ..]
// (+ bias) for rows r < rows and tokens t < min(n_tok, step.n). A 16x16 workgroup computes a 16-row x
// 16-token tile, stepping through K in TK-wide slices (the type's SPAN, the aligned range its
// units cover, at least 32): each slice of W is decoded unit by unit (whole-word loads) into
// workgroup memory, so a weight is decoded once per 16 tokens, next to the matching slice of X;
// then every invocation accumulates its (row, token) dot product from there in vec4s. Both tiles
// are stored k-major ([k / 4][row or token]) so the 16 invocations that share a token read 16
// consecutive vec4s: no bank conflicts, no padding.

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
@group(0) @binding(5) var<uniform> step: Step;

const TR: u32 = 16u;
const TT: u32 = 16u;
const TK: u32 = max(32u, SPAN);
const TK4: u32 = TK / 4u;
const SLICE_UNITS: u32 = TK / UNIT;
var<workgroup> ws: array<vec4<WT>, TK4 * TR>;
var<workgroup> xs: array<vec4<f32>, TK4 * TT>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) li: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let r0 = wg.x * TR;
  let t0 = wg.y * TT;
  let n_tok = min(p.n_tok, step.n);
  var acc = 0.0;
  for (var k0 = 0u; k0 < p.cols; k0 = k0 + TK) {
    for (var e = lid; e < TR * SLICE_UNITS; e = e + TR * TT) {
      let r = e / SLICE_UNITS;
      let u = k0 / UNIT + e % SLICE_UNITS;
      let rb = min(r0 + r, p.rows - 1u) * p.row_bytes;
      if ((u + 1u) * UNIT <= p.cols) {
        let w = unit_w(rb, u);
        for (var k = 0u; k < UV; k = k + 1u) {
          ws[((unit_pos(u, k) - k0) >> 2u) * TR + r] = vec4<WT>(w[k]);
        }
      } else {
        // The ragged end of an F32/F16/BF16 row: zeros past it.
        for (var k = 0u; k < UV; k = k + 1u) {
          let c = unit_pos(u, k);
          var v = vec4<f32>(0.0);
          for (var i = 0u; i < 4u; i = i + 1u) {
            if (c + i < p.cols) {
              v[i] = elem(rb, c + i);
            }
          }
          ws[((c - k0) >> 2u) * TR + r] = vec4<WT>(v);
        }
      }
    }
    for (var e = lid; e < TT * TK4; e = e + TR * TT) {
      let t = t0 + e / TK4;
      let c = k0 + (e % TK4) * 4u;
      var v = vec4<f32>(0.0);
      if (t < n_tok) {
        let o = t * p.x_stride + c;
        if (c + 4u <= p.cols) {
          v = vec4<f32>(X[o], X[o + 1u], X[o + 2u], X[o + 3u]);
        } else {
          for (var i = 0u; i < 4u; i = i + 1u) {
            if (c + i < p.cols) {
              v[i] = X[o + i];
            }
          }
        }
      }
      xs[(e % TK4) * TT + e / TK4] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < TK4; k = k + 1u) {
      acc = acc + dot(vec4<f32>(ws[k * TR + li.x]), xs[k * TT + li.y]);
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
