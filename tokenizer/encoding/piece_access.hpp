// The narrow interface the streaming encoder (tokenizer/stream/) uses to drive two stages of
// the pipeline itself: splitting a segment into pre-token pieces and encoding one piece. Kept to
// these functions so that the core can change freely behind them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokcount/tokcount.hpp"

namespace tokcount::detail {

struct PieceSpan {
  std::uint32_t begin;
  std::uint32_t end;
};

// Pre-token pieces of valid UTF-8 `text` (one segment: no special-token handling), in order,
// appended to `out`. They tile the text, except for gaps a custom pattern does not match.
void split_pieces(const Encoding& enc, std::string_view text, std::vector<PieceSpan>& out);

// Tokens of one piece, appended to `out`: what encode() gives for that piece.
void encode_piece(const Encoding& enc, std::string_view piece, std::vector<Rank>& out);

// pretok::open_prefix_pattern() of the encoding's split pattern.
std::optional<std::string> open_prefix_pattern(const Encoding& enc);

}  // namespace tokcount::detail
