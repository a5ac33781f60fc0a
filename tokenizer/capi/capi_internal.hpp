// Private helpers shared by every C API source file (capi.cpp and each feature's *_capi.cpp):
// argument checks, caller-buffer copies and the exception -> status barrier. One copy of
// each, so every entry point reports errors the same way.
#pragma once

#include <cstring>
#include <exception>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokcount/tokcount.h"
#include "tokcount/tokcount.hpp"

// A handle owns one reference to an immutable encoding; built-in encodings are shared
// singletons, so freeing a handle never frees anything another handle uses.
struct tokcount_encoding {
  tokcount::EncodingPtr enc;
};

namespace tokcount::capi {

using tokcount::ErrorCode;


// Per-thread last error. `fixed` replaces `message` when storing the message itself ran out
// of memory, so reporting an error never throws.
struct LastError {
  std::string message;
  const char* fixed = nullptr;
  size_t offset = TOKCOUNT_NO_OFFSET;
};
inline thread_local LastError t_last_error;

inline void clear_last_error() noexcept {
  t_last_error.message.clear();  // keeps capacity: no allocation on the success path
  t_last_error.fixed = nullptr;
  t_last_error.offset = TOKCOUNT_NO_OFFSET;
}

inline tokcount_status fail(tokcount_status status, std::string_view message,
                            size_t offset = TOKCOUNT_NO_OFFSET) noexcept {
  t_last_error.offset = offset;
  t_last_error.fixed = nullptr;
  try {
    t_last_error.message.assign(message);
  } catch (...) {
    t_last_error.message.clear();
    t_last_error.fixed = tokcount_status_name(status);
  }
  return status;
}

[[noreturn]] inline void invalid(const char* what) {
  throw tokcount::Error(ErrorCode::kInvalidArgument, what);
}

// Runs body; any exception becomes a status and the thread's last error.
template <class Body>
tokcount_status guarded(Body&& body) noexcept {
  clear_last_error();
  try {
    return body();
  } catch (const tokcount::Error& e) {
    const int code = static_cast<int>(e.code());
    const bool known = code > TOKCOUNT_OK && code <= TOKCOUNT_INTERNAL;
    return fail(known ? static_cast<tokcount_status>(code) : TOKCOUNT_INTERNAL, e.what(),
                e.byte_offset());
  } catch (const std::bad_alloc&) {
    return fail(TOKCOUNT_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(TOKCOUNT_INTERNAL, e.what());
  } catch (...) {
    return fail(TOKCOUNT_INTERNAL, "unknown exception");
  }
}

// A (data, len) text argument; checked before any byte is read.
inline std::string_view text_arg(const char* data, size_t len, const char* what) {
  if (data == nullptr && len != 0) invalid(what);
  if (len > TOKCOUNT_MAX_INPUT_BYTES) {
    throw tokcount::Error(ErrorCode::kInputTooLarge,
                          std::string(what) + " is longer than TOKCOUNT_MAX_INPUT_BYTES");
  }
  return len == 0 ? std::string_view() : std::string_view(data, len);
}

inline const tokcount::Encoding& handle_arg(const tokcount_encoding* enc) {
  if (enc == nullptr || !enc->enc) invalid("encoding handle is NULL");
  return *enc->enc;
}

template <class T>
T& out_arg(T* out, const char* what) {
  if (out == nullptr) invalid(what);
  return *out;
}


// Copies a result into a caller buffer, or reports the size it needs.
template <class T>
tokcount_status copy_out(std::span<const T> result, T* out, size_t capacity, size_t* out_len) {
  *out_len = result.size();
  if (result.size() > capacity) {
    return fail(TOKCOUNT_BUFFER_TOO_SMALL, "output needs " + std::to_string(result.size()) +
                                               " elements, capacity is " +
                                               std::to_string(capacity));
  }
  if (!result.empty()) std::memcpy(out, result.data(), result.size() * sizeof(T));
  return TOKCOUNT_OK;
}

template <class T>
void check_buffer(const T* out, size_t capacity, const size_t* out_len) {
  if (out == nullptr && capacity != 0) invalid("output buffer is NULL but capacity is not 0");
  if (out_len == nullptr) invalid("output length pointer is NULL");
}

inline std::span<const tokcount::Rank> tokens_arg(const uint32_t* tokens, size_t count) {
  if (tokens == nullptr && count != 0) invalid("token array is NULL");
  return count == 0 ? std::span<const tokcount::Rank>() : std::span(tokens, count);
}

inline constexpr uint32_t kKnownFlags =
    TOKCOUNT_ALLOWED_SPECIAL_ALL | TOKCOUNT_DISALLOWED_SPECIAL_NONE | TOKCOUNT_UTF8_REPLACE;

inline tokcount::TokenSet token_set(uint32_t flags, uint32_t whole_set_flag, const tokcount_str* list,
                             size_t count, tokcount::TokenSet whole_set, const char* what) {
  if (count == 0) return (flags & whole_set_flag) ? whole_set : tokcount::TokenSet::none();
  if (flags & whole_set_flag) invalid("a special-token list together with its _ALL/_NONE flag");
  if (list == nullptr) invalid(what);
  std::vector<std::string> names;
  names.reserve(count);
  for (size_t i = 0; i < count; ++i) names.emplace_back(text_arg(list[i].data, list[i].len, what));
  return tokcount::TokenSet::of(std::move(names));
}

// tokcount_options (NULL = tiktoken's defaults) -> EncodeOptions; shared by every feature that
// takes encode options.
inline tokcount::EncodeOptions encode_options(const tokcount_options* options) {
  tokcount::EncodeOptions result;
  if (options == nullptr) return result;
  const uint32_t flags = options->flags;
  if (flags & ~kKnownFlags) invalid("unknown encode flags");
  result.allowed_special =
      token_set(flags, TOKCOUNT_ALLOWED_SPECIAL_ALL, options->allowed_special,
                options->allowed_special_count, tokcount::TokenSet::all(),
                "allowed_special list is NULL or has a NULL entry");
  // disallowed_special defaults to "all"; the NONE flag turns that into the empty set.
  if (options->disallowed_special_count == 0 && !(flags & TOKCOUNT_DISALLOWED_SPECIAL_NONE)) {
    result.disallowed_special = tokcount::TokenSet::all();
  } else {
    result.disallowed_special =
        token_set(flags, TOKCOUNT_DISALLOWED_SPECIAL_NONE, options->disallowed_special,
                  options->disallowed_special_count, tokcount::TokenSet::none(),
                  "disallowed_special list is NULL or has a NULL entry");
  }
  result.utf8 = (flags & TOKCOUNT_UTF8_REPLACE) ? tokcount::Utf8Mode::kReplace
                                                : tokcount::Utf8Mode::kStrict;
  return result;
}

}  // namespace tokcount::capi
