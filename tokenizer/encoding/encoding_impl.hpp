// Internal state of an Encoding and the one encode pipeline every front end goes through:
// UTF-8 check -> special-token split -> pre-tokenizer -> merge.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>
#include <absl/strings/string_view.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
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

  // Tokens of valid UTF-8 text with no special tokens recognized. `emit(rank)` may return
  // bool (false stops early) or void. Returns false if stopped.
  template <class Emit>
  bool encode_ordinary_valid(std::string_view text, Emit&& emit) const {
    const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
    // Pieces are merged in batches: first every piece's vocabulary slot is prefetched, then the
    // pieces are resolved in order (see VocabTable::prefetch).
    constexpr std::size_t kBatch = 16;
    std::size_t begins[kBatch], ends[kBatch];
    std::size_t queued = 0;
    bool go_on = true;
    auto flush = [&] {
      for (std::size_t i = 0; i < queued; ++i) vocab.prefetch(s + begins[i], ends[i] - begins[i]);
      for (std::size_t i = 0; i < queued && go_on; ++i) {
        merge::encode_piece(vocab, s + begins[i], ends[i] - begins[i], [&](Rank r) {
          if (go_on && !pretok::call_emit1(emit, r)) go_on = false;
        });
      }
      queued = 0;
      return go_on;
    };
    for_each_piece(s, text.size(), [&](std::size_t b, std::size_t e) {
      begins[queued] = b;
      ends[queued] = e;
      return ++queued < kBatch || flush();
    });
    if (go_on) flush();
    return go_on;
  }

  // Leftmost special token at or after `from` that `accept(rank, text)` accepts; npos if none.
  template <class Accept>
  std::size_t find_special(std::string_view text, std::size_t from, Accept&& accept, Rank& rank,
                           std::size_t& length) const {
    if (specials.empty()) return std::string_view::npos;
    const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
    for (std::size_t i = from; i < text.size(); ++i) {
      if (!special_first_byte[s[i]]) continue;
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
  // between allowed special tokens. Returns false if `emit` stopped it.
  template <class Emit>
  bool encode_text(std::string_view text, const EncodeOptions& options, Emit&& emit) const;
};

// Validates (strict) or repairs (replace) UTF-8. Returns the text to encode; `repaired` holds
// the storage when a copy was needed.
std::string_view checked_utf8(std::string_view text, Utf8Mode mode, std::string& repaired);

// Throws kDisallowedSpecial for the first disallowed special-token text in `text`.
void check_disallowed(const EncodingImpl& impl, std::string_view text, const EncodeOptions& options);

// Whether the options allow any special token at all, and a predicate for which.
struct AllowedSpecials {
  bool any = false;
  bool all = false;
  StringMap<bool> names;
  bool contains(std::string_view text) const { return all || names.contains(text); }
};
AllowedSpecials allowed_specials(const EncodeOptions& options);

template <class Emit>
bool EncodingImpl::encode_text(std::string_view input, const EncodeOptions& options, Emit&& emit) const {
  if (input.size() > kMaxInputBytes)
    throw Error(ErrorCode::kInputTooLarge, "input is larger than the 4 GiB - 1 limit");
  std::string repaired;
  const std::string_view text = checked_utf8(input, options.utf8, repaired);
  check_disallowed(*this, text, options);
  const AllowedSpecials allowed = allowed_specials(options);
  if (!allowed.any || specials.empty()) return encode_ordinary_valid(text, emit);
  std::size_t pos = 0;
  for (;;) {
    Rank rank = 0;
    std::size_t length = 0;
    const std::size_t at = find_special(
        text, pos, [&](Rank, const std::string& t) { return allowed.contains(t); }, rank, length);
    const std::size_t end = at == std::string_view::npos ? text.size() : at;
    // Each segment is pre-tokenized on its own, as tiktoken does: `$` in `\s++$` matches at the
    // segment's end, just before the special token.
    if (!encode_ordinary_valid(text.substr(pos, end - pos), emit)) return false;
    if (at == std::string_view::npos) return true;
    if (!pretok::call_emit1(emit, rank)) return false;
    pos = at + length;
  }
}

}  // namespace tokcount::detail
