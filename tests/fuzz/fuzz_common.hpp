// Shared helpers of the fuzz targets: a byte reader over the fuzz input and the built-in
// encodings. A finding is any crash, sanitizer report, uncaught exception (std::terminate) or
// failed FUZZ_CHECK; tokcount::Error is the expected way to reject input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "tokcount/tokcount.hpp"

#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace tokcount::fuzz {

// Consumes the input from the front: small integers for choices, the rest as text.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size)
      : data_(reinterpret_cast<const char*>(data), size) {}
  std::uint8_t byte() {
    if (data_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(data_.front());
    data_.remove_prefix(1);
    return b;
  }
  std::string_view take(std::size_t n) {
    n = n < data_.size() ? n : data_.size();
    std::string_view out = data_.substr(0, n);
    data_.remove_prefix(n);
    return out;
  }
  std::string_view rest() {
    std::string_view out = data_;
    data_ = {};
    return out;
  }
  bool empty() const { return data_.empty(); }

 private:
  std::string_view data_;
};

inline constexpr const char* kEncodings[] = {"r50k_base",   "gpt2",       "p50k_base",    "p50k_edit",
                                             "cl100k_base", "o200k_base", "o200k_harmony"};
inline constexpr std::size_t kEncodingCount = sizeof(kEncodings) / sizeof(kEncodings[0]);

inline EncodingPtr encoding_from(std::uint8_t b) { return Encoding::get(kEncodings[b % kEncodingCount]); }

// Bits of a selector byte -> tiktoken's encode options.
inline EncodeOptions options_from(std::uint8_t b) {
  EncodeOptions o;
  if (b & 1) o.allowed_special = TokenSet::all();
  if (b & 2) o.disallowed_special = TokenSet::none();
  if (b & 4) o.utf8 = Utf8Mode::kReplace;
  if ((b & 8) && !(b & 1)) o.allowed_special = TokenSet::of({"<|endoftext|>"});
  return o;
}

}  // namespace tokcount::fuzz
