#include "io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "common.hpp"

namespace tokcount::cli {
namespace {

// Below this, read() into a reused buffer beats mmap's page-table setup and munmap's TLB flush.
constexpr std::size_t kMapThreshold = std::size_t{1} << 20;

std::string errno_message(const std::string& path) {
  return (path == "-" ? std::string("<stdin>") : path) + ": " + std::strerror(errno);
}

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ > STDIN_FILENO) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

// The file descriptor of `path` ("-": stdin) and its stat; a clear InputError for a missing,
// unreadable or directory path. The caller owns the descriptor.
int open_input(const std::string& path, struct stat& st) {
  const int fd = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(errno_message(path));
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    const std::string why = S_ISDIR(st.st_mode) ? path + ": is a directory" : errno_message(path);
    if (fd != STDIN_FILENO) ::close(fd);
    throw InputError(why);
  }
  return fd;
}

}  // namespace

void Input::unmap() noexcept {
  if (map_ != nullptr) ::munmap(map_, map_len_);
  map_ = nullptr;
  map_len_ = 0;
}

void Input::load(const std::string& path) {
  unmap();
  view_ = {};
  const bool is_stdin = path == "-";
  struct stat st {};
  const int fd = open_input(path, st);
  FdCloser closer(fd);

  // stdin redirected from a file may already be partly consumed; map only from offset 0.
  const bool at_start = !is_stdin || ::lseek(fd, 0, SEEK_CUR) == 0;
  if (S_ISREG(st.st_mode) && at_start && static_cast<std::uint64_t>(st.st_size) >= kMapThreshold) {
    const auto len = static_cast<std::size_t>(st.st_size);
    void* p = ::mmap(nullptr, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p != MAP_FAILED) {
      ::madvise(p, len, MADV_SEQUENTIAL);
      map_ = p;
      map_len_ = len;
      view_ = std::string_view(static_cast<const char*>(p), len);
      return;
    }
    // Fall through to read(): some file systems cannot be mapped.
  }

  // One read() for a regular file whose size we know (the +1 sees EOF without a second
  // round trip on the common path); doubling for pipes and files that grow.
  std::size_t cap = S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) + 1 : std::size_t{1} << 16;
  buf_.clear();
  buf_.resize(std::max<std::size_t>(cap, 4096));
  std::size_t len = 0;
  for (;;) {
    if (len == buf_.size()) buf_.resize(buf_.size() * 2);
    const ssize_t n = ::read(fd, buf_.data() + len, buf_.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InputError(errno_message(path));
    }
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
  }
  buf_.resize(len);
  view_ = buf_;
}

void read_chunks(const std::string& path, std::size_t chunk, const std::function<void(std::string_view)>& fn) {
  struct stat st {};
  const int fd = open_input(path, st);
  FdCloser closer(fd);
  if (S_ISREG(st.st_mode)) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::string buf(chunk, '\0');
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InputError(errno_message(path));
    }
    if (n == 0) break;
    fn(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
}

std::uint64_t stream_threshold() {
  static const std::uint64_t threshold = [] {
    const char* v = std::getenv("TOKCOUNT_STREAM_THRESHOLD");
    char* end = nullptr;
    const unsigned long long n = v != nullptr ? std::strtoull(v, &end, 10) : 0;
    return v != nullptr && end != v && *end == '\0' ? static_cast<std::uint64_t>(n) : std::uint64_t{256} << 20;
  }();
  return threshold;
}

bool should_stream(const std::string& path) {
  struct stat st {};
  const int r = path == "-" ? ::fstat(STDIN_FILENO, &st) : ::stat(path.c_str(), &st);
  if (r != 0) return false;  // Input::load reports the error
  if (S_ISREG(st.st_mode)) return static_cast<std::uint64_t>(st.st_size) >= stream_threshold();
  return !S_ISDIR(st.st_mode);
}

std::vector<InputSpec> expand_paths(const std::vector<std::string>& args) {
  namespace fs = std::filesystem;
  std::vector<InputSpec> out;
  if (args.empty()) {
    out.push_back({"-", 0, {}});
    return out;
  }
  for (const std::string& arg : args) {
    struct stat st {};
    if (arg == "-" || ::stat(arg.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      // Not a directory: Input::load reports open errors with the path.
      const bool sized = arg != "-" && S_ISREG(st.st_mode);
      out.push_back({arg, sized ? static_cast<std::uint64_t>(st.st_size) : 0, {}});
      continue;
    }
    // Iterative walk (no recursion depth limit); each unreadable directory becomes an error
    // entry and the walk goes on, so one bad subdirectory does not hide the rest.
    const std::size_t first = out.size();
    std::vector<fs::path> pending{fs::path(arg)};
    while (!pending.empty()) {
      const fs::path dir = std::move(pending.back());
      pending.pop_back();
      std::error_code ec;
      fs::directory_iterator it(dir, ec);
      for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const fs::directory_entry& entry = *it;
        std::error_code ec2;
        if (entry.is_symlink(ec2)) {
          if (!entry.is_regular_file(ec2)) continue;  // symlinked dirs, dangling links, devices
        } else if (entry.is_directory(ec2)) {
          pending.push_back(entry.path());
          continue;
        } else if (!entry.is_regular_file(ec2)) {
          continue;  // FIFOs, sockets, devices: not "files" when walking a tree
        }
        const std::uintmax_t size = entry.file_size(ec2);
        out.push_back({entry.path().string(), ec2 ? 0 : static_cast<std::uint64_t>(size), {}});
      }
      if (ec) out.push_back({dir.string(), 0, dir.string() + ": cannot read directory: " + ec.message()});
    }
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const InputSpec& a, const InputSpec& b) { return a.path < b.path; });
  }
  return out;
}

}  // namespace tokcount::cli
