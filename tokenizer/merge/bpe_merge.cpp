#include "merge/bpe_merge.hpp"

#include <absl/strings/str_format.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <span>
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
  LongScratch& s = thread_scratch<LongScratch, LongScratch>();
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
      s.pair[start] = v.merge_rank(rank, s.part[next_end]);
      if (s.pair[start] != kNoRank) push(s.pair[start], start);
    } else {
      s.pair[start] = kNoRank;
    }
    const std::uint32_t before = s.prev[start];
    if (before != kNoPart) {
      s.pair[before] = v.merge_rank(s.part[before], rank);
      if (s.pair[before] != kNoRank) push(s.pair[before], before);
    }
  }
  for (std::uint32_t i = 0; i < len32; i = s.end[i]) out.push_back(s.part[i]);
}

std::span<const Rank> long_piece_tokens(const VocabTable& v, PieceMemo& memo, const std::uint8_t* p, std::size_t n) {
  std::vector<Rank>& out = thread_scratch<std::vector<Rank>, struct LongPieceTag>();
  const bool memoizable = n <= PieceMemo::kMaxLongPiece;
  const std::uint64_t hash = memoizable ? VocabTable::hash(p, n) : 0;
  if (memoizable) {
    std::size_t count = 0;
    if (const Rank* hit = memo.find_long(p, n, hash, count)) return {hit, count};
  }
  out.clear();
  encode_piece(v, p, n, [&](Rank r) { out.push_back(r); });
  if (memoizable) memo.insert_long(p, n, hash, out.data(), out.size());
  return out;
}

const Rank* PieceMemo::find_long(const std::uint8_t* p, std::size_t n, std::uint64_t hash, std::size_t& count) noexcept {
  if (!long_sets_) return nullptr;
  LongSet& set = long_sets_[hash >> (64 - kLongSetBits)];
  for (std::size_t w = 0; w < kLongWays; ++w) {
    const LongEntry e = set.way[w];
    if (e.hash != hash || e.len != n || std::memcmp(arena_.get() + e.offset, p, n) != 0) continue;
    for (std::size_t i = w; i > 0; --i) set.way[i] = set.way[i - 1];  // LRU
    set.way[0] = e;
    count = e.count;
    return reinterpret_cast<const Rank*>(arena_.get() + ((e.offset + n + 3) & ~std::size_t{3}));
  }
  return nullptr;
}

void PieceMemo::insert_long(const std::uint8_t* p, std::size_t n, std::uint64_t hash, const Rank* tokens,
                            std::size_t count) {
  if (!long_sets_) {
    long_sets_ = std::make_unique<LongSet[]>(std::size_t{1} << kLongSetBits);  // zeroed: len 0 = empty
    arena_ = std::make_unique_for_overwrite<std::uint8_t[]>(kArenaBytes);
  }
  const std::size_t tokens_at = (arena_used_ + n + 3) & ~std::size_t{3};
  const std::size_t need = tokens_at + count * sizeof(Rank) - arena_used_;
  if (arena_used_ + need > kArenaBytes) {  // full: start over
    std::fill_n(long_sets_.get(), std::size_t{1} << kLongSetBits, LongSet{});
    arena_used_ = 0;
    return insert_long(p, n, hash, tokens, count);
  }
  std::memcpy(arena_.get() + arena_used_, p, n);
  std::memcpy(arena_.get() + tokens_at, tokens, count * sizeof(Rank));
  LongSet& set = long_sets_[hash >> (64 - kLongSetBits)];
  for (std::size_t i = PieceMemo::kLongWays - 1; i > 0; --i) set.way[i] = set.way[i - 1];
  set.way[0] = LongEntry{hash, static_cast<std::uint32_t>(arena_used_), static_cast<std::uint16_t>(n),
                         static_cast<std::uint16_t>(count)};
  arena_used_ += need;
}

std::size_t resolve_and_memoize(const VocabTable& v, PieceMemo& memo, const PieceMemo::Key& key,
                                std::size_t set, const std::uint8_t* p, std::size_t n, Rank* out) {
  std::size_t count = 0;
  encode_piece(v, p, n, [&](Rank r) { out[count++] = r; });  // n <= 16: at most 16 tokens
  memo.insert(key, set, out, count);
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
