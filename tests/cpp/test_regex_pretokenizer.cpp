// RegexPretokenizer: the RE2 translation of custom split patterns.
//
// Expected pieces written out below were checked against pip tiktoken 0.14.0 (fancy-regex
// 0.19), using a vocabulary holding every byte substring of the input so that each piece
// becomes exactly one token and decode_single_token_bytes shows the pieces.
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "pretokenizer/patterns.hpp"
#include "pretokenizer/regex_pretokenizer.hpp"
#include "pretokenizer/scanners.hpp"
#include "tokcount/tokcount.hpp"

namespace tokcount::pretok {
namespace {

std::vector<std::string> regex_pieces(const RegexPretokenizer& rp, std::string_view text) {
  std::vector<std::uint32_t> starts;
  std::vector<std::uint32_t> ends;
  rp.split(text, starts, ends);
  EXPECT_EQ(starts.size(), ends.size());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < starts.size(); ++i) out.emplace_back(text.substr(starts[i], ends[i] - starts[i]));
  return out;
}

std::vector<std::string> regex_pieces(std::string_view pattern, std::string_view text) {
  return regex_pieces(RegexPretokenizer(pattern), text);
}

template <class Scan>
std::vector<std::string> scanner_pieces(Scan scan, std::string_view text) {
  std::vector<std::string> out;
  scan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size(),
       [&](std::size_t b, std::size_t e) { out.emplace_back(text.substr(b, e - b)); });
  return out;
}

using Pieces = std::vector<std::string>;

// Builds random text from fragments that exercise every branch of tiktoken's patterns.
// U+017F is left out: the scanners disagree with tiktoken on "'\u017f" (see the
// KnownScannerDisagreements test), and this comparison is about everything else.
std::string random_text(std::mt19937& rng, std::size_t max_fragments) {
  static const std::vector<std::vector<std::string>> kPools = {
      {"a", "b", "z", "Q", "X", "hello", "World"},
      {"0", "1", "7", "42", "12345"},
      {"!", ".", ",", "?", "-", "(", ")", "\"", "#", "$", "/", "_", "~", "@", "{", "}"},
      {" ", " ", "  ", "   "},
      {"\t", "\r\n", "\n", "\r", "\n\n", " \n", "\n "},
      {"'s", "'t", "'re", "'ll", "'ve", "'m", "'d", "'S", "'T", "'RE", "'Ll", "'VE", "'M", "'D", "'", "'x", "'K"},
      {"\u00e9", "\u00fc", "\u00df", "\u00f1", "\u00c9", "\u00dc", "\u00d1", "\u0130", "\u0131", "\u212a"},
      {"\u0391", "\u03b2", "\u03a9", "\u0434", "\u0416", "\u01c5", "\u01c8", "\u02b0", "\u3005"},
      {"\u0301", "\u0300", "\u0308", "\u20dd", "\u0903"},
      {"\u0663", "\u096a", "\u0ed1", "\u0d6b", "\u00bd", "\u00b2", "\u2167"},
      {"\u4e2d", "\u6587", "\u65e5\u672c", "\u3042"},
      {"\U0001F600", "\U0001F44D\U0001F3FD", "\U0001F1FA\U0001F1F8"},
      {"\u00a0", "\u3000", "\u2028", "\u2029", "\u0085", "\u1680", "\u202f", "\u2009", "\u000b", "\u000c"},
      {"\u1c89", "\u1c8a", "\U00010D50", "\U00010D70", "\u0897", "\U000323B0", "\U0001CCD6", "\U0001E5F1"},
      {"\u200b", "\u00ad", "\ufeff", "\U000E0001", "\U000F0000", "\u0378"},
  };
  std::uniform_int_distribution<std::size_t> count(0, max_fragments);
  std::string s;
  const std::size_t n = count(rng);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& pool = kPools[rng() % kPools.size()];
    const std::string& frag = pool[rng() % pool.size()];
    s += frag;
    if (rng() % 10 == 0) {
      for (unsigned r = rng() % 4; r > 0; --r) s += frag;  // runs
    }
  }
  return s;
}

struct CrossCheckCase {
  const char* name;
  std::string_view pattern;
  Pieces (*scan)(std::string_view);
  // kCl100kPatternOriginal differs from the possessive form (and so from scan_cl100k) only on
  // a whitespace run at the very end of the text that has a newline followed by other
  // whitespace; ending the text with a letter keeps this comparison about the rest.
  bool end_with_letter;
};

// Test names and failure messages show the case's name, not its bytes.
void PrintTo(const CrossCheckCase& c, std::ostream* os) { *os << c.name; }

Pieces scan_r50k_pieces(std::string_view t) { return scanner_pieces([](auto... a) { scan_r50k(a...); }, t); }
Pieces scan_cl100k_pieces(std::string_view t) { return scanner_pieces([](auto... a) { scan_cl100k(a...); }, t); }
Pieces scan_o200k_pieces(std::string_view t) { return scanner_pieces([](auto... a) { scan_o200k(a...); }, t); }

class RegexVsScanner : public ::testing::TestWithParam<CrossCheckCase> {};

TEST_P(RegexVsScanner, SamePiecesOnRandomText) {
  const CrossCheckCase& c = GetParam();
  const RegexPretokenizer rp(c.pattern);
  std::mt19937 rng(20240611u);
  int compared = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = random_text(rng, 24);
    if (c.end_with_letter) text += "z";
    const Pieces want = c.scan(text);
    const Pieces got = regex_pieces(rp, text);
    ASSERT_EQ(got, want) << "pattern " << c.name << ", text #" << i << ": \"" << text << "\"";
    ++compared;
  }
  EXPECT_EQ(compared, 3000);
}

INSTANTIATE_TEST_SUITE_P(
    BuiltinPatterns, RegexVsScanner,
    ::testing::Values(CrossCheckCase{"r50k_original", kR50kPatternOriginal, scan_r50k_pieces, false},
                      CrossCheckCase{"r50k_possessive", kR50kPattern, scan_r50k_pieces, false},
                      CrossCheckCase{"cl100k_possessive", kCl100kPattern, scan_cl100k_pieces, false},
                      CrossCheckCase{"cl100k_original", kCl100kPatternOriginal, scan_cl100k_pieces, true},
                      CrossCheckCase{"o200k", kO200kPattern, scan_o200k_pieces, false}),
    [](const ::testing::TestParamInfo<CrossCheckCase>& param_info) { return std::string(param_info.param.name); });

TEST(RegexPretokenizer, BuiltinPatternsTranslateToExplicitRanges) {
  for (std::string_view pat :
       {kR50kPattern, kR50kPatternOriginal, kCl100kPattern, kCl100kPatternOriginal, kO200kPattern}) {
    const RegexPretokenizer rp(pat);
    // No class is left to RE2's own (older) Unicode tables, and every possessive is gone.
    EXPECT_EQ(rp.translated().find("\\p"), std::string::npos) << pat;
    EXPECT_EQ(rp.translated().find("\\s"), std::string::npos) << pat;
    EXPECT_EQ(rp.translated().find("++"), std::string::npos) << pat;
    EXPECT_EQ(rp.translated().find("(?i"), std::string::npos) << pat;
  }
}

// Where the hand-written scanners and tiktoken disagree, the RE2 path follows tiktoken.
TEST(RegexPretokenizer, KnownScannerDisagreements) {
  // (?i) matches U+017F LATIN SMALL LETTER LONG S as 's' (simple case folding), so "'\u017f"
  // is a contraction in cl100k and o200k.
  EXPECT_EQ(regex_pieces(kCl100kPattern, "x'\u017fx"), (Pieces{"x", "'\u017f", "x"}));
  EXPECT_EQ(regex_pieces(kCl100kPatternOriginal, "x'\u017fx"), (Pieces{"x", "'\u017f", "x"}));
  EXPECT_EQ(regex_pieces(kO200kPattern, "x'\u017fx"), (Pieces{"x'\u017f", "x"}));
  EXPECT_EQ(regex_pieces(kO200kPattern, "HELLO'\u017f"), (Pieces{"HELLO'\u017f"}));
  // The Kelvin sign folds to 'k', which no contraction contains.
  EXPECT_EQ(regex_pieces(kCl100kPatternOriginal, "x'\u212ax"), (Pieces{"x", "'\u212ax"}));
  // r50k's contractions are case-sensitive.
  EXPECT_EQ(regex_pieces(kR50kPattern, "x'\u017fx"), (Pieces{"x", "'", "\u017fx"}));

  // The two cl100k forms differ on a final whitespace run with a newline and then more
  // whitespace: `\s++$` takes the run whole, `\s*[\r\n]+` stops after the newline.
  EXPECT_EQ(regex_pieces(kCl100kPattern, "a\n "), (Pieces{"a", "\n "}));
  EXPECT_EQ(regex_pieces(kCl100kPatternOriginal, "a\n "), (Pieces{"a", "\n", " "}));
  EXPECT_EQ(regex_pieces(kCl100kPatternOriginal, "a\r\n\u3000"), (Pieces{"a", "\r\n", "\u3000"}));
  EXPECT_EQ(regex_pieces(kO200kPattern, "a\n "), (Pieces{"a", "\n", " "}));
}

TEST(RegexPretokenizer, CaseInsensitiveUsesSimpleCaseFolding) {
  // 's' also matches U+017F and 'k' also U+212A KELVIN SIGN; nothing else outside ASCII.
  EXPECT_EQ(regex_pieces("(?i:s|k)+", "xS\u017fsK\u212ak!"), (Pieces{"S\u017fsK\u212ak"}));
  EXPECT_EQ(regex_pieces("(?i)[st]+|.", "\u0130S\u017ft"), (Pieces{"\u0130", "S\u017ft"}));
  // A negated class is folded before it is negated.
  EXPECT_EQ(regex_pieces("(?i:[^sk]+)|.", "aSb\u017fcKd\u212aek"),
            (Pieces{"a", "S", "b", "\u017f", "c", "K", "d", "\u212a", "e", "k"}));
  // The flag is scoped to its group.
  EXPECT_EQ(regex_pieces("(?i:a)b|.", "ABAb"), (Pieces{"A", "B", "Ab"}));
}

TEST(RegexPretokenizer, ClassesFollowUnicode16) {
  // U+1C89 CYRILLIC CAPITAL LETTER TJE (new in 16.0) is Lu, U+1C8A its Ll partner;
  // U+323B0 is unassigned in 16.0.
  EXPECT_EQ(regex_pieces("\\p{L}+|.", "a\u1c89b\U000323B0c"), (Pieces{"a\u1c89b", "\U000323B0", "c"}));
  EXPECT_EQ(regex_pieces("\\p{Lu}|\\p{Ll}|.", "\u1c89\u1c8a"), (Pieces{"\u1c89", "\u1c8a"}));
  EXPECT_EQ(regex_pieces("\\p{Lu}+|\\p{Ll}+", "\u1c89\u1c89\u1c8a"), (Pieces{"\u1c89\u1c89", "\u1c8a"}));
  EXPECT_EQ(regex_pieces("[^\\P{L}]+|.", "\u1c89x!"), (Pieces{"\u1c89x", "!"}));
  EXPECT_EQ(regex_pieces("\\p{Cn}+|\\P{Cn}", "\U000323B0\u0378a"), (Pieces{"\U000323B0\u0378", "a"}));
  // \d is \p{Nd}: U+1E5F1 (Ol Onal digit one) is new in 16.0.
  EXPECT_EQ(regex_pieces("\\d+|\\D", "12\u0663\u096a\U0001E5F1x"), (Pieces{"12\u0663\u096a\U0001E5F1", "x"}));
  // \s is White_Space: not U+200B or U+180E, but U+0085, U+00A0, U+3000, U+2028.
  EXPECT_EQ(regex_pieces("\\s+|\\S+", "a\u00a0\u3000\u2028\u200bb\u0085c\u180ed"),
            (Pieces{"a", "\u00a0\u3000\u2028", "\u200bb", "\u0085", "c\u180ed"}));
  // Long and loosely written category names, one-letter forms and \p{^..}.
  EXPECT_EQ(regex_pieces("\\p{Uppercase_Letter}+|\\p{lowercase letter}+", "ABcd"), (Pieces{"AB", "cd"}));
  EXPECT_EQ(regex_pieces("\\pN+|\\p{^N}+", "12ab3"), (Pieces{"12", "ab", "3"}));
}

TEST(RegexPretokenizer, TrailingSpaceLookahead) {
  // A run before a non-space loses its last character; a single space before a non-space is
  // left to the later alternatives (here none matches, so it is skipped); at the end of the
  // text the whole run matches.
  EXPECT_EQ(regex_pieces("\\s+(?!\\S)|\\p{L}+", "a b  c   "), (Pieces{"a", "b", " ", "c", "   "}));
  EXPECT_EQ(regex_pieces("\\p{L}+|\\s+(?!\\S)|\\p{N}+", "a 1  2 \u3000x"), (Pieces{"a", "1", " ", "2", " ", "x"}));
  // Multi-byte whitespace is cut by a whole character.
  EXPECT_EQ(regex_pieces("\\s+(?!\\S)|\\S+|\\s", "\u3000\u3000x"), (Pieces{"\u3000", "\u3000", "x"}));
  const RegexPretokenizer rp("\\s+(?!\\S)|\\s+");
  EXPECT_NE(rp.translated().find("\\z"), std::string::npos);
}

TEST(RegexPretokenizer, AnchorsBracesAndEscapes) {
  // ^ is the start of the text, not of each search.
  EXPECT_EQ(regex_pieces("^\\p{L}+|\\p{N}+$|\\d", "ab cd 12 34"), (Pieces{"ab", "1", "2", "34"}));
  // `{` that does not start a repetition is a literal in fancy-regex.
  EXPECT_EQ(regex_pieces("a{|b{1|c}|x{2}", "a{b{1c}xxxx"), (Pieces{"a{", "b{1", "c}", "xx", "xx"}));
  EXPECT_EQ(regex_pieces("\\x{61}\\u0062|[\\t\\x20]+|\\e", "ab \t\x1b"), (Pieces{"ab", " \t", "\x1b"}));
  EXPECT_EQ(regex_pieces("[]a]+|[^]a]+", "]a]xy"), (Pieces{"]a]", "xy"}));
  // '-' is literal unless it joins two literals; "d" is in neither class and is skipped.
  EXPECT_EQ(regex_pieces("[-a]+|[a-c-e]+", "-a-bde"), (Pieces{"-a-", "b", "e"}));
}

TEST(RegexPretokenizer, PossessiveDroppedWhereProvablyEqual) {
  // Last item of its alternative, or followed only by characters it cannot match.
  for (const char* pat : {"\\d++$|\\d+|.", "\\d*+x|.", "a?+b|.", "\\p{L}++\\d|.", "(?:ab|a)++|."}) {
    const RegexPretokenizer rp(pat);
    EXPECT_EQ(rp.translated().find("++"), std::string::npos) << pat;
  }
  EXPECT_EQ(regex_pieces("\\d++$|\\d+|.", "12a34"), (Pieces{"12", "a", "34"}));
}

TEST(RegexPretokenizer, EmptyMatchesYieldNoPiece) {
  // tiktoken panics on an empty piece; we skip it and search on from the next character.
  std::vector<std::uint32_t> starts{7};
  std::vector<std::uint32_t> ends{8};
  RegexPretokenizer("a*").split("bab\u00e9aa", starts, ends);
  EXPECT_EQ(starts, (std::vector<std::uint32_t>{7, 1, 5}));  // appended to what was there
  EXPECT_EQ(ends, (std::vector<std::uint32_t>{8, 2, 7}));
}

struct Refusal {
  const char* pattern;
  const char* mentions;
  std::size_t offset;
};

TEST(RegexPretokenizer, RefusesWhatItCannotTranslateExactly) {
  const Refusal cases[] = {
      {"\\p{L}(?=x)", "look-ahead", 5},
      {"a|(?<=x)b", "look-behind", 2},
      {"(?<!x)b", "look-behind", 0},
      {"a(?!b)", "look-ahead", 1},
      {"\\s+(?!\\S)|x\\s+(?!\\S)", "look-ahead", 14},
      {"x|\\w+", "\\w", 2},
      {"\\W", "\\W", 0},
      {"\\bx", "word boundary", 0},
      {"\\d++\\d", "possessive", 2},
      {"\\s*+[\\r\\n]|.", "possessive", 2},
      {"[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++\\p{Lu}", "possessive", 24},
      {"(?:a|b++)c", "possessive", 6},
      {"(?:ab)++c", "possessive", 6},
      {"\\p{Greek}", "general categories", 0},
      {"\\p{Alphabetic}", "general categories", 0},
      {"(?i)\\p{L}", "case-insensitive", 4},
      {"(?i:\u00e9)", "case-insensitive", 4},
      {"(?m)^a", "flag", 2},
      {"a(?i)b", "flag group", 1},
      {"(a)\\1", "backreference", 3},
      {"(?>ab)", "atomic", 0},
      {"[[:alpha:]]", "class", 1},
      {"[a&&b]", "&&", 2},
      {"(?:a*)*", "empty string", 6},
      {"(", "unclosed", 0},
      {"a)", "unmatched", 1},
      {"*a", "quantifier", 0},
      {"[z-a]", "range", 1},
      {"\\Z", "\\Z", 0},
  };
  for (const Refusal& r : cases) {
    try {
      RegexPretokenizer rp(r.pattern);
      ADD_FAILURE() << "accepted " << r.pattern << " as " << rp.translated();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUnsupportedPattern) << r.pattern;
      EXPECT_NE(std::string(e.what()).find(r.mentions), std::string::npos) << r.pattern << ": " << e.what();
      EXPECT_EQ(e.byte_offset(), r.offset) << r.pattern << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find("offset " + std::to_string(r.offset)), std::string::npos) << e.what();
    }
  }
}

TEST(RegexPretokenizer, Re2ErrorsAreUnsupportedPattern) {
  try {
    RegexPretokenizer rp("a{1001}");  // fancy-regex accepts it; RE2 caps repetitions at 1000
    ADD_FAILURE() << "accepted " << rp.translated();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupportedPattern);
    EXPECT_NE(std::string(e.what()).find("RE2"), std::string::npos) << e.what();
  }
}

TEST(RegexPretokenizer, LargeUniformInputs) {
  const std::size_t kSize = std::size_t{1} << 20;
  struct Expect {
    std::string_view pattern;
    std::size_t letters, spaces, digits;  // pieces for 1 MiB of 'a', of ' ', of '7'
  };
  const std::size_t digit_chunks = (kSize + 2) / 3;  // \p{N}{1,3}
  const Expect cases[] = {
      {kR50kPattern, 1, 1, 1},
      {kR50kPatternOriginal, 1, 1, 1},
      {kCl100kPattern, 1, 1, digit_chunks},
      {kCl100kPatternOriginal, 1, 1, digit_chunks},
      {kO200kPattern, 1, 1, digit_chunks},
  };
  for (const Expect& c : cases) {
    const RegexPretokenizer rp(c.pattern);
    for (auto [fill, pieces] : {std::pair{'a', c.letters}, std::pair{' ', c.spaces}, std::pair{'7', c.digits}}) {
      const std::string text(kSize, fill);
      std::vector<std::uint32_t> starts;
      std::vector<std::uint32_t> ends;
      rp.split(text, starts, ends);
      ASSERT_EQ(starts.size(), pieces) << c.pattern << " on '" << fill << "'";
      // The pieces tile the input.
      EXPECT_EQ(starts.front(), 0u);
      EXPECT_EQ(ends.back(), kSize);
      for (std::size_t i = 1; i < starts.size(); ++i) ASSERT_EQ(starts[i], ends[i - 1]);
    }
    // A long run before a non-space: `\s+(?!\S)` backs off one character.
    const std::string text = std::string(kSize, ' ') + "x";
    EXPECT_EQ(regex_pieces(rp, text).front().size(), kSize - 1) << c.pattern;
  }
}

}  // namespace
}  // namespace tokcount::pretok
