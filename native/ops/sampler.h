// The sampler chain of src/engine/sampling/sampler.ts in C++, for the addon's sampling loop
// (sampledModel): penalties -> top-k -> top-p -> min-p -> temperature -> seeded draw. Every stage
// does the JS one's arithmetic in the same order (float32 logits, float64 probabilities, exp64 for
// exp, the same PRNG), so for the same logits, options, penalty window and PRNG state it picks the
// same token and leaves the same state: a generation decodes the same tokens whether its draws are
// made here or in JS (test/native/sampler.test.ts holds the two to each other).
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

namespace lg {

// The greedy pick (sampler.ts argmax): the highest logit, ties to the lowest id, NaN never wins
// (all NaN or -inf: id 0).
int32_t argmax_logits(const float* logits, int64_t n);

// exp64 (exp64.h) as compiled with the sampler, for the test that holds it to JS.
double sampler_exp(double x);

// SamplingOptions as resolved in JS; log_min_p is Math.log(min_p), taken there so both sides
// compare against the same threshold.
struct SamplingConfig {
  double temperature, top_k, top_p, min_p, log_min_p, repeat_penalty, presence_penalty, frequency_penalty, last_n;
};

// xoshiro128** seeded in JS (src/engine/sampling/rng.ts); its state travels with the sampler.
struct SamplerRng {
  uint32_t s[4];
  uint32_t next_u32();
  double next_float();  // uniform in [0, 1) from 53 bits, as Rng.nextFloat
};

class TokenSampler {
 public:
  // window: the accepted tokens the penalties look at, oldest first (Sampler.window()).
  TokenSampler(const SamplingConfig& cfg, const uint32_t rng[4], const int32_t* window, size_t window_len);
  // Picks the next token from a full row of logits and accepts it into the window (Sampler.sample).
  int32_t sample(const float* logits, int64_t n);
  const SamplerRng& rng() const { return rng_; }
  // The distribution of the latest draw (Sampler.distribution: ids and probabilities after every
  // stage), kept only once record_distribution() was called: for the tests.
  void record_distribution() { record_ = true; }
  const std::vector<int32_t>& last_ids() const { return last_ids_; }
  const std::vector<double>& last_probs() const { return last_probs_; }

 private:
  struct Candidates {
    std::vector<int32_t> ids;
    std::vector<float> logits;
    bool sorted = false;
    size_t size() const { return ids.size(); }
    void truncate(size_t n) { ids.resize(n), logits.resize(n); }
  };
  void accept(int32_t token);
  void penalise(const float* logits, int64_t n);
  void filter(Candidates& c);

  SamplingConfig cfg_;
  SamplerRng rng_;
  std::deque<int32_t> history_;
  std::unordered_map<int32_t, int64_t> counts_;
  std::vector<float> work_;  // the penalised logits
  bool record_ = false;
  std::vector<int32_t> last_ids_;
  std::vector<double> last_probs_;
};

}  // namespace lg
