// Uses the C++ API (and the C header from C++) through the installed shared library.
#include <tokcount/tokcount.h>
#include <tokcount/tokcount.hpp>

#include <cstdio>
#include <string>
#include <vector>

int main() {
  int failures = 0;
  auto check = [&](bool ok, const char* what) {
    if (!ok) {
      std::fprintf(stderr, "check failed: %s\n", what);
      ++failures;
    }
  };

  const auto enc = tokcount::Encoding::get("cl100k_base");
  check(enc->encode("hello world") == std::vector<tokcount::Rank>{15339, 1917}, "encode");
  check(enc->count("hello world") == 2, "count");
  check(enc->decode(std::vector<tokcount::Rank>{15339, 1917}) == "hello world", "decode");
  check(std::string(tokcount::version()) == tokcount_version(), "same library version");

  try {
    tokcount::Encoding::get("no_such_encoding");
    check(false, "unknown encoding throws");
  } catch (const tokcount::Error& e) {
    check(e.code() == tokcount::ErrorCode::kUnknownEncoding, "error code crosses the boundary");
    check(static_cast<int>(e.code()) == TOKCOUNT_UNKNOWN_ENCODING, "C and C++ codes agree");
  }
  try {
    tokcount::EncodeOptions strict;
    enc->encode("x<|endoftext|>", strict);
    check(false, "disallowed special throws");
  } catch (const tokcount::Error& e) {
    check(e.byte_offset() == 1 && e.token() == "<|endoftext|>", "error details");
  }

  tokcount_encoding* handle = nullptr;
  size_t count = 0;
  check(tokcount_encoding_get("cl100k_base", 11, &handle) == TOKCOUNT_OK, "C handle");
  check(tokcount_count(handle, "hello world", 11, 0, &count) == TOKCOUNT_OK && count == 2,
        "C count from C++");
  tokcount_encoding_free(handle);

  if (failures == 0) std::puts("tokcount C++ consumer passed");
  return failures == 0 ? 0 : 1;
}
