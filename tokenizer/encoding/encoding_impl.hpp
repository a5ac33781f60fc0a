// Internal state of an Encoding and the one encode pipeline every front end goes through:
// UTF-8 check -> special-token split -> pre-tokenizer -> merge.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>
#include <absl/strings/string_view.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "merge/bpe_merge.hpp"
#include "pretokenizer/patterns.hpp"
#include "pretokenizer/regex_pretokenizer.hpp"
#include "pretokenizer/scanners.hpp"
#include "tokcount/tokcount.hpp"
#include "vocabulary/vocab_table.hpp"

namespace tokcount::detail {

// Debian's Abseil has its own string_view type, distinct from std::string_view; this hash and
// equality let std::string-keyed maps be probed with std::string_view without a copy.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return absl::Hash<absl::string_view>{}(absl::string_view(s.data(), s.size()));
  }
};
struct StringEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};
template <class V>
using StringMap = absl::flat_hash_map<std::string, V, StringHash, StringEq>;

// std::string_view -> absl::string_view for absl::StrCat.
inline absl::string_view sv(std::string_view s) noexcept { return {s.data(), s.size()}; }

struct EncodingImpl {
  std::string name;
  std::string pat_str;
  std::vector<std::uint8_t> owned_blob;  // custom encodings own their table; built-ins view .rodata
  vocab::VocabTable vocab;
  pretok::PatternKind kind = pretok::PatternKind::kRegex;
  std::unique_ptr<pretok::RegexPretokenizer> regex;

  std::vector<SpecialToken> specials;                  // sorted by text
  StringMap<Rank> special_rank;  // text -> rank
  absl::flat_hash_map<Rank, std::size_t> special_index; // rank -> index into `specials` (decode)
  std::vector<std::size_t> special_lengths;            // distinct lengths, longest first
  std::array<bool, 256> special_first_byte{};
  int special_single_first_byte = -1;  // the first byte all special tokens share, else -1
  Rank max_token_value = 0;
  std::optional<Rank> eot;

  // Built after construction: finishes the special-token indexes and max_token_value.
  void index_specials();

  // Pieces of valid UTF-8 text (no special-token handling), as byte offsets.
  // `on_piece(begin, end)` may return bool (false stops the scan) or void.
  template <class OnPiece>
  void for_each_piece(const std::uint8_t* s, std::size_t n, OnPiece&& on_piece) const {
    switch (kind) {
      case pretok::PatternKind::kR50k:
        pretok::scan_r50k(s, n, on_piece);
        return;
      case pretok::PatternKind::kCl100k:
        pretok::scan_cl100k(s, n, on_piece);
        return;
      case pretok::PatternKind::kO200k:
        pretok::scan_o200k(s, n, on_piece);
        return;
      case pretok::PatternKind::kRegex:
        break;
    }
    thread_local std::vector<std::uint32_t> starts, ends;
    starts.clear();
    ends.clear();
    regex->split(std::string_view(reinterpret_cast<const char*>(s), n), starts, ends);
    for (std::size_t i = 0; i < starts.size(); ++i)
      if (!pretok::call_emit(on_piece, starts[i], ends[i])) return;
  }

  // Tokens of the piece s[b, e) of a text of n bytes, given to `sink`. Returns sink's verdict.
  template <class Sink>
  TOKCOUNT_ALWAYS_INLINE bool resolve_piece(const std::uint8_t* s, std::size_t b, std::size_t e, std::size_t n,
                                            merge::PieceMemo& memo, Sink& sink) const {
    using merge::PieceMemo;
    const std::size_t len = e - b;
    Rank tokens[PieceMemo::kMaxPiece];
    if (len == 1) {
      tokens[0] = merge::byte_token(vocab, s[b]);
      return sink.add(tokens, 1);
    }
    if (len <= PieceMemo::kMaxPiece) {
      const PieceMemo::Key key = PieceMemo::key_of(s + b, len, n - b);
      const std::size_t set = memo.set_of(key);
      std::size_t count = memo.find(key, set, tokens);
      if (count == 0) count = merge::resolve_and_memoize(vocab, memo, key, set, s + b, len, tokens);
      return sink.add(tokens, count);
    }
    const std::span<const Rank> long_tokens = merge::long_piece_tokens(vocab, memo, s + b, len);
    return sink.add(long_tokens.data(), long_tokens.size());
  }

  // The scan -> resolve loop for one built-in scanner, fused so the piece bounds stay in
  // registers.
  template <std::size_t (*Next)(const std::uint8_t*, std::size_t, std::size_t) noexcept, class Sink>
  bool encode_pieces(const std::uint8_t* s, std::size_t n, merge::PieceMemo& memo, Sink& sink) const {
    for (std::size_t pos = 0; pos < n;) {
      const std::size_t e = Next(s, pos, n);
      if (!resolve_piece(s, pos, e, n, memo, sink)) return false;
      pos = e;
    }
    return true;
  }

  // Tokens of valid UTF-8 text with no special tokens recognized, given piece by piece to
  // `sink` (see the sinks below). Returns false if the sink stopped it.
  template <class Sink>
  bool encode_ordinary_into(std::string_view text, Sink& sink) const {
    const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
    const std::size_t n = text.size();
    merge::PieceMemo& memo = merge::PieceMemo::for_thread(vocab);  // one thread-local lookup per call
    switch (kind) {
      case pretok::PatternKind::kR50k:
        return encode_pieces<pretok::next_r50k>(s, n, memo, sink);
      case pretok::PatternKind::kCl100k:
        return encode_pieces<pretok::next_cl100k>(s, n, memo, sink);
      case pretok::PatternKind::kO200k:
        return encode_pieces<pretok::next_o200k>(s, n, memo, sink);
      case pretok::PatternKind::kRegex:
        break;
    }
    bool go_on = true;
    for_each_piece(s, n, [&](std::size_t b, std::size_t e) { return go_on = resolve_piece(s, b, e, n, memo, sink); });
    return go_on;
  }

  // The same with a per-token callback: `emit(rank)` may return bool (false stops) or void.
  template <class Emit>
  bool encode_ordinary_valid(std::string_view text, Emit&& emit) const;

  // Leftmost special token at or after `from` that `accept(rank, text)` accepts; npos if none.
  template <class Accept>
  std::size_t find_special(std::string_view text, std::size_t from, Accept&& accept, Rank& rank,
                           std::size_t& length) const {
    if (specials.empty()) return std::string_view::npos;
    const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
    for (std::size_t i = from; i < text.size(); ++i) {
      if (special_single_first_byte >= 0) {
        // Every built-in special token starts with '<': memchr's SIMD scan skips the text
        // between candidates (this check runs over every input, for disallowed_special).
        const void* hit = std::memchr(s + i, special_single_first_byte, text.size() - i);
        if (hit == nullptr) break;
        i = static_cast<std::size_t>(static_cast<const std::uint8_t*>(hit) - s);
      } else if (!special_first_byte[s[i]]) {
        continue;
      }
      for (std::size_t len : special_lengths) {
        if (len > text.size() - i) continue;
        auto it = special_rank.find(text.substr(i, len));
        if (it != special_rank.end() && accept(it->second, it->first)) {
          rank = it->second;
          length = len;
          return i;
        }
      }
    }
    return std::string_view::npos;
  }

  // The whole pipeline for encode(): UTF-8 policy, disallowed-special check, then segments
  // between allowed special tokens, each given to `sink`. Returns false if the sink stopped it.
  template <class Sink>
  bool encode_text(std::string_view text, const EncodeOptions& options, Sink& sink) const;
};

// Validates (strict) or repairs (replace) UTF-8. Returns the text to encode; `repaired` holds
// the storage when a copy was needed.
std::string_view checked_utf8(std::string_view text, Utf8Mode mode, std::string& repaired);
// The input offset of a byte offset into replace_invalid_utf8(input) that starts a character
// of the repaired text (errors found in repaired text report where the caller's input has it).
std::size_t input_offset_of_repaired(std::string_view input, std::size_t repaired_offset) noexcept;
// A point where repaired text and input offsets realign: from `text` on, offset text + d in
// the repaired text is input + d in the input (until the next anchor).
struct OffsetAnchor {
  std::size_t text;
  std::size_t input;
};
// replace_invalid_utf8(input), appending an anchor (offsets plus `base`) after each U+FFFD:
// the incremental encoder maps error offsets in its repaired text back to the input with them.
std::string replace_invalid_utf8_anchored(std::string_view input, OffsetAnchor base,
                                          std::vector<OffsetAnchor>& anchors);

// Throws kDisallowedSpecial for the first disallowed special-token text in `text`.
// `input` is the caller's bytes when `text` is their U+FFFD-repaired copy (lossy mode): the
// error's offset is then mapped back into `input`.
void check_disallowed(const EncodingImpl& impl, std::string_view text, const EncodeOptions& options,
                      std::string_view input = {});

// Whether the options allow any special token at all, and a predicate for which.
struct AllowedSpecials {
  bool any = false;
  bool all = false;
  StringMap<bool> names;
  bool contains(std::string_view text) const { return all || names.contains(text); }
};
AllowedSpecials allowed_specials(const EncodeOptions& options);

// ---- sinks: what the pipeline does with each piece's tokens ---------------------------------
// add(tokens, k) receives a piece's k tokens and returns false to stop the encoding.

struct CountSink {
  std::size_t count = 0;
  bool add(const Rank*, std::size_t k) noexcept {
    count += k;
    return true;
  }
};

// Stops once the count passes `limit`; the count then reads limit + 1 (as if counted token by
// token), so the result does not depend on where pieces end.
struct LimitSink {
  std::size_t limit;
  std::size_t count = 0;
  bool exceeded = false;
  bool add(const Rank*, std::size_t k) noexcept {
    count += k;
    if (count <= limit) return true;
    count = limit + 1;
    exceeded = true;
    return false;
  }
};

// Appends to a vector, growing it geometrically; trims it to what was written when done.
class VectorSink {
 public:
  VectorSink(std::vector<Rank>& out, std::size_t expected) : out_(out), size_(out.size()) {
    out_.resize(size_ + expected);
  }
  ~VectorSink() { out_.resize(size_); }
  VectorSink(const VectorSink&) = delete;
  VectorSink& operator=(const VectorSink&) = delete;
  bool add(const Rank* tokens, std::size_t k) {
    if (k > out_.size() - size_) out_.resize(std::max(out_.size() * 2, size_ + k + 64));
    Rank* dst = out_.data() + size_;
    for (std::size_t i = 0; i < k; ++i) dst[i] = tokens[i];
    size_ += k;
    return true;
  }

 private:
  std::vector<Rank>& out_;
  std::size_t size_;
};

// Per-token callback: `emit(rank)` may return bool (false stops, even within a piece) or void.
template <class Emit>
struct EmitSink {
  Emit& emit;
  bool add(const Rank* tokens, std::size_t k) {
    for (std::size_t i = 0; i < k; ++i)
      if (!pretok::call_emit1(emit, tokens[i])) return false;
    return true;
  }
};

template <class Emit>
bool EncodingImpl::encode_ordinary_valid(std::string_view text, Emit&& emit) const {
  EmitSink<std::remove_reference_t<Emit>> sink{emit};
  return encode_ordinary_into(text, sink);
}

template <class Sink>
bool EncodingImpl::encode_text(std::string_view input, const EncodeOptions& options, Sink& sink) const {
  if (input.size() > kMaxInputBytes)
    throw Error(ErrorCode::kInputTooLarge, "input is larger than the 4 GiB - 1 limit");
  std::string repaired;
  const std::string_view text = checked_utf8(input, options.utf8, repaired);
  check_disallowed(*this, text, options, input);
  const AllowedSpecials allowed = allowed_specials(options);
  if (!allowed.any || specials.empty()) return encode_ordinary_into(text, sink);
  std::size_t pos = 0;
  for (;;) {
    Rank rank = 0;
    std::size_t length = 0;
    const std::size_t at = find_special(
        text, pos, [&](Rank, const std::string& t) { return allowed.contains(t); }, rank, length);
    const std::size_t end = at == std::string_view::npos ? text.size() : at;
    // Each segment is pre-tokenized on its own, as tiktoken does: `$` in `\s++$` matches at the
    // segment's end, just before the special token.
    if (!encode_ordinary_into(text.substr(pos, end - pos), sink)) return false;
    if (at == std::string_view::npos) return true;
    if (!sink.add(&rank, 1)) return false;
    pos = at + length;
  }
}

}  // namespace tokcount::detail
