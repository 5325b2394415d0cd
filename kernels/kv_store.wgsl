// Copies this token's k and v (from the fused QKV vector, after rope) into the layer's KV cache
// at the step's position.

struct Step {
  pos: u32,
  tok_row: u32,
  pos_row: u32,
  pad: u32,
}

struct Params {
  q_dim: u32,
  kv_dim: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> QKV: array<f32>;
@group(0) @binding(3) var<storage, read_write> K: array<f32>;
@group(0) @binding(4) var<storage, read_write> V: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.kv_dim) {
    return;
  }
  let dst = step.pos * p.kv_dim + i;
  K[dst] = QKV[p.q_dim + i];
  V[dst] = QKV[p.q_dim + p.kv_dim + i];
}
