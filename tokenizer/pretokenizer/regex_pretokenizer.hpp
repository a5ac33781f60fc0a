// Pre-tokenizer for custom split patterns, on RE2.
//
// RE2 guarantees linear time but lacks look-around and possessive quantifiers, and its
// Unicode classes follow RE2's own Unicode version. The constructor translates the pattern
// into an RE2 pattern with identical matches, or refuses it with Error(kUnsupportedPattern)
// naming the construct: a pattern is never matched approximately.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace tokcount::pretok {

class RegexPretokenizer {
 public:
  explicit RegexPretokenizer(std::string_view pat_str);
  ~RegexPretokenizer();
  RegexPretokenizer(const RegexPretokenizer&) = delete;
  RegexPretokenizer& operator=(const RegexPretokenizer&) = delete;

  // Appends to `piece_ends` the end offset of each piece of `text`, in order. Text not covered
  // by any match (the pattern need not cover everything) is skipped, as tiktoken's find_iter
  // skips it: each piece is [start, end) with start = the match start, so callers also get
  // starts through `piece_starts`.
  void split(std::string_view text, std::vector<std::uint32_t>& piece_starts,
             std::vector<std::uint32_t>& piece_ends) const;

  // The RE2 pattern actually compiled (for diagnostics and tests).
  const std::string& translated() const noexcept { return translated_; }

 private:
  std::string translated_;
  std::unique_ptr<re2::RE2> re_;
  int trailing_space_group_ = -1;  // capture group of an emulated `\s+(?!\S)`, or -1
};

// Streaming support (tokenizer/stream/): an RE2 pattern, anchored at the end of the text, that
// matches exactly the strings a match attempt of `pat_str` could have consumed when it reaches
// the end of the text (the prefixes of its matches, with `$` and look-ahead relaxed to the empty
// string). Where it fails to match a suffix, no match attempt starting there can depend on text
// that comes later. nullopt for a pattern with a start anchor, whose matches depend on where the
// text begins. Throws kUnsupportedPattern where the pattern cannot be parsed.
std::optional<std::string> open_prefix_pattern(std::string_view pat_str);

}  // namespace tokcount::pretok
