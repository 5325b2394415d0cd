// Index of the largest of the last token's logits, L[(step.n - 1) * n ..][0..n) (the lowest index
// on ties; NaNs never win), one workgroup, so greedy decoding reads back 4 bytes, not the logits.

struct Params {
  n: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> L: array<f32>;
@group(0) @binding(2) var<storage, read_write> R: array<u32>;
@group(0) @binding(3) var<uniform> step: Step;

const WG: u32 = 256u;
var<workgroup> bv: array<f32, WG>;
var<workgroup> bi: array<u32, WG>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  var best = -3.4028234663852886e38;
  var idx = 0xffffffffu;
  let base = (step.n - 1u) * p.n;
  for (var i = lid; i < p.n; i = i + WG) {
    let v = L[base + i];
    if (v > best || (idx == 0xffffffffu && v == best)) {
      best = v;
      idx = i;
    }
  }
  bv[lid] = best;
  bi[lid] = idx;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      let ov = bv[lid + s];
      let oi = bi[lid + s];
      if (oi != 0xffffffffu && (bi[lid] == 0xffffffffu || ov > bv[lid] || (ov == bv[lid] && oi < bi[lid]))) {
        bv[lid] = ov;
        bi[lid] = oi;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    R[0] = select(bi[0], 0u, bi[0] == 0xffffffffu);
  }
}
