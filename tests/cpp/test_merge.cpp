// The merge loops must agree on every piece (short: tiktoken's linear scan; long: heap; backtracking),
// and the piece memo must give back exactly what they produce.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "merge/bpe_merge.hpp"
#include "vocabulary/builtin_vocab.hpp"

using tokcount::Rank;
using tokcount::merge::merge_long;
using tokcount::merge::merge_short;
using tokcount::vocab::BuiltinVocab;
using tokcount::vocab::builtin_table;

namespace {

std::vector<Rank> short_loop(const tokcount::vocab::VocabTable& v, const std::string& s) {
  std::vector<Rank> out;
  merge_short(v, reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), [&](Rank r) { out.push_back(r); });
  return out;
}

std::vector<Rank> backtrack(const tokcount::vocab::VocabTable& v, const std::string& s) {
  std::vector<Rank> out;
  tokcount::merge::merge_backtrack(v, reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), out);
  return out;
}

std::vector<Rank> heap_loop(const tokcount::vocab::VocabTable& v, const std::string& s) {
  std::vector<Rank> out;
  merge_long(v, reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), out);
  return out;
}

}  // namespace

TEST(Merge, ShortAndHeapLoopsAgree) {
  std::mt19937 rng(42);
  const std::string alphabets[] = {"ab", "aaab", "etaoin shrdlu", "0123456789", "!?.,;:-", "\xE4\xB8\xAD\xE6\x96\x87",
                                   "thequickbrownfox"};
  int compared = 0;
  for (BuiltinVocab which : {BuiltinVocab::kR50k, BuiltinVocab::kCl100k, BuiltinVocab::kO200k}) {
    const auto& v = builtin_table(which);
    for (int iter = 0; iter < 400; ++iter) {
      const std::string& alpha = alphabets[iter % std::size(alphabets)];
      const std::size_t len = 2 + rng() % (tokcount::merge::kHeapThreshold - 3);
      std::string s;
      while (s.size() < len) s += alpha[rng() % alpha.size()];
      s.resize(len);
      const auto a = short_loop(v, s);
      const auto b = heap_loop(v, s);
      ASSERT_EQ(a, b) << "piece: " << s;
      std::string joined;
      for (Rank r : a) joined += v.bytes_of(r);
      ASSERT_EQ(joined, s);
      ++compared;
    }
  }
  EXPECT_EQ(compared, 1200);
}

TEST(Merge, KnownMergeOrder) {
  // "aaaa" in cl100k: "aa" pairs tie; the leftmost merges first, then "aaaa" is one token.
  const auto& v = builtin_table(BuiltinVocab::kCl100k);
  const auto t = short_loop(v, "aaaa");
  EXPECT_EQ(t, heap_loop(v, "aaaa"));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(v.bytes_of(t[0]), "aaaa");
}

TEST(VocabTable, LookupAndBytesAgree) {
  const auto& v = builtin_table(BuiltinVocab::kO200k);
  EXPECT_EQ(v.n_tokens(), 199998u);
  for (Rank r = 0; r < v.rank_limit(); r += 997) {
    const auto b = v.bytes_of(r);
    ASSERT_FALSE(b.empty());
    EXPECT_EQ(v.find(b), r);
  }
  for (int b = 0; b < 256; ++b) EXPECT_NE(v.byte_rank(static_cast<std::uint8_t>(b)), tokcount::vocab::kNoRank);
  EXPECT_EQ(v.find("this is surely not one token"), tokcount::vocab::kNoRank);
  // p50k has a gap at 50256 (the <|endoftext|> id).
  const auto& p = builtin_table(BuiltinVocab::kP50k);
  EXPECT_TRUE(p.bytes_of(50256).empty());
  EXPECT_FALSE(p.bytes_of(50257).empty());
}

TEST(VocabTable, TrieNodesOfTokensAreTheirRanks) {
  // The backtracking encoder reads "a token ends here" off the node id (ids below the root
  // are ranks) and starts each walk from the 2-byte table: both must hold for every token,
  // and every proper prefix's node must not be taken for a token unless it is one.
  using tokcount::vocab::kNoNode;
  using tokcount::vocab::VocabTable;
  for (BuiltinVocab which : {BuiltinVocab::kR50k, BuiltinVocab::kP50k, BuiltinVocab::kCl100k, BuiltinVocab::kO200k}) {
    const auto& v = builtin_table(which);
    ASSERT_TRUE(v.has_backtracking());
    const std::uint32_t root = v.trie_root();
    std::size_t walked = 0, inner = 0;
    for (Rank r = 0; r < v.rank_limit(); ++r) {
      const std::string_view tok = v.bytes_of(r);
      if (tok.size() < 2) continue;
      const auto* p = reinterpret_cast<const std::uint8_t*>(tok.data());
      std::uint32_t node = v.trie_node2(p[0], p[1]);
      for (std::size_t i = 2;; ++i) {
        ASSERT_NE(node, kNoNode) << "token " << r << " lost at byte " << i;
        const Rank prefix = v.find(p, i);
        ASSERT_EQ(VocabTable::node_is_token(node, root), prefix != tokcount::vocab::kNoRank) << "token " << r;
        if (prefix != tokcount::vocab::kNoRank) {
          ASSERT_EQ(node, prefix);
        }
        inner += prefix == tokcount::vocab::kNoRank;
        if (i == tok.size()) break;
        node = v.trie_child(node, p[i]);
      }
      ASSERT_EQ(node, r);
      ++walked;
    }
    EXPECT_GT(walked, v.n_tokens() / 2);
    EXPECT_GT(inner, 0u);  // prefixes that are not tokens exist in every built-in vocabulary
  }
}

namespace {

// tiktoken's merge written naively over byte strings, as the oracle for the rank-pair loops.
std::vector<Rank> reference_merge(const tokcount::vocab::VocabTable& v, const std::string& s) {
  std::vector<std::string> parts;
  for (char c : s) parts.emplace_back(1, c);
  for (;;) {
    Rank best = tokcount::vocab::kNoRank;
    std::size_t at = 0;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      const Rank r = v.find(parts[i] + parts[i + 1]);
      if (r < best) {
        best = r;
        at = i;
      }
    }
    if (best == tokcount::vocab::kNoRank) break;
    parts[at] += parts[at + 1];
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(at) + 1);
  }
  std::vector<Rank> out;
  for (const auto& p : parts) out.push_back(v.find(p));
  return out;
}

}  // namespace

TEST(Merge, PairTableAgreesWithByteLookups) {
  for (BuiltinVocab which : {BuiltinVocab::kR50k, BuiltinVocab::kP50k, BuiltinVocab::kCl100k, BuiltinVocab::kO200k}) {
    const auto& v = builtin_table(which);
    ASSERT_TRUE(v.has_pair_table());
    std::size_t splits = 0;
    // Every split of every 13th token into two tokens is in the table...
    for (Rank r = 0; r < v.rank_limit(); r += 13) {
      const std::string t(v.bytes_of(r));
      for (std::size_t k = 1; k < t.size(); ++k) {
        const Rank a = v.find(t.substr(0, k)), b = v.find(t.substr(k));
        if (a == tokcount::vocab::kNoRank || b == tokcount::vocab::kNoRank) continue;
        ASSERT_EQ(v.merge_rank(a, b), r);
        ASSERT_EQ(v.merge_rank_by_bytes(a, b), r);
        ++splits;
      }
    }
    EXPECT_GT(splits, 1000u);
    // ...and random pairs answer as the concatenated bytes do (mostly "no token").
    std::mt19937 rng(9);
    for (int i = 0; i < 200000; ++i) {
      const auto a = static_cast<Rank>(rng() % v.rank_limit());
      const auto b = static_cast<Rank>(rng() % 300);  // often a byte-level token
      if (v.bytes_of(a).empty() || v.bytes_of(b).empty()) continue;
      ASSERT_EQ(v.merge_rank(a, b), v.find(std::string(v.bytes_of(a)) + std::string(v.bytes_of(b))));
    }
  }
}

TEST(Merge, LoopsAgreeWithNaiveByteMerge) {
  std::mt19937 rng(3);
  const std::string alphabets[] = {"ab ", "aaab", "etaoin shrdlu", "0123", "\xE4\xB8\xAD\xE6\x96\x87\xE5\x9B\xBD",
                                   "\xD0\xBF\xD1\x80\xD0\xB8", "thequickbrownfox'"};
  for (BuiltinVocab which : {BuiltinVocab::kR50k, BuiltinVocab::kCl100k, BuiltinVocab::kO200k}) {
    const auto& v = builtin_table(which);
    for (int iter = 0; iter < 300; ++iter) {
      const std::string& alpha = alphabets[iter % std::size(alphabets)];
      const std::size_t len = 2 + rng() % 200;  // both loops
      std::string s;
      while (s.size() < len) s += alpha[rng() % alpha.size()];
      const auto want = reference_merge(v, s);
      ASSERT_EQ(heap_loop(v, s), want) << s;
      ASSERT_EQ(backtrack(v, s), want) << s;
      if (s.size() < tokcount::merge::kHeapThreshold) {
        ASSERT_EQ(short_loop(v, s), want) << s;
      }
    }
  }
}

TEST(Merge, BacktrackingAgreesWithHeapOnLongPieces) {
  // Long single pieces of every adversarial kind, and random token soup (concatenated random
  // tokens: the hardest case for the compatibility walk).
  std::mt19937 rng(11);
  std::size_t compared = 0;
  for (BuiltinVocab which : {BuiltinVocab::kR50k, BuiltinVocab::kP50k, BuiltinVocab::kCl100k, BuiltinVocab::kO200k}) {
    const auto& v = builtin_table(which);
    ASSERT_TRUE(v.has_backtracking());
    const std::string alphabets[] = {"a", "ab", "abcdefghijklmnopqrstuvwxyz", "0123456789", "!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~",
                                     " \t\n", "\xE4\xB8\xAD\xE6\x96\x87\xE5\x9B\xBD\xE4\xBA\xBA", "\xD0\xB0\xD0\xB1\xD0\xB2\xD0\xB3",
                                     "aAbB", "\x80\xff\x00\x7f"};
    for (int iter = 0; iter < 120; ++iter) {
      std::string s;
      const std::size_t len = 1 + rng() % 3000;
      if (iter % 4 == 3) {
        while (s.size() < len) s += v.bytes_of(static_cast<Rank>(rng() % v.rank_limit()));
      } else {
        const std::string& alpha = alphabets[iter % std::size(alphabets)];
        while (s.size() < len) s += alpha[rng() % alpha.size()];
      }
      ASSERT_EQ(backtrack(v, s), heap_loop(v, s)) << "piece of " << s.size() << " bytes, iteration " << iter;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 480u);
}

TEST(Merge, BacktrackingVerdictsNeverCrossVocabularies) {
  // merge_backtrack keeps recent compatible() verdicts per thread. The same rank pair means
  // different tokens in different vocabularies, so a thread that switches vocabulary on every
  // piece (a gateway counting for several models) must never reuse one vocabulary's verdict in
  // another. The same texts in every vocabulary, repeated, so that the cache would hit;
  // whitespace runs catch a verdict leaking from r50k into p50k (same ranks, p50k adds
  // merges of spaces), token soup one leaking between cl100k and o200k.
  std::mt19937 rng(23);
  std::vector<std::string> texts;
  const std::string alphabets[] = {"abcdefghijklmnopqrstuvwxyz", "\xE4\xB8\xAD\xE6\x96\x87\xE5\x9B\xBD\xE4\xBA\xBA",
                                   "\xD0\xB0\xD0\xB1\xD0\xB2\xD0\xB3\xD0\xB4", "!\"#$%&'()*+,-./:;<=>?@", "  \t\n"};
  for (int i = 0; i < 36; ++i) {
    std::string s;
    const std::size_t len = 40 + rng() % 400;
    if (i % 3 == 2) {  // token soup from one of the vocabularies: pairs whose verdicts differ
      const auto& soup = builtin_table(i % 2 ? BuiltinVocab::kCl100k : BuiltinVocab::kO200k);
      while (s.size() < len) s += soup.bytes_of(static_cast<Rank>(rng() % soup.rank_limit()));
    } else {
      const std::string& alpha = alphabets[i % std::size(alphabets)];
      while (s.size() < len) s += alpha[rng() % alpha.size()];
    }
    texts.push_back(s);
  }
  const BuiltinVocab vocabs[] = {BuiltinVocab::kCl100k, BuiltinVocab::kO200k, BuiltinVocab::kR50k, BuiltinVocab::kP50k};
  std::vector<std::vector<Rank>> want;  // heap loop: no per-thread state
  for (BuiltinVocab which : vocabs)
    for (const auto& t : texts) want.push_back(heap_loop(builtin_table(which), t));
  std::size_t compared = 0;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t t = 0; t < texts.size(); ++t) {
      for (std::size_t k = 0; k < std::size(vocabs); ++k) {
        ASSERT_EQ(backtrack(builtin_table(vocabs[k]), texts[t]), want[k * texts.size() + t])
            << "vocabulary " << k << ", text " << t << ", round " << round;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 3 * texts.size() * std::size(vocabs));
}

TEST(Merge, CompatibleMatchesReMerging) {
  // compatible(a, b) is exactly "BPE of bytes(a) + bytes(b) is [a, b]".
  std::mt19937 rng(5);
  for (BuiltinVocab which : {BuiltinVocab::kR50k, BuiltinVocab::kCl100k, BuiltinVocab::kO200k}) {
    const auto& v = builtin_table(which);
    std::size_t incompatible = 0;
    for (int i = 0; i < 20000; ++i) {
      const auto a = static_cast<Rank>(rng() % v.rank_limit());
      const auto b = static_cast<Rank>(i % 2 ? rng() % 2000 : rng() % v.rank_limit());
      if (v.bytes_of(a).empty() || v.bytes_of(b).empty()) continue;
      const std::string s = std::string(v.bytes_of(a)) + std::string(v.bytes_of(b));
      const bool want = reference_merge(v, s) == std::vector<Rank>{a, b};
      ASSERT_EQ(tokcount::merge::compatible(v, a, b), want) << "a=" << a << " b=" << b;
      incompatible += !want;
    }
    EXPECT_GT(incompatible, 100u);  // both answers occur
  }
}

namespace {

using tokcount::merge::PieceMemo;

PieceMemo::Key key_of(const std::string& s) {
  return PieceMemo::key_of(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), s.size());
}

std::vector<Rank> memo_find(PieceMemo& memo, const std::string& s) {
  const PieceMemo::Key k = key_of(s);
  Rank out[PieceMemo::kMaxPiece];
  const std::size_t count = memo.find(k, memo.set_of(k), out);
  return {out, out + count};
}

}  // namespace

TEST(PieceMemo, ShortPiecesOfManyTokensAreMemoizedExactly) {
  // Pieces of 2..16 bytes with 1..16 tokens (Chinese, Cyrillic, punctuation mixes: many are
  // more tokens than an entry holds inline), looked up in random order and repeated: every
  // hit must be exactly what encode_piece gives, and every piece must hit once stored.
  const auto& v = builtin_table(BuiltinVocab::kCl100k);
  const std::string alphabet[] = {"\xE4\xB8\xAD", "\xE6\x96\x87", "\xE9\xBE\x98", "\xD0\xB6", "\xD1\x89", "\xD0\xB0",
                                  "\xF0\x9F\x98\x80", "x", "Q", "!", "~", "\xC3\xA9"};
  std::mt19937 rng(5);
  std::vector<std::string> pieces;
  while (pieces.size() < 3000) {
    std::string s;
    const std::size_t len = 2 + rng() % 15;
    while (s.size() < len) s += alphabet[rng() % std::size(alphabet)];
    if (s.size() <= PieceMemo::kMaxPiece) pieces.push_back(s);
  }
  PieceMemo memo;
  std::size_t spilled = 0, hits = 0;
  for (int round = 0; round < 3; ++round) {
    std::shuffle(pieces.begin(), pieces.end(), rng);
    for (const std::string& s : pieces) {
      std::vector<Rank> expect;
      tokcount::merge::encode_piece(v, reinterpret_cast<const std::uint8_t*>(s.data()), s.size(),
                                    [&](Rank r) { expect.push_back(r); });
      const std::vector<Rank> found = memo_find(memo, s);
      if (!found.empty()) {
        ASSERT_EQ(found, expect) << "piece of " << s.size() << " bytes";
        ++hits;
        continue;
      }
      const PieceMemo::Key k = key_of(s);
      Rank out[PieceMemo::kMaxPiece];
      const std::size_t count = tokcount::merge::resolve_and_memoize(
          v, memo, k, memo.set_of(k), reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), out);
      ASSERT_EQ(std::vector<Rank>(out, out + count), expect);
      ASSERT_EQ(memo_find(memo, s), expect) << "a stored piece must hit";
      spilled += expect.size() > PieceMemo::kInlineTokens;
    }
  }
  EXPECT_GT(spilled, 1000u);          // the pieces exercise the spill arena
  EXPECT_GT(hits, 2 * pieces.size());  // 3000 distinct pieces fit: rounds 2 and 3 all hit (repeats in round 1 too)
}

TEST(PieceMemo, SpilledEntryFromAnOlderArenaEpochIsAMiss) {
  // When the spill arena fills it starts over; an entry written before may now point at
  // another piece's tokens. It must read as a miss, never as those tokens.
  PieceMemo memo;
  const std::string first = "first piece";
  const PieceMemo::Key first_key = key_of(first);
  const std::size_t first_set = memo.set_of(first_key);
  const std::vector<Rank> first_tokens = {1, 2, 3, 4, 5, 6};
  memo.insert(first_key, first_set, first_tokens.data(), first_tokens.size());
  ASSERT_EQ(memo_find(memo, first), first_tokens);
  // Fill the arena past its end with pieces of other sets (so `first` stays in its set).
  const std::vector<Rank> other_tokens(PieceMemo::kMaxPiece, 77);
  std::size_t written = first_tokens.size();
  for (std::uint32_t i = 0; written <= PieceMemo::kSpillRanks + other_tokens.size(); ++i) {
    std::string s = "p";
    s.append(reinterpret_cast<const char*>(&i), sizeof i);
    const PieceMemo::Key k = key_of(s);
    if (memo.set_of(k) == first_set) continue;
    memo.insert(k, memo.set_of(k), other_tokens.data(), other_tokens.size());
    written += other_tokens.size();
  }
  EXPECT_TRUE(memo_find(memo, first).empty()) << "a stale spilled entry answered";
  // A fresh insert of the same piece hits again.
  memo.insert(first_key, first_set, first_tokens.data(), first_tokens.size());
  EXPECT_EQ(memo_find(memo, first), first_tokens);
}
