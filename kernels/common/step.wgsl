// The per-submit uniform every batched kernel reads: the first position of the batch and the
// number of tokens in it (<= the batch size B); rows t >= n are left alone.
struct Step {
  pos: u32,
  n: u32,
  pad0: u32,
  pad1: u32,
}
