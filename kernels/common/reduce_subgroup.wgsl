// Workgroup reductions with subgroup operations: one subgroupAdd/Max per subgroup, then the first
// lane of each subgroup publishes its partial and every invocation sums the partials. Makes no
// assumption about subgroup size or how invocations map to subgroups. (Needs `enable subgroups;`,
// which the loader puts at the top of the module.) Every invocation must call these.

var<workgroup> red: array<f32, WG>;

fn wg_sum(v: f32, lid: u32) -> f32 {
  let s = subgroupAdd(v);
  let first = subgroupExclusiveAdd(1u) == 0u;
  workgroupBarrier();
  red[lid] = select(0.0, s, first);
  workgroupBarrier();
  var t = 0.0;
  for (var i = 0u; i < WG; i = i + 1u) {
    t = t + red[i];
  }
  return t;
}

fn wg_max(v: f32, lid: u32) -> f32 {
  let s = subgroupMax(v);
  let first = subgroupExclusiveAdd(1u) == 0u;
  workgroupBarrier();
  red[lid] = select(-3.4028234663852886e38, s, first);
  workgroupBarrier();
  var t = -3.4028234663852886e38;
  for (var i = 0u; i < WG; i = i + 1u) {
    t = max(t, red[i]);
  }
  return t;
}
