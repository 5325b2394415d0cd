// N-API bindings (plain C N-API, no dependency): argument checks and async plumbing only.
#define NAPI_VERSION 8
#include <node_api.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include "model/forward.h"
#include "ops/ops.h"
#include "quant/quant.h"
#include "quant/quantize_ref.h"
#include "runtime/cpu.h"
#include "runtime/mmap.h"
#include "runtime/stderr_capture.h"
#include "runtime/threadpool.h"
#include "ops/sampler.h"

using namespace lg;

namespace {

struct JsError {
  std::string msg;
};

#define NAPI_OK(call)                                                     \
  do {                                                                    \
    if ((call) != napi_ok) throw JsError{std::string("n-api call failed: ") + #call}; \
  } while (0)

napi_value wrap(napi_env env, napi_callback_info info, napi_value (*fn)(napi_env, napi_callback_info)) {
  try {
    return fn(env, info);
  } catch (const JsError& e) {
    napi_throw_error(env, nullptr, e.msg.c_str());
  } catch (const ModelError& e) {
    napi_throw_error(env, nullptr, e.what());
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, nullptr, "out of memory");
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

std::vector<napi_value> args(napi_env env, napi_callback_info info, size_t want) {
  size_t argc = want;
  std::vector<napi_value> v(want);
  NAPI_OK(napi_get_cb_info(env, info, &argc, v.data(), nullptr, nullptr));
  if (argc < want) throw JsError{"expected " + std::to_string(want) + " arguments"};
  return v;
}

// A call with optional trailing arguments: the first `most` (missing ones undefined) and how many
// came (argc); fewer than `least` throws `usage`.
struct CallArgs {
  std::vector<napi_value> v;
  size_t argc;
  napi_value operator[](size_t i) const { return v[i]; }
};
CallArgs args(napi_env env, napi_callback_info info, size_t least, size_t most, const char* usage) {
  CallArgs c{std::vector<napi_value>(most), most};
  NAPI_OK(napi_get_cb_info(env, info, &c.argc, c.v.data(), nullptr, nullptr));
  if (c.argc < least) throw JsError{usage};
  return c;
}

double num(napi_env env, napi_value v, const char* what) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) throw JsError{std::string(what) + " must be a number"};
  return d;
}
int64_t int_arg(napi_env env, napi_value v, const char* what) {
  const double d = num(env, v, what);
  if (d != (double)(int64_t)d) throw JsError{std::string(what) + " must be an integer"};
  return (int64_t)d;
}
bool bool_arg(napi_env env, napi_value v) {
  bool b = false;
  napi_valuetype t;
  NAPI_OK(napi_typeof(env, v, &t));
  if (t == napi_boolean) NAPI_OK(napi_get_value_bool(env, v, &b));
  return b;
}
std::string str(napi_env env, napi_value v, const char* what) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) throw JsError{std::string(what) + " must be a string"};
  std::string s(len, '\0');
  NAPI_OK(napi_get_value_string_utf8(env, v, s.data(), len + 1, &len));
  return s;
}

struct View {
  void* data;
  size_t bytes;
  napi_typedarray_type type;
  size_t length;
};
View typed(napi_env env, napi_value v, const char* what) {
  bool is;
  NAPI_OK(napi_is_typedarray(env, v, &is));
  if (!is) throw JsError{std::string(what) + " must be a typed array"};
  View r;
  napi_value ab;
  size_t off;
  NAPI_OK(napi_get_typedarray_info(env, v, &r.type, &r.length, &r.data, &ab, &off));
  size_t el = 1;
  switch (r.type) {
    case napi_float32_array: case napi_int32_array: case napi_uint32_array: el = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: el = 8; break;
    case napi_int16_array: case napi_uint16_array: el = 2; break;
    default: el = 1;
  }
  r.bytes = r.length * el;
  if (!r.data && r.length) throw JsError{std::string(what) + " is detached"};
  return r;
}

napi_value get(napi_env env, napi_value obj, const char* key) {
  napi_value v;
  NAPI_OK(napi_get_named_property(env, obj, key, &v));
  return v;
}
bool has(napi_env env, napi_value obj, const char* key) {
  bool b;
  NAPI_OK(napi_has_named_property(env, obj, key, &b));
  if (!b) return false;
  napi_valuetype t;
  NAPI_OK(napi_typeof(env, get(env, obj, key), &t));
  return t != napi_undefined && t != napi_null;
}

// A new typed array of n elements of el bytes each; *data points at its bytes.
napi_value make_array(napi_env env, napi_typedarray_type type, size_t n, size_t el, void** data) {
  napi_value ab, arr;
  NAPI_OK(napi_create_arraybuffer(env, n * el, data, &ab));
  NAPI_OK(napi_create_typedarray(env, type, n, ab, 0, &arr));
  return arr;
}
napi_value make_f32(napi_env env, size_t n, float** data) {
  void* p;
  napi_value arr = make_array(env, napi_float32_array, n, sizeof(float), &p);
  *data = (float*)p;
  return arr;
}
// A new Float32Array holding src's values (an op's input, for ops that work in place).
napi_value copy_f32(napi_env env, const View& src, float** data) {
  napi_value r = make_f32(env, src.length, data);
  std::memcpy(*data, src.data, src.length * sizeof(float));
  return r;
}
napi_value make_u8(napi_env env, size_t n, uint8_t** data) {
  void* p;
  napi_value arr = make_array(env, napi_uint8_array, n, 1, &p);
  *data = (uint8_t*)p;
  return arr;
}
// A new typed array holding a copy of n elements of el bytes from src.
napi_value copy_array(napi_env env, napi_typedarray_type type, const void* src, size_t n, size_t el) {
  void* data = nullptr;
  napi_value arr = make_array(env, type, n, el, &data);
  if (n) std::memcpy(data, src, n * el);
  return arr;
}
napi_value js_str(napi_env env, const std::string& s) {
  napi_value v;
  NAPI_OK(napi_create_string_utf8(env, s.c_str(), s.size(), &v));
  return v;
}
napi_value js_num(napi_env env, double d) {
  napi_value v;
  NAPI_OK(napi_create_double(env, d, &v));
  return v;
}
napi_value js_bool(napi_env env, bool b) {
  napi_value v;
  NAPI_OK(napi_get_boolean(env, b, &v));
  return v;
}
void set(napi_env env, napi_value obj, const char* key, napi_value v) { NAPI_OK(napi_set_named_property(env, obj, key, v)); }

const QuantTraits* traits_arg(napi_env env, napi_value v) {
  const int64_t t = int_arg(env, v, "type");
  const QuantTraits* tr = quant_traits((int)t);
  if (!tr) throw JsError{"ggml type " + std::to_string(t) + " is not supported by the native backend"};
  return tr;
}

// ---- info / isa ----
napi_value Info(napi_env env, napi_callback_info) {
  napi_value o, compiled, available;
  NAPI_OK(napi_create_object(env, &o));
  NAPI_OK(napi_create_array(env, &compiled));
  NAPI_OK(napi_create_array(env, &available));
  uint32_t nc = 0, na = 0;
  for (int i = 0; i < ISA_COUNT; i++) {
    if (isa_compiled(i)) NAPI_OK(napi_set_element(env, compiled, nc++, js_str(env, isa_name(i))));
    if (isa_available(i)) NAPI_OK(napi_set_element(env, available, na++, js_str(env, isa_name(i))));
  }
  set(env, o, "compiled", compiled);
  set(env, o, "available", available);
  set(env, o, "isa", js_str(env, isa_name(isa_active())));
  set(env, o, "threads", js_num(env, default_threads()));
  const CpuFeatures& f = cpu_features();
  std::string feats;
  auto addf = [&](bool b, const char* n) { if (b) feats += (feats.empty() ? "" : " ") + std::string(n); };
  addf(f.avx2, "avx2"); addf(f.fma, "fma"); addf(f.f16c, "f16c"); addf(f.avx512f, "avx512f");
  addf(f.avx512bw, "avx512bw"); addf(f.avx512vl, "avx512vl"); addf(f.avx512dq, "avx512dq");
  addf(f.avx512vnni, "avx512vnni"); addf(f.avx512bf16, "avx512bf16");
  addf(f.neon, "neon");
  set(env, o, "cpuFeatures", js_str(env, feats));
  napi_value types;
  NAPI_OK(napi_create_array(env, &types));
  int count;
  const QuantTraits* const* all = quant_traits_all(&count);
  for (int i = 0; i < count; i++) {
    napi_value t, isas;
    NAPI_OK(napi_create_object(env, &t));
    set(env, t, "type", js_num(env, all[i]->type));
    set(env, t, "name", js_str(env, all[i]->name));
    set(env, t, "blockSize", js_num(env, all[i]->block_size));
    set(env, t, "bytesPerBlock", js_num(env, all[i]->type_size));
    set(env, t, "vecDotType", js_num(env, all[i]->vec_dot_type));
    NAPI_OK(napi_create_array(env, &isas));
    uint32_t k = 0;
    for (int j = 0; j < ISA_COUNT; j++)
      if (all[i]->vec_dot[j] && isa_compiled(j)) NAPI_OK(napi_set_element(env, isas, k++, js_str(env, isa_name(j))));
    set(env, t, "kernels", isas);
    NAPI_OK(napi_set_element(env, types, (uint32_t)i, t));
  }
  set(env, o, "types", types);
  return o;
}

napi_value SetIsa(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 1);
  const std::string name = str(env, a[0], "isa");
  const int isa = isa_from_name(name);
  if (isa < 0) throw JsError{"unknown isa " + name + " (scalar, avx2, avx512, neon)"};
  return js_bool(env, isa_set(isa));
}

// ---- kernels (tests and benchmarks) ----
napi_value Dequantize(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 3);
  const QuantTraits* tr = traits_arg(env, a[0]);
  View src = typed(env, a[1], "src");
  const int64_t n = int_arg(env, a[2], "n");
  if (n < 0 || n % tr->block_size) throw JsError{"n must be a whole number of blocks"};
  if (src.bytes < quant_row_size(tr->type, n)) throw JsError{"src is too short"};
  float* out;
  napi_value r = make_f32(env, (size_t)n, &out);
  tr->dequantize_row(src.data, out, n);
  return r;
}

int isa_opt(napi_env env, napi_value v);

// Converts f32 activations to an activation format (F32, F16, BF16, Q8_0, Q8_K); isa? picks the path.
napi_value QuantizeActivation(napi_env env, napi_callback_info info) {
  const CallArgs a = args(env, info, 2, 3, "quantizeActivation(type, src, isa?)");
  const QuantTraits* tr = traits_arg(env, a[0]);
  if (!tr->from_float) throw JsError{std::string(tr->name) + " is not an activation format"};
  View src = typed(env, a[1], "src");
  if (src.type != napi_float32_array) throw JsError{"src must be a Float32Array"};
  const int64_t n = (int64_t)src.length;
  if (n % tr->block_size) throw JsError{"length must be a whole number of blocks"};
  uint8_t* out;
  napi_value r = make_u8(env, quant_row_size(tr->type, n), &out);
  quant_from_float(tr, a.argc > 2 ? isa_opt(env, a[2]) : ISA_SCALAR)((const float*)src.data, out, n);
  return r;
}

// Quantises f32 weights as llama-quantize writes them (quantize_ref.h), blocks shared out to the
// pool's threads: quantizeWeights(type, src, threads?) -> Uint8Array.
napi_value QuantizeWeights(napi_env env, napi_callback_info info) {
  const CallArgs a = args(env, info, 2, 3, "quantizeWeights(type, src, threads?)");
  const QuantTraits* tr = traits_arg(env, a[0]);
  const quantize_ref_fn q = quantize_ref_for(tr->type);
  if (!q) throw JsError{std::string("no weight quantiser for ") + tr->name};
  View src = typed(env, a[1], "src");
  if (src.type != napi_float32_array) throw JsError{"src must be a Float32Array"};
  const int64_t n = (int64_t)src.length;
  if (n % tr->block_size) throw JsError{"length must be a whole number of blocks"};
  const int threads = a.argc > 2 ? (int)int_arg(env, a[2], "threads") : 0;
  uint8_t* out;
  napi_value r = make_u8(env, quant_row_size(tr->type, n), &out);
  // Pieces of whole blocks (every quantiser works block by block), a few per thread.
  const int64_t blocks = n / tr->block_size;
  const int64_t per = std::max<int64_t>(1, std::min<int64_t>(blocks, 4096));
  const size_t block_bytes = quant_row_size(tr->type, tr->block_size);
  shared_pool(threads)->parallel_for((blocks + per - 1) / per, [&](int64_t t, int) {
    const int64_t b0 = t * per, b1 = std::min(blocks, b0 + per);
    q((const float*)src.data + b0 * tr->block_size, out + (size_t)b0 * block_bytes, (b1 - b0) * tr->block_size);
  });
  return r;
}

int isa_opt(napi_env env, napi_value v) {
  napi_valuetype t;
  NAPI_OK(napi_typeof(env, v, &t));
  if (t != napi_string) return isa_active();
  const std::string s = str(env, v, "isa");
  const int isa = isa_from_name(s);
  if (isa < 0 || !isa_available(isa)) throw JsError{"isa " + s + " is not available here"};
  return isa;
}

// matmul(type, w: Uint8Array, rows, cols, x: Float32Array (batch*cols), batch, threads?, isa?, tiled?, rows8?, repack?)
//   -> Float32Array(batch*rows); tiled=false: one vec_dot per output instead of the tiled kernel;
//   rows8=true: the type's rows-of-8 arithmetic where it has one (what the model uses, see forward.cc).
napi_value Matmul(napi_env env, napi_callback_info info) {
  const CallArgs a = args(env, info, 6, 11, "matmul(type, w, rows, cols, x, batch, threads?, isa?, tiled?, rows8?, repack?)");
  const QuantTraits* tr = traits_arg(env, a[0]);
  if (tr->type == T_Q8_K) throw JsError{"Q8_K is not a weight type"};
  View w = typed(env, a[1], "w");
  const int64_t rows = int_arg(env, a[2], "rows"), cols = int_arg(env, a[3], "cols");
  View x = typed(env, a[4], "x");
  const int64_t batch = int_arg(env, a[5], "batch");
  const int threads = a.argc > 6 ? (int)int_arg(env, a[6], "threads") : 1;
  const int isa = a.argc > 7 ? isa_opt(env, a[7]) : isa_active();
  bool flags[3] = {true, false, false};  // tiled, rows8, repack
  for (size_t i = 8; i < a.argc && i < 11; i++) {
    napi_valuetype vt;
    NAPI_OK(napi_typeof(env, a[i], &vt));
    if (vt == napi_boolean) NAPI_OK(napi_get_value_bool(env, a[i], &flags[i - 8]));
  }
  const bool tiled = flags[0], rows8 = flags[1], repack = flags[2];
  if (rows < 1 || cols < 1 || batch < 1 || cols % tr->block_size) throw JsError{"bad matmul shape"};
  const size_t w_row = quant_row_size(tr->type, cols);
  if (w.bytes < w_row * (size_t)rows) throw JsError{"w is too short"};
  if (x.type != napi_float32_array || (int64_t)x.length < batch * cols) throw JsError{"x must be a Float32Array of batch*cols"};
  float* out;
  napi_value r = make_f32(env, (size_t)(rows * batch), &out);
  std::vector<uint8_t> scratch, tiles;
  // repack: the weights also in the type's repacked tiles, as a model holds them (rows8 matrices of
  // whole tiles only)
  if (repack && rows8 && quant_tiles8_fit(tr, rows)) {
    tiles.resize(w_row * (size_t)rows);
    tr->repack_tiles8(w.data, w_row, rows, tiles.data());
  }
  auto pool = shared_pool(threads);
  matmul(*pool, isa, tr, (const uint8_t*)w.data, rows, cols, (const float*)x.data, cols, batch, out, rows, scratch, tiled, rows8,
         tiles.empty() ? nullptr : tiles.data());
  return r;
}

// swiglu(gate: Float32Array, up: Float32Array, isa?) -> Float32Array silu(gate) * up: the forward
// pass's activation, exposed for the kernel tests.
napi_value Swiglu(napi_env env, napi_callback_info info) {
  const CallArgs a = args(env, info, 2, 3, "swiglu(gate, up, isa?)");
  View g = typed(env, a[0], "gate"), u = typed(env, a[1], "up");
  if (g.type != napi_float32_array || u.type != napi_float32_array || g.length != u.length)
    throw JsError{"gate and up must be Float32Arrays of one length"};
  float* out;
  napi_value r = copy_f32(env, g, &out);
  silu_mul(out, (const float*)u.data, (int64_t)g.length, a.argc > 2 ? isa_opt(env, a[2]) : isa_active());
  return r;
}

// kqv(p: Float32Array, v: Float32Array | Uint16Array (f16 bits), stride, d, lanes, adjacent, isa?, heads?)
//   -> Float32Array(heads * d): attention's value sum over n positions (value row j at
//   v[j * stride ..]) in llama.cpp's order for `lanes` lanes, for `heads` heads of one GQA group at
//   once (p: heads x n probabilities; kqv_heads), exposed for the kernel tests.
napi_value Kqv(napi_env env, napi_callback_info info) {
  const CallArgs a = args(env, info, 6, 8, "kqv(p, v, stride, d, lanes, adjacent, isa?, heads?)");
  View p = typed(env, a[0], "p"), v = typed(env, a[1], "v");
  const int64_t stride = int_arg(env, a[2], "stride"), d = int_arg(env, a[3], "d");
  const int lanes = (int)int_arg(env, a[4], "lanes");
  const bool adjacent = bool_arg(env, a[5]);
  const int isa = a.argc > 6 ? isa_opt(env, a[6]) : isa_active();
  const int64_t heads = a.argc > 7 ? int_arg(env, a[7], "heads") : 1;
  const bool f16 = v.type == napi_uint16_array;
  if (heads < 1 || heads > 16) throw JsError{"heads must be 1 to 16"};
  if (p.type != napi_float32_array || p.length < 1 || (int64_t)p.length % heads) throw JsError{"p must be a non-empty Float32Array of heads x n values"};
  if (!f16 && v.type != napi_float32_array) throw JsError{"v must be a Float32Array or a Uint16Array of f16 bits"};
  const int64_t n = (int64_t)p.length / heads;
  if (d < 1 || stride < d || (int64_t)v.length < (n - 1) * stride + d) throw JsError{"v is too short for n rows of d values"};
  float* out;
  napi_value r = make_f32(env, (size_t)(heads * d), &out);
  const size_t esz = f16 ? 2 : 4;
  std::vector<const float*> ps((size_t)heads);
  std::vector<float*> outs((size_t)heads);
  for (int64_t h = 0; h < heads; h++) ps[(size_t)h] = (const float*)p.data + h * n, outs[(size_t)h] = out + h * d;
  if (!kqv_heads(isa, lanes, adjacent, f16, (int)heads, ps.data(), (const uint8_t*)v.data, (size_t)stride * esz, n, d, outs.data()))
    throw JsError{"lanes must be 64, 32, 16, 8 or 1"};
  return r;
}

// rope(x: Float32Array, heads, headDim, ropeDims, pos, base, neox, isa?) -> Float32Array: the forward
// pass's rotary embedding of `heads` heads at position pos (frequency scale 1), for the tests.
napi_value Rope(napi_env env, napi_callback_info info) {
  const CallArgs a = args(env, info, 7, 8, "rope(x, heads, headDim, ropeDims, pos, base, neox, isa?)");
  View x = typed(env, a[0], "x");
  const int64_t heads = int_arg(env, a[1], "heads"), hd = int_arg(env, a[2], "headDim"), dims = int_arg(env, a[3], "ropeDims");
  if (x.type != napi_float32_array || heads < 1 || hd < 2 || (int64_t)x.length != heads * hd)
    throw JsError{"x must be a Float32Array of heads * headDim values"};
  if (dims < 2 || dims > hd || dims % 2 || dims > 1024) throw JsError{"ropeDims must be even, at most headDim and 1024"};
  RopeAngles ang;
  rope_angles(ang, (int)dims, (float)num(env, a[4], "pos"), (float)num(env, a[5], "base"), 1.0f, nullptr);
  float* out;
  napi_value r = copy_f32(env, x, &out);
  rope(out, (int)heads, (int)hd, ang, bool_arg(env, a[6]), a.argc > 7 ? isa_opt(env, a[7]) : isa_active());
  return r;
}

// gelu(x: Float32Array) -> Float32Array: the forward pass's GELU (ggml's f16 table), for the tests.
napi_value Gelu(napi_env env, napi_callback_info info) {
  const CallArgs a = args(env, info, 1, 1, "gelu(x)");
  View x = typed(env, a[0], "x");
  if (x.type != napi_float32_array) throw JsError{"x must be a Float32Array"};
  float* out;
  napi_value r = copy_f32(env, x, &out);
  gelu(out, (int64_t)x.length);
  return r;
}

// poolCheck(threads, jobs) -> number of tasks that did not run exactly once, over `jobs` back-to-back
// parallel_for calls of 1..64 tasks on a fresh pool: the claim protocol's test (threadpool.h).
napi_value PoolCheck(napi_env env, napi_callback_info info) {
  const CallArgs a = args(env, info, 2, 2, "poolCheck(threads, jobs)");
  const int64_t threads = int_arg(env, a[0], "threads"), jobs = int_arg(env, a[1], "jobs");
  if (threads < 1 || threads > 64 || jobs < 0) throw JsError{"bad poolCheck arguments"};
  ThreadPool pool((int)threads);
  std::vector<std::atomic<int>> hits(64);
  int64_t bad = 0;
  uint32_t seed = 12345;
  for (int64_t j = 0; j < jobs; j++) {
    seed = seed * 1103515245u + 12345u;
    const int64_t n = 1 + (seed >> 16) % 64;
    for (auto& h : hits) h.store(0, std::memory_order_relaxed);
    pool.parallel_for(n, [&](int64_t t, int) { hits[(size_t)t].fetch_add(1, std::memory_order_relaxed); });
    for (int64_t t = 0; t < 64; t++) bad += hits[(size_t)t].load() != (t < n ? 1 : 0);
  }
  napi_value r;
  NAPI_OK(napi_create_int64(env, bad, &r));
  return r;
}

// ---- model ----
struct ModelHandle {
  std::unique_ptr<Model> model;
  std::vector<napi_ref> refs;  // keep the weight buffers alive
  bool busy = false;
  bool disposed = false;
  double last_eval_ms = 0;  // native time of the latest eval/embed (written on the worker thread)
  // Logits kept between calls, for the decoding loops and for evals into the caller's array: a fresh
  // vocabulary-sized buffer per token is a page fault per 4 KiB each time (~17 a token for a
  // 16384-token vocabulary, 0.05-0.2 ms on this project's VM; 150 for 151936 tokens).
  std::vector<float> logits;
};

void release(napi_env env, ModelHandle* h) {
  for (napi_ref r : h->refs) napi_delete_reference(env, r);
  h->refs.clear();
  h->model.reset();
}

void FinalizeModel(napi_env env, void* data, void*) {
  ModelHandle* h = (ModelHandle*)data;
  release(env, h);
  delete h;
}

ModelHandle* handle_arg(napi_env env, napi_value v) {
  void* p = nullptr;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) throw JsError{"not a model handle"};
  return (ModelHandle*)p;
}

// createModel(params, tensors: {name: {type, dims, data: Uint8Array}}, options: {contextLength, threads?, kvType?, repack?})
napi_value CreateModel(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 3);
  napi_value P = a[0], T = a[1], O = a[2];
  ModelParams p;
  p.arch = str(env, get(env, P, "arch"), "arch");
  p.vocab = int_arg(env, get(env, P, "vocabSize"), "vocabSize");
  p.n_embd = int_arg(env, get(env, P, "embeddingLength"), "embeddingLength");
  p.n_layer = int_arg(env, get(env, P, "blockCount"), "blockCount");
  p.n_ff = int_arg(env, get(env, P, "feedForwardLength"), "feedForwardLength");
  p.n_head = int_arg(env, get(env, P, "headCount"), "headCount");
  p.n_head_kv = int_arg(env, get(env, P, "headCountKv"), "headCountKv");
  p.head_dim = int_arg(env, get(env, P, "headDim"), "headDim");
  p.rope_type = str(env, get(env, P, "ropeType"), "ropeType");
  p.rope_base = (float)num(env, get(env, P, "ropeFreqBase"), "ropeFreqBase");
  p.rope_scale = has(env, P, "ropeScaleLinear") ? (float)num(env, get(env, P, "ropeScaleLinear"), "ropeScaleLinear") : 1.0f;
  p.rope_dims = has(env, P, "ropeDims") ? int_arg(env, get(env, P, "ropeDims"), "ropeDims") : p.head_dim;
  p.norm = str(env, get(env, P, "normType"), "normType");
  p.eps = (float)num(env, get(env, P, "normEps"), "normEps");
  p.act = str(env, get(env, P, "activation"), "activation");
  p.context_length = int_arg(env, get(env, O, "contextLength"), "contextLength");
  p.threads = has(env, O, "threads") ? (int)int_arg(env, get(env, O, "threads"), "threads") : 0;
  if (has(env, O, "kvType")) {
    const std::string kt = str(env, get(env, O, "kvType"), "kvType");
    if (kt != "f16" && kt != "f32") throw JsError{"kvType must be f16 or f32"};
    p.kv_f16 = kt == "f16";
  }
  if (has(env, O, "repack")) p.repack = bool_arg(env, get(env, O, "repack"));
  if (p.rope_scale <= 0) p.rope_scale = 1.0f;

  auto h = std::make_unique<ModelHandle>();
  std::map<std::string, TensorRef> tensors;
  napi_value names;
  NAPI_OK(napi_get_property_names(env, T, &names));
  uint32_t count;
  NAPI_OK(napi_get_array_length(env, names, &count));
  try {
    for (uint32_t i = 0; i < count; i++) {
      napi_value key, t;
      NAPI_OK(napi_get_element(env, names, i, &key));
      const std::string name = str(env, key, "tensor name");
      NAPI_OK(napi_get_property(env, T, key, &t));
      TensorRef ref;
      ref.type = (int)int_arg(env, get(env, t, "type"), "tensor type");
      napi_value dims = get(env, t, "dims");
      uint32_t nd;
      if (napi_get_array_length(env, dims, &nd) != napi_ok) throw JsError{"tensor " + name + " dims must be an array"};
      for (uint32_t d = 0; d < nd; d++) {
        napi_value dv;
        NAPI_OK(napi_get_element(env, dims, d, &dv));
        ref.dims.push_back(int_arg(env, dv, "dim"));
      }
      napi_value data = get(env, t, "data");
      View v = typed(env, data, ("tensor " + name + " data").c_str());
      ref.data = (const uint8_t*)v.data;
      ref.nbytes = v.bytes;
      napi_ref r;
      NAPI_OK(napi_create_reference(env, data, 1, &r));
      h->refs.push_back(r);
      tensors.emplace(name, std::move(ref));
    }
    h->model = std::make_unique<Model>(p, std::move(tensors));
  } catch (...) {
    release(env, h.get());
    throw;
  }
  napi_value ext;
  NAPI_OK(napi_create_external(env, h.get(), FinalizeModel, nullptr, &ext));
  h.release();
  return ext;
}

struct EvalWork {
  ModelHandle* h;
  std::vector<int32_t> tokens;
  int64_t pos;
  bool all;
  bool embed = false;  // mean-pooled hidden state instead of logits
  // Decoding steps (greedyModel, sampledModel): evaluate, pick a token, evaluate that, ... (see
  // GreedyModel). The pick is the argmax, or with a sampler its draw, whose PRNG state is kept.
  bool steps = false;
  std::unique_ptr<TokenSampler> sampler;
  std::vector<uint32_t> rng_after;
  int64_t max_steps = 0;
  double budget_ms = 0;
  std::vector<int32_t> stop_ids, produced;
  float* out;
  napi_ref out_ref = nullptr;
  // evalModel's `into`: out is the handle's logits, copied into this array when the eval completes
  // (the worker never writes into memory JS can reach meanwhile).
  napi_ref into_ref = nullptr;
  size_t into_len = 0;
  napi_ref handle_ref;
  napi_deferred deferred;
  napi_async_work work;
  std::string error;
};

// The steps of greedyModel / sampledModel from their first six arguments (handle, token, pos,
// maxSteps, stopIds, budgetMs).
std::unique_ptr<EvalWork> steps_work(napi_env env, const std::vector<napi_value>& a) {
  ModelHandle* h = handle_arg(env, a[0]);
  if (h->disposed || !h->model) throw JsError{"the model context was disposed"};
  if (h->busy) throw JsError{"an eval is already running on this context"};
  const int64_t token = int_arg(env, a[1], "token"), pos = int_arg(env, a[2], "pos"), steps = int_arg(env, a[3], "maxSteps");
  if (token < 0 || token >= h->model->params().vocab) throw JsError{"token id " + std::to_string(token) + " is out of range"};
  if (steps < 1) throw JsError{"maxSteps must be at least 1"};
  if (pos < 0 || pos + steps > h->model->params().context_length) throw JsError{"decoding steps would pass the context length"};
  View sv = typed(env, a[4], "stopIds");
  if (sv.type != napi_int32_array) throw JsError{"stopIds must be an Int32Array"};
  const double budget = num(env, a[5], "budgetMs");
  auto w = std::make_unique<EvalWork>();
  w->h = h;
  w->tokens.assign(1, (int32_t)token);
  w->pos = pos;
  w->all = false;
  w->steps = true;
  w->max_steps = steps;
  w->budget_ms = budget;  // NaN or negative: one step
  w->stop_ids.assign((const int32_t*)sv.data, (const int32_t*)sv.data + sv.length);
  return w;
}

// config: Float64Array [temperature, topK, topP, minP, ln(minP), repeatPenalty, presencePenalty,
// frequencyPenalty, penaltyLastN] (src/engine/backend/cpu/sampling.ts), window: the penalty window's
// ids oldest first, rng: the PRNG's four state words.
std::unique_ptr<TokenSampler> sampler_args(napi_env env, napi_value config, napi_value window, napi_value rng) {
  const View cv = typed(env, config, "config"), wv = typed(env, window, "window"), rv = typed(env, rng, "rng");
  if (cv.type != napi_float64_array || cv.length != 9) throw JsError{"config must be a Float64Array of 9 values"};
  if (wv.type != napi_int32_array) throw JsError{"window must be an Int32Array"};
  if (rv.type != napi_uint32_array || rv.length != 4) throw JsError{"rng must be a Uint32Array of 4 words"};
  const double* c = (const double*)cv.data;
  const SamplingConfig cfg{c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]};
  for (double v : {cfg.top_k, cfg.last_n})
    if (v != std::floor(v) || std::fabs(v) > 2147483647.0) throw JsError{"topK and penaltyLastN must be integers"};
  return std::make_unique<TokenSampler>(cfg, (const uint32_t*)rv.data, (const int32_t*)wv.data, wv.length);
}

void decode_steps(EvalWork* w, std::chrono::steady_clock::time_point t0) {
  Model& m = *w->h->model;
  std::vector<float>& logits = w->h->logits;  // the context runs one eval at a time (busy)
  logits.resize((size_t)m.params().vocab);
  int32_t tok = w->tokens[0];
  for (int64_t step = 0; step < w->max_steps; step++) {
    m.eval(&tok, 1, w->pos + step, false, logits.data());
    if (w->sampler) {
      tok = w->sampler->sample(logits.data(), m.params().vocab);
      w->rng_after.insert(w->rng_after.end(), w->sampler->rng().s, w->sampler->rng().s + 4);
    } else {
      tok = argmax_logits(logits.data(), m.params().vocab);
    }
    w->produced.push_back(tok);
    if (std::find(w->stop_ids.begin(), w->stop_ids.end(), tok) != w->stop_ids.end()) break;
    if (std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() >= w->budget_ms) break;
  }
}

void EvalExecute(napi_env, void* data) {
  EvalWork* w = (EvalWork*)data;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    if (w->steps) decode_steps(w, t0);
    else if (w->embed) w->h->model->embed(w->tokens.data(), (int64_t)w->tokens.size(), w->out);
    else w->h->model->eval(w->tokens.data(), (int64_t)w->tokens.size(), w->pos, w->all, w->out);
    // read by modelInfo after the promise settles (the completion callback orders it)
    w->h->last_eval_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  } catch (const std::exception& e) {
    w->error = e.what();
    if (w->error.empty()) w->error = "native eval failed";
  }
}

// The eval's logits into the caller's array, checked again: JS may have detached it meanwhile.
void copy_into(napi_env env, EvalWork* w, napi_value* out) {
  napi_typedarray_type type;
  size_t len = 0;
  void* data = nullptr;
  napi_value ab;
  size_t off;
  if (napi_get_reference_value(env, w->into_ref, out) != napi_ok ||
      napi_get_typedarray_info(env, *out, &type, &len, &data, &ab, &off) != napi_ok || type != napi_float32_array ||
      len != w->into_len || !data) {
    if (w->error.empty()) w->error = "into was detached or changed during the eval";
  } else if (w->error.empty()) {
    std::memcpy(data, w->out, len * sizeof(float));
  }
}

void EvalComplete(napi_env env, napi_status status, void* data) {
  EvalWork* w = (EvalWork*)data;
  w->h->busy = false;
  napi_value out;
  if (w->steps) {
    // greedyModel: the ids; sampledModel: each id followed by the PRNG state after its draw.
    std::vector<int32_t> res;
    if (w->sampler) {
      for (size_t i = 0; i < w->produced.size(); i++) {
        res.push_back(w->produced[i]);
        for (int k = 0; k < 4; k++) res.push_back((int32_t)w->rng_after[4 * i + (size_t)k]);
      }
    } else {
      res = w->produced;
    }
    // A completion callback throws nothing: a failed allocation rejects the promise instead.
    try {
      out = copy_array(env, w->sampler ? napi_uint32_array : napi_int32_array, res.data(), res.size(), sizeof(int32_t));
    } catch (const JsError&) {
      if (w->error.empty()) w->error = "cannot allocate the result";
    }
  } else if (w->into_ref) {
    copy_into(env, w, &out);
  } else {
    napi_get_reference_value(env, w->out_ref, &out);
  }
  if (status != napi_ok && w->error.empty()) w->error = "native eval was cancelled";
  if (w->error.empty()) {
    napi_resolve_deferred(env, w->deferred, out);
  } else {
    napi_value msg, err;
    napi_create_string_utf8(env, w->error.c_str(), w->error.size(), &msg);
    napi_create_error(env, nullptr, msg, &err);
    napi_reject_deferred(env, w->deferred, err);
  }
  if (w->h->disposed) release(env, w->h);
  if (w->out_ref) napi_delete_reference(env, w->out_ref);
  if (w->into_ref) napi_delete_reference(env, w->into_ref);
  napi_delete_reference(env, w->handle_ref);
  napi_delete_async_work(env, w->work);
  delete w;
}

// Queues a prepared eval on the worker pool, its context marked busy until EvalComplete; the
// promise settles there. `handle` is kept alive meanwhile.
napi_value queue_eval(napi_env env, napi_value handle, std::unique_ptr<EvalWork> w, const char* name) {
  NAPI_OK(napi_create_reference(env, handle, 1, &w->handle_ref));
  napi_value promise, label;
  NAPI_OK(napi_create_promise(env, &w->deferred, &promise));
  NAPI_OK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &label));
  NAPI_OK(napi_create_async_work(env, nullptr, label, EvalExecute, EvalComplete, w.get(), &w->work));
  NAPI_OK(napi_queue_async_work(env, w->work));
  w->h->busy = true;
  w.release();
  return promise;
}

// evalModel(handle, tokens: Int32Array, pos, allLogits, into?: Float32Array) -> Promise<Float32Array>:
// a new array, or `into` (exactly the result's length) filled and returned.
// evalModel(...) and embedModel(handle, tokens): one async step each.
napi_value StartEval(napi_env env, napi_callback_info info, bool embed) {
  const CallArgs a = embed ? args(env, info, 2, 2, "embedModel(handle, tokens)")
                           : args(env, info, 4, 5, "evalModel(handle, tokens, pos, allLogits, into?)");
  ModelHandle* h = handle_arg(env, a[0]);
  if (h->disposed || !h->model) throw JsError{"the model context was disposed"};
  if (h->busy) throw JsError{"an eval is already running on this context"};
  View tv = typed(env, a[1], "tokens");
  if (tv.type != napi_int32_array) throw JsError{"tokens must be an Int32Array"};
  auto w = std::make_unique<EvalWork>();
  w->h = h;
  w->tokens.assign((const int32_t*)tv.data, (const int32_t*)tv.data + tv.length);
  w->embed = embed;
  w->pos = embed ? 0 : int_arg(env, a[2], "pos");
  w->all = embed ? false : bool_arg(env, a[3]);
  const int64_t width = embed ? h->model->params().n_embd : h->model->params().vocab;
  const size_t n = (size_t)((w->all ? (int64_t)w->tokens.size() : 1) * width);
  napi_valuetype into_t = napi_undefined;
  if (a.argc > 4) NAPI_OK(napi_typeof(env, a[4], &into_t));
  if (into_t != napi_undefined) {
    const View iv = typed(env, a[4], "into");
    if (iv.type != napi_float32_array || iv.length != n) throw JsError{"into must be a Float32Array of " + std::to_string(n) + " values"};
    h->logits.resize(n);
    w->out = h->logits.data();
    w->into_len = n;
    NAPI_OK(napi_create_reference(env, a[4], 1, &w->into_ref));
  } else {
    napi_value out = make_f32(env, n, &w->out);
    NAPI_OK(napi_create_reference(env, out, 1, &w->out_ref));
  }
  return queue_eval(env, a[0], std::move(w), "localgpt.eval");
}

napi_value EvalModel(napi_env env, napi_callback_info info) { return StartEval(env, info, false); }

// greedyModel(handle, token, pos, maxSteps, stopIds: Int32Array, budgetMs) -> Promise<Int32Array>:
// greedy decoding without a round trip to JS per token. Evaluates `token` at `pos`, takes the
// argmax of its logits (the sampler's greedy rule), evaluates that at pos + 1, and so on: each
// returned id is the argmax after one eval, so the cache grows by the number returned and the last
// id is not evaluated yet. Stops after maxSteps evals, at an id in stopIds (returned), or once
// budgetMs have passed (after at least one step), so a stream still sees its tokens promptly.
napi_value GreedyModel(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 6);
  return queue_eval(env, a[0], steps_work(env, a), "localgpt.greedy");
}

// sampledModel(handle, token, pos, maxSteps, stopIds, budgetMs, config: Float64Array, window:
// Int32Array, rng: Uint32Array) -> Promise<Uint32Array>: greedyModel's loop with each token drawn by
// the JS sampler's chain (ops/sampler.h; config and state as sampler_args reads them). Five
// values a step: the id, then the PRNG's four state words after its draw.
napi_value SampledModel(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 9);
  std::unique_ptr<EvalWork> w = steps_work(env, a);
  w->sampler = sampler_args(env, a[6], a[7], a[8]);
  return queue_eval(env, a[0], std::move(w), "localgpt.sampled");
}

// exp64(x: Float64Array) -> Float64Array: the sampler's exp (ops/exp64.h), for the test that
// holds it to src/engine/sampling/exp.ts bit for bit.
napi_value Exp64(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 1);
  const View xv = typed(env, a[0], "x");
  if (xv.type != napi_float64_array) throw JsError{"x must be a Float64Array"};
  void* data = nullptr;
  napi_value out = make_array(env, napi_float64_array, xv.length, sizeof(double), &data);
  for (size_t i = 0; i < xv.length; i++) ((double*)data)[i] = sampler_exp(((const double*)xv.data)[i]);
  return out;
}

// sampleLogits(config, window, rng, logits: Float32Array, rows = 1) -> { tokens: Int32Array, rng:
// Uint32Array, ids: Int32Array, probs: Float64Array }: the native sampler drawing once from each of
// `rows` rows of logits in turn (as its loop does), the PRNG state after the last draw and that
// draw's distribution. Synchronous, for the tests that hold it to the JS sampler.
napi_value SampleLogits(napi_env env, napi_callback_info info) {
  const CallArgs a = args(env, info, 4, 5, "sampleLogits(config, window, rng, logits, rows?)");
  std::unique_ptr<TokenSampler> s = sampler_args(env, a[0], a[1], a[2]);
  const View lv = typed(env, a[3], "logits");
  const int64_t rows = a.argc > 4 ? int_arg(env, a[4], "rows") : 1;
  if (rows < 1) throw JsError{"rows must be at least 1"};
  if (lv.type != napi_float32_array || lv.length == 0 || lv.length % (size_t)rows)
    throw JsError{"logits must be a non-empty Float32Array of whole rows"};
  const int64_t n = (int64_t)lv.length / rows;
  s->record_distribution();
  std::vector<int32_t> tokens;
  for (int64_t r = 0; r < rows; r++) tokens.push_back(s->sample((const float*)lv.data + r * n, n));
  napi_value o;
  NAPI_OK(napi_create_object(env, &o));
  set(env, o, "tokens", copy_array(env, napi_int32_array, tokens.data(), tokens.size(), sizeof(int32_t)));
  set(env, o, "rng", copy_array(env, napi_uint32_array, s->rng().s, 4, sizeof(uint32_t)));
  set(env, o, "ids", copy_array(env, napi_int32_array, s->last_ids().data(), s->last_ids().size(), sizeof(int32_t)));
  set(env, o, "probs", copy_array(env, napi_float64_array, s->last_probs().data(), s->last_probs().size(), sizeof(double)));
  return o;
}
napi_value EmbedModel(napi_env env, napi_callback_info info) { return StartEval(env, info, true); }

// saveState(handle, n) -> Uint8Array; loadState(handle, bytes, n). Synchronous: a memcpy of the cache.
napi_value SaveState(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 2);
  ModelHandle* h = handle_arg(env, a[0]);
  if (h->disposed || !h->model) throw JsError{"the model context was disposed"};
  if (h->busy) throw JsError{"an eval is running on this context"};
  const int64_t n = int_arg(env, a[1], "n");
  const size_t bytes = h->model->state_size(n);
  void* data = nullptr;
  napi_value ab, out;
  NAPI_OK(napi_create_arraybuffer(env, bytes, &data, &ab));
  h->model->save_state(n, (uint8_t*)data);
  NAPI_OK(napi_create_typedarray(env, napi_uint8_array, bytes, ab, 0, &out));
  return out;
}

napi_value LoadState(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 3);
  ModelHandle* h = handle_arg(env, a[0]);
  if (h->disposed || !h->model) throw JsError{"the model context was disposed"};
  if (h->busy) throw JsError{"an eval is running on this context"};
  View v = typed(env, a[1], "state");
  const int64_t n = int_arg(env, a[2], "n");
  if (v.bytes != h->model->state_size(n)) throw JsError{"the state does not fit this context (size mismatch)"};
  h->model->load_state(n, (const uint8_t*)v.data);
  return nullptr;
}

napi_value DisposeModel(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 1);
  ModelHandle* h = handle_arg(env, a[0]);
  h->disposed = true;
  if (!h->busy) release(env, h);
  return nullptr;
}

napi_value ModelInfo(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 1);
  ModelHandle* h = handle_arg(env, a[0]);
  if (!h->model) throw JsError{"the model context was disposed"};
  napi_value o;
  NAPI_OK(napi_create_object(env, &o));
  set(env, o, "threads", js_num(env, h->model->threads()));
  set(env, o, "isa", js_str(env, isa_name(isa_active())));
  set(env, o, "kvType", js_str(env, h->model->params().kv_f16 ? "f16" : "f32"));
  set(env, o, "lastEvalMs", js_num(env, h->last_eval_ms));
  set(env, o, "repackedBytes", js_num(env, (double)h->model->repacked_bytes()));
  return o;
}

// A failed registration leaves the module unusable: throw, so require() reports it.
#define EXPORT(name, fn)                                                                        \
  {                                                                                             \
    napi_value f;                                                                               \
    if (napi_create_function(env, name, NAPI_AUTO_LENGTH,                                       \
                             [](napi_env e, napi_callback_info i) -> napi_value { return wrap(e, i, fn); }, \
                             nullptr, &f) != napi_ok ||                                         \
        napi_set_named_property(env, exports, name, f) != napi_ok) {                            \
      napi_throw_error(env, nullptr, "localgpt_native: cannot register " name);                 \
      return nullptr;                                                                           \
    }                                                                                           \
  }

// mapFile(path): the whole file as a read-only ArrayBuffer over mmap; unmapped when collected.
napi_value MapFile(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 1);
  const std::string path = str(env, a[0], "path");
  MappedFile m = map_file_readonly(path);
  napi_value ab;
  const napi_status st = napi_create_external_arraybuffer(
      env, m.addr, m.size,
      [](napi_env, void* data, void* hint) { unmap_file(data, reinterpret_cast<size_t>(hint)); },
      reinterpret_cast<void*>(m.size), &ab);
  if (st != napi_ok) {
    unmap_file(m.addr, m.size);
    throw JsError{"cannot wrap the mapping of " + path + " in an ArrayBuffer"};
  }
  return ab;
}

// captureStderr(fn) -> { value, stderr }: calls fn() with the process's standard error captured,
// restored before returning (also when fn throws, which then propagates). For native libraries
// that print to it synchronously (Dawn's adapter enumeration).
napi_value CaptureStderr(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 1);
  napi_valuetype t;
  NAPI_OK(napi_typeof(env, a[0], &t));
  if (t != napi_function) throw JsError{"captureStderr needs a function"};
  napi_value global, value;
  NAPI_OK(napi_get_global(env, &global));
  StderrCapture capture;
  const napi_status st = napi_call_function(env, global, a[0], 0, nullptr, &value);
  const std::string text = capture.finish();
  if (st != napi_ok) return nullptr;  // fn threw: its exception is pending
  napi_value o;
  NAPI_OK(napi_create_object(env, &o));
  set(env, o, "value", value);
  set(env, o, "stderr", js_str(env, text));
  return o;
}

napi_value Init(napi_env env, napi_value exports) {
  EXPORT("info", Info);
  EXPORT("setIsa", SetIsa);
  EXPORT("dequantize", Dequantize);
  EXPORT("quantizeActivation", QuantizeActivation);
  EXPORT("quantizeWeights", QuantizeWeights);
  EXPORT("matmul", Matmul);
  EXPORT("poolCheck", PoolCheck);
  EXPORT("swiglu", Swiglu);
  EXPORT("gelu", Gelu);
  EXPORT("kqv", Kqv);
  EXPORT("rope", Rope);
  EXPORT("createModel", CreateModel);
  EXPORT("evalModel", EvalModel);
  EXPORT("greedyModel", GreedyModel);
  EXPORT("sampledModel", SampledModel);
  EXPORT("sampleLogits", SampleLogits);
  EXPORT("exp64", Exp64);
  EXPORT("disposeModel", DisposeModel);
  EXPORT("modelInfo", ModelInfo);
  EXPORT("mapFile", MapFile);
  EXPORT("embedModel", EmbedModel);
  EXPORT("saveState", SaveState);
  EXPORT("loadState", LoadState);
  EXPORT("captureStderr", CaptureStderr);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
