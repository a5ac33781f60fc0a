// The C API (tokcount.h): a skin over tokcount::Encoding. It only checks arguments, converts
// them to the C++ types, copies results out and turns exceptions into status codes; every
// tokenization decision is made by the C++ core.
#include "tokcount/tokcount.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capi/capi_internal.hpp"
#include "tokcount/tokcount.hpp"

namespace {

using namespace tokcount::capi;
using tokcount::ErrorCode;

// The status values are the C++ ErrorCode values, so conversion is a cast.
#define TOKCOUNT_SAME_CODE(c, e) \
  static_assert(static_cast<int>(c) == static_cast<int>(ErrorCode::e), #c " != ErrorCode::" #e)
TOKCOUNT_SAME_CODE(TOKCOUNT_OK, kOk);
TOKCOUNT_SAME_CODE(TOKCOUNT_INVALID_ARGUMENT, kInvalidArgument);
TOKCOUNT_SAME_CODE(TOKCOUNT_INVALID_UTF8, kInvalidUtf8);
TOKCOUNT_SAME_CODE(TOKCOUNT_DISALLOWED_SPECIAL, kDisallowedSpecial);
TOKCOUNT_SAME_CODE(TOKCOUNT_UNKNOWN_TOKEN, kUnknownToken);
TOKCOUNT_SAME_CODE(TOKCOUNT_BUFFER_TOO_SMALL, kBufferTooSmall);
TOKCOUNT_SAME_CODE(TOKCOUNT_OUT_OF_MEMORY, kOutOfMemory);
TOKCOUNT_SAME_CODE(TOKCOUNT_PARSE_ERROR, kParseError);
TOKCOUNT_SAME_CODE(TOKCOUNT_UNSUPPORTED_PATTERN, kUnsupportedPattern);
TOKCOUNT_SAME_CODE(TOKCOUNT_UNKNOWN_ENCODING, kUnknownEncoding);
TOKCOUNT_SAME_CODE(TOKCOUNT_UNKNOWN_MODEL, kUnknownModel);
TOKCOUNT_SAME_CODE(TOKCOUNT_INPUT_TOO_LARGE, kInputTooLarge);
TOKCOUNT_SAME_CODE(TOKCOUNT_IO_ERROR, kIoError);
TOKCOUNT_SAME_CODE(TOKCOUNT_INTERNAL, kInternal);
#undef TOKCOUNT_SAME_CODE
static_assert(TOKCOUNT_MAX_INPUT_BYTES == tokcount::kMaxInputBytes);
static_assert(TOKCOUNT_NO_OFFSET == tokcount::kNoOffset);
static_assert(sizeof(tokcount::Rank) == sizeof(uint32_t));

// Thrown through encode_batch_in_order when the C callback asks to stop: unwinds the batch
// (pool threads finish their current text and quit) without being an error.
struct BatchStopped {};

// A batch's texts as views, each checked like a single text argument.
std::vector<std::string_view> batch_views(const tokcount_str* texts, size_t count) {
  if (count != 0 && texts == nullptr) invalid("text array is NULL");
  std::vector<std::string_view> views;
  views.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    views.push_back(text_arg(texts[i].data, texts[i].len, "a text in the batch is NULL"));
  }
  return views;
}

tokcount_options flag_options(uint32_t flags) {
  tokcount_options options{};
  options.flags = flags;
  return options;
}




std::vector<tokcount::SpecialToken> special_tokens_arg(const tokcount_special_token* specials,
                                                       size_t count) {
  if (specials == nullptr && count != 0) invalid("special token array is NULL");
  std::vector<tokcount::SpecialToken> result;
  result.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    result.push_back({std::string(text_arg(specials[i].text, specials[i].len,
                                           "special token text is NULL")),
                      specials[i].rank});
  }
  return result;
}

tokcount_status new_handle(tokcount::EncodingPtr encoding, tokcount_encoding** out) {
  *out = new tokcount_encoding{std::move(encoding)};
  return TOKCOUNT_OK;
}

// Handle-producing calls clear *out first so a failed call never leaves a stale pointer.
template <class Body>
tokcount_status make_handle(tokcount_encoding** out, Body&& body) noexcept {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    out_arg(out, "output handle pointer is NULL");
    return new_handle(body(), out);
  });
}

std::optional<size_t> n_vocab_arg(size_t explicit_n_vocab) {
  if (explicit_n_vocab == 0) return std::nullopt;
  return explicit_n_vocab;
}

}  // namespace

extern "C" {

const char* tokcount_version(void) { return tokcount::version(); }

int tokcount_abi_version(void) { return TOKCOUNT_ABI_VERSION; }

const char* tokcount_unicode_version(void) { return tokcount::unicode_version(); }

const char* tokcount_status_name(tokcount_status status) {
  switch (status) {
    case TOKCOUNT_OK: return "TOKCOUNT_OK";
    case TOKCOUNT_INVALID_ARGUMENT: return "TOKCOUNT_INVALID_ARGUMENT";
    case TOKCOUNT_INVALID_UTF8: return "TOKCOUNT_INVALID_UTF8";
    case TOKCOUNT_DISALLOWED_SPECIAL: return "TOKCOUNT_DISALLOWED_SPECIAL";
    case TOKCOUNT_UNKNOWN_TOKEN: return "TOKCOUNT_UNKNOWN_TOKEN";
    case TOKCOUNT_BUFFER_TOO_SMALL: return "TOKCOUNT_BUFFER_TOO_SMALL";
    case TOKCOUNT_OUT_OF_MEMORY: return "TOKCOUNT_OUT_OF_MEMORY";
    case TOKCOUNT_PARSE_ERROR: return "TOKCOUNT_PARSE_ERROR";
    case TOKCOUNT_UNSUPPORTED_PATTERN: return "TOKCOUNT_UNSUPPORTED_PATTERN";
    case TOKCOUNT_UNKNOWN_ENCODING: return "TOKCOUNT_UNKNOWN_ENCODING";
    case TOKCOUNT_UNKNOWN_MODEL: return "TOKCOUNT_UNKNOWN_MODEL";
    case TOKCOUNT_INPUT_TOO_LARGE: return "TOKCOUNT_INPUT_TOO_LARGE";
    case TOKCOUNT_IO_ERROR: return "TOKCOUNT_IO_ERROR";
    case TOKCOUNT_INTERNAL: return "TOKCOUNT_INTERNAL";
  }
  return "TOKCOUNT_UNKNOWN_STATUS";
}

const char* tokcount_last_error_message(void) {
  return t_last_error.fixed != nullptr ? t_last_error.fixed : t_last_error.message.c_str();
}

size_t tokcount_last_error_offset(void) { return t_last_error.offset; }

tokcount_status tokcount_encoding_get(const char* name, size_t name_len, tokcount_encoding** out) {
  return make_handle(out, [&] {
    return tokcount::Encoding::get(text_arg(name, name_len, "encoding name is NULL"));
  });
}

tokcount_status tokcount_encoding_for_model(const char* model, size_t model_len,
                                            tokcount_encoding** out) {
  return make_handle(out, [&] {
    return tokcount::Encoding::for_model(text_arg(model, model_len, "model name is NULL"));
  });
}

tokcount_status tokcount_encoding_create(const char* name, size_t name_len, const char* pattern,
                                         size_t pattern_len, const char* tiktoken_data,
                                         size_t tiktoken_len,
                                         const tokcount_special_token* special_tokens,
                                         size_t special_token_count, size_t explicit_n_vocab,
                                         tokcount_encoding** out) {
  return make_handle(out, [&] {
    std::string name_s(text_arg(name, name_len, "encoding name is NULL"));
    std::string pattern_s(text_arg(pattern, pattern_len, "pattern is NULL"));
    auto data = text_arg(tiktoken_data, tiktoken_len, ".tiktoken data is NULL");
    auto specials = special_tokens_arg(special_tokens, special_token_count);
    return tokcount::Encoding::create(std::move(name_s), std::move(pattern_s),
                                      tokcount::Encoding::parse_tiktoken_bpe(data),
                                      std::move(specials), n_vocab_arg(explicit_n_vocab));
  });
}

tokcount_status tokcount_encoding_create_from_file(const char* name, size_t name_len,
                                                   const char* pattern, size_t pattern_len,
                                                   const char* path, size_t path_len,
                                                   const tokcount_special_token* special_tokens,
                                                   size_t special_token_count,
                                                   size_t explicit_n_vocab,
                                                   tokcount_encoding** out) {
  return make_handle(out, [&] {
    std::string name_s(text_arg(name, name_len, "encoding name is NULL"));
    std::string pattern_s(text_arg(pattern, pattern_len, "pattern is NULL"));
    std::string path_s(text_arg(path, path_len, "path is NULL"));
    // The OS takes NUL-terminated paths; an embedded NUL would silently open another file.
    if (path_s.empty() || path_s.find('\0') != std::string::npos) {
      invalid("path is empty or contains a NUL byte");
    }
    auto specials = special_tokens_arg(special_tokens, special_token_count);
    return tokcount::Encoding::create(std::move(name_s), std::move(pattern_s),
                                      tokcount::Encoding::load_tiktoken_bpe_file(path_s),
                                      std::move(specials), n_vocab_arg(explicit_n_vocab));
  });
}

void tokcount_encoding_free(tokcount_encoding* enc) { delete enc; }

tokcount_status tokcount_encode_ex(const tokcount_encoding* enc, const char* text, size_t len,
                                   const tokcount_options* options, uint32_t* out,
                                   size_t capacity, size_t* out_len) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    auto input = text_arg(text, len, "text is NULL");
    check_buffer(out, capacity, out_len);
    const auto tokens = encoding.encode(input, encode_options(options));
    return copy_out<uint32_t>(tokens, out, capacity, out_len);
  });
}

tokcount_status tokcount_encode(const tokcount_encoding* enc, const char* text, size_t len,
                                uint32_t flags, uint32_t* out, size_t capacity,
                                size_t* out_len) {
  const tokcount_options options = flag_options(flags);
  return tokcount_encode_ex(enc, text, len, &options, out, capacity, out_len);
}

tokcount_status tokcount_count_ex(const tokcount_encoding* enc, const char* text, size_t len,
                                  const tokcount_options* options, size_t* out_count) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    auto input = text_arg(text, len, "text is NULL");
    auto& count = out_arg(out_count, "output count pointer is NULL");
    count = encoding.count(input, encode_options(options));
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_count(const tokcount_encoding* enc, const char* text, size_t len,
                               uint32_t flags, size_t* out_count) {
  const tokcount_options options = flag_options(flags);
  return tokcount_count_ex(enc, text, len, &options, out_count);
}

tokcount_status tokcount_count_up_to_ex(const tokcount_encoding* enc, const char* text,
                                        size_t len, const tokcount_options* options, size_t limit,
                                        size_t* out_count, int* out_exceeded) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    auto input = text_arg(text, len, "text is NULL");
    out_arg(out_count, "output count pointer is NULL");
    out_arg(out_exceeded, "output exceeded pointer is NULL");
    const auto result = encoding.count_up_to(input, limit, encode_options(options));
    *out_count = result.count;
    *out_exceeded = result.exceeded ? 1 : 0;
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_count_up_to(const tokcount_encoding* enc, const char* text, size_t len,
                                     uint32_t flags, size_t limit, size_t* out_count,
                                     int* out_exceeded) {
  const tokcount_options options = flag_options(flags);
  return tokcount_count_up_to_ex(enc, text, len, &options, limit, out_count, out_exceeded);
}

tokcount_status tokcount_count_batch_ex(const tokcount_encoding* enc, const tokcount_str* texts,
                                        size_t count, const tokcount_options* options,
                                        unsigned num_threads, size_t* out_counts) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    const std::vector<std::string_view> views = batch_views(texts, count);
    if (count != 0 && out_counts == nullptr) invalid("output counts array is NULL");
    const auto counts = encoding.count_batch(views, encode_options(options), num_threads);
    std::copy(counts.begin(), counts.end(), out_counts);
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_count_batch(const tokcount_encoding* enc, const tokcount_str* texts,
                                     size_t count, uint32_t flags, unsigned num_threads,
                                     size_t* out_counts) {
  const tokcount_options options = flag_options(flags);
  return tokcount_count_batch_ex(enc, texts, count, &options, num_threads, out_counts);
}

tokcount_status tokcount_encode_batch(const tokcount_encoding* enc, const tokcount_str* texts,
                                      size_t count, const tokcount_options* options,
                                      unsigned num_threads, tokcount_tokens_callback on_tokens,
                                      void* user_data, size_t* out_delivered) {
  size_t delivered = 0;
  const tokcount_status status = guarded([&] {
    const auto& encoding = handle_arg(enc);
    const std::vector<std::string_view> views = batch_views(texts, count);
    if (on_tokens == nullptr) invalid("callback is NULL");
    try {
      encoding.encode_batch_in_order(views, encode_options(options), num_threads,
                                     [&](std::size_t first, std::span<std::vector<tokcount::Rank>> results) {
                                       for (std::size_t k = 0; k < results.size(); ++k) {
                                         const auto& tokens = results[k];
                                         const int stop = on_tokens(user_data, first + k, tokens.data(), tokens.size());
                                         ++delivered;
                                         if (stop != 0) throw BatchStopped{};
                                       }
                                     });
    } catch (const BatchStopped&) {
    }
    return TOKCOUNT_OK;
  });
  if (out_delivered != nullptr) *out_delivered = delivered;
  return status;
}

tokcount_status tokcount_encode_single_token(const tokcount_encoding* enc, const char* bytes,
                                             size_t len, uint32_t* out_token) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    auto input = text_arg(bytes, len, "token bytes are NULL");
    out_arg(out_token, "output token pointer is NULL") = encoding.encode_single_token(input);
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_decode_bytes(const tokcount_encoding* enc, const uint32_t* tokens,
                                      size_t count, char* out, size_t capacity, size_t* out_len) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    auto ids = tokens_arg(tokens, count);
    check_buffer(out, capacity, out_len);
    const std::string bytes = encoding.decode_bytes(ids);
    return copy_out<char>(bytes, out, capacity, out_len);
  });
}

tokcount_status tokcount_decode(const tokcount_encoding* enc, const uint32_t* tokens,
                                size_t count, char* out, size_t capacity, size_t* out_len) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    auto ids = tokens_arg(tokens, count);
    check_buffer(out, capacity, out_len);
    const std::string text = encoding.decode(ids);
    return copy_out<char>(text, out, capacity, out_len);
  });
}

tokcount_status tokcount_token_bytes(const tokcount_encoding* enc, uint32_t token,
                                     const char** out_bytes, size_t* out_len) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    out_arg(out_bytes, "output bytes pointer is NULL");
    out_arg(out_len, "output length pointer is NULL");
    const std::string_view bytes = encoding.token_bytes(token);
    *out_bytes = bytes.data();
    *out_len = bytes.size();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_encoding_name(const tokcount_encoding* enc, const char** out_name,
                                       size_t* out_len) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    out_arg(out_name, "output name pointer is NULL");
    out_arg(out_len, "output length pointer is NULL");
    *out_name = encoding.name().c_str();
    *out_len = encoding.name().size();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_n_vocab(const tokcount_encoding* enc, size_t* out) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    out_arg(out, "output pointer is NULL") = encoding.n_vocab();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_max_token_value(const tokcount_encoding* enc, uint32_t* out) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    out_arg(out, "output pointer is NULL") = encoding.max_token_value();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_eot_token(const tokcount_encoding* enc, uint32_t* out) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    auto& result = out_arg(out, "output pointer is NULL");
    const auto eot = encoding.eot_token();
    if (!eot) {
      throw tokcount::Error(ErrorCode::kUnknownToken,
                            "encoding " + encoding.name() + " has no <|endoftext|> token");
    }
    result = *eot;
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_special_token_count(const tokcount_encoding* enc, size_t* out_count) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    out_arg(out_count, "output count pointer is NULL") = encoding.special_tokens().size();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_special_token_at(const tokcount_encoding* enc, size_t index,
                                          const char** out_text, size_t* out_len,
                                          uint32_t* out_rank) {
  return guarded([&] {
    const auto& encoding = handle_arg(enc);
    out_arg(out_text, "output text pointer is NULL");
    out_arg(out_len, "output length pointer is NULL");
    out_arg(out_rank, "output rank pointer is NULL");
    const auto& specials = encoding.special_tokens();
    if (index >= specials.size()) invalid("special token index out of range");
    *out_text = specials[index].text.data();
    *out_len = specials[index].text.size();
    *out_rank = specials[index].rank;
    return TOKCOUNT_OK;
  });
}

}  // extern "C"
