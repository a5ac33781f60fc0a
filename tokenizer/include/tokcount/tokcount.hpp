// tokcount C++ API: tiktoken-exact BPE tokenization and counting.
//
// An Encoding is immutable once built and safe to share across threads. Built-in encodings are
// process-wide singletons whose vocabularies are compiled into the library (no file access,
// no parsing at start-up). Errors are reported as tokcount::Error exceptions carrying an
// ErrorCode; the C API (tokcount.h) turns them into status codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tokcount {

using Rank = std::uint32_t;

inline constexpr std::size_t kNoOffset = static_cast<std::size_t>(-1);

// Kept numerically equal to the C API's tokcount_status values.
enum class ErrorCode : int {
  kOk = 0,
  kInvalidArgument = 1,
  kInvalidUtf8 = 2,
  kDisallowedSpecial = 3,
  kUnknownToken = 4,
  kBufferTooSmall = 5,
  kOutOfMemory = 6,
  kParseError = 7,
  kUnsupportedPattern = 8,
  kUnknownEncoding = 9,
  kUnknownModel = 10,
  kInputTooLarge = 11,
  kIoError = 12,
  kInternal = 13,
};

const char* error_code_name(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, std::size_t byte_offset = kNoOffset,
        std::string token = {})
      : std::runtime_error(std::move(message)),
        code_(code),
        byte_offset_(byte_offset),
        token_(std::move(token)) {}
  ErrorCode code() const noexcept { return code_; }
  // Byte offset into the input where the problem is, or kNoOffset.
  std::size_t byte_offset() const noexcept { return byte_offset_; }
  // The offending special token text (kDisallowedSpecial) or token id text (kUnknownToken).
  const std::string& token() const noexcept { return token_; }

 private:
  ErrorCode code_;
  std::size_t byte_offset_;
  std::string token_;
};

// How to treat input that is not valid UTF-8.
enum class Utf8Mode {
  kStrict,   // kInvalidUtf8 error with the byte offset of the first bad sequence
  kReplace,  // encode the text with each maximal invalid subpart replaced by U+FFFD
};

// A set of special-token strings: none, all of the encoding's, or an explicit list.
// Mirrors tiktoken's allowed_special / disallowed_special arguments ("all", set(), {...}).
class TokenSet {
 public:
  static TokenSet none() { return TokenSet(Kind::kNone, {}); }
  static TokenSet all() { return TokenSet(Kind::kAll, {}); }
  static TokenSet of(std::vector<std::string> names) {
    return TokenSet(Kind::kList, std::move(names));
  }
  bool is_all() const noexcept { return kind_ == Kind::kAll; }
  bool is_none() const noexcept { return kind_ == Kind::kNone || (kind_ == Kind::kList && names_.empty()); }
  const std::vector<std::string>& names() const noexcept { return names_; }

 private:
  enum class Kind { kNone, kAll, kList };
  TokenSet(Kind kind, std::vector<std::string> names) : kind_(kind), names_(std::move(names)) {}
  Kind kind_;
  std::vector<std::string> names_;
};

// tiktoken's encode() defaults: no special token allowed, every special token disallowed
// (its text in the input is an error rather than silently encoded as plain text).
struct EncodeOptions {
  TokenSet allowed_special = TokenSet::none();
  TokenSet disallowed_special = TokenSet::all();
  Utf8Mode utf8 = Utf8Mode::kStrict;
};

struct CountResult {
  std::size_t count = 0;   // exact when !exceeded; otherwise the count when it passed the limit
  bool exceeded = false;   // true when the text has more than `limit` tokens
};

struct SpecialToken {
  std::string text;
  Rank rank;
};

// Maximum input length accepted by every entry point (C API included): 4 GiB - 1, because
// piece offsets are 32-bit. Longer input gets kInputTooLarge.
inline constexpr std::size_t kMaxInputBytes = 0xFFFFFFFFu;

class Encoding;
using EncodingPtr = std::shared_ptr<const Encoding>;

namespace detail {
struct EncodingImpl;
}

class Encoding {
 public:
  // ---- construction -------------------------------------------------------------------
  // Built-in encodings: r50k_base, gpt2, p50k_base, p50k_edit, cl100k_base, o200k_base,
  // o200k_harmony. kUnknownEncoding for any other name.
  static EncodingPtr get(std::string_view name);
  // tiktoken.encoding_for_model: exact model table, then prefixes in tiktoken's order.
  static EncodingPtr for_model(std::string_view model);
  static std::string encoding_name_for_model(std::string_view model);  // kUnknownModel
  static std::vector<std::string> list_encoding_names();

  // tiktoken.Encoding(name, pat_str, mergeable_ranks, special_tokens, explicit_n_vocab).
  // The pattern is matched by the hand-written scanner when it is one of tiktoken's built-in
  // patterns, else by RE2 after a checked translation; a pattern that cannot be honoured
  // exactly is kUnsupportedPattern here, never a silent difference later.
  static EncodingPtr create(std::string name, std::string pat_str,
                            std::vector<std::pair<std::string, Rank>> mergeable_ranks,
                            std::vector<SpecialToken> special_tokens,
                            std::optional<std::size_t> explicit_n_vocab = std::nullopt);
  // Parse the `.tiktoken` format (base64 token, space, rank per line) from memory / a file.
  static std::vector<std::pair<std::string, Rank>> parse_tiktoken_bpe(std::string_view contents);
  static std::vector<std::pair<std::string, Rank>> load_tiktoken_bpe_file(const std::string& path);

  // ---- encoding -----------------------------------------------------------------------
  std::vector<Rank> encode(std::string_view text, const EncodeOptions& options = {}) const;
  // Special-token text is plain text; no special-token check.
  std::vector<Rank> encode_ordinary(std::string_view text, Utf8Mode utf8 = Utf8Mode::kStrict) const;
  // Appends to `out` (lets callers reuse one buffer across calls).
  void encode_into(std::string_view text, const EncodeOptions& options, std::vector<Rank>& out) const;

  // Token count without materializing tokens.
  std::size_t count(std::string_view text, const EncodeOptions& options = {}) const;
  std::size_t count_ordinary(std::string_view text, Utf8Mode utf8 = Utf8Mode::kStrict) const;
  // Stops as soon as the count passes `limit` (budget checks in proxies).
  CountResult count_up_to(std::string_view text, std::size_t limit,
                          const EncodeOptions& options = {}) const;

  // Batch forms on up to `num_threads` native threads (0 = hardware concurrency; never more
  // than the CPUs, or 2 on a 1-CPU machine).
  // Results are in input order; the first error (in input order) is thrown.
  std::vector<std::vector<Rank>> encode_batch(std::span<const std::string_view> texts,
                                              const EncodeOptions& options = {},
                                              unsigned num_threads = 0) const;
  std::vector<std::size_t> count_batch(std::span<const std::string_view> texts,
                                       const EncodeOptions& options = {},
                                       unsigned num_threads = 0) const;

  // encode_batch for a consumer that must run on the calling thread (e.g. one holding a
  // language runtime's lock): deliver(first, results) is called on the calling thread, in input
  // order, with each run of consecutive finished texts (results[k] holds text first + k's tokens
  // and may be moved from), while up to num_threads - 1 pool threads encode later texts. The
  // first error in input order (or deliver's) is thrown after every text before it was delivered.
  using BatchConsumer = std::function<void(std::size_t first, std::span<std::vector<Rank>> results)>;
  void encode_batch_in_order(std::span<const std::string_view> texts, const EncodeOptions& options,
                             unsigned num_threads, const BatchConsumer& deliver) const;

  // tiktoken's _encode_bytes: arbitrary bytes, no special handling, no UTF-8 requirement.
  std::vector<Rank> encode_bytes(std::string_view bytes) const;

  // Exact token for a byte string that is a single mergeable or special token; else
  // kUnknownToken (tiktoken raises KeyError).
  Rank encode_single_token(std::string_view bytes) const;

  // ---- decoding -----------------------------------------------------------------------
  // Concatenated token bytes; kUnknownToken (with the id) for an id not in the vocabulary.
  std::string decode_bytes(std::span<const Rank> tokens) const;
  // decode_bytes, then invalid UTF-8 replaced by U+FFFD (Python's errors="replace").
  std::string decode(std::span<const Rank> tokens) const;
  // Bytes of one token (mergeable or special); kUnknownToken otherwise.
  std::string_view token_bytes(Rank token) const;
  bool is_special_token(Rank token) const noexcept;

  // ---- properties ---------------------------------------------------------------------
  const std::string& name() const noexcept;
  const std::string& pat_str() const noexcept;
  std::size_t n_vocab() const noexcept;          // max_token_value + 1
  Rank max_token_value() const noexcept;
  std::optional<Rank> eot_token() const noexcept;  // id of <|endoftext|>, if defined
  const std::vector<SpecialToken>& special_tokens() const noexcept;  // sorted by text
  std::size_t mergeable_count() const noexcept;
  // Every mergeable token's bytes in rank order (tiktoken's token_byte_values sorts them).
  std::vector<std::pair<std::string, Rank>> mergeable_ranks() const;
  // Which pre-tokenizer runs: "r50k", "cl100k", "o200k" (hand-written) or "re2".
  const char* pretokenizer_kind() const noexcept;

  // ---- used by the Python package ----
  // (tokenizer/encoding/python_support.cpp: tiktoken API parts with no other front end yet.)
  //
  // Mergeable ranks ordered by their bytes (bytewise): the index encode_with_unstable searches
  // for tokens extending a byte prefix, and tiktoken's token_byte_values() order. Costly to
  // build (sorts the vocabulary): build once per encoding and keep it.
  std::vector<Rank> ranks_by_bytes() const;
  // tiktoken's encode_with_unstable: the tokens of `text` except those of its last pre-token
  // piece (which more text could still change), plus every token sequence that could begin
  // where the stable tokens end if the text went on. Completions are deduplicated and sorted.
  // `by_bytes` must be ranks_by_bytes() of this encoding. Same options and errors as encode().
  std::pair<std::vector<Rank>, std::vector<std::vector<Rank>>> encode_with_unstable(
      std::string_view text, const EncodeOptions& options, std::span<const Rank> by_bytes) const;
  // tiktoken's _encode_single_piece: `bytes` as one piece, no pre-tokenizer split, no
  // special tokens: the whole-piece token if there is one, else the byte-pair merge.
  std::vector<Rank> encode_single_piece(std::string_view bytes) const;
  // tiktoken's decode_with_offsets: the decoded text and, per token, the index in code points
  // of the character containing the token's first byte (a token starting with a UTF-8
  // continuation byte gets the character it continues). kUnknownToken for an unknown id;
  // kInvalidUtf8 (with the byte offset) when the bytes are not valid UTF-8.
  std::pair<std::string, std::vector<std::size_t>> decode_with_offsets(std::span<const Rank> tokens) const;

  ~Encoding();
  Encoding(const Encoding&) = delete;
  Encoding& operator=(const Encoding&) = delete;

  // Internal: use get()/create().
  explicit Encoding(std::unique_ptr<detail::EncodingImpl> impl);
  const detail::EncodingImpl& impl() const noexcept { return *impl_; }

 private:
  std::unique_ptr<detail::EncodingImpl> impl_;
};

// Library version, e.g. "0.1.0".
const char* version() noexcept;
// The Unicode version of the character classes the pre-tokenizers use.
const char* unicode_version() noexcept;

// UTF-8 helpers shared by every front end (one implementation).
// Offset of the first invalid sequence, or kNoOffset if `text` is valid UTF-8.
std::size_t find_invalid_utf8(std::string_view text) noexcept;
// Replace each maximal invalid subpart with U+FFFD (same policy as Python's errors="replace").
std::string replace_invalid_utf8(std::string_view text);

}  // namespace tokcount
