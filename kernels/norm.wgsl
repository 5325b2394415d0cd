// RMS norm (mode 0) or layer norm (mode 1) of each token's row X[t*n..(t+1)*n) into Y, times the
// weight G (plus the bias B for layer norm when has_bias): one workgroup per token, two-pass (mean,
// then variance) for layer norm.

struct Params {
  n: u32,
  mode: u32,
  has_bias: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<storage, read> B: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;

const WG: u32 = 256u;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = p.n;
  let t = wg.x;
  if (t >= step.n) {
    return;
  }
  let o = t * n;
  var mean = 0.0;
  if (p.mode == 1u) {
    var s = 0.0;
    for (var i = lid; i < n; i = i + WG) {
      s = s + X[o + i];
    }
    mean = wg_sum(s, lid) / f32(n);
  }
  var ss = 0.0;
  for (var i = lid; i < n; i = i + WG) {
    let v = X[o + i] - mean;
    ss = ss + v * v;
  }
  let scale = 1.0 / sqrt(wg_sum(ss, lid) / f32(n) + p.eps);
  for (var i = lid; i < n; i = i + WG) {
    var y = (X[o + i] - mean) * scale * G[i];
    if (p.has_bias != 0u) {
      y = y + B[i];
    }
    Y[o + i] = y;
  }
}
