// Workgroup reductions through workgroup memory (a tree), for adapters without subgroups.
// Every invocation of the workgroup must call these (they contain barriers).

var<workgroup> red: array<vec4<f32>, WG>;

// Four independent sums at once (one per lane), for kernels that reduce several rows.
fn wg_sum4(v: vec4<f32>, lid: u32) -> vec4<f32> {
  workgroupBarrier();
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      red[lid] = red[lid] + red[lid + s];
    }
    workgroupBarrier();
  }
  return red[0];
}

fn wg_sum(v: f32, lid: u32) -> f32 {
  return wg_sum4(vec4<f32>(v, 0.0, 0.0, 0.0), lid).x;
}

fn wg_max(v: f32, lid: u32) -> f32 {
  workgroupBarrier();
  red[lid].x = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      red[lid].x = max(red[lid].x, red[lid + s].x);
    }
    workgroupBarrier();
  }
  return red[0].x;
}
