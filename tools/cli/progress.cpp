#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace tokcount::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kFirstDraw = std::chrono::milliseconds(300);
constexpr auto kRedraw = std::chrono::milliseconds(100);

int terminal_columns() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

// 1234567 -> "1.2 MB" (decimal units, like the MB/s figures).
std::string human_bytes(double b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000.0 && u < 4) {
    b /= 1000.0;
    ++u;
  }
  char s[32];
  std::snprintf(s, sizeof(s), u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return s;
}

}  // namespace

bool stderr_is_terminal() noexcept { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(bool enabled, std::uint64_t total_bytes, std::size_t total_files)
    : total_bytes_(total_bytes), total_files_(total_files), start_(Clock::now()) {
  if (enabled) thread_ = std::thread([this] { run(); });
}

void Progress::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Progress::run() {
  bool drawn = false;
  std::unique_lock<std::mutex> lock(mu_);
  if (cv_.wait_for(lock, kFirstDraw, [this] { return stopping_; })) return;
  while (!stopping_) {
    draw(drawn);
    cv_.wait_for(lock, kRedraw, [this] { return stopping_; });
  }
  if (drawn) std::fputs("\r\033[K", stderr);  // erase the bar
  std::fflush(stderr);
}

void Progress::draw(bool& drawn) {
  const std::uint64_t done = bytes_done_.load(std::memory_order_relaxed);
  const std::size_t files = files_done_.load(std::memory_order_relaxed);
  const double secs = std::chrono::duration<double>(Clock::now() - start_).count();
  // Sizes come from stat before reading; a file that grew meanwhile must not push past 100%.
  const double frac =
      total_bytes_ > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total_bytes_))
                       : static_cast<double>(files) / static_cast<double>(std::max<std::size_t>(total_files_, 1));
  std::string text;
  char pct[16];
  std::snprintf(pct, sizeof(pct), "%3d%%", static_cast<int>(frac * 100.0));
  text += pct;
  text += "  " + human_bytes(static_cast<double>(done));
  if (total_bytes_ > 0) text += " / " + human_bytes(static_cast<double>(total_bytes_));
  if (secs > 0) text += "  " + human_bytes(static_cast<double>(done) / secs) + "/s";
  if (total_files_ > 1) text += "  " + std::to_string(files) + "/" + std::to_string(total_files_) + " files";

  const int cols = terminal_columns();
  const int width = std::clamp(cols - static_cast<int>(text.size()) - 4, 0, 40);
  std::string line = "\r";
  if (width >= 10) {
    const int filled = static_cast<int>(frac * width);
    line.push_back('[');
    line.append(static_cast<std::size_t>(filled), '#');
    line.append(static_cast<std::size_t>(width - filled), '-');
    line.append("] ");
  }
  line += text;
  line += "\033[K";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  drawn = true;
}

}  // namespace tokcount::cli
