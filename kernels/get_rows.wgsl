// Embedding lookup for a batch: token t's row (T[t], or its position step.pos + t for learned
// position embeddings) dequantised into row t of Y, or added to it. One dispatch per chunk of a
// row-split matrix; each chunk writes the tokens whose rows it holds.

struct Params {
  cols: u32,
  row_bytes: u32,
  which: u32, // 0: token ids from T, 1: positions
  acc: u32,
  first_row: u32,
  rows: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> W: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read> T: array<u32>;

// One invocation per unit of the row (8 or 16 values decoded from whole words); the host
// dispatches cols / 8 invocations per token, enough for any unit size.
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let u = gid.x;
  let t = gid.y;
  if (u * UNIT >= p.cols || t >= step.n) {
    return;
  }
  var row = step.pos + t;
  if (p.which == 0u) {
    row = T[t];
  }
  if (row < p.first_row || row >= p.first_row + p.rows) {
    return;
  }
  let rb = (row - p.first_row) * p.row_bytes;
  let o = t * p.cols;
  if ((u + 1u) * UNIT <= p.cols) {
    let w = unit_w(rb, u);
    for (var k = 0u; k < UV; k = k + 1u) {
      let e = o + unit_pos(u, k);
      if (p.acc != 0u) {
        Y[e] = Y[e] + w[k].x;
        Y[e + 1u] = Y[e + 1u] + w[k].y;
        Y[e + 2u] = Y[e + 2u] + w[k].z;
        Y[e + 3u] = Y[e + 3u] + w[k].w;
      } else {
        Y[e] = w[k].x;
        Y[e + 1u] = w[k].y;
        Y[e + 2u] = w[k].z;
        Y[e + 3u] = w[k].w;
      }
    }
    return;
  }
  // The ragged end of an F32/F16/BF16 row.
  for (var e = u * UNIT; e < p.cols; e = e + 1u) {
    let v = elem(rb, e);
    if (p.acc != 0u) {
      Y[o + e] = Y[o + e] + v;
    } else {
      Y[o + e] = v;
    }
  }
}
