// Byte-pair merge of one pre-tokenized piece, with tiktoken's exact semantics: repeatedly merge
// the adjacent pair whose concatenated bytes have the lowest rank, the leftmost on ties, until
// no adjacent pair is a token.
//
// Paths, chosen by piece length:
//   * whole-piece lookup: a piece that is itself a token is one token (tiktoken does the same,
//     and on prose most pieces take this path);
//   * short pieces (< 12 bytes): tiktoken's own loop on rank arrays on the stack, a
//     branch-free minimum search; O(n^2) but n is small; pairs are looked up by rank pairs;
//   * longer pieces: the backtracking encoder (merge/backtrack.hpp), linear time;
//   * a custom vocabulary without the backtracking encoder's properties: the short loop below
//     96 bytes, then a binary heap of (rank, start) with lazy invalidation, O(n log n).
//     (rank, start) names a pair exactly: ranks are unique per byte string, so equal rank at
//     the same start means the same span.
// All give identical output; the tests cross-check them and a naive merge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "merge/backtrack.hpp"
#include "merge/piece_memo.hpp"
#include "tokcount/tokcount.hpp"
#include "vocabulary/vocab_table.hpp"

namespace tokcount::merge {

// This thread's scratch object of type T (one per Tag). Out of line on purpose: in a shared
// library every access to a thread_local costs a __tls_get_addr call, and a loop that touches
// one directly (or through a lambda) pays it per iteration; callers take the reference once.
template <class T, class Tag>
[[gnu::noinline]] T& thread_scratch() {
  thread_local T scratch;
  return scratch;
}

using vocab::kNoRank;
using vocab::VocabTable;

// Pieces at least this long take the heap path (vocabularies without backtracking tables).
inline constexpr std::size_t kHeapThreshold = 96;
// Pieces at least this long take the backtracking encoder when the vocabulary has its tables:
// from about here it beats the short loop (callgrind, o200k: Chinese prose 139 -> 115
// instructions per byte at 24, 104 at 12; German unchanged at 12, worse below).
inline constexpr std::size_t kBacktrackThreshold = 12;

[[noreturn]] void throw_missing_byte(std::uint8_t byte);

// Seeds: the rank of every single byte of the piece.
inline Rank byte_token(const VocabTable& v, std::uint8_t b) {
  const Rank r = v.byte_rank(b);
  if (r == kNoRank) throw_missing_byte(b);
  return r;
}

// Short-piece loop. `emit(rank)` receives the tokens in order. Requires 2 <= n < kHeapThreshold.
// Parts are ranks in a dense array; pair[i] is what parts i and i+1 merge into. Merging never
// looks at bytes again: the pair table answers each new pair.
template <class Emit>
void merge_short(const VocabTable& v, const std::uint8_t* p, std::size_t n, Emit&& emit) {
  Rank part[kHeapThreshold];  // rank of part j
  Rank pair[kHeapThreshold];  // rank of parts j and j+1 merged; kNoRank if they do not merge
  std::size_t parts = n;
  for (std::size_t i = 0; i < n; ++i) part[i] = byte_token(v, p[i]);
  for (std::size_t i = 0; i + 1 < n; ++i) pair[i] = v.find(p + i, 2);
  pair[n - 1] = kNoRank;
  while (parts > 1) {
    // Lowest rank, leftmost on ties (strict <), as tiktoken's loop chooses.
    Rank best = pair[0];
    std::size_t at = 0;
    for (std::size_t i = 1; i + 1 < parts; ++i) {
      const bool lower = pair[i] < best;
      best = lower ? pair[i] : best;
      at = lower ? i : at;
    }
    if (best == kNoRank) break;
    part[at] = best;
    const std::size_t tail = parts - at - 2;  // parts after the absorbed one
    std::memmove(part + at + 1, part + at + 2, tail * sizeof(Rank));
    std::memmove(pair + at + 1, pair + at + 2, tail * sizeof(Rank));
    --parts;
    pair[at] = at + 1 < parts ? v.merge_rank(part[at], part[at + 1]) : kNoRank;
    if (at > 0) pair[at - 1] = v.merge_rank(part[at - 1], part[at]);
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
  if (n < kHeapThreshold && !(n >= kBacktrackThreshold && v.has_backtracking())) {
    merge_short(v, p, n, emit);
    return;
  }
  std::vector<Rank>& long_out = thread_scratch<std::vector<Rank>, struct EncodePieceTag>();
  long_out.clear();
  if (v.has_backtracking()) {
    merge_backtrack(v, p, n, long_out);
  } else {
    merge_long(v, p, n, long_out);
  }
  for (Rank r : long_out) emit(r);
}

// Tokens of a piece longer than PieceMemo::kMaxPiece, through the memo's long-piece table when
// the piece is short enough for it. Valid until the next call on this thread. Out of line: the
// long-piece paths are not worth inlining.
std::span<const Rank> long_piece_tokens(const VocabTable& v, PieceMemo& memo, const std::uint8_t* p, std::size_t n);

// A memo miss: the tokens of a piece of 2..PieceMemo::kMaxPiece bytes, stored in the memo.
// Kept out of line: after warm-up it runs for a tiny share of pieces.
std::size_t resolve_and_memoize(const VocabTable& v, PieceMemo& memo, const PieceMemo::Key& key,
                                std::size_t set, const std::uint8_t* p, std::size_t n, Rank* out);

}  // namespace tokcount::merge
