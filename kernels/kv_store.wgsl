// Copies each token's k and v (from its fused QKV row, after rope) into the layer's KV cache at
// its position step.pos + t.

struct Params {
  q_dim: u32,
  kv_dim: u32,
  stride: u32,
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
  let t = gid.y;
  if (i >= p.kv_dim || t >= step.n) {
    return;
  }
  let dst = (step.pos + t) * p.kv_dim + i;
  let src = t * p.stride + p.q_dim + i;
  K[dst] = QKV[src];
  V[dst] = QKV[src + p.kv_dim];
}
