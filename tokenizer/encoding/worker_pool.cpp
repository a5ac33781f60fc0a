#include "encoding/worker_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace tokcount::detail {
namespace {

// One run_on_pool call, on its caller's stack. Counts are guarded by the pool's mutex.
struct Job {
  const std::function<void()>* body = nullptr;
  std::size_t queued = 0;   // helper slots not picked up yet
  std::size_t running = 0;  // helpers inside body()
  std::condition_variable finished;
};

class Pool {
 public:
  // More helpers than this are never useful on the machines we run on, and each one holds
  // piece memos: a request for more is served by this many.
  static constexpr unsigned kMaxThreads = 256;

  void run(unsigned helpers, const std::function<void()>& helper_body, const std::function<void()>& caller_body) {
    helpers = std::min(helpers, kMaxThreads);
    Job job;
    job.body = &helper_body;
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (threads_.size() < helpers) threads_.emplace_back([this] { work(); });
      for (unsigned i = 0; i < helpers; ++i) queue_.push_back(&job);
      job.queued = helpers;
    }
    if (helpers == 1) {
      wake_.notify_one();
    } else {
      wake_.notify_all();
    }
    caller_body();
    std::unique_lock<std::mutex> lock(mu_);
    if (job.queued != 0) {  // nothing left to do: withdraw the slots no helper took
      queue_.erase(std::remove(queue_.begin(), queue_.end(), &job), queue_.end());
      job.queued = 0;
    }
    job.finished.wait(lock, [&] { return job.running == 0; });
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return !queue_.empty(); });
      Job* job = queue_.front();
      queue_.pop_front();
      --job->queued;
      ++job->running;
      lock.unlock();
      (*job->body)();
      lock.lock();
      // Under the lock: the caller cannot see running == 0 (and free the job) before this.
      if (--job->running == 0) job->finished.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job*> queue_;
  std::vector<std::thread> threads_;  // never joined: the pool lives as long as the process
};

// Deliberately never destroyed: pool threads sleep in wait() at exit and the process takes
// them down; destroying the pool at exit would race with a batch still running on another
// thread, or with thread_local memos being torn down.
std::atomic<Pool*> g_pool{nullptr};
std::once_flag g_atfork_once;

void reset_after_fork() {
  // The child has only the forking thread; the parent's pool (its threads, maybe a held
  // mutex) is unusable here. Leak it and start empty.
  g_pool.store(nullptr, std::memory_order_relaxed);
}

Pool& pool() {
  std::call_once(g_atfork_once, [] { pthread_atfork(nullptr, nullptr, reset_after_fork); });
  Pool* p = g_pool.load(std::memory_order_acquire);
  if (p != nullptr) return *p;
  static std::mutex create_mu;
  std::lock_guard<std::mutex> lock(create_mu);
  p = g_pool.load(std::memory_order_acquire);
  if (p == nullptr) {
    p = new Pool;
    g_pool.store(p, std::memory_order_release);
  }
  return *p;
}

}  // namespace

void run_on_pool(unsigned helpers, const std::function<void()>& body) { run_on_pool(helpers, body, body); }

void run_on_pool(unsigned helpers, const std::function<void()>& helper_body, const std::function<void()>& caller_body) {
  if (helpers == 0) {
    caller_body();
    return;
  }
  pool().run(helpers, helper_body, caller_body);
}

}  // namespace tokcount::detail
