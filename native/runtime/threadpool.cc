#include "threadpool.h"
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sched.h>

namespace lg {

ThreadPool::ThreadPool(int threads) {
  if (threads < 1) threads = 1;
  for (int i = 1; i < threads; i++) workers_.emplace_back([this, i] { worker_main(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_.store(true);
    state_.fetch_add(uint64_t{1} << 32);
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

static inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

void ThreadPool::run_tasks(uint32_t gen, int thread) {
  uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    // The task count is read from this generation's slot: a worker still holding the previous
    // job's state must compare against that job's count, not the one being set up (which could
    // let it claim an index past the old job's end before the new generation is published).
    if ((uint32_t)(s >> 32) != gen || (int64_t)(uint32_t)s >= n_[gen & 1].load(std::memory_order_relaxed)) return;
    // Claim task (s & 0xffffffff) of this generation; a failed CAS reloads s and re-checks.
    if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    (*fn_)((int64_t)(uint32_t)s, thread);
    done_.fetch_add(1, std::memory_order_acq_rel);
    s = state_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker_main(int id) {
  uint32_t seen = 0;
  for (;;) {
    // Wait for a new generation: spin (jobs come back to back during a forward pass), then yield
    // the core (another process may need it more), then sleep.
    uint32_t g = (uint32_t)(state_.load(std::memory_order_acquire) >> 32);
    for (int spin = 0; g == seen && spin < 20000; spin++) {
      cpu_relax();
      g = (uint32_t)(state_.load(std::memory_order_acquire) >> 32);
    }
    for (int y = 0; g == seen && y < 64; y++) {
      std::this_thread::yield();
      g = (uint32_t)(state_.load(std::memory_order_acquire) >> 32);
    }
    if (g == seen) {
      std::unique_lock<std::mutex> lk(mu_);
      sleepers_++;
      cv_.wait(lk, [&] { return (uint32_t)(state_.load(std::memory_order_acquire) >> 32) != seen; });
      sleepers_--;
      g = (uint32_t)(state_.load(std::memory_order_acquire) >> 32);
    }
    seen = g;
    if (stop_.load(std::memory_order_acquire)) return;
    run_tasks(g, id);
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    for (int64_t i = 0; i < n; i++) fn(i, 0);
    return;
  }
  std::lock_guard<std::mutex> job(job_mutex_);
  // Publishing the new generation with index 0 releases n_, fn_ and done_ to the claimers.
  const uint32_t gen = (uint32_t)(state_.load(std::memory_order_relaxed) >> 32) + 1;
  n_[gen & 1].store(n, std::memory_order_relaxed);
  fn_ = &fn;
  done_.store(0, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lk(mu_);  // a worker between its check and its wait must see it
    state_.store((uint64_t)gen << 32, std::memory_order_release);
    if (sleepers_ > 0) cv_.notify_all();
  }
  run_tasks(gen, 0);
  // Only tasks a worker has claimed and is running remain.
  for (int spin = 0;; spin++) {
    const int64_t d = done_.load(std::memory_order_acquire);
    if (d == n) break;
    // More tasks done than the job has means a task ran twice: stop loudly rather than wait forever.
    if (d > n) {
      std::fprintf(stderr, "localgpt: thread pool invariant broken (%lld of %lld tasks done)\n", (long long)d, (long long)n);
      std::abort();
    }
    if (spin < 2000) cpu_relax();
    else std::this_thread::yield();
  }
  // Close the job: late workers see the index at n and claim nothing.
  fn_ = nullptr;
}

int default_threads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int c = CPU_COUNT(&set);
    if (c > 0) return c;
  }
  const unsigned h = std::thread::hardware_concurrency();
  return h ? (int)h : 1;
}

static std::mutex g_pool_mu;
static std::shared_ptr<ThreadPool> g_pool;

std::shared_ptr<ThreadPool> shared_pool(int threads) {
  std::lock_guard<std::mutex> lk(g_pool_mu);
  if (threads < 1) threads = default_threads();
  if (!g_pool || g_pool->size() != threads) g_pool = std::make_shared<ThreadPool>(threads);
  return g_pool;
}

}  // namespace lg
