// Embedding lookup: dequantises one row of a (chunk of a) weight matrix into Y, or adds it to Y.
// The row comes from the step uniform (written per token): the token's row or the position's row.

struct Step {
  pos: u32,
  tok_row: u32,
  pos_row: u32,
  pad: u32,
}

struct Params {
  cols: u32,
  row_bytes: u32,
  which: u32, // 0: step.tok_row, 1: step.pos_row
  acc: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> W: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.cols) {
    return;
  }
  let row = select(step.tok_row, step.pos_row, p.which == 1u);
  let v = dequant(row * p.row_bytes + (i / BLOCK_SIZE) * BLOCK_BYTES, i % BLOCK_SIZE);
  if (p.acc != 0u) {
    Y[i] = Y[i] + v;
  } else {
    Y[i] = v;
  }
}
