#include "encoding/piece_access.hpp"

#include "encoding/encoding_impl.hpp"

namespace tokcount::detail {

void split_pieces(const Encoding& enc, std::string_view text, std::vector<PieceSpan>& out) {
  const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
  enc.impl().for_each_piece(s, text.size(), [&](std::size_t b, std::size_t e) {
    out.push_back({static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(e)});
  });
}

void encode_piece(const Encoding& enc, std::string_view piece, std::vector<Rank>& out) {
  merge::encode_piece(enc.impl().vocab, reinterpret_cast<const std::uint8_t*>(piece.data()), piece.size(),
                      [&](Rank r) { out.push_back(r); });
}

std::optional<std::string> open_prefix_pattern(const Encoding& enc) {
  return pretok::open_prefix_pattern(enc.pat_str());
}

}  // namespace tokcount::detail
