// Vocabulary table: token bytes <-> rank, in one flat, position-independent blob.
//
// Why a blob: the same bytes serve as the compiled-in table of a built-in encoding (generated
// at build time by tools/gen_vocab_tables, linked into .rodata, used in place: no parsing, no
// allocation, pages touched only on use) and as the in-memory table of a custom encoding
// (built at run time by the same builder). One layout, one lookup path.
//
// Layout (little-endian, 8-byte aligned sections):
//   BlobHeader
//   Rank   pair2[65536]              rank of every 2-byte string (kNoRank if none): the merge
//                                    loop's first lookups, for each adjacent byte pair, are
//                                    one load from this 256 KiB table
//   uint64 pairs[1 << pair_bits]     (pair_bits > 0) every (a, b) whose bytes concatenated are
//                                    a token, packed with that token's rank: the merge loops
//                                    ask "what do parts a and b merge into" without touching
//                                    the parts' bytes
//   ShortSlot short_slots[1 << short_bits]
//                                    tokens of <= 7 bytes, the key packed inline: one cache
//                                    line answers the lookup (most pieces and every first
//                                    merge pair are this short)
//   Slot   slots[1 << hash_bits]     longer tokens: open addressing, linear probing, XXH3-64
//   uint32 offsets[rank_limit + 1]   token r = bytes[offsets[r], offsets[r+1]); empty = no token
//   uint8  bytes[bytes_size]
//     ... then, when trie_bits > 0, the backtracking encoder's tables (merge/backtrack.hpp):
//   Rank   split[2 * rank_limit]     left and right halves of the merge BPE makes each token by
//   Rank   next_prefix[rank_limit]   longest token that is a proper prefix of each token
//   uint64 trie[1 << trie_bits]      the trie of all tokens, edges (node, byte) -> child, open
//                                    addressing. A token's node id is its rank, the root's is
//                                    rank_limit, other prefixes' are above it (up to n_nodes)
//   uint32 node2[65536]              the trie node of every 2-byte prefix (kNoNode if none)
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xxhash.h>

namespace tokcount::vocab {

using Rank = std::uint32_t;
inline constexpr Rank kNoRank = 0xFFFFFFFFu;

struct BlobHeader {
  char magic[8];            // "TOKCVOC6"
  std::uint32_t n_tokens;   // number of mergeable tokens
  std::uint32_t rank_limit; // max rank + 1
  std::uint32_t hash_bits;
  std::uint32_t bytes_size;
  std::uint32_t max_token_len;
  std::uint32_t short_bits;
  std::uint32_t pair_bits;  // 0: no pair table (ranks too large to pack)
  std::uint32_t trie_bits;  // 0: no backtracking tables (the vocabulary lacks their properties)
  std::uint32_t n_nodes;    // trie node ids in use (ids below rank_limit are tokens)
  std::uint32_t reserved;
};
static_assert(sizeof(BlobHeader) == 48);

// Trie slots pack (parent node << 8 | byte) in the high 32 bits, the child node in 24 bits.
inline constexpr std::uint32_t kTrieNodeMask = (1u << 24) - 1;
inline constexpr std::uint32_t kNoNode = 0xFFFFFFFFu;

// Pair-table slots pack (left rank, right rank, merged rank) in 21 bits each, plus a used bit.
inline constexpr unsigned kPairRankBits = 21;
inline constexpr std::uint64_t kPairRankMask = (std::uint64_t{1} << kPairRankBits) - 1;

inline constexpr std::size_t kMaxShortToken = 7;

struct ShortSlot {
  std::uint64_t key;  // packed bytes | length << 56; 0 = empty
  Rank rank;
  std::uint32_t pad;
};

struct Slot {
  Rank rank;           // kNoRank = empty
  std::uint32_t tag;   // high 32 bits of the hash: rejects most mismatches without touching bytes
};

class VocabTable {
 public:
  VocabTable() = default;
  // View a blob (built-in .rodata or an owned buffer). Throws tokcount::Error(kParseError)
  // when the blob is malformed.
  static VocabTable view(const std::uint8_t* blob, std::size_t size);
  // Build a blob from (bytes, rank) pairs. Throws kInvalidArgument on duplicate bytes or ranks,
  // empty tokens, or ranks too sparse to index directly.
  static std::vector<std::uint8_t> build_blob(const std::vector<std::pair<std::string, Rank>>& ranks);

  static std::uint64_t hash(const std::uint8_t* p, std::size_t n) noexcept {
    return XXH3_64bits(p, n);
  }

  // Packs 1..7 bytes and the length into one word, with overlapping loads instead of a
  // byte loop (bytes covered twice are equal, so OR-ing is exact).
  static std::uint64_t short_key(const std::uint8_t* p, std::size_t n) noexcept {
    std::uint64_t k;
    if (n >= 4) {
      std::uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      k = lo | (std::uint64_t{hi} << (8 * (n - 4)));
    } else if (n >= 2) {
      std::uint16_t lo, hi;
      std::memcpy(&lo, p, 2);
      std::memcpy(&hi, p + n - 2, 2);
      k = lo | (std::uint64_t{hi} << (8 * (n - 2)));
    } else {
      k = p[0];
    }
    return k | (std::uint64_t{n} << 56);
  }
  static std::size_t short_hash(std::uint64_t key, std::uint32_t bits) noexcept {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
  }

  // Rank of the byte string, or kNoRank.
  Rank find(const std::uint8_t* p, std::size_t n) const noexcept {
    if (n == 2) return pair2_[std::size_t{p[0]} << 8 | p[1]];
    if (n <= kMaxShortToken) {
      if (n == 0) return kNoRank;
      const std::uint64_t key = short_key(p, n);
      std::size_t i = short_hash(key, header_->short_bits);
      for (;;) {
        const ShortSlot& s = short_slots_[i];
        if (s.key == key) return s.rank;
        if (s.key == 0) return kNoRank;
        i = (i + 1) & short_mask_;
      }
    }
    if (n > header_->max_token_len) return kNoRank;
    const std::uint64_t h = hash(p, n);
    const std::uint32_t tag = static_cast<std::uint32_t>(h >> 32);
    std::size_t i = static_cast<std::size_t>(h) & mask_;
    for (;;) {
      const Slot s = slots_[i];
      if (s.rank == kNoRank) return kNoRank;
      if (s.tag == tag) {
        const std::uint32_t begin = offsets_[s.rank];
        if (offsets_[s.rank + 1] - begin == n && std::char_traits<char>::compare(
                reinterpret_cast<const char*>(bytes_ + begin), reinterpret_cast<const char*>(p), n) == 0)
          return s.rank;
      }
      i = (i + 1) & mask_;
    }
  }
  // Rank of the token whose bytes are token a's then token b's, or kNoRank; a and b are ranks
  // of this vocabulary. One probe of the pair table; without one (ranks too large to pack),
  // a lookup of the concatenated bytes.
  bool has_pair_table() const noexcept { return pairs_ != nullptr; }
  Rank merge_rank(Rank a, Rank b) const noexcept {
    if (pairs_ == nullptr) [[unlikely]] return merge_rank_by_bytes(a, b);
    const std::uint64_t key = std::uint64_t{a} << kPairRankBits | b;
    std::size_t i = pair_hash(key, header_->pair_bits);
    for (;;) {
      const std::uint64_t slot = pairs_[i];
      if ((slot >> (kPairRankBits + 1)) == key) return static_cast<Rank>((slot >> 1) & kPairRankMask);
      if (slot == 0) return kNoRank;
      i = (i + 1) & pair_mask_;
    }
  }
  Rank merge_rank_by_bytes(Rank a, Rank b) const noexcept;

  // ---- the backtracking encoder's tables (merge/backtrack.hpp) ----
  bool has_backtracking() const noexcept { return trie_ != nullptr; }
  Rank split_left(Rank r) const noexcept { return split_[2 * std::size_t{r}]; }    // kNoRank: a byte
  Rank split_right(Rank r) const noexcept { return split_[2 * std::size_t{r} + 1]; }
  Rank next_prefix(Rank r) const noexcept { return next_prefix_[r]; }
  // The trie: a token's node is its rank (so a single byte's node is byte_rank(b)).
  std::uint32_t trie_root() const noexcept { return header_->rank_limit; }
  static bool node_is_token(std::uint32_t node, std::uint32_t root) noexcept { return node < root; }
  // The node two bytes down, kNoNode if no token starts with them. Why: one load from a
  // 256 KiB table instead of a probe into the multi-megabyte edge table, on every walk (a
  // multi-byte character's first two bytes begin most walks over non-Latin text).
  std::uint32_t trie_node2(std::uint8_t b0, std::uint8_t b1) const noexcept {
    return node2_[std::size_t{b0} << 8 | b1];
  }
  // The child of `node` by `byte`, kNoNode if none.
  std::uint32_t trie_child(std::uint32_t node, std::uint8_t byte) const noexcept {
    const std::uint64_t key = std::uint64_t{node} << 8 | byte;
    std::size_t i = pair_hash(key, header_->trie_bits);
    for (;;) {
      const std::uint64_t slot = trie_[i];
      if ((slot >> 32) == key && slot != 0) return static_cast<std::uint32_t>(slot >> 1) & kTrieNodeMask;
      if (slot == 0) return kNoNode;
      i = (i + 1) & trie_mask_;
    }
  }
  std::size_t token_length(Rank r) const noexcept { return offsets_[r + 1] - offsets_[r]; }
  static std::size_t pair_hash(std::uint64_t key, std::uint32_t bits) noexcept {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
  }

  Rank find(std::string_view s) const noexcept {
    return find(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  }

  // Bytes of a mergeable rank; empty when the rank has no token (a gap, or out of range).
  std::string_view bytes_of(Rank r) const noexcept {
    if (r >= header_->rank_limit) return {};
    const std::uint32_t b = offsets_[r];
    return {reinterpret_cast<const char*>(bytes_ + b), offsets_[r + 1] - b};
  }
  bool contains(Rank r) const noexcept { return !bytes_of(r).empty(); }

  // Rank of each single byte (kNoRank if the vocabulary lacks it): the merge loop's seeds.
  Rank byte_rank(std::uint8_t b) const noexcept { return byte_ranks_[b]; }

  // Distinct per view (1, 2, ...): lets per-thread caches tell vocabularies apart.
  std::uint64_t id() const noexcept { return id_; }

  std::uint32_t n_tokens() const noexcept { return header_->n_tokens; }
  std::uint32_t rank_limit() const noexcept { return header_->rank_limit; }
  std::uint32_t max_token_len() const noexcept { return header_->max_token_len; }

 private:
  const BlobHeader* header_ = nullptr;
  std::uint64_t id_ = 0;
  const Rank* pair2_ = nullptr;
  const std::uint64_t* pairs_ = nullptr;
  const Rank* split_ = nullptr;
  const Rank* next_prefix_ = nullptr;
  const std::uint64_t* trie_ = nullptr;
  const std::uint32_t* node2_ = nullptr;
  std::size_t trie_mask_ = 0;
  std::size_t pair_mask_ = 0;
  const ShortSlot* short_slots_ = nullptr;
  std::size_t short_mask_ = 0;
  const std::uint32_t* offsets_ = nullptr;
  const Slot* slots_ = nullptr;
  const std::uint8_t* bytes_ = nullptr;
  std::size_t mask_ = 0;
  Rank byte_ranks_[256] = {};
};

// Parse the .tiktoken format: one "base64(bytes) SP rank" per line, blank lines skipped
// (tiktoken/load.py load_tiktoken_bpe). Later duplicates of the same bytes win, as in the
// Python dict tiktoken builds. Throws tokcount::Error(kParseError) naming the line.
std::vector<std::pair<std::string, Rank>> parse_tiktoken(std::string_view contents);

}  // namespace tokcount::vocab
