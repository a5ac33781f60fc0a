// The two merge loops (short: tiktoken's linear scan; long: heap) must agree on every piece.
#include <gtest/gtest.h>

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
