// Rotary position embedding, in place on the q and k heads of each token's fused QKV row (token t
// at t * stride, position step.pos + t): q heads at 0, k heads at q_dim. Pair i of a head rotates by pos * F[i], where F (computed on the host in
// double precision) folds in base^(-2i/dims), linear scaling and the optional rope_freqs factors.
// mode 0 ('norm', llama) pairs (2i, 2i+1); mode 1 ('neox', qwen2) pairs (i, i + dims/2).

struct Params {
  n_head: u32,
  n_head_kv: u32,
  head_dim: u32,
  dims: u32,
  mode: u32,
  q_dim: u32,
  stride: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read_write> V: array<f32>;
@group(0) @binding(3) var<storage, read> F: array<f32>;

const TWO_PI: f32 = 6.283185307179586;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let half = p.dims / 2u;
  let idx = gid.x;
  let heads = p.n_head + p.n_head_kv;
  let t = gid.y;
  if (idx >= heads * half || t >= step.n) {
    return;
  }
  let h = idx / half;
  let i = idx % half;
  var o = t * p.stride + h * p.head_dim;
  if (h >= p.n_head) {
    o = t * p.stride + p.q_dim + (h - p.n_head) * p.head_dim;
  }
  var a = o + i;
  var b = o + i + half;
  if (p.mode == 0u) {
    a = o + 2u * i;
    b = a + 1u;
  }
  var theta = f32(step.pos + t) * F[i];
  theta = theta - TWO_PI * floor(theta / TWO_PI);
  let c = cos(theta);
  let s = sin(theta);
  let x0 = V[a];
  let x1 = V[b];
  V[a] = x0 * c - x1 * s;
  V[b] = x0 * s + x1 * c;
}
