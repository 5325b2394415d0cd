// A persistent thread pool: parallel_for runs fn(task, thread) for task in [0, n) on the calling
// thread plus the workers, handing out tasks through an atomic counter. Workers spin briefly after
// each job (decode issues thousands of small jobs per token) and then sleep on a condition variable.
// One job runs at a time per pool: run() is serialised by a mutex, so two contexts can share a pool.
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
  void run_tasks(int thread);

  std::vector<std::thread> workers_;
  std::mutex job_mutex_;  // serialises parallel_for callers
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> next_{0};
  std::atomic<int> pending_{0};  // workers still inside the current job
  int64_t n_ = 0;
  const std::function<void(int64_t, int)>* fn_ = nullptr;
  std::atomic<bool> stop_{false};
};

// Shared process-wide pool of `threads` threads (<1: all CPUs of this process's affinity mask).
// Asking for another count makes a new pool; holders of the old one keep it alive.
std::shared_ptr<ThreadPool> shared_pool(int threads);
int default_threads();

}  // namespace lg
