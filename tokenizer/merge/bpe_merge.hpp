// Byte-pair merge of one pre-tokenized piece, with tiktoken's exact semantics: repeatedly merge
// the adjacent pair whose concatenated bytes have the lowest rank, the leftmost on ties, until
// no adjacent pair is a token.
//
// Three paths, chosen by piece length:
//   * whole-piece lookup: a piece that is itself a token is one token (tiktoken does the same,
//     and on prose most pieces take this path);
//   * short pieces: tiktoken's own loop over contiguous boundary and rank arrays on the stack,
//     a branch-light linear minimum search the compiler can vectorize; O(n^2) but n is small;
//   * long pieces: a binary heap of (rank, start) with lazy invalidation, O(n log n), so a
//     megabyte without a break costs linear-ish time. (rank, start) names a pair exactly:
//     ranks are unique per byte string, so equal rank at the same start means the same span.
// Both loops give identical output; the tests cross-check them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "merge/piece_memo.hpp"
#include "tokcount/tokcount.hpp"
#include "vocabulary/vocab_table.hpp"

namespace tokcount::merge {

using vocab::kNoRank;
using vocab::VocabTable;

// Pieces at least this long take the heap path.
inline constexpr std::size_t kHeapThreshold = 96;

[[noreturn]] void throw_missing_byte(std::uint8_t byte);

// Seeds: the rank of every single byte of the piece.
inline Rank byte_token(const VocabTable& v, std::uint8_t b) {
  const Rank r = v.byte_rank(b);
  if (r == kNoRank) throw_missing_byte(b);
  return r;
}

// Short-piece loop. `emit(rank)` receives the tokens in order. Requires 2 <= n < kHeapThreshold.
template <class Emit>
void merge_short(const VocabTable& v, const std::uint8_t* p, std::size_t n, Emit&& emit) {
  std::uint32_t bound[kHeapThreshold + 1];  // part j = bytes [bound[j], bound[j+1])
  Rank pair[kHeapThreshold];                // rank of parts j and j+1 merged
  Rank part[kHeapThreshold];                // rank of part j
  std::size_t parts = n;
  for (std::size_t i = 0; i <= n; ++i) bound[i] = static_cast<std::uint32_t>(i);
  for (std::size_t i = 0; i < n; ++i) part[i] = byte_token(v, p[i]);
  for (std::size_t i = 0; i + 1 < n; ++i) pair[i] = v.find(p + i, 2);
  pair[n - 1] = kNoRank;  // read (never used) by the shift below
  while (parts > 1) {
    Rank best = pair[0];
    std::size_t at = 0;
    for (std::size_t i = 1; i + 1 < parts; ++i) {
      if (pair[i] < best) {
        best = pair[i];
        at = i;
      }
    }
    if (best == kNoRank) break;
    // Merge parts `at` and `at + 1`.
    part[at] = best;
    for (std::size_t i = at + 1; i + 1 < parts; ++i) {
      part[i] = part[i + 1];
      bound[i] = bound[i + 1];
      pair[i] = pair[i + 1];
    }
    bound[parts - 1] = bound[parts];
    --parts;
    if (at + 1 < parts) pair[at] = v.find(p + bound[at], bound[at + 2] - bound[at]);
    if (at > 0) pair[at - 1] = v.find(p + bound[at - 1], bound[at + 1] - bound[at - 1]);
  }
  for (std::size_t j = 0; j < parts; ++j) emit(part[j]);
}

// Heap loop for long pieces; any n >= 2. Scratch memory is per thread and reused.
void merge_long(const VocabTable& v, const std::uint8_t* p, std::size_t n, std::vector<Rank>& out);

// Tokens of one piece, appended through `emit(rank)`, without the memo: the whole-piece
// lookup, then the loop for the piece's length.
template <class Emit>
void encode_piece(const VocabTable& v, const std::uint8_t* p, std::size_t n, Emit&& emit) {
  if (n == 1) {
    emit(byte_token(v, p[0]));
    return;
  }
  const Rank whole = v.find(p, n);
  if (whole != kNoRank) {
    emit(whole);
    return;
  }
  if (n < kHeapThreshold) {
    merge_short(v, p, n, emit);
    return;
  }
  thread_local std::vector<Rank> long_out;
  long_out.clear();
  merge_long(v, p, n, long_out);
  for (Rank r : long_out) emit(r);
}

// Tokens of a piece longer than PieceMemo::kMaxPiece, through the memo's long-piece table when
// the piece is short enough for it. Valid until the next call on this thread. Out of line: the
// long-piece paths are not worth inlining.
std::span<const Rank> long_piece_tokens(const VocabTable& v, PieceMemo& memo, const std::uint8_t* p, std::size_t n);

// A memo miss: the tokens of a piece of 2..PieceMemo::kMaxPiece bytes, stored in the memo when
// there are few enough. Kept out of line: after warm-up it runs for a tiny share of pieces.
std::size_t resolve_and_memoize(const VocabTable& v, PieceMemo& memo, const PieceMemo::Key& key,
                                std::size_t set, const std::uint8_t* p, std::size_t n, Rank* out);

}  // namespace tokcount::merge
