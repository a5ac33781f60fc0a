// A one-line progress bar on stderr for long `count` runs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>

namespace tokcount::cli {

bool stderr_is_terminal() noexcept;

// Redraws "[####----]  42%  1.2/2.9 GB  512.0 MB/s  1234/5000 files" about ten times a second
// from its own thread while workers call add(). Nothing is drawn when disabled or for runs
// that finish within the first few hundred milliseconds, and the line is erased at the end so
// it never mixes with the results on stdout.
class Progress {
 public:
  Progress(bool enabled, std::uint64_t total_bytes, std::size_t total_files);
  ~Progress() { stop(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(std::uint64_t bytes) noexcept {
    bytes_done_.fetch_add(bytes, std::memory_order_relaxed);
    files_done_.fetch_add(1, std::memory_order_relaxed);
  }
  void stop();

 private:
  void run();
  void draw(bool& drawn);

  std::uint64_t total_bytes_;
  std::size_t total_files_;
  std::atomic<std::uint64_t> bytes_done_{0};
  std::atomic<std::size_t> files_done_{0};
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tokcount::cli
