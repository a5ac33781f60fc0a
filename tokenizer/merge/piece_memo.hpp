// A per-thread, per-vocabulary memo of short pieces -> tokens.
//
// Why: piece frequencies are Zipfian (Moby-Dick has 247k o200k pieces but 21k distinct ones),
// so after a few kilobytes nearly every piece has been seen. A hit is one probe into a dense
// table whose hot part stays in L1/L2, instead of a probe into the sparse multi-megabyte
// vocabulary table (an L3 or DRAM access) and, for the ~10% of pieces that are not single
// tokens, a whole merge. It is an exact cache: the key holds every byte of the piece, so results
// are identical with or without it (the tests run both).
//
// Layout: 4-way set-associative with LRU; a set is two adjacent 64-byte lines holding four
// 32-byte entries (key = up to 16 bytes + length, value = up to 3 tokens); 128K entries in 4 MiB.
// (Two ways thrashed: with 21k distinct pieces in 32k two-way sets, 1.6% of lookups missed.
// 64K entries thrashed on German: its 3 MB corpus has 56k distinct short o200k pieces, a
// quarter of the sets overflowed, and repeated German text ran at 60 MB/s instead of 95.)
// A short piece of more than 3 tokens keeps its tokens in a spill arena, its entry pointing
// there. Why: such pieces are common outside English (o200k: 16% of a Chinese text's bytes;
// cl100k: 23% of Russian) and were merged again on every occurrence. Pieces of 17..256 bytes
// have a second, hashed memo whose entries point into an arena (see find_long).
//
// Threads never share a memo (no locks, no false sharing). A thread keeps memos for the last
// few vocabularies it used; each is allocated on first use and freed when the thread exits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "vocabulary/vocab_table.hpp"

namespace tokcount::merge {

// Byte masks for a piece of n <= 16 bytes, for the low and the high 8 bytes of its memo key.
struct KeyMasks {
  std::uint64_t lo[17], hi[17];
};
constexpr KeyMasks make_key_masks() {
  KeyMasks m{};
  for (std::size_t n = 0; n <= 16; ++n) {
    const std::size_t l = n < 8 ? n : 8, h = n > 8 ? n - 8 : 0;
    m.lo[n] = l == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * l)) - 1;
    m.hi[n] = h == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * h)) - 1;
  }
  return m;
}
inline constexpr KeyMasks kKeyMasks = make_key_masks();

class PieceMemo {
 public:
  static constexpr std::size_t kMaxPiece = 16;  // = the masks' size
  static constexpr std::size_t kInlineTokens = 3;  // more go to the spill arena
  // The spill arena: 256K tokens (1 MiB), allocated on the first spill; ~50k pieces of 5.
  static constexpr std::size_t kSpillRanks = std::size_t{1} << 18;

  struct Key {
    std::uint64_t lo, hi;  // the piece's bytes, zero-padded to 16
    std::uint32_t len;
  };

  // `avail` = bytes readable from p (>= n): with 16 or more, two plain loads and masks, no
  // branch on the length; near the end of the text, a zero-padded copy gives the same key.
  static Key key_of(const std::uint8_t* p, std::size_t n, std::size_t avail) noexcept {
    std::uint64_t lo, hi;
    if (avail >= 16) {
      std::memcpy(&lo, p, 8);
      std::memcpy(&hi, p + 8, 8);
    } else {
      std::uint8_t buf[16] = {};
      std::memcpy(buf, p, n);
      std::memcpy(&lo, buf, 8);
      std::memcpy(&hi, buf + 8, 8);
    }
    return {lo & kKeyMasks.lo[n], hi & kKeyMasks.hi[n], static_cast<std::uint32_t>(n)};
  }

  std::size_t set_of(const Key& k) const noexcept {
    const std::uint64_t h = (k.lo ^ (k.hi * 0xC2B2AE3D27D4EB4Full) ^ k.len) * 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(h >> (64 - kSetBits));
  }
  // Copies the tokens to `out` and returns their count, or 0 on a miss.
  // Inline: the most recently used way answers most lookups.
  __attribute__((always_inline)) std::size_t find(const Key& k, std::size_t set, vocab::Rank* out) noexcept {
    const Entry& first = sets_[set].way[0];
    if (matches(first, k)) return copy_out(first, out);
    return find_in_other_ways(k, set, out);
  }

  [[gnu::noinline]] std::size_t find_in_other_ways(const Key& k, std::size_t set, vocab::Rank* out) noexcept {
    Set& s = sets_[set];
    for (std::size_t w = 1; w < kWays; ++w) {
      if (matches(s.way[w], k)) {
        const Entry hit = s.way[w];  // move to front: LRU order within the set
        for (std::size_t i = w; i > 0; --i) s.way[i] = s.way[i - 1];
        s.way[0] = hit;
        return copy_out(hit, out);
      }
    }
    return 0;
  }

  // Stores the `count` (1..kMaxPiece) tokens of the piece `k`.
  void insert(const Key& k, std::size_t set, const vocab::Rank* tokens, std::size_t count) {
    Entry fresh{k.lo, k.hi, static_cast<std::uint8_t>(k.len), static_cast<std::uint8_t>(count), 0, {}};
    if (count <= kInlineTokens) {
      for (std::size_t i = 0; i < count; ++i) fresh.tokens[i] = tokens[i];
    } else {
      spill(fresh, tokens, count);
    }
    Set& s = sets_[set];
    for (std::size_t i = kWays - 1; i > 0; --i) s.way[i] = s.way[i - 1];  // evicts the LRU way
    s.way[0] = fresh;
  }

  // Pieces of 17..kMaxLongPiece bytes (long words in Cyrillic, Greek, German compounds...):
  // the tokens, or nullptr on a miss. Valid until the next insert_long.
  static constexpr std::size_t kMaxLongPiece = 256;
  static constexpr std::size_t kLongWays = 8;
  const vocab::Rank* find_long(const std::uint8_t* p, std::size_t n, std::uint64_t hash, std::size_t& count) noexcept;
  void insert_long(const std::uint8_t* p, std::size_t n, std::uint64_t hash, const vocab::Rank* tokens,
                   std::size_t count);

  // The calling thread's memo for `vocab`.
  static PieceMemo& for_thread(const vocab::VocabTable& vocab);

 private:
  static constexpr unsigned kSetBits = 15;  // 32768 sets x 128 B = 4 MiB, 131072 pieces
  static constexpr std::size_t kWays = 4;
  struct Entry {  // all-zero = empty (len 0: pieces are never empty)
    std::uint64_t lo, hi;
    std::uint8_t len;
    std::uint8_t count;
    std::uint16_t unused;
    vocab::Rank tokens[kInlineTokens];
  };
  static_assert(sizeof(Entry) == 32);
  struct alignas(128) Set {  // two adjacent cache lines: fetched together
    Entry way[kWays];           // way[0] most recently used
  };
  static bool matches(const Entry& e, const Key& k) noexcept {
    return e.lo == k.lo && e.hi == k.hi && e.len == k.len;
  }
  std::size_t copy_out(const Entry& e, vocab::Rank* out) const noexcept {
    if (e.count > kInlineTokens) [[unlikely]] return copy_spilled(e, out);
    // Copying all three is branch-free; the caller reads `count` of them.
    out[0] = e.tokens[0];
    out[1] = e.tokens[1];
    out[2] = e.tokens[2];
    return e.count;
  }
  // A spilled entry: tokens[0] = offset into the arena, tokens[1] = the arena epoch it was
  // written in. The arena starts over (a new epoch) when full, so an entry of an older epoch
  // may point at overwritten tokens: it is a miss, never a wrong answer.
  std::size_t copy_spilled(const Entry& e, vocab::Rank* out) const noexcept {
    if (e.tokens[1] != spill_epoch_) return 0;
    std::memcpy(out, spill_.get() + e.tokens[0], e.count * sizeof(vocab::Rank));
    return e.count;
  }
  void spill(Entry& e, const vocab::Rank* tokens, std::size_t count) {
    if (!spill_) spill_ = std::make_unique_for_overwrite<vocab::Rank[]>(kSpillRanks);
    if (spill_used_ + count > kSpillRanks) {  // full: start over in a new epoch
      spill_used_ = 0;
      if (++spill_epoch_ == 0) {  // epochs exhausted: no entry may survive into a reused one
        std::memset(static_cast<void*>(sets_), 0, (std::size_t{1} << kSetBits) * sizeof(Set));
        spill_epoch_ = 1;
      }
    }
    std::memcpy(spill_.get() + spill_used_, tokens, count * sizeof(vocab::Rank));
    e.tokens[0] = static_cast<vocab::Rank>(spill_used_);
    e.tokens[1] = spill_epoch_;
    spill_used_ += count;
  }
  // calloc: the kernel hands out zero pages lazily, so an idle memo costs no memory.
  struct Free {
    void operator()(void* p) const noexcept { std::free(p); }
  };
  // The long-piece memo: 8-way LRU sets of (hash, arena offset, length, count) whose bytes and
  // tokens live in an append-only arena; when the arena is full, the whole long memo starts
  // over (bounded memory, no per-entry frees). Allocated on the first long piece. Why 8 ways:
  // with 4, the sets that drew five or more of a text's pieces (12% of them at the Chinese
  // corpus's 21k long pieces) missed on every piece each time the text came round again.
  struct LongEntry {
    std::uint64_t hash;
    std::uint32_t offset;  // bytes at arena[offset], then `count` tokens (4-byte aligned)
    std::uint16_t len;     // 0 = empty
    std::uint16_t count;
  };
  static_assert(sizeof(LongEntry) == 16);
  static constexpr unsigned kLongSetBits = 13;            // 8192 sets x 128 B = 1 MiB, 65536 pieces
  static constexpr std::size_t kArenaBytes = 8u << 20;    // ~40k long pieces
  struct alignas(128) LongSet {  // two adjacent cache lines, as the short memo's sets
    LongEntry way[kLongWays];    // way[0] most recently used
  };
  std::unique_ptr<vocab::Rank[]> spill_;
  std::size_t spill_used_ = 0;
  std::uint32_t spill_epoch_ = 1;

  std::unique_ptr<LongSet[]> long_sets_;
  std::unique_ptr<std::uint8_t[]> arena_;
  std::size_t arena_used_ = 0;

  std::unique_ptr<void, Free> raw_{std::calloc((std::size_t{1} << kSetBits) * sizeof(Set) + 128, 1)};
  Set* sets_ = raw_ ? reinterpret_cast<Set*>((reinterpret_cast<std::uintptr_t>(raw_.get()) + 127) & ~std::uintptr_t{127})
                    : throw std::bad_alloc();
};

}  // namespace tokcount::merge
