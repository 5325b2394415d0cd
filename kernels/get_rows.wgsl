// Embedding lookup for a batch: token t's row (T[t], or its position step.pos + t for learned
// position embeddings) dequantised into row t of Y, or added to it. One dispatch per chunk of a
// row-split matrix; each chunk writes the tokens whose rows it holds.

// Written per submit: the first position and the number of tokens (<= the batch size B).
struct Step {
  pos: u32,
  n: u32,
  pad0: u32,
  pad1: u32,
}

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

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let t = gid.y;
  if (i >= p.cols || t >= step.n) {
    return;
  }
  var row = step.pos + t;
  if (p.which == 0u) {
    row = T[t];
  }
  if (row < p.first_row || row >= p.first_row + p.rows) {
    return;
  }
  let v = dequant((row - p.first_row) * p.row_bytes + (i / BLOCK_SIZE) * BLOCK_BYTES, i % BLOCK_SIZE);
  let o = t * p.cols + i;
  if (p.acc != 0u) {
    Y[o] = Y[o] + v;
  } else {
    Y[o] = v;
  }
}
