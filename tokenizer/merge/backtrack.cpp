#include "merge/backtrack.hpp"

#include <limits>

#include "merge/bpe_merge.hpp"

namespace tokcount::merge {

using vocab::kNoRank;
using vocab::Rank;
using vocab::VocabTable;

// Think of BPE on bytes(a) + bytes(b) as running in time order, a merge of rank r at time r
// (bytes exist from the start). Without a merge across the boundary, the left side builds a
// and the right side builds b; the boundary sits between the newest part on the right edge of
// a's merge tree and the newest part on the left edge of b's. A boundary pair (x, y) merges
// into c = merge_rank(x, y) if c comes before the pair breaks up, i.e. before the merge that
// makes x's parent (a tie goes to that merge: it is further left) and no later than the merge
// that makes y's parent (a tie goes to the boundary pair, which is further left). Walking from
// (a, b) back in time, undoing the newer of the two merges each step, visits every boundary
// pair; `limit` is the time the current pair breaks up.
bool compatible(const VocabTable& v, Rank a, Rank b) noexcept {
  std::uint64_t limit = std::numeric_limits<std::uint64_t>::max();
  for (;;) {
    const Rank c = v.merge_rank(a, b);
    if (c != kNoRank && c < limit) return false;
    const Rank a_left = v.split_left(a), b_left = v.split_left(b);
    const bool a_byte = a_left == kNoRank, b_byte = b_left == kNoRank;
    if (a_byte && b_byte) return true;
    // The newer merge: bytes are oldest; on equal ranks (the same token on both sides) the
    // right one was made later (ties merge leftmost first).
    if (b_byte || (!a_byte && a > b)) {
      limit = a;
      a = v.split_right(a);
    } else {
      limit = std::uint64_t{b} + 1;
      b = b_left;
    }
  }
}

namespace {

// The longest token at p[0, n), through the trie. p[0] must be a token (merge_backtrack
// checks every byte first); the walk starts two levels down, from the node2 table.
inline Rank longest_token(const VocabTable& v, const std::uint8_t* p, std::size_t n) noexcept {
  const std::uint32_t root = v.trie_root();
  Rank best = v.byte_rank(p[0]);
  if (n < 2) return best;
  std::uint32_t node = v.trie_node2(p[0], p[1]);
  if (node == vocab::kNoNode) return best;
  if (VocabTable::node_is_token(node, root)) best = node;
  for (std::size_t i = 2; i < n; ++i) {
    node = v.trie_child(node, p[i]);
    if (node == vocab::kNoNode) break;
    if (VocabTable::node_is_token(node, root)) best = node;
  }
  return best;
}

// compatible()'s recent verdicts, per thread. Why: text repeats its token pairs (a Chinese
// character beside its usual neighbours, the same letters again and again), while a verdict is
// a walk of several probes into multi-megabyte tables (a cache miss each on long pieces); a hit
// here is one load from a 128 KiB table. Exact: an entry holds the whole pair and the epoch of
// the vocabulary it was computed for (a new epoch whenever the thread switches vocabulary),
// so a verdict is only ever reused for the same pair of the same vocabulary.
// Entry: epoch (27 bits) | a (18) | b (18) | verdict (1); 0 = empty. Ranks must fit 18 bits
// (every built-in vocabulary does; larger custom ones bypass it).
class PairVerdicts {
 public:
  static constexpr unsigned kRankBits = 18;

  bool compatible(const VocabTable& v, Rank a, Rank b) noexcept {
    if (v.id() != vocab_id_) switch_to(v);
    if (!usable_) return merge::compatible(v, a, b);
    const std::uint64_t pair = std::uint64_t{a} << kRankBits | b;
    const std::uint64_t tag = (epoch_ << (2 * kRankBits) | pair) << 1;
    std::uint64_t& slot = slots_[static_cast<std::size_t>((pair * 0x9E3779B97F4A7C15ull) >> (64 - kBits))];
    if ((slot & ~std::uint64_t{1}) == tag) return slot & 1;
    const bool ok = merge::compatible(v, a, b);
    slot = tag | ok;
    return ok;
  }

 private:
  static constexpr unsigned kBits = 14;  // 16384 entries x 8 B = 128 KiB
  static constexpr std::uint64_t kEpochLimit = std::uint64_t{1} << (63 - 2 * kRankBits);

  void switch_to(const VocabTable& v) noexcept {
    vocab_id_ = v.id();
    usable_ = v.rank_limit() <= (Rank{1} << kRankBits);
    if (++epoch_ == kEpochLimit) {  // epochs exhausted: forget everything, start again at 1
      slots_.assign(slots_.size(), 0);
      epoch_ = 1;
    }
  }

  std::vector<std::uint64_t> slots_ = std::vector<std::uint64_t>(std::size_t{1} << kBits, 0);
  std::uint64_t vocab_id_ = 0;
  std::uint64_t epoch_ = 0;  // 0 is never used by an entry: empty slots never match
  bool usable_ = false;
};

struct Scratch {
  std::vector<std::uint64_t> dead;  // bit i: no encoding of the text continues from position i
  std::vector<Rank> stack;
  PairVerdicts verdicts;
};

}  // namespace

void merge_backtrack(const VocabTable& v, const std::uint8_t* p, std::size_t n, std::vector<Rank>& out) {
  for (std::size_t i = 0; i < n; ++i) byte_token(v, p[i]);  // every byte must be a token (else throws)
  Scratch& s = thread_scratch<Scratch, Scratch>();
  s.dead.assign(n / 64 + 1, 0);
  s.stack.clear();
  auto is_dead = [&](std::size_t i) { return (s.dead[i / 64] >> (i % 64)) & 1; };
  std::size_t pos = 0;
  Rank next = longest_token(v, p, n);
  while (pos < n) {
    const std::size_t end = pos + v.token_length(next);
    if (!is_dead(end) && (s.stack.empty() || s.verdicts.compatible(v, s.stack.back(), next))) {
      s.stack.push_back(next);
      pos = end;
      if (pos < n) next = longest_token(v, p + pos, n - pos);
      continue;
    }
    next = v.next_prefix(next);
    while (next == kNoRank) {
      // Nothing starting here fits after the previous token: this position is a dead end for
      // the (unique) valid encoding of the text before it. Retry the previous token shorter.
      s.dead[pos / 64] |= std::uint64_t{1} << (pos % 64);
      if (s.stack.empty()) [[unlikely]] {
        // Cannot happen for a vocabulary with the properties VocabTable checked (the valid
        // encoding's first token never leads to a dead end). Should it, the heap loop is exact.
        merge_long(v, p, n, out);
        return;
      }
      const Rank last = s.stack.back();
      s.stack.pop_back();
      pos -= v.token_length(last);
      next = v.next_prefix(last);
    }
  }
  out.insert(out.end(), s.stack.begin(), s.stack.end());
}

}  // namespace tokcount::merge
