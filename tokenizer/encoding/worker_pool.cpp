#include "encoding/worker_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace tokcount::detail {
namespace {

// How long an idle thread polls before it sleeps: a pool thread waiting for the next batch, a
// caller waiting for its helpers' last chunk. Why: a sleeping thread is woken through the
// kernel, and on a VM the wake-up of an idle vCPU took tens of microseconds, a few percent of
// a 1 ms batch and more of shorter ones; back-to-back batches (a gateway under load, a
// benchmark) now find their helper awake. Like OpenMP's spin-then-sleep (KMP_BLOCKTIME, whose
// default is 200 ms), bounded much lower here: an idle pool burns at most this much per batch.
constexpr std::chrono::microseconds kSpinBeforeSleep{100};

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls `ready` until it holds or kSpinBeforeSleep has passed; returns its last value.
template <class Ready>
bool spin_until(Ready&& ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinBeforeSleep;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return ready();
  }
}

// One run_on_pool call, on its caller's stack. Counts change under the pool's mutex;
// `running` is atomic so the caller can also poll it without the mutex.
struct Job {
  const std::function<void()>* body = nullptr;
  std::size_t queued = 0;                // helper slots not picked up yet
  std::atomic<std::size_t> running{0};  // helpers inside body()
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
      queued_.fetch_add(helpers, std::memory_order_release);
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
      queued_.fetch_sub(job.queued, std::memory_order_relaxed);
      job.queued = 0;
    }
    // A helper is finishing its last chunk: poll, then sleep (not on one CPU: the poll would
    // take the CPU from that helper).
    if (job.running != 0 && max_spinners_ > 0) {
      lock.unlock();
      spin_until([&] { return job.running.load(std::memory_order_acquire) == 0; });
      lock.lock();
    }
    job.finished.wait(lock, [&] { return job.running == 0; });
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      // At most one idle thread per CPU but the caller's polls: when several callers' batches
      // have left more pool threads than CPUs, more pollers would take the CPUs from the
      // threads still encoding and from the callers' work between batches.
      if (queue_.empty()) {
        if (spinners_.fetch_add(1, std::memory_order_relaxed) < max_spinners_) {
          lock.unlock();
          spin_until([&] { return queued_.load(std::memory_order_acquire) != 0; });
          lock.lock();
        }
        spinners_.fetch_sub(1, std::memory_order_relaxed);
      }
      wake_.wait(lock, [&] { return !queue_.empty(); });
      Job* job = queue_.front();
      queue_.pop_front();
      queued_.fetch_sub(1, std::memory_order_relaxed);
      --job->queued;
      ++job->running;
      lock.unlock();
      (*job->body)();
      lock.lock();
      // Under the lock: the caller cannot see running == 0 (and free the job) before this.
      if (job->running.fetch_sub(1, std::memory_order_acq_rel) == 1) job->finished.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job*> queue_;
  std::atomic<std::size_t> queued_{0};  // = queue_.size(), readable without the lock (polling)
  std::atomic<unsigned> spinners_{0};    // threads in (or deciding on) the polling above
  const unsigned max_spinners_ = std::max(1u, std::thread::hardware_concurrency()) - 1;
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
