// Reading inputs: whole files (mapped or read in one go), stdin, and directory expansion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tokcount::cli {

// The contents of one input. Big regular files are memory-mapped (no copy); small files,
// pipes and terminals are read into a buffer that is kept across load() calls, so a worker
// thread reading thousands of small files allocates only once.
class Input {
 public:
  Input() = default;
  ~Input() { unmap(); }
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  // Replaces the contents with those of `path` ("-" = stdin). Throws InputError.
  void load(const std::string& path);
  std::string_view view() const noexcept { return view_; }

 private:
  void unmap() noexcept;
  void* map_ = nullptr;
  std::size_t map_len_ = 0;
  std::string buf_;
  std::string_view view_;
};

// Reads `path` ("-" = stdin) in chunks of at most `chunk` bytes, calling `fn` on each: memory
// is one chunk whatever the input's size. Throws InputError.
void read_chunks(const std::string& path, std::size_t chunk, const std::function<void(std::string_view)>& fn);

// Whether `tokcount count` streams this input rather than loading it whole: pipes, terminals
// and regular files of at least stream_threshold() bytes. Below it one mapping is faster (the
// stream encoder's finality checks cost about 2-3x the one-shot count) and the mapped pages are
// file-backed, reclaimable page cache. The threshold is 256 MiB, or TOKCOUNT_STREAM_THRESHOLD
// (bytes) when set: tests use it to check streaming on smaller files.
std::uint64_t stream_threshold();
bool should_stream(const std::string& path);

struct InputSpec {
  std::string path;         // as given, or dir/sub/file for files found in a directory
  std::uint64_t size = 0;   // from stat, for the progress bar; 0 for stdin and pipes
  std::string error;        // non-empty: this path could not be listed (message for the user)
};

// Expands command-line paths: "-" is stdin; a directory becomes its regular files, recursively
// and sorted by path (symlinks to files are followed, symlinks to directories are not, so a
// link cycle cannot loop); anything else is read as given (files, FIFOs, /dev/stdin).
// No paths at all means stdin.
std::vector<InputSpec> expand_paths(const std::vector<std::string>& args);

}  // namespace tokcount::cli
