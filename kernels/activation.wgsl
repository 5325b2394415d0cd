// Elementwise activations on the feed-forward rows A (in place; step.n rows of n values):
//   mode 0: A = A * silu(G)   (llama/qwen2 gated FFN: up * silu(gate))
//   mode 1: A = gelu(A)       (gpt2; tanh form with ggml's f16 rounding of input and output)
//   mode 2: A = silu(A)
//   mode 3: A = A * G         (mul)
//   mode 4: A = A + G         (add)

struct Params {
  n: u32,
  mode: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<uniform> step: Step;

fn silu(x: f32) -> f32 {
  return x / (1.0 + exp(-x));
}

// Rounds to the nearest f16 value; f16 subnormals are left unrounded (quantizeToF16 may flush
// them to zero, an error of up to 6e-5 where keeping the f32 value errs by at most 3e-8).
fn f16_round(x: f32) -> f32 {
  if (abs(x) < 6.103515625e-5) {
    return x;
  }
  return quantizeToF16(x);
}

fn gelu(x: f32) -> f32 {
  if (x <= -10.0) {
    return 0.0;
  }
  if (x >= 10.0) {
    return x;
  }
  // ggml's CPU GELU reads a table indexed by f16(x) holding f16 results.
  let h = f16_round(x);
  let inner = 0.7978845608028654 * h * (1.0 + 0.044715 * h * h);
  // 0.5 * (1 + tanh(u)) = 1 / (1 + exp(-2u)): no cancellation for negative inputs, where a
  // driver's tanh near -1 (Vulkan derives it from exp) would lose every significant digit.
  return f16_round(h / (1.0 + exp(-2.0 * inner)));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.n * step.n) {
    return;
  }
  let a = A[i];
  switch p.mode {
    case 0u: { A[i] = a * silu(G[i]); }
    case 1u: { A[i] = gelu(a); }
    case 2u: { A[i] = silu(a); }
    case 3u: { A[i] = a * G[i]; }
    default: { A[i] = a + G[i]; }
  }
}
