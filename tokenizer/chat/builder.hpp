// Builder: appends pieces to a rendered prompt, records a segment per piece (merged with the
// previous one when they describe the same source), and accumulates the breakdown. Every
// renderer (ChatML layouts, harmony) writes through it, so tokens, segments and breakdown can
// never disagree.
#pragma once

#include <string>
#include <string_view>

#include "tokcount/chat.hpp"

namespace tokcount::chat::detail {

// Which figure of the breakdown a piece adds to.
enum class Bucket {
  kMessageText, kMessageName, kMessageImage, kMessageFormat,
  kToolsText, kToolsFormat, kToolChoice, kResponseFormat, kPriming,
};

// Where a piece comes from.
struct Source {
  int message = -1, part = -1, tool_call = -1;
  std::string path;
};

// Synthetic token families (see kSyntheticTokenBase): overhead runs get base | family << 16 | i,
// images base | 0x40000000 | (hash + i) mod 2^30.
enum class Synthetic : Rank { kFormat = 1, kToolsOverhead = 2, kToolChoiceOverhead = 3 };

class Builder {
 public:
  explicit Builder(const Encoding& encoding);

  // The breakdown row of message `index` (-1: added by the renderer); created on first use.
  // Rows appear in the order of first use.
  void begin_message(int index, std::string role);

  void text(std::string_view s, SegmentKind kind, Bucket bucket, const Source& src, std::string_view rule,
            bool uncertain);
  void special(Rank token, SegmentKind kind, Bucket bucket, const Source& src, std::string_view rule,
               bool uncertain);
  void synthetic(Synthetic family, std::size_t count, SegmentKind kind, Bucket bucket, const Source& src,
                 std::string_view rule, bool uncertain);
  void image(std::size_t count, std::uint64_t hash, const Source& src, std::string_view rule, bool uncertain);

  // Text pieces go through `hook` when set (it must outlive the builder).
  void set_piece_hook(const PieceTokens* hook) noexcept { hook_ = hook; }

  const Encoding& encoding() const noexcept { return enc_; }
  Result& result() noexcept { return result_; }
  // Finalizes counts and flags.
  Result take();

 private:
  void add(std::size_t begin, SegmentKind kind, Bucket bucket, const Source& src, std::string_view rule,
           bool uncertain, std::uint64_t hash = 0);
  MessageBreakdown& row();

  const Encoding& enc_;
  const PieceTokens* hook_ = nullptr;
  Result result_;
  int current_row_ = -1;
};

}  // namespace tokcount::chat::detail
