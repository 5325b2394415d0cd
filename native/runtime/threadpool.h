// A persistent thread pool: parallel_for runs fn(task, thread) for task in [0, n) on the calling
// thread plus the workers. Decode issues thousands of small jobs per token, so a job is published
// with one atomic store and tasks are claimed through one atomic word that also carries the job's
// generation: a worker that wakes late can never take a task of a later job. The caller waits only
// for tasks that are running, never for workers that have not woken (on a busy machine a worker
// may not get a core for milliseconds; the caller then simply runs every task itself). Workers
// spin briefly between jobs, then yield, then sleep.
// One job runs at a time per pool: parallel_for is serialised by a mutex, so two contexts can share a pool.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace lg {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return (int)workers_.size() + 1; }
  // fn(task, thread) for every task in [0, n). Blocks until all are done.
  void parallel_for(int64_t n, const std::function<void(int64_t, int)>& fn);

 private:
  void worker_main(int id);
  // Claims and runs tasks of generation `gen` until none are left (or a newer job has started).
  void run_tasks(uint32_t gen, int thread);

  std::vector<std::thread> workers_;
  std::mutex job_mutex_;  // serialises parallel_for callers
  std::mutex mu_;         // sleeping workers
  std::condition_variable cv_;
  int sleepers_ = 0;      // guarded by mu_
  // (generation << 32) | next unclaimed task index
  std::atomic<uint64_t> state_{0};
  std::atomic<int64_t> done_{0};  // tasks of the current job finished
  // Task count of generation g in n_[g & 1]: a late worker reads its own job's count while the
  // next job's is written to the other slot.
  std::atomic<int64_t> n_[2] = {0, 0};
  const std::function<void(int64_t, int)>* fn_ = nullptr;
  std::atomic<bool> stop_{false};
};

// Shared process-wide pool of `threads` threads (<1: all CPUs of this process's affinity mask).
// Asking for another count makes a new pool; holders of the old one keep it alive.
std::shared_ptr<ThreadPool> shared_pool(int threads);
int default_threads();

}  // namespace lg
