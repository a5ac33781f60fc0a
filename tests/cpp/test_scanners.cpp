// The scanners' ASCII fast paths against their general (Unicode) paths.
//
// Each built-in scanner decides a piece with an ASCII fast path when it can and hands the
// piece to its general path otherwise. Both must agree wherever the fast path answers: this
// test asks both at every position of random texts built to hit the fast paths' edges
// (runs crossing 16-byte loads, the end of the text, non-ASCII bytes right after ASCII runs,
// contractions, whitespace before letters, digits and punctuation). The general paths
// themselves are checked against the regex in test_regex_pretokenizer.cpp and against tiktoken
// by the differential tests.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "pretokenizer/scanners.hpp"

namespace tokcount::pretok {
namespace {

std::string random_mixed_text(std::mt19937& rng) {
  static const std::vector<std::string> kAtoms = {
      "a", "z", "q", "A", "Z", "Q", "s", "t", "d", "m", "l", "e", "v", "r",  // contraction letters
      "0", "5", "9", " ", " ", " ", "\n", "\r", "\t", "\v", "\f", "'", "'", ".", ",", "/", "(", "!",
      "\x1c", "\x7f", "\x01", "\u00e9", "\u00c9", "\u00a0", "\u3000", "\u4e2d", "\u0301", "\u0663",
      "\u0131", "\u017f", "\U0001F600"};
  std::string s;
  const std::size_t n = rng() % 80;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& atom = kAtoms[rng() % kAtoms.size()];
    const auto repeat = rng() % 8 == 0 ? 1 + rng() % 20 : 1;  // long runs cross 16-byte loads
    for (std::size_t r = 0; r < repeat; ++r) s += atom;
  }
  return s;
}

bool is_char_start(const std::string& s, std::size_t i) {
  return (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
}

TEST(Scanners, FastPathsAgreeWithGeneralPaths) {
  std::mt19937 rng(20261202u);
  std::size_t fast_answers[3] = {0, 0, 0};
  for (int iter = 0; iter < 20000; ++iter) {
    const std::string text = random_mixed_text(rng);
    const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
    const std::size_t n = text.size();
    for (std::size_t pos = 0; pos < n; ++pos) {
      if (!is_char_start(text, pos)) continue;
      if (const std::size_t e = fast::r50k(s, pos, n); e != kNone) {
        ++fast_answers[0];
        ASSERT_EQ(e, general_r50k(s, pos, n)) << "r50k at " << pos << " of \"" << text << "\"";
      }
      // cl100k checks contractions before either path.
      if (contraction_end(s, pos, n, true) == 0) {
        if (const std::size_t e = fast::cl100k(s, pos, n); e != kNone) {
          ++fast_answers[1];
          ASSERT_EQ(e, general_cl100k(s, pos, n)) << "cl100k at " << pos << " of \"" << text << "\"";
        }
      }
      if (const std::size_t e = fast::o200k(s, pos, n); e != kNone) {
        ++fast_answers[2];
        ASSERT_EQ(e, general_o200k(s, pos, n)) << "o200k at " << pos << " of \"" << text << "\"";
      }
    }
  }
  // The comparison is only worth something if the fast paths answered often.
  for (std::size_t answered : fast_answers) EXPECT_GT(answered, 100000u);
}

TEST(Scanners, FastPathsGiveWayOnNonAscii) {
  // A run that continues into a non-ASCII letter, digit or space is the general path's.
  const std::string cases[] = {"abc\u00e9", "ABC\u00c9x", " x\u00e9", "12\u0663", "  \u00a0x", ".,\u00bf", "a\u0301"};
  for (const std::string& t : cases) {
    const auto* s = reinterpret_cast<const std::uint8_t*>(t.data());
    EXPECT_EQ(fast::o200k(s, 0, t.size()), kNone) << t;
    EXPECT_EQ(fast::cl100k(s, 0, t.size()), kNone) << t;
    EXPECT_EQ(fast::r50k(s, 0, t.size()), kNone) << t;
  }
}

TEST(Scanners, CjkShortcutMatchesTheTables) {
  // The scanners walk U+4E00..U+9FFF without decoding, assuming each is Lo (letter, in both
  // of o200k's case sets). Check that assumption against the generated Unicode 16 tables, and
  // that the byte test recognizes exactly that range among all 3-byte characters.
  for (std::uint32_t cp = 0x800; cp <= 0xFFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const std::uint8_t utf8[3] = {static_cast<std::uint8_t>(0xE0 | cp >> 12),
                                  static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F)),
                                  static_cast<std::uint8_t>(0x80 | (cp & 0x3F))};
    const bool in_block = cp >= 0x4E00 && cp <= 0x9FFF;
    ASSERT_EQ(unicode::is_cjk_unified(utf8), in_block) << std::hex << cp;
    if (in_block) {
      ASSERT_EQ(unicode::flags_of(cp), unicode::kCjkUnifiedFlags) << std::hex << cp;
    }
  }
}

}  // namespace
}  // namespace tokcount::pretok
