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

constexpr char kMagic[8] = {'T', 'O', 'K', 'C', 'V', 'O', 'C', '6'};
constexpr std::size_t kPair2Entries = 65536;

std::size_t align8(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

// Smallest power-of-two table with load factor <= max_load_pct percent.
std::uint32_t table_bits(std::size_t entries, std::size_t max_load_pct) {
  std::uint32_t bits = 4;
  while ((std::size_t{1} << bits) * max_load_pct < entries * 100 + 1) ++bits;
  return bits;
}

// The backtracking encoder's tables (see merge/backtrack.hpp for how they are used).
struct BacktrackTables {
  bool ok = false;                 // false: the vocabulary lacks the properties the encoder needs
  std::vector<Rank> split;         // per rank: left, right of the merge that makes it (kNoRank: a byte)
  std::vector<Rank> next_prefix;   // per rank: the longest token that is a proper prefix of it
  std::uint32_t node_ids = 0;      // trie node ids in use: [0, rank_limit] tokens and the root, then inner nodes
  std::vector<std::uint64_t> edges;  // (parent node << 8 | byte) << 32 | child << 1 | 1
  std::vector<std::uint32_t> node2 = std::vector<std::uint32_t>(kPair2Entries, kNoNode);  // b0 << 8 | b1 -> node
};

// tiktoken's merge of one token's own bytes through the finished lookup tables, remembering
// the last merge: the split BPE itself makes. Returns false if the bytes do not merge back into
// the one token. `part` and `pair` are scratch.
bool last_merge(const VocabTable& v, std::string_view token, std::vector<Rank>& part, std::vector<Rank>& pair,
                Rank& left, Rank& right) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(token.data());
  part.clear();
  pair.clear();
  for (std::size_t i = 0; i < token.size(); ++i) part.push_back(v.byte_rank(p[i]));
  for (std::size_t i = 0; i + 1 < token.size(); ++i) pair.push_back(v.find(p + i, 2));
  if (std::find(part.begin(), part.end(), kNoRank) != part.end()) return false;
  while (part.size() > 1) {
    const auto best = std::min_element(pair.begin(), pair.end());  // leftmost minimum
    if (*best == kNoRank) return false;
    const std::size_t at = static_cast<std::size_t>(best - pair.begin());
    if (part.size() == 2) {
      left = part[0];
      right = part[1];
    }
    part[at] = *best;
    part.erase(part.begin() + static_cast<std::ptrdiff_t>(at) + 1);
    pair.erase(pair.begin() + static_cast<std::ptrdiff_t>(at));
    if (at < pair.size()) pair[at] = v.merge_rank(part[at], part[at + 1]);
    if (at > 0) pair[at - 1] = v.merge_rank(part[at - 1], part[at]);
  }
  return true;
}

// The encoder needs, for every token: that BPE turns its bytes back into it (so it has a
// split), and that both halves of that split are older (lower rank) than it, or bytes. Every
// tiktoken vocabulary has both properties; a custom one without them keeps the heap loop.
BacktrackTables backtrack_tables(const VocabTable& v) {
  BacktrackTables bt;
  const std::size_t limit = v.rank_limit();
  bt.split.assign(2 * limit, kNoRank);
  bt.next_prefix.assign(limit, kNoRank);
  std::vector<Rank> part, pair;
  for (std::size_t r = 0; r < limit; ++r) {
    const std::string_view tok = v.bytes_of(static_cast<Rank>(r));
    if (tok.size() < 2) continue;
    Rank left = kNoRank, right = kNoRank;
    if (!last_merge(v, tok, part, pair, left, right)) return {};
    auto older = [&](Rank half) { return v.token_length(half) == 1 || half < r; };
    if (!older(left) || !older(right)) return {};
    bt.split[2 * r] = left;
    bt.split[2 * r + 1] = right;
  }
  // The trie of all tokens, for the leftmost-longest match, built in rank order (deterministic).
  // Node ids: the node a token's bytes lead to is the token's rank, the root is rank_limit, and
  // prefixes that are not tokens count up from there. Why: "which token ends here" is then a
  // comparison, not a load from a per-node array (a cache miss per trie step on long pieces).
  const std::uint32_t root = static_cast<std::uint32_t>(limit);
  if (limit > kTrieNodeMask) return {};
  std::uint32_t next_inner = root + 1;
  absl::flat_hash_map<std::uint32_t, std::uint32_t> child;  // parent << 8 | byte -> node
  for (std::size_t r = 0; r < limit; ++r) {
    const std::string_view tok = v.bytes_of(static_cast<Rank>(r));
    if (tok.empty()) continue;
    const auto* p = reinterpret_cast<const std::uint8_t*>(tok.data());
    std::uint32_t node = root;
    for (std::size_t i = 0; i < tok.size(); ++i) {
      const std::uint32_t key = node << 8 | p[i];
      auto it = child.find(key);
      if (it == child.end()) {
        const Rank prefix_rank = i + 1 == tok.size() ? static_cast<Rank>(r) : v.find(p, i + 1);
        const std::uint32_t id = prefix_rank != kNoRank ? prefix_rank : next_inner++;
        if (id > kTrieNodeMask) return {};
        it = child.emplace(key, id).first;
        bt.edges.push_back(std::uint64_t{key} << 32 | std::uint64_t{id} << 1 | 1);
      }
      node = it->second;
      if (i == 1) bt.node2[std::size_t{p[0]} << 8 | p[1]] = node;
      // Each token's longest proper prefix that is a token: the last token node on its path.
      if (i + 1 < tok.size() && node < root) bt.next_prefix[r] = node;
    }
  }
  bt.node_ids = next_inner;
  bt.ok = true;
  return bt;
}

// Where each section of a blob starts: computed from the header alone, by view() and by
// build_blob() alike, so the two can never disagree.
struct Layout {
  std::size_t n_pairs, n_short, n_slots, n_offsets, n_trie;
  std::size_t pair2_at, pairs_at, short_at, slots_at, offsets_at, bytes_at;
  std::size_t split_at, next_prefix_at, trie_at, node2_at, end;
  explicit Layout(const BlobHeader& h) {
    n_pairs = h.pair_bits == 0 ? 0 : std::size_t{1} << h.pair_bits;
    n_short = std::size_t{1} << h.short_bits;
    n_slots = std::size_t{1} << h.hash_bits;
    n_offsets = std::size_t{h.rank_limit} + 1;
    n_trie = h.trie_bits == 0 ? 0 : std::size_t{1} << h.trie_bits;
    pair2_at = sizeof(BlobHeader);
    pairs_at = pair2_at + sizeof(Rank) * kPair2Entries;
    short_at = pairs_at + sizeof(std::uint64_t) * n_pairs;
    slots_at = short_at + sizeof(ShortSlot) * n_short;
    offsets_at = slots_at + sizeof(Slot) * n_slots;
    bytes_at = offsets_at + 4 * n_offsets;
    // The backtracking encoder's sections (empty when trie_bits == 0).
    const bool bt = h.trie_bits != 0;
    split_at = align8(bytes_at + h.bytes_size);
    next_prefix_at = split_at + (bt ? 8 * std::size_t{h.rank_limit} : 0);  // two ranks per rank
    trie_at = align8(next_prefix_at + (bt ? 4 * std::size_t{h.rank_limit} : 0));
    node2_at = trie_at + 8 * n_trie;
    end = node2_at + (bt ? sizeof(std::uint32_t) * kPair2Entries : 0);
  }
};

}  // namespace

VocabTable VocabTable::view(const std::uint8_t* blob, std::size_t size) {
  auto fail = [](const char* why) {
    return Error(ErrorCode::kParseError, absl::StrCat("malformed vocabulary table: ", why));
  };
  if (blob == nullptr || size < sizeof(BlobHeader)) throw fail("too small");
  VocabTable t;
  t.header_ = reinterpret_cast<const BlobHeader*>(blob);
  if (std::memcmp(t.header_->magic, kMagic, sizeof kMagic) != 0) throw fail("bad magic");
  if (t.header_->hash_bits > 30 || t.header_->short_bits > 30 || t.header_->short_bits < 4 ||
      t.header_->pair_bits > 30 || (t.header_->pair_bits != 0 && t.header_->rank_limit > kPairRankMask))
    throw fail("bad hash size");
  if (t.header_->trie_bits > 30 || t.header_->n_nodes > kTrieNodeMask + 1 ||
      (t.header_->trie_bits != 0 && t.header_->rank_limit >= t.header_->n_nodes))
    throw fail("bad trie size");
  const Layout L(*t.header_);
  if (size < L.end) throw fail("truncated");
  t.pair2_ = reinterpret_cast<const Rank*>(blob + L.pair2_at);
  if (L.n_pairs != 0) {
    t.pairs_ = reinterpret_cast<const std::uint64_t*>(blob + L.pairs_at);
    t.pair_mask_ = L.n_pairs - 1;
  }
  t.short_slots_ = reinterpret_cast<const ShortSlot*>(blob + L.short_at);
  t.short_mask_ = L.n_short - 1;
  t.slots_ = reinterpret_cast<const Slot*>(blob + L.slots_at);
  t.offsets_ = reinterpret_cast<const std::uint32_t*>(blob + L.offsets_at);
  t.bytes_ = blob + L.bytes_at;
  t.mask_ = L.n_slots - 1;
  if (L.n_trie != 0) {
    t.split_ = reinterpret_cast<const Rank*>(blob + L.split_at);
    t.next_prefix_ = reinterpret_cast<const Rank*>(blob + L.next_prefix_at);
    t.trie_ = reinterpret_cast<const std::uint64_t*>(blob + L.trie_at);
    t.trie_mask_ = L.n_trie - 1;
    t.node2_ = reinterpret_cast<const std::uint32_t*>(blob + L.node2_at);
  }
  static std::atomic<std::uint64_t> next_id{1};
  t.id_ = next_id.fetch_add(1, std::memory_order_relaxed);
  if (t.offsets_[t.header_->rank_limit] != t.header_->bytes_size) throw fail("offsets do not cover bytes");
  for (int b = 0; b < 256; ++b) {
    const std::uint8_t byte = static_cast<std::uint8_t>(b);
    t.byte_ranks_[b] = t.find(&byte, 1);
  }
  return t;
}

Rank VocabTable::merge_rank_by_bytes(Rank a, Rank b) const noexcept {
  const std::string_view x = bytes_of(a), y = bytes_of(b);
  if (x.size() + y.size() > header_->max_token_len) return kNoRank;
  thread_local std::string joined;
  joined.assign(x);
  joined.append(y);
  return find(joined);
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

  // The pair table: every split of every token into two tokens. Built only when ranks fit its
  // packing (they do for every tiktoken vocabulary: o200k's largest is 200018 < 2^21).
  std::vector<std::uint64_t> pair_entries;
  if (rank_limit <= kPairRankMask) {
    for (const auto& [bytes, rank] : ranks) {
      const std::string_view t(bytes);
      for (std::size_t k = 1; k < t.size(); ++k) {
        const auto left = by_bytes.find(t.substr(0, k));
        if (left == by_bytes.end()) continue;
        const auto right = by_bytes.find(t.substr(k));
        if (right == by_bytes.end()) continue;
        pair_entries.push_back((std::uint64_t{left->second} << kPairRankBits | right->second) << (kPairRankBits + 1) |
                               std::uint64_t{rank} << 1 | 1);
      }
    }
    std::sort(pair_entries.begin(), pair_entries.end());  // deterministic blob
  }
  // Load <= 50%: every merge step probes this table twice.
  const std::uint32_t pair_bits = rank_limit <= kPairRankMask ? table_bits(pair_entries.size(), 50) : 0;

  BlobHeader header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.n_tokens = static_cast<std::uint32_t>(ranks.size());
  header.rank_limit = static_cast<std::uint32_t>(rank_limit);
  header.hash_bits = hash_bits;
  header.bytes_size = static_cast<std::uint32_t>(total_bytes);
  header.max_token_len = static_cast<std::uint32_t>(max_len);
  header.short_bits = short_bits;
  header.pair_bits = pair_bits;
  const Layout L(header);
  const std::size_t n_pairs = L.n_pairs, n_short = L.n_short, n_slots = L.n_slots;
  std::vector<std::uint8_t> blob(L.end, 0);
  std::memcpy(blob.data(), &header, sizeof header);
  const std::size_t pair2_at = L.pair2_at, pairs_at = L.pairs_at, short_at = L.short_at, slots_at = L.slots_at,
                    offsets_at = L.offsets_at, bytes_at = L.bytes_at;
  auto* pairs = reinterpret_cast<std::uint64_t*>(blob.data() + pairs_at);
  for (const std::uint64_t entry : pair_entries) {
    std::size_t i = pair_hash(entry >> (kPairRankBits + 1), pair_bits);
    while (pairs[i] != 0) i = (i + 1) & (n_pairs - 1);
    pairs[i] = entry;
  }

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
  // Second phase: the backtracking encoder's tables, computed with the finished lookup tables
  // of the first (every token re-merged through the pair table), then appended.
  const BacktrackTables bt = backtrack_tables(view(blob.data(), blob.size()));
  if (!bt.ok) return blob;
  header.trie_bits = table_bits(bt.edges.size(), 50);
  header.n_nodes = bt.node_ids;
  const Layout full(header);
  blob.resize(full.end, 0);
  std::memcpy(blob.data(), &header, sizeof header);
  // An empty vocabulary has empty tables, whose data() may be null: memcpy(dst, nullptr, 0) is
  // undefined behaviour (UBSan, found by fuzz_custom_encoding).
  const auto copy_ranks = [&](std::size_t at, const std::vector<Rank>& v) {
    if (!v.empty()) std::memcpy(blob.data() + at, v.data(), v.size() * sizeof(Rank));
  };
  copy_ranks(full.split_at, bt.split);
  copy_ranks(full.next_prefix_at, bt.next_prefix);
  std::memcpy(blob.data() + full.node2_at, bt.node2.data(), bt.node2.size() * sizeof(std::uint32_t));
  auto* trie = reinterpret_cast<std::uint64_t*>(blob.data() + full.trie_at);
  for (const std::uint64_t edge : bt.edges) {
    std::size_t i = pair_hash(edge >> 32, header.trie_bits);
    while (trie[i] != 0) i = (i + 1) & (full.n_trie - 1);
    trie[i] = edge;
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
