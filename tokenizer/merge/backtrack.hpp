// The backtracking encoder for long pieces: tiktoken's byte-pair merge result in linear time.
//
// The idea is rust-gems' `bpe` crate's (github/rust-gems, crates/bpe, "backtracking encoder"),
// written here from its published description:
//   * A token sequence is the byte-pair encoding of a text exactly when every two adjacent
//     tokens are "compatible": merging their concatenation from bytes gives back the same two
//     tokens. (This needs every token to be its own encoding, with the two halves of the merge
//     that makes it older than it; VocabTable checks both when it builds its tables, and every
//     tiktoken vocabulary has them.)
//   * So the encoding can be found left to right: take the longest token at the position (a
//     trie walk); if it is not compatible with the previous token, or leads to a position
//     already known to be a dead end, try the next shorter token that is a prefix of it; if
//     none is left, the previous token was wrong: pop it, mark this position dead, and try a
//     shorter one there. Each position is marked dead at most once, so the work is linear.
//
// Compatibility of (a, b) is decided without re-merging: walk down the two merge trees towards
// the boundary, newest merge first (see compatible()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "vocabulary/vocab_table.hpp"

namespace tokcount::merge {

// Whether BPE of bytes(a) + bytes(b) yields exactly [a, b]. Requires v.has_backtracking().
bool compatible(const vocab::VocabTable& v, vocab::Rank a, vocab::Rank b) noexcept;

// Appends the tokens of the piece p[0, n) to `out`. Requires v.has_backtracking().
void merge_backtrack(const vocab::VocabTable& v, const std::uint8_t* p, std::size_t n, std::vector<vocab::Rank>& out);

}  // namespace tokcount::merge
