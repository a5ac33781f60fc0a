// The batch worker pool: every item runs exactly once, several callers at once, helpers that
// are polling or asleep both serve a batch, a caller whose helpers are all busy still
// finishes, batches work in a forked child, and batch results equal single calls on warm and
// cold pool threads.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "encoding/worker_pool.hpp"
#include "tokcount/tokcount.hpp"

namespace {

using tokcount::detail::run_on_pool;

// Runs `items` items over run_on_pool with `helpers` helpers; returns how often each ran.
std::vector<int> run_items(std::size_t items, unsigned helpers) {
  std::vector<std::atomic<int>> seen(items);
  std::atomic<std::size_t> next{0};
  run_on_pool(helpers, [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < items;) seen[i].fetch_add(1);
  });
  std::vector<int> out;
  for (auto& s : seen) out.push_back(s.load());
  return out;
}

TEST(WorkerPool, EveryItemRunsOnce) {
  for (unsigned helpers : {0u, 1u, 3u, 8u}) {
    const auto seen = run_items(1000, helpers);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), 1000) << helpers << " helpers";
  }
}

TEST(WorkerPool, ManyCallersAtOnce) {
  std::vector<std::thread> callers;
  std::atomic<int> bad{0};
  for (int c = 0; c < 8; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        const auto seen = run_items(64, 3);
        if (std::count(seen.begin(), seen.end(), 1) != 64) bad.fetch_add(1);
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(WorkerPool, HelpersAwakeAndAsleepBothServeBatches) {
  // Pool threads poll for ~100 us after a batch, then sleep on the condition variable; a batch
  // may arrive in either state, and a caller may find its helper still finishing a chunk
  // (it polls for it) or already done. Alternate back-to-back batches with gaps well past the
  // polling window, with helpers whose items take long enough to outlast the caller's share.
  for (int round = 0; round < 40; ++round) {
    std::vector<std::atomic<int>> seen(64);
    std::atomic<std::size_t> next{0};
    const bool slow_helpers = round % 3 == 0;
    auto helper = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < seen.size();) {
        if (slow_helpers) std::this_thread::sleep_for(std::chrono::microseconds(300));
        seen[i].fetch_add(1);
      }
    };
    auto caller = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < seen.size();) seen[i].fetch_add(1);
    };
    run_on_pool(2, helper, caller);
    for (std::size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i].load(), 1) << "round " << round << " item " << i;
    if (round % 2 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // helpers go to sleep
  }
}

TEST(WorkerPool, CallerFinishesWhileHelpersAreBusy) {
  // Occupy the pool's threads with a long job, then run a small batch from another thread:
  // it must complete on its own caller (its helper slots are withdrawn, not waited for).
  std::atomic<bool> release{false};
  std::atomic<int> blocked{0};
  std::thread hog([&] {
    run_on_pool(16, [&] {  // more than any other test asks for: every pool thread is taken
      blocked.fetch_add(1);
      while (!release.load()) std::this_thread::yield();
    });
  });
  while (blocked.load() < 17) std::this_thread::yield();  // the hog's caller + 16 helpers
  const auto seen = run_items(100, 4);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), 100);
  release.store(true);
  hog.join();
}

TEST(WorkerPool, BatchesWorkInAForkedChild) {
  auto enc = tokcount::Encoding::get("cl100k_base");
  const std::vector<std::string> texts(64, "fork-safe batches: the child gets a fresh pool");
  std::vector<std::string_view> views(texts.begin(), texts.end());
  const auto parent = enc->count_batch(views, {}, 4);  // the pool now has threads
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Only async-signal-safe exits from here; a hang would be caught by ctest's timeout.
    const auto child = enc->count_batch(views, {}, 4);
    _exit(child == parent ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(WorkerPool, BatchResultsEqualSingleCalls) {
  auto enc = tokcount::Encoding::get("o200k_base");
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back("document " + std::to_string(i) + std::string(i % 37, 'x') + " end");
  std::vector<std::string_view> views(texts.begin(), texts.end());
  for (int round = 0; round < 3; ++round) {  // warm and cold pool threads alike
    const auto batch = enc->encode_batch(views, {}, 2);
    ASSERT_EQ(batch.size(), texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) ASSERT_EQ(batch[i], enc->encode(texts[i])) << i;
  }
}

}  // namespace
