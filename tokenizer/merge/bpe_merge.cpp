#include "merge/bpe_merge.hpp"

#include <absl/strings/str_format.h>

#include <algorithm>
#include <memory>
#include <functional>
#include <queue>

namespace tokcount::merge {

void throw_missing_byte(std::uint8_t byte) {
  throw Error(ErrorCode::kInvalidArgument,
              absl::StrFormat("the vocabulary has no token for byte 0x%02x, so this text cannot be encoded", byte));
}

namespace {

// Parts form a doubly linked list indexed by their start byte; `end[s]` is the end of the part
// starting at s, `pair[s]` the rank of that part merged with the next one.
struct LongScratch {
  std::vector<std::uint32_t> end, prev;
  std::vector<Rank> pair, part;
  std::vector<std::uint64_t> heap;
};

inline std::uint64_t heap_key(Rank rank, std::uint32_t start) {
  return (std::uint64_t{rank} << 32) | start;  // orders by rank, then leftmost start
}

}  // namespace

void merge_long(const VocabTable& v, const std::uint8_t* p, std::size_t n, std::vector<Rank>& out) {
  thread_local LongScratch s;
  s.end.resize(n);
  s.prev.resize(n);
  s.pair.resize(n);
  s.part.resize(n);
  s.heap.clear();
  constexpr std::uint32_t kNoPart = 0xFFFFFFFFu;
  const auto len32 = static_cast<std::uint32_t>(n);
  for (std::uint32_t i = 0; i < len32; ++i) {
    s.end[i] = i + 1;
    s.prev[i] = i == 0 ? kNoPart : i - 1;
    s.part[i] = byte_token(v, p[i]);
    s.pair[i] = i + 1 < len32 ? v.find(p + i, 2) : kNoRank;
    if (s.pair[i] != kNoRank) s.heap.push_back(heap_key(s.pair[i], i));
  }
  auto cmp = std::greater<std::uint64_t>();
  std::make_heap(s.heap.begin(), s.heap.end(), cmp);
  auto push = [&](Rank rank, std::uint32_t start) {
    s.heap.push_back(heap_key(rank, start));
    std::push_heap(s.heap.begin(), s.heap.end(), cmp);
  };
  while (!s.heap.empty()) {
    std::pop_heap(s.heap.begin(), s.heap.end(), cmp);
    const std::uint64_t top = s.heap.back();
    s.heap.pop_back();
    const auto rank = static_cast<Rank>(top >> 32);
    const auto start = static_cast<std::uint32_t>(top);
    // Stale entry: the part was absorbed (end == 0) or its pair rank has changed since.
    if (s.end[start] == 0 || s.pair[start] != rank) continue;
    const std::uint32_t next = s.end[start];
    const std::uint32_t next_end = s.end[next];
    s.part[start] = rank;
    s.end[start] = next_end;
    s.end[next] = 0;
    if (next_end < len32) {
      s.prev[next_end] = start;
      s.pair[start] = v.find(p + start, s.end[next_end] - start);
      if (s.pair[start] != kNoRank) push(s.pair[start], start);
    } else {
      s.pair[start] = kNoRank;
    }
    const std::uint32_t before = s.prev[start];
    if (before != kNoPart) {
      s.pair[before] = v.find(p + before, next_end - before);
      if (s.pair[before] != kNoRank) push(s.pair[before], before);
    }
  }
  for (std::uint32_t i = 0; i < len32; i = s.end[i]) out.push_back(s.part[i]);
}

const std::vector<Rank>& long_piece_tokens(const VocabTable& v, const std::uint8_t* p, std::size_t n) {
  thread_local std::vector<Rank> out;
  out.clear();
  encode_piece(v, p, n, [&](Rank r) { out.push_back(r); });
  return out;
}

std::size_t resolve_and_memoize(const VocabTable& v, PieceMemo& memo, const PieceMemo::Key& key,
                                std::size_t set, const std::uint8_t* p, std::size_t n, Rank* out) {
  std::size_t count = 0;
  encode_piece(v, p, n, [&](Rank r) { out[count++] = r; });  // n <= 16: at most 16 tokens
  if (count <= PieceMemo::kMaxTokens) memo.insert(key, set, out, count);
  return count;
}

PieceMemo& PieceMemo::for_thread(const VocabTable& vocab) {
  // The memos of the last few vocabularies this thread used, most recent first. A thread that
  // cycles through more encodings than this just rebuilds memos (correct, only slower).
  constexpr std::size_t kSlots = 4;
  struct Slot {
    std::uint64_t vocab_id = 0;
    std::unique_ptr<PieceMemo> memo;
  };
  thread_local Slot slots[kSlots];
  const std::uint64_t id = vocab.id();
  if (slots[0].vocab_id == id) return *slots[0].memo;
  std::size_t i = 1;
  while (i < kSlots && slots[i].vocab_id != id) ++i;
  if (i == kSlots) {  // not found: reuse the least recently used slot
    i = kSlots - 1;
    slots[i].memo = std::make_unique<PieceMemo>();
    slots[i].vocab_id = id;
  }
  std::rotate(slots, slots + i, slots + i + 1);
  return *slots[0].memo;
}

}  // namespace tokcount::merge
