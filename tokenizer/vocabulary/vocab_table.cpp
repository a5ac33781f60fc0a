#include "vocabulary/vocab_table.hpp"

#include <absl/container/flat_hash_map.h>
#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "tokcount/tokcount.hpp"

namespace tokcount::vocab {
namespace {

constexpr char kMagic[8] = {'T', 'O', 'K', 'C', 'V', 'O', 'C', '3'};
constexpr std::size_t kPair2Entries = 65536;

std::size_t align8(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

// Smallest power-of-two table with load factor <= max_load_pct percent.
std::uint32_t table_bits(std::size_t entries, std::size_t max_load_pct) {
  std::uint32_t bits = 4;
  while ((std::size_t{1} << bits) * max_load_pct < entries * 100 + 1) ++bits;
  return bits;
}

}  // namespace

VocabTable VocabTable::view(const std::uint8_t* blob, std::size_t size) {
  auto fail = [](const char* why) {
    return Error(ErrorCode::kParseError, absl::StrCat("malformed vocabulary table: ", why));
  };
  if (blob == nullptr || size < sizeof(BlobHeader)) throw fail("too small");
  VocabTable t;
  t.header_ = reinterpret_cast<const BlobHeader*>(blob);
  if (std::memcmp(t.header_->magic, kMagic, sizeof kMagic) != 0) throw fail("bad magic");
  if (t.header_->hash_bits > 30 || t.header_->short_bits > 30 || t.header_->short_bits < 4)
    throw fail("bad hash size");
  const std::size_t n_offsets = std::size_t{t.header_->rank_limit} + 1;
  const std::size_t n_short = std::size_t{1} << t.header_->short_bits;
  const std::size_t n_slots = std::size_t{1} << t.header_->hash_bits;
  const std::size_t pair2_at = sizeof(BlobHeader);
  const std::size_t short_at = pair2_at + sizeof(Rank) * kPair2Entries;
  const std::size_t slots_at = short_at + sizeof(ShortSlot) * n_short;
  const std::size_t offsets_at = slots_at + sizeof(Slot) * n_slots;
  const std::size_t bytes_at = offsets_at + 4 * n_offsets;
  if (size < bytes_at + t.header_->bytes_size) throw fail("truncated");
  t.pair2_ = reinterpret_cast<const Rank*>(blob + pair2_at);
  t.short_slots_ = reinterpret_cast<const ShortSlot*>(blob + short_at);
  t.short_mask_ = n_short - 1;
  t.slots_ = reinterpret_cast<const Slot*>(blob + slots_at);
  t.offsets_ = reinterpret_cast<const std::uint32_t*>(blob + offsets_at);
  t.bytes_ = blob + bytes_at;
  t.mask_ = n_slots - 1;
  static std::atomic<std::uint64_t> next_id{1};
  t.id_ = next_id.fetch_add(1, std::memory_order_relaxed);
  if (t.offsets_[t.header_->rank_limit] != t.header_->bytes_size) throw fail("offsets do not cover bytes");
  for (int b = 0; b < 256; ++b) {
    const std::uint8_t byte = static_cast<std::uint8_t>(b);
    t.byte_ranks_[b] = t.find(&byte, 1);
  }
  return t;
}

std::vector<std::uint8_t> VocabTable::build_blob(const std::vector<std::pair<std::string, Rank>>& ranks) {
  Rank max_rank = 0;
  std::size_t total_bytes = 0, max_len = 0;
  absl::flat_hash_map<std::string_view, Rank> by_bytes;
  by_bytes.reserve(ranks.size());
  for (const auto& [bytes, rank] : ranks) {
    if (bytes.empty()) throw Error(ErrorCode::kInvalidArgument, "a mergeable token has empty bytes");
    if (rank == kNoRank) throw Error(ErrorCode::kInvalidArgument, "rank 4294967295 is reserved");
    if (!by_bytes.emplace(bytes, rank).second)
      throw Error(ErrorCode::kInvalidArgument, "duplicate token bytes in mergeable ranks");
    max_rank = std::max(max_rank, rank);
    total_bytes += bytes.size();
    max_len = std::max(max_len, bytes.size());
  }
  const std::size_t rank_limit = ranks.empty() ? 0 : std::size_t{max_rank} + 1;
  // Ranks index the offsets array directly; refuse vocabularies so sparse that it would waste
  // more than it holds (tiktoken ranks are dense: 0..n-1 with at most a few gaps).
  if (rank_limit > 4 * ranks.size() + 65536)
    throw Error(ErrorCode::kInvalidArgument,
                absl::StrCat("mergeable ranks are too sparse: max rank ", max_rank, " for ", ranks.size(), " tokens"));
  if (total_bytes >= 0xFFFFFFFFu) throw Error(ErrorCode::kInputTooLarge, "vocabulary bytes exceed 4 GiB");

  std::vector<const std::string*> by_rank(rank_limit, nullptr);
  for (const auto& [bytes, rank] : ranks) {
    if (by_rank[rank] != nullptr)
      throw Error(ErrorCode::kInvalidArgument,
                  absl::StrCat("duplicate rank ", rank, " in mergeable ranks"));
    by_rank[rank] = &bytes;
  }

  std::size_t n_short_tokens = 0;
  // 2-byte tokens live in pair2 only.
  for (const auto& [bytes, rank] : ranks) n_short_tokens += bytes.size() <= kMaxShortToken && bytes.size() != 2;
  // The inline-key table is probed on every piece: keep it dense enough to stay cache-friendly
  // (load <= 75%; a probe compares one word per slot). The long table stays sparse (<= 50%)
  // because each extra probe there can cost a memcmp.
  const std::uint32_t short_bits = table_bits(n_short_tokens, 75);
  const std::uint32_t hash_bits = table_bits(ranks.size() - n_short_tokens, 50);
  const std::size_t n_short = std::size_t{1} << short_bits;
  const std::size_t n_slots = std::size_t{1} << hash_bits;

  const std::size_t pair2_at = sizeof(BlobHeader);
  const std::size_t short_at = pair2_at + sizeof(Rank) * kPair2Entries;
  const std::size_t slots_at = short_at + sizeof(ShortSlot) * n_short;
  const std::size_t offsets_at = slots_at + sizeof(Slot) * n_slots;
  const std::size_t bytes_at = offsets_at + 4 * (rank_limit + 1);
  std::vector<std::uint8_t> blob(align8(bytes_at + total_bytes), 0);

  BlobHeader header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.n_tokens = static_cast<std::uint32_t>(ranks.size());
  header.rank_limit = static_cast<std::uint32_t>(rank_limit);
  header.hash_bits = hash_bits;
  header.bytes_size = static_cast<std::uint32_t>(total_bytes);
  header.max_token_len = static_cast<std::uint32_t>(max_len);
  header.short_bits = short_bits;
  std::memcpy(blob.data(), &header, sizeof header);

  auto* pair2 = reinterpret_cast<Rank*>(blob.data() + pair2_at);
  std::fill_n(pair2, kPair2Entries, kNoRank);
  auto* short_slots = reinterpret_cast<ShortSlot*>(blob.data() + short_at);
  auto* offsets = reinterpret_cast<std::uint32_t*>(blob.data() + offsets_at);
  auto* slots = reinterpret_cast<Slot*>(blob.data() + slots_at);
  std::uint8_t* bytes = blob.data() + bytes_at;
  std::uint32_t pos = 0;
  for (std::size_t r = 0; r < rank_limit; ++r) {
    offsets[r] = pos;
    if (by_rank[r] != nullptr) {
      std::memcpy(bytes + pos, by_rank[r]->data(), by_rank[r]->size());
      pos += static_cast<std::uint32_t>(by_rank[r]->size());
    }
  }
  offsets[rank_limit] = pos;
  for (std::size_t i = 0; i < n_slots; ++i) slots[i] = Slot{kNoRank, 0};
  // Insert in rank order so the table (and the generated blob) is deterministic.
  for (std::size_t r = 0; r < rank_limit; ++r) {
    if (by_rank[r] == nullptr) continue;
    const auto* p = reinterpret_cast<const std::uint8_t*>(by_rank[r]->data());
    if (by_rank[r]->size() == 2) {
      pair2[std::size_t{p[0]} << 8 | p[1]] = static_cast<Rank>(r);
      continue;
    }
    if (by_rank[r]->size() <= kMaxShortToken) {
      const std::uint64_t key = short_key(p, by_rank[r]->size());
      std::size_t i = short_hash(key, short_bits);
      while (short_slots[i].key != 0) i = (i + 1) & (n_short - 1);
      short_slots[i] = ShortSlot{key, static_cast<Rank>(r), 0};
      continue;
    }
    const std::uint64_t h = hash(p, by_rank[r]->size());
    std::size_t i = static_cast<std::size_t>(h) & (n_slots - 1);
    while (slots[i].rank != kNoRank) i = (i + 1) & (n_slots - 1);
    slots[i] = Slot{static_cast<Rank>(r), static_cast<std::uint32_t>(h >> 32)};
  }
  return blob;
}

std::vector<std::pair<std::string, Rank>> parse_tiktoken(std::string_view contents) {
  std::vector<std::pair<std::string, Rank>> out;
  absl::flat_hash_map<std::string, std::size_t> index;
  std::size_t line_no = 0;
  while (!contents.empty()) {
    ++line_no;
    std::size_t eol = contents.find('\n');
    std::string_view line = contents.substr(0, eol);
    contents.remove_prefix(eol == std::string_view::npos ? contents.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const std::size_t sp = line.find(' ');
    auto bad = [&](const char* why) {
      return Error(ErrorCode::kParseError, absl::StrCat(".tiktoken line ", line_no, ": ", why));
    };
    if (sp == std::string_view::npos || line.find(' ', sp + 1) != std::string_view::npos)
      throw bad("expected '<base64> <rank>'");
    std::string bytes;
    if (!absl::Base64Unescape(absl::string_view(line.data(), sp), &bytes)) throw bad("invalid base64");
    const std::string_view rank_text = line.substr(sp + 1);
    std::uint64_t rank = 0;
    if (rank_text.empty() || rank_text.size() > 10) throw bad("invalid rank");
    for (char c : rank_text) {
      if (c < '0' || c > '9') throw bad("invalid rank");
      rank = rank * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (rank >= kNoRank) throw bad("rank out of range");
    auto [it, inserted] = index.emplace(bytes, out.size());
    if (inserted) {
      out.emplace_back(std::move(bytes), static_cast<Rank>(rank));
    } else {
      out[it->second].second = static_cast<Rank>(rank);
    }
  }
  return out;
}

}  // namespace tokcount::vocab
