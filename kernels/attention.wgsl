// Causal attention: one workgroup per (query head, token of the batch); token t at position
// step.pos + t attends to cache positions 0..step.pos + t (grouped-query: head h reads kv head
// h / (n_head / n_head_kv)). Scores go to the S scratch (B x n_head x ctx), softmax with workgroup
// max/sum reductions, then O = softmax(S) V. Its q is in the token's fused QKV row (q_stride).

struct Params {
  n_head: u32,
  n_head_kv: u32,
  head_dim: u32,
  kv_dim: u32,
  ctx: u32,
  scale: f32,
  q_stride: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> Q: array<f32>;
@group(0) @binding(3) var<storage, read> K: array<f32>;
@group(0) @binding(4) var<storage, read> V: array<f32>;
@group(0) @binding(5) var<storage, read_write> S: array<f32>;
@group(0) @binding(6) var<storage, read_write> O: array<f32>;

const WG: u32 = 64u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wg.x;
  let tok = wg.y;
  if (tok >= step.n) {
    return;
  }
  let kvh = h / (p.n_head / p.n_head_kv);
  let n = step.pos + tok + 1u;
  let qo = tok * p.q_stride + h * p.head_dim;
  let oo = tok * p.n_head * p.head_dim + h * p.head_dim;
  let ko = kvh * p.head_dim;
  let so = (tok * p.n_head + h) * p.ctx;
  var m = -3.4028234663852886e38;
  for (var t = lid; t < n; t = t + WG) {
    var s = 0.0;
    let base = t * p.kv_dim + ko;
    for (var i = 0u; i < p.head_dim; i = i + 1u) {
      s = s + Q[qo + i] * K[base + i];
    }
    s = s * p.scale;
    S[so + t] = s;
    m = max(m, s);
  }
  let mx = wg_max(m, lid);
  var sum = 0.0;
  for (var t = lid; t < n; t = t + WG) {
    let e = exp(S[so + t] - mx);
    S[so + t] = e;
    sum = sum + e;
  }
  let total = wg_sum(sum, lid);
  storageBarrier();
  workgroupBarrier();
  let inv = 1.0 / total;
  for (var i = lid; i < p.head_dim; i = i + WG) {
    var acc = 0.0;
    for (var t = 0u; t < n; t = t + 1u) {
      acc = acc + S[so + t] * V[t * p.kv_dim + ko + i];
    }
    O[oo + i] = acc * inv;
  }
}
