// Vocabulary table: token bytes <-> rank, in one flat, position-independent blob.
//
// Why a blob: the same bytes serve as the compiled-in table of a built-in encoding (generated
// at build time by tools/gen_vocab_tables, linked into .rodata, used in place: no parsing, no
// allocation, pages touched only on use) and as the in-memory table of a custom encoding
// (built at run time by the same builder). One layout, one lookup path.
//
// Layout (little-endian, all fields 4-byte aligned):
//   BlobHeader
//   uint32 offsets[rank_limit + 1]   token r = bytes[offsets[r], offsets[r+1]); empty = no token
//   Slot   slots[1 << hash_bits]     open addressing, linear probing, keyed by XXH3-64 of bytes
//   uint8  bytes[bytes_size]
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xxhash.h>

namespace tokcount::vocab {

using Rank = std::uint32_t;
inline constexpr Rank kNoRank = 0xFFFFFFFFu;

struct BlobHeader {
  char magic[8];            // "TOKCVOC1"
  std::uint32_t n_tokens;   // number of mergeable tokens
  std::uint32_t rank_limit; // max rank + 1
  std::uint32_t hash_bits;
  std::uint32_t bytes_size;
  std::uint32_t max_token_len;
  std::uint32_t reserved;
};
static_assert(sizeof(BlobHeader) == 32);

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

  // Rank of the byte string, or kNoRank.
  Rank find(const std::uint8_t* p, std::size_t n) const noexcept {
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

  std::uint32_t n_tokens() const noexcept { return header_->n_tokens; }
  std::uint32_t rank_limit() const noexcept { return header_->rank_limit; }
  std::uint32_t max_token_len() const noexcept { return header_->max_token_len; }

 private:
  const BlobHeader* header_ = nullptr;
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
