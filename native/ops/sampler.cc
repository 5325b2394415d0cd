#include "sampler.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include "exp64.h"

namespace lg {

namespace {
// a ranks before b: higher logit, or equal logit and lower id (sampler.ts `better`).
inline bool better(float al, int32_t ai, float bl, int32_t bi) { return al > bl || (al == bl && ai < bi); }
inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
constexpr size_t kTopPFirst = 256;  // top-p over many unsorted candidates tries this many first
}  // namespace

uint32_t SamplerRng::next_u32() {
  const uint32_t s1 = s[1];
  const uint32_t r = rotl(s1 * 5u, 7) * 9u;
  const uint32_t t = s1 << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return r;
}

double SamplerRng::next_float() {
  const uint32_t hi = next_u32() >> 5;
  const uint32_t lo = next_u32() >> 6;
  return ((double)hi * 67108864.0 + (double)lo) / 9007199254740992.0;
}

TokenSampler::TokenSampler(const SamplingConfig& cfg, const uint32_t rng[4], const int32_t* window, size_t window_len)
    : cfg_(cfg) {
  std::copy(rng, rng + 4, rng_.s);
  for (size_t i = 0; i < window_len; i++) accept(window[i]);
}

namespace {

// The m best of n candidates (ids null: ids 0..n-1), best first, for 0 < m <= kInsertMax: a
// sorted list that most of a vocabulary fails to enter by one comparison with its worst (top-k 40
// over a 16k row: 2.5% of a 110M model's step as a partial sort of the whole row).
constexpr size_t kInsertMax = 64;
void best_by_insertion(const float* logits, const int32_t* ids, size_t n, size_t m, std::vector<int32_t>& out_ids,
                       std::vector<float>& out_logits) {
  int32_t ki[kInsertMax];
  float kl[kInsertMax];
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    const float l = logits[i];
    const int32_t id = ids ? ids[i] : (int32_t)i;
    if (len == m && !better(l, id, kl[m - 1], ki[m - 1])) continue;
    size_t j = len < m ? len++ : m - 1;
    for (; j > 0 && better(l, id, kl[j - 1], ki[j - 1]); j--) kl[j] = kl[j - 1], ki[j] = ki[j - 1];
    kl[j] = l;
    ki[j] = id;
  }
  out_ids.assign(ki, ki + len);
  out_logits.assign(kl, kl + len);
}

// The m best candidates, best first, into out (selectTop; the order is total, so any exact sort
// agrees): the sorted list for small m, else a (partial) sort of an index.
void best_of(const std::vector<int32_t>& ids, const std::vector<float>& logits, size_t m, std::vector<int32_t>& out_ids,
             std::vector<float>& out_logits) {
  if (m > 0 && m < ids.size() && m <= kInsertMax) return best_by_insertion(logits.data(), ids.data(), ids.size(), m, out_ids, out_logits);
  std::vector<uint32_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0u);
  const auto cmp = [&](uint32_t a, uint32_t b) { return better(logits[a], ids[a], logits[b], ids[b]); };
  if (m < order.size()) std::partial_sort(order.begin(), order.begin() + (std::ptrdiff_t)m, order.end(), cmp);
  else std::sort(order.begin(), order.end(), cmp);
  order.resize(std::min(m, order.size()));
  out_ids.resize(order.size());
  out_logits.resize(order.size());
  for (size_t i = 0; i < order.size(); i++) out_ids[i] = ids[order[i]], out_logits[i] = logits[order[i]];
}

double max_logit(const std::vector<float>& l) {
  double max = -INFINITY;
  for (float v : l)
    if (v > max) max = v;
  return max;
}

struct Norm {
  double max, sum;
};

Norm softmax_norm(const std::vector<float>& l) {
  const double max = max_logit(l);
  double sum = 0;
  for (float v : l) sum += exp64((double)v - max);
  return {max, sum};
}

// The length of the shortest sorted prefix whose probability reaches p, or 0 if none does.
size_t top_p_cut(const std::vector<float>& l, double p, const Norm& norm) {
  double cum = 0;
  for (size_t i = 0; i < l.size(); i++) {
    cum += exp64((double)l[i] - norm.max) / norm.sum;
    if (cum >= p) return i + 1;
  }
  return 0;
}

std::vector<double> softmax(const std::vector<float>& l) {
  const size_t n = l.size();
  std::vector<double> out(n);
  if (n == 0) return out;
  const double max = max_logit(l);
  if (max == -INFINITY) {
    std::fill(out.begin(), out.end(), 1.0 / (double)n);
    return out;
  }
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    out[i] = exp64((double)l[i] - max);
    sum += out[i];
  }
  for (double& v : out) v /= sum;
  return out;
}

size_t draw_index(const std::vector<double>& probs, double u) {
  double total = 0;
  for (double p : probs) total += p;
  const double target = u * total;
  double cum = 0;
  std::ptrdiff_t last = -1;
  for (size_t i = 0; i < probs.size(); i++) {
    if (probs[i] <= 0) continue;
    cum += probs[i];
    last = (std::ptrdiff_t)i;
    if (cum > target) return i;
  }
  return last >= 0 ? (size_t)last : 0;
}

}  // namespace

double sampler_exp(double x) { return exp64(x); }

int32_t argmax_logits(const float* l, int64_t n) {
  int32_t best = 0;
  float best_l = -INFINITY;
  bool found = false;
  for (int64_t i = 0; i < n; i++) {
    const float v = std::isnan(l[i]) ? -INFINITY : l[i];
    if (v > best_l || (!found && v == best_l)) {
      best = (int32_t)i;
      best_l = v;
      found = true;
    }
  }
  return best;
}

int32_t TokenSampler::sample(const float* logits, int64_t n) {
  penalise(logits, n);
  int32_t token;
  std::vector<double> probs{1.0};
  Candidates c;
  if (cfg_.temperature <= 0) {
    token = argmax_logits(work_.data(), n);
    c.ids.assign(1, token);
  } else {
    if (cfg_.top_k > 0 && (int64_t)cfg_.top_k < n && cfg_.top_k <= (double)kInsertMax) {
      // top-k straight from the row: no copy of the vocabulary's ids and logits first
      best_by_insertion(work_.data(), nullptr, (size_t)n, (size_t)cfg_.top_k, c.ids, c.logits);
      c.sorted = true;
    } else {
      c.ids.resize((size_t)n);
      std::iota(c.ids.begin(), c.ids.end(), 0);
      c.logits = work_;
    }
    filter(c);
    if (c.size() == 1) {
      token = c.ids[0];
    } else {
      if (cfg_.temperature != 1)
        for (float& l : c.logits) l = (float)((double)l / cfg_.temperature);
      probs = softmax(c.logits);
      token = c.ids[draw_index(probs, rng_.next_float())];
    }
  }
  if (record_) {
    last_ids_ = std::move(c.ids);
    last_probs_ = std::move(probs);
  }
  accept(token);
  return token;
}

void TokenSampler::accept(int32_t token) {
  const int64_t last_n = (int64_t)cfg_.last_n;
  if (last_n == 0) return;
  history_.push_back(token);
  counts_[token]++;
  if (last_n > 0 && (int64_t)history_.size() > last_n) {
    const int32_t old = history_.front();
    history_.pop_front();
    auto it = counts_.find(old);
    if (it != counts_.end() && --it->second <= 0) counts_.erase(it);
  }
}

// Copies the logits (NaN never wins) and applies the penalties (applyPenalties).
void TokenSampler::penalise(const float* logits, int64_t n) {
  work_.assign(logits, logits + n);
  for (float& v : work_)
    if (v != v) v = -INFINITY;
  if (cfg_.repeat_penalty == 1 && cfg_.frequency_penalty == 0 && cfg_.presence_penalty == 0) return;
  for (const auto& [id, count] : counts_) {
    if (count <= 0 || id < 0 || id >= n) continue;
    double l = work_[(size_t)id];
    if (l <= 0) l *= cfg_.repeat_penalty;
    else l /= cfg_.repeat_penalty;
    l -= (double)count * cfg_.frequency_penalty + cfg_.presence_penalty;
    work_[(size_t)id] = (float)l;
  }
}

// top-k, top-p, min-p (Sampler.filtered), with its shortcut: over many unsorted candidates with
// both top-p and min-p on, min-p filters first and top-p sees the full set's normaliser.
void TokenSampler::filter(Candidates& c) {
  auto keep_best = [&](size_t m) {
    Candidates best;
    best_of(c.ids, c.logits, m, best.ids, best.logits);
    best.sorted = true;
    c = std::move(best);
  };
  if (cfg_.top_k > 0 && c.size() > 0) {
    const size_t k = std::min((size_t)cfg_.top_k, c.size());
    if (c.sorted) c.truncate(k);
    else keep_best(k);
  }
  // norm: the softmax normaliser top-p uses, over the candidates as they stand when it is taken.
  auto top_p = [&](const Norm& norm) {
    if (!c.sorted && c.size() > 1024) {
      Candidates first;
      best_of(c.ids, c.logits, kTopPFirst, first.ids, first.logits);
      if (const size_t n = top_p_cut(first.logits, cfg_.top_p, norm)) {
        first.truncate(n);
        first.sorted = true;
        c = std::move(first);
        return;
      }
    }
    if (!c.sorted) keep_best(c.size());
    if (const size_t n = top_p_cut(c.logits, cfg_.top_p, norm)) c.truncate(n);
  };
  auto min_p = [&] {
    if (cfg_.min_p <= 0 || c.size() == 0) return;
    const double threshold = max_logit(c.logits) + cfg_.log_min_p;
    if (c.sorted) {
      size_t i = 1;
      while (i < c.size() && c.logits[i] >= threshold) i++;
      c.truncate(i);
      return;
    }
    size_t n = 0;
    for (size_t i = 0; i < c.size(); i++)
      if (c.logits[i] >= threshold) c.ids[n] = c.ids[i], c.logits[n] = c.logits[i], n++;
    c.truncate(n);
  };
  const bool use_top_p = cfg_.top_p < 1;
  if (use_top_p && !c.sorted && c.size() > 1024 && cfg_.min_p > 0) {
    const Norm norm = softmax_norm(c.logits);
    min_p();
    if (c.size() > 1) top_p(norm);
  } else if (use_top_p && c.size() > 1) {
    // (The JS stage takes this normaliser even when it then returns at once; here only when used.)
    top_p(softmax_norm(c.logits));
  }
  min_p();
}

}  // namespace lg
