// Pieces shared by the tokcount subcommands: encoding selection, error reporting, stdout
// writing and a small parallel-for.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tokcount/tokcount.hpp"

namespace tokcount::cli {

// Exit codes (documented in --help).
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // input / encoding / I/O error
inline constexpr int kExitUsage = 2;  // bad command line (CLI11's parse errors and ours)

// A problem with the command line found after CLI11 parsed it (e.g. an unknown model name).
// Reported like CLI11's own errors, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A problem with the input or the environment that is not a tokcount::Error (a file that
// cannot be opened, malformed token ids for decode). Exit code 1.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// stdout went away (EPIPE, e.g. `tokcount encode big.txt | head`). Exit code 1, no message,
// because the reader closing the pipe early is not something to complain about.
class BrokenPipe : public std::exception {
 public:
  const char* what() const noexcept override { return "broken pipe"; }
};

// How the encoding is chosen; every subcommand has these options.
struct EncodingArgs {
  std::string encoding;
  std::string model;
  std::string vocab;
  std::string pattern;
  std::string pattern_from;
  std::vector<std::string> specials;  // NAME=ID
  std::string name;
};

void add_encoding_options(CLI::App& cmd, EncodingArgs& args);
// The encoding the options select (default o200k_base). UsageError for an unknown model or
// a malformed --special; tokcount::Error / InputError for a custom vocabulary that fails.
EncodingPtr resolve_encoding(const EncodingArgs& args);

void add_threads_option(CLI::App& cmd, unsigned& threads, const std::string& description);
// 0 means "all CPUs this process may run on" (honours taskset / cgroup CPU sets).
unsigned effective_threads(unsigned requested);

// How a library error reads on the command line. `hints` adds which flag changes the outcome
// (for the encode / count commands); JSONL error lines leave them out.
std::string describe_error(const tokcount::Error& e, bool hints);

// Buffered writer on stdout (fd 1) that reports EPIPE as BrokenPipe and other write failures
// as InputError instead of dying by SIGPIPE.
class Output {
 public:
  Output() { buf_.reserve(kCapacity); }
  ~Output();  // best-effort flush; errors here cannot be reported any more
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void write(std::string_view s) {
    if (buf_.size() + s.size() > kCapacity) {
      flush();
      if (s.size() >= kCapacity) {
        write_all(s);
        return;
      }
    }
    buf_.append(s);
  }
  void put(char c) {
    if (buf_.size() + 1 > kCapacity) flush();
    buf_.push_back(c);
  }
  void flush();

 private:
  static constexpr std::size_t kCapacity = 1 << 16;
  static void write_all(std::string_view s);
  std::string buf_;
};

// Appends the decimal form of v.
void append_uint(std::string& out, std::uint64_t v);

// Runs fn(worker, i) for every i in [0, n) on up to `threads` threads, the calling thread
// included; indices are handed out dynamically so uneven items balance. `worker` is in
// [0, threads) and lets callers keep per-thread scratch state. The first exception (in time)
// stops further work and is rethrown.
template <class Fn>
void parallel_for(std::size_t n, unsigned threads, Fn&& fn) {
  threads = static_cast<unsigned>(std::min<std::size_t>(std::max(threads, 1u), n));
  if (threads <= 1) {
    for (std::size_t i = 0; i < n; ++i) fn(0u, i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::atomic_flag error_taken = ATOMIC_FLAG_INIT;
  auto work = [&](unsigned worker) {
    try {
      for (std::size_t i; !failed.load(std::memory_order_relaxed) &&
                          (i = next.fetch_add(1, std::memory_order_relaxed)) < n;)
        fn(worker, i);
    } catch (...) {
      if (!error_taken.test_and_set()) error = std::current_exception();
      failed.store(true);
    }
  };
  std::vector<std::jthread> pool;
  pool.reserve(threads - 1);
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  pool.clear();  // joins
  if (error) std::rethrow_exception(error);
}

}  // namespace tokcount::cli
