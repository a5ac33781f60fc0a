// Reading inputs: whole files (mapped or read in one go), stdin, and directory expansion.
#pragma once

#include <cstddef>
#include <cstdint>
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
