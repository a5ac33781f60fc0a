// A per-thread, direct-mapped memo of recent pieces -> tokens.
//
// Why: word frequencies are Zipfian, so a few thousand distinct pieces cover most of any text.
// A hit costs one access to a 160 KiB table that stays in L2, instead of a probe into a
// multi-megabyte vocabulary table (an L3 or DRAM access) plus, for pieces that are not single
// tokens, a whole merge. The memo holds pieces of at most 16 bytes that yield at most 4 tokens;
// it is keyed by the vocabulary's id too, so one thread can use several encodings. It is an
// exact cache (full key compare), so results are identical with or without it.
#pragma once

#include <cstdint>
#include <cstring>

#include "vocabulary/vocab_table.hpp"

namespace tokcount::merge {

class PieceCache {
 public:
  static constexpr std::size_t kMaxPiece = 16;
  static constexpr std::size_t kMaxTokens = 4;

  struct Key {
    std::uint64_t a, b;
    std::uint32_t len;
  };

  static Key key_of(const std::uint8_t* p, std::size_t n) noexcept {
    Key k{0, 0, static_cast<std::uint32_t>(n)};
    if (n >= 8) {
      std::memcpy(&k.a, p, 8);
      std::memcpy(&k.b, p + n - 8, 8);
    } else {
      k.a = vocab::VocabTable::short_key(p, n);
    }
    return k;
  }

  // Tokens for the key, or 0 on a miss.
  std::size_t find(const Key& k, std::uint32_t vocab_id, vocab::Rank* out) const noexcept {
    const Entry& e = entries_[slot(k)];
    if (e.a != k.a || e.b != k.b || e.len != k.len || e.vocab_id != vocab_id) return 0;
    for (std::size_t i = 0; i < e.count; ++i) out[i] = e.tokens[i];
    return e.count;
  }

  void insert(const Key& k, std::uint32_t vocab_id, const vocab::Rank* tokens, std::size_t count) noexcept {
    Entry& e = entries_[slot(k)];
    e.a = k.a;
    e.b = k.b;
    e.len = static_cast<std::uint8_t>(k.len);
    e.count = static_cast<std::uint8_t>(count);
    e.vocab_id = vocab_id;
    for (std::size_t i = 0; i < count; ++i) e.tokens[i] = tokens[i];
  }

  static PieceCache& for_this_thread() noexcept {
    thread_local PieceCache cache;
    return cache;
  }

 private:
  static constexpr std::size_t kEntries = 16384;
  struct Entry {
    std::uint64_t a = 0, b = 0;
    std::uint32_t vocab_id = 0;  // 0 = empty (ids start at 1)
    std::uint8_t len = 0, count = 0;
    vocab::Rank tokens[kMaxTokens];
  };
  static std::size_t slot(const Key& k) noexcept {
    const std::uint64_t h = (k.a ^ (k.b * 0xC2B2AE3D27D4EB4Full) ^ k.len) * 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(h >> 50);  // top 14 bits: 16384 entries
  }
  Entry entries_[kEntries];
};

}  // namespace tokcount::merge
