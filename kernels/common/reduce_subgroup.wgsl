// Workgroup reductions with subgroup operations: one subgroupAdd/Max per subgroup, then the first
// lane of each subgroup publishes its partial and every invocation sums the partials. Makes no
// assumption about subgroup size or how invocations map to subgroups. (Needs `enable subgroups;`,
// which the loader puts at the top of the module.) Every invocation must call these.

var<workgroup> red: array<vec4<f32>, WG>;

// Four independent sums at once (one per lane), for kernels that reduce several rows.
fn wg_sum4(v: vec4<f32>, lid: u32) -> vec4<f32> {
  let s = subgroupAdd(v);
  let first = subgroupExclusiveAdd(1u) == 0u;
  workgroupBarrier();
  red[lid] = select(vec4<f32>(0.0), s, first);
  workgroupBarrier();
  var t = vec4<f32>(0.0);
  for (var i = 0u; i < WG; i = i + 1u) {
    t = t + red[i];
  }
  return t;
}

fn wg_sum(v: f32, lid: u32) -> f32 {
  let s = subgroupAdd(v);
  let first = subgroupExclusiveAdd(1u) == 0u;
  workgroupBarrier();
  red[lid].x = select(0.0, s, first);
  workgroupBarrier();
  var t = 0.0;
  for (var i = 0u; i < WG; i = i + 1u) {
    t = t + red[i].x;
  }
  return t;
}

fn wg_max(v: f32, lid: u32) -> f32 {
  let s = subgroupMax(v);
  let first = subgroupExclusiveAdd(1u) == 0u;
  workgroupBarrier();
  red[lid].x = select(-3.4028234663852886e38, s, first);
  workgroupBarrier();
  var t = -3.4028234663852886e38;
  for (var i = 0u; i < WG; i = i + 1u) {
    t = max(t, red[i].x);
  }
  return t;
}
