// StreamEncoder / StreamDecoder: exactness against one-shot encode() as the oracle.
//
//  * Exhaustive: every string up to kExhaustiveLen characters over a 10-character alphabet
//    (lower, upper, digit, space, LF, CR, apostrophe, '/', non-ASCII lower letter, combining
//    mark), for each built-in pattern, a custom RE2 pattern and a start-anchored one. For each
//    string T and each prefix B of T, the tokens a stream emits after being fed B must be a
//    prefix of encode(T) (the finality rule), and feed(T) + finish() must be encode(T).
//    Shorter strings are also fed split at every byte and one byte at a time.
//  * Random chunkings of every fixture text (tests/fixtures/*.jsonl) and of
//    ../shared/conformance/*.jsonl when present, for every encoding.
//  * Special-token options, UTF-8 errors and repair, budget, memory bound, decoder.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "tokcount/stream.hpp"
#include "tokcount/tokcount.hpp"

namespace fs = std::filesystem;
using tokcount::EncodeOptions;
using tokcount::Encoding;
using tokcount::EncodingPtr;
using tokcount::Rank;
using tokcount::StreamDecoder;
using tokcount::StreamEncoder;
using tokcount::TokenSet;

namespace {

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? static_cast<std::size_t>(std::strtoul(v, nullptr, 10)) : fallback;
}

// Default 6: 1.1 M strings per pattern, a few seconds each (TOKCOUNT_STREAM_EXHAUSTIVE_LEN
// raises it; 7 takes about ten times longer).
const std::size_t kExhaustiveLen = env_size("TOKCOUNT_STREAM_EXHAUSTIVE_LEN", 6);

const std::vector<std::string> kAlphabet = {
    "s", "T", "7", " ", "\n", "\r", "'", "/", "\xC3\xA9" /* é, Ll */, "\xCC\x81" /* U+0301, Mn */};

EncodeOptions ordinary() {
  EncodeOptions o;
  o.disallowed_special = TokenSet::none();
  return o;
}

std::vector<Rank> concat(std::vector<Rank> a, std::span<const Rank> b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Streams `text` in the given chunk lengths (the last chunk takes the rest).
std::vector<Rank> stream_chunks(const EncodingPtr& enc, std::string_view text, const std::vector<std::size_t>& cuts,
                                const EncodeOptions& opts = ordinary()) {
  StreamEncoder s(enc, opts);
  std::vector<Rank> out;
  std::size_t pos = 0;
  for (std::size_t c : cuts) {
    c = std::min(c, text.size() - pos);
    out = concat(std::move(out), s.feed(text.substr(pos, c)));
    pos += c;
  }
  out = concat(std::move(out), s.feed(text.substr(pos)));
  return concat(std::move(out), s.finish());
}

std::vector<std::size_t> random_cuts(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::size_t> cuts;
  std::size_t pos = 0;
  // Mostly small chunks (LLM deltas are a few bytes), sometimes single bytes, sometimes big.
  std::uniform_int_distribution<int> kind(0, 9);
  while (pos < n) {
    const int k = kind(rng);
    std::size_t len = k < 3 ? 1 : k < 8 ? 1 + rng() % 8 : 1 + rng() % 200;
    len = std::min(len, n - pos);
    cuts.push_back(len);
    pos += len;
  }
  return cuts;
}

struct PatternCase {
  std::string label;
  EncodingPtr enc;
};

// The built-in patterns plus two custom ones on cl100k's vocabulary: an RE2 pattern with
// look-ahead, `$`, counted repetition and a gap-free cover, and a start-anchored one (the
// "segment" fallback).
const std::vector<PatternCase>& pattern_cases() {
  static const std::vector<PatternCase> cases = [] {
    std::vector<PatternCase> v;
    for (const char* name : {"r50k_base", "cl100k_base", "o200k_base"}) v.push_back({name, Encoding::get(name)});
    const auto ranks = Encoding::get("cl100k_base")->mergeable_ranks();
    v.push_back({"custom_re2", Encoding::create("custom_re2",
                                                R"('(?i:s|t|ll)|[\p{L}\p{M}]+|\p{N}{1,2}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s+$|\s*\n|\s+(?!\S)|\s)",
                                                ranks, {})});
    v.push_back({"custom_anchored",
                 Encoding::create("custom_anchored", R"(^\s+|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+|\s+(?!\S)|\s)", ranks, {})});
    return v;
  }();
  return cases;
}

}  // namespace

TEST(StreamEncoder, Cl100kWhitespaceMergeExample) {
  // The example from the issue: "  \n  " is two pieces, "  \n  \n" one `\s*[\r\n]` piece, so
  // nothing of the first chunk may be emitted.
  const auto enc = Encoding::get("cl100k_base");
  StreamEncoder s(enc);
  EXPECT_TRUE(s.feed("  \n  ").empty());
  auto rest = s.feed("\n");
  std::vector<Rank> all(rest.begin(), rest.end());
  all = concat(all, s.finish());
  EXPECT_EQ(all, enc->encode("  \n  \n"));
  EXPECT_EQ(enc->encode("  \n  \n").size(), 1u);
}

TEST(StreamEncoder, EmitsFinishedWordsEarly) {
  const auto enc = Encoding::get("o200k_base");
  StreamEncoder s(enc);
  const auto first = s.feed("Hello world, this is");
  // "Hello", " world", "," and " this" are final; " is" could still grow.
  std::vector<Rank> got(first.begin(), first.end());
  EXPECT_EQ(got, enc->encode("Hello world, this"));
  EXPECT_EQ(s.pending_bytes(), 3u);
  EXPECT_STREQ(s.finality_rule(), "open-prefix");
}

namespace {

// Depth-first over all strings up to kExhaustiveLen characters; emitted[d] = what a stream fed
// the depth-d prefix emitted. Returns the number of strings checked.
std::size_t exhaustive(const PatternCase& pc) {
  const EncodingPtr& enc = pc.enc;
  std::size_t strings = 0, failures = 0;
  std::vector<std::vector<Rank>> emitted(kExhaustiveLen + 1);
  std::string text;
  std::vector<std::size_t> char_ends;
  auto visit = [&](auto&& self, std::size_t depth) -> void {
    ++strings;
    const auto expected = enc->encode(text, ordinary());
    StreamEncoder s(enc, ordinary());
    const auto e = s.feed(text);
    emitted[depth].assign(e.begin(), e.end());
    const auto all = concat(emitted[depth], s.finish());
    if (all != expected && ++failures <= 5) ADD_FAILURE() << pc.label << " feed+finish differs on " << testing::PrintToString(text);
    for (std::size_t d = 0; d <= depth; ++d) {
      const auto& pre = emitted[d];
      if ((pre.size() > expected.size() || !std::equal(pre.begin(), pre.end(), expected.begin())) && ++failures <= 5) {
        ADD_FAILURE() << pc.label << ": tokens emitted for prefix "
                      << testing::PrintToString(text.substr(0, d == 0 ? 0 : char_ends[d - 1]))
                      << " are not a prefix of encode(" << testing::PrintToString(text) << ")";
      }
    }
    if (depth == kExhaustiveLen) return;
    for (const std::string& c : kAlphabet) {
      text += c;
      char_ends.push_back(text.size());
      self(self, depth + 1);
      char_ends.pop_back();
      text.resize(text.size() - c.size());
    }
  };
  visit(visit, 0);
  EXPECT_EQ(failures, 0u) << pc.label;
  std::size_t expected_strings = 0, p = 1;
  for (std::size_t d = 0; d <= kExhaustiveLen; ++d, p *= kAlphabet.size()) expected_strings += p;
  EXPECT_EQ(strings, expected_strings);
  return strings;
}

const PatternCase& pattern_case(std::string_view label) {
  for (const PatternCase& pc : pattern_cases())
    if (pc.label == label) return pc;
  throw std::runtime_error("no pattern case " + std::string(label));
}

}  // namespace

// One test per pattern so that ctest can run them in parallel.
TEST(StreamEncoderExhaustive, R50k) { exhaustive(pattern_case("r50k_base")); }
TEST(StreamEncoderExhaustive, Cl100k) { exhaustive(pattern_case("cl100k_base")); }
TEST(StreamEncoderExhaustive, O200k) { exhaustive(pattern_case("o200k_base")); }
TEST(StreamEncoderExhaustive, CustomRe2) { exhaustive(pattern_case("custom_re2")); }
TEST(StreamEncoderExhaustive, CustomStartAnchored) { exhaustive(pattern_case("custom_anchored")); }

TEST(StreamEncoder, ExhaustiveEverySplitPoint) {
  // Shorter strings, fed as two chunks split at every byte (inside UTF-8 sequences too), and
  // one byte at a time.
  const std::size_t len = std::min<std::size_t>(kExhaustiveLen, 4);
  for (const PatternCase& pc : pattern_cases()) {
    const EncodingPtr& enc = pc.enc;
    std::size_t failures = 0;
    std::string text;
    auto visit = [&](auto&& self, std::size_t depth) -> void {
      const auto expected = enc->encode(text, ordinary());
      for (std::size_t k = 0; k <= text.size(); ++k) {
        if (stream_chunks(enc, text, {k}) != expected && ++failures <= 5)
          ADD_FAILURE() << pc.label << " split at " << k << " of " << testing::PrintToString(text);
      }
      if (stream_chunks(enc, text, std::vector<std::size_t>(text.size(), 1)) != expected && ++failures <= 5)
        ADD_FAILURE() << pc.label << " byte by byte: " << testing::PrintToString(text);
      if (depth == len) return;
      for (const std::string& c : kAlphabet) {
        text += c;
        self(self, depth + 1);
        text.resize(text.size() - c.size());
      }
    };
    visit(visit, 0);
    EXPECT_EQ(failures, 0u) << pc.label;
  }
}

namespace {

struct Texts {
  std::vector<std::string> texts;
  std::vector<bool> allow_all;
};

void load_jsonl(const fs::path& path, Texts& t) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    t.texts.push_back(j.at("text").get<std::string>());
    t.allow_all.push_back(j.contains("allowed_special") && j["allowed_special"] == "all");
  }
}

fs::path shared_dir() {
  if (const char* env = std::getenv("TOKCOUNT_SHARED_DIR"); env && *env) return env;
  return fs::path(TOKCOUNT_SOURCE_DIR).parent_path() / "shared";
}

// Every text, random chunkings, every built-in encoding; returns how many texts were checked.
std::size_t check_random_chunkings(const Texts& t, int rounds, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::size_t failures = 0;
  for (const std::string& name : Encoding::list_encoding_names()) {
    const auto enc = Encoding::get(name);
    for (std::size_t i = 0; i < t.texts.size(); ++i) {
      EncodeOptions opts = ordinary();
      if (t.allow_all[i]) opts = EncodeOptions{TokenSet::all(), TokenSet::all(), tokcount::Utf8Mode::kStrict};
      const auto expected = enc->encode(t.texts[i], opts);
      for (int r = 0; r < rounds; ++r) {
        const auto cuts = random_cuts(rng, t.texts[i].size());
        if (stream_chunks(enc, t.texts[i], cuts, opts) != expected && ++failures <= 10)
          ADD_FAILURE() << name << " text #" << i << " round " << r;
      }
    }
  }
  EXPECT_EQ(failures, 0u);
  return t.texts.size();
}

}  // namespace

TEST(StreamEncoder, RandomChunkingsOfRepoFixtures) {
  Texts t;
  for (const auto& entry : fs::directory_iterator(fs::path(TOKCOUNT_SOURCE_DIR) / "tests" / "fixtures"))
    if (entry.path().extension() == ".jsonl") load_jsonl(entry.path(), t);
  ASSERT_GT(t.texts.size(), 100u);
  EXPECT_EQ(check_random_chunkings(t, 3, 1), t.texts.size());
}

TEST(StreamEncoder, RandomChunkingsOfConformanceTexts) {
  const fs::path dir = shared_dir() / "conformance";
  if (!fs::exists(dir)) GTEST_SKIP() << "no shared/conformance/ (set TOKCOUNT_SHARED_DIR); repo fixtures still run";
  Texts t;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".jsonl") load_jsonl(entry.path(), t);
  ASSERT_GE(t.texts.size(), 704u);
  EXPECT_EQ(check_random_chunkings(t, 3, 2), t.texts.size());
}

TEST(StreamEncoder, CustomPatternsOnRandomText) {
  std::mt19937_64 rng(3);
  const std::vector<std::string> pool = {"a", "Z", "9", " ", "  ", "\n", "\r\n", "\t", "'s", "'LL", ".", "/", "!?",
                                         "\xC3\xA9", "\xCC\x81", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "123456", "  \n  "};
  for (const PatternCase& pc : pattern_cases()) {
    std::size_t failures = 0;
    for (int i = 0; i < 400; ++i) {
      std::string text;
      const std::size_t parts = rng() % 40;
      for (std::size_t p = 0; p < parts; ++p) text += pool[rng() % pool.size()];
      const auto expected = pc.enc->encode(text, ordinary());
      if (stream_chunks(pc.enc, text, random_cuts(rng, text.size())) != expected && ++failures <= 5)
        ADD_FAILURE() << pc.label << ": " << testing::PrintToString(text);
    }
    EXPECT_EQ(failures, 0u) << pc.label;
  }
}

TEST(StreamEncoder, FallbackRuleForStartAnchoredPattern) {
  const auto& anchored = pattern_cases().back();
  StreamEncoder s(anchored.enc, ordinary());
  EXPECT_STREQ(s.finality_rule(), "segment");
  EXPECT_TRUE(s.feed("  hello world ").empty());  // held until the end of the segment
  auto rest = s.finish();
  EXPECT_EQ(std::vector<Rank>(rest.begin(), rest.end()), anchored.enc->encode("  hello world ", ordinary()));
}

TEST(StreamEncoder, SpecialTokensAllowedAndDisallowed) {
  std::mt19937_64 rng(4);
  const auto enc = Encoding::get("o200k_harmony");
  const std::vector<std::string> texts = {
      "hi<|endoftext|>there  <|start|>  x<|end|>\n\n",
      "<|reserved_200018|><|endofprompt|><|endoftext|>",
      "a <|endof",  // an incomplete special token at the end is text
      "<|<|endoftext|>|>",
  };
  std::vector<EncodeOptions> options;
  options.push_back({TokenSet::all(), TokenSet::all(), tokcount::Utf8Mode::kStrict});
  options.push_back({TokenSet::of({"<|endoftext|>"}), TokenSet::none(), tokcount::Utf8Mode::kStrict});
  options.push_back({TokenSet::of({"<|start|>", "<|end|>"}), TokenSet::none(), tokcount::Utf8Mode::kStrict});
  options.push_back(ordinary());
  for (const auto& text : texts) {
    for (const auto& o : options) {
      const auto expected = enc->encode(text, o);
      for (int r = 0; r < 50; ++r) EXPECT_EQ(stream_chunks(enc, text, random_cuts(rng, text.size()), o), expected) << text;
    }
  }
}

TEST(StreamEncoder, DisallowedSpecialErrorMatchesEncode) {
  std::mt19937_64 rng(5);
  const auto enc = Encoding::get("cl100k_base");
  const std::vector<std::pair<std::string, EncodeOptions>> cases = {
      {"hello world <|endoftext|> more", EncodeOptions{}},
      {"ok <|fim_prefix|><|endoftext|>", EncodeOptions{TokenSet::of({"<|endoftext|>"}), TokenSet::all(), tokcount::Utf8Mode::kStrict}},
      // An explicit list is searched as given, even for strings that are not special tokens.
      {"abc xyz", EncodeOptions{TokenSet::none(), TokenSet::of({"yz", "c x"}), tokcount::Utf8Mode::kStrict}},
  };
  for (const auto& [text, opts] : cases) {
    std::size_t offset = 0;
    std::string token;
    try {
      enc->encode(text, opts);
      FAIL() << "encode() accepted " << text;
    } catch (const tokcount::Error& e) {
      ASSERT_EQ(e.code(), tokcount::ErrorCode::kDisallowedSpecial);
      offset = e.byte_offset();
      token = e.token();
    }
    for (int r = 0; r < 30; ++r) {
      StreamEncoder s(enc, opts);
      std::vector<Rank> emitted;
      const auto cuts = random_cuts(rng, text.size());
      try {
        std::size_t pos = 0;
        for (std::size_t c : cuts) {
          emitted = concat(emitted, s.feed(std::string_view(text).substr(pos, c)));
          pos += c;
        }
        emitted = concat(emitted, s.finish());
        FAIL() << "stream accepted " << text;
      } catch (const tokcount::Error& e) {
        EXPECT_EQ(e.code(), tokcount::ErrorCode::kDisallowedSpecial);
        EXPECT_EQ(e.byte_offset(), offset) << text;
        EXPECT_EQ(e.token(), token) << text;
      }
      // What was emitted covers only text before the error.
      const auto before = enc->encode(text.substr(0, offset), EncodeOptions{});
      EXPECT_LE(enc->decode_bytes(emitted).size(), offset);
      EXPECT_TRUE(std::equal(emitted.begin(), emitted.end(), before.begin())) << text;
      // The stream stays failed.
      EXPECT_THROW(s.feed("x"), tokcount::Error);
    }
  }
}

TEST(StreamEncoder, Utf8SplitsErrorsAndRepair) {
  const auto enc = Encoding::get("o200k_base");
  const std::string text = "caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80!";
  // Every split inside every multi-byte character.
  for (std::size_t k = 0; k <= text.size(); ++k) EXPECT_EQ(stream_chunks(enc, text, {k}), enc->encode(text)) << k;

  // Strict: the offset of the first invalid sequence, as encode() reports it.
  for (const std::string& bad : {std::string("ab\xC3(cd"), std::string("ab\xE0\x80z"), std::string("abc\xF0\x9F\x98")}) {
    std::size_t expected_offset = 0;
    try {
      enc->encode(bad);
    } catch (const tokcount::Error& e) {
      expected_offset = e.byte_offset();
    }
    for (std::size_t k = 0; k <= bad.size(); ++k) {
      StreamEncoder s(enc);
      try {
        s.feed(bad.substr(0, k));
        s.feed(bad.substr(k));
        s.finish();
        ADD_FAILURE() << "accepted invalid UTF-8";
      } catch (const tokcount::Error& e) {
        EXPECT_EQ(e.code(), tokcount::ErrorCode::kInvalidUtf8);
        EXPECT_EQ(e.byte_offset(), expected_offset) << testing::PrintToString(bad) << " split " << k;
      }
    }
    // Replace: the tokens of the U+FFFD-repaired text.
    EncodeOptions lossy;
    lossy.utf8 = tokcount::Utf8Mode::kReplace;
    for (std::size_t k = 0; k <= bad.size(); ++k)
      EXPECT_EQ(stream_chunks(enc, bad, {k, 1}, lossy), enc->encode(bad, lossy)) << k;
  }
}

// Lossy mode repairs the text before the disallowed-special check; the error's offset must
// still point into the caller's bytes, as encode() reports it (each U+FFFD is 3 bytes where
// the invalid subpart it replaces may be 1 to 3).
TEST(StreamEncoder, LossyDisallowedSpecialOffsetIsAnInputOffset) {
  const auto enc = Encoding::get("cl100k_base");
  EncodeOptions lossy;
  lossy.utf8 = tokcount::Utf8Mode::kReplace;
  const std::vector<std::string> texts = {
      "a\xFF b <|endoftext|>",
      "\xC3\xE2\x82 x\xF0\x9F\x98 y <|endoftext|> z",
      "\x80\x80\x80\x80\x80\x80\x80\x80<|endoftext|>",
      "ok \xFF<|endoftext|>\xFF",
  };
  for (const std::string& text : texts) {
    std::size_t expected = tokcount::kNoOffset;
    try {
      enc->encode(text, lossy);
      FAIL() << "encode() accepted " << testing::PrintToString(text);
    } catch (const tokcount::Error& e) {
      ASSERT_EQ(e.code(), tokcount::ErrorCode::kDisallowedSpecial);
      expected = e.byte_offset();
    }
    ASSERT_EQ(text.compare(expected, 13, "<|endoftext|>"), 0) << testing::PrintToString(text);
    for (std::size_t chunk = 1; chunk <= text.size(); ++chunk) {
      StreamEncoder s(enc, lossy);
      try {
        for (std::size_t pos = 0; pos < text.size(); pos += chunk) s.feed(std::string_view(text).substr(pos, chunk));
        s.finish();
        ADD_FAILURE() << "stream accepted " << testing::PrintToString(text);
      } catch (const tokcount::Error& e) {
        EXPECT_EQ(e.code(), tokcount::ErrorCode::kDisallowedSpecial);
        EXPECT_EQ(e.byte_offset(), expected) << testing::PrintToString(text) << " chunk " << chunk;
      }
    }
  }
}

TEST(StreamEncoder, RunningCountAndBudget) {
  std::mt19937_64 rng(6);
  const auto enc = Encoding::get("cl100k_base");
  const std::string text =
      "The quick brown fox jumps over the lazy dog.   \n\n  1234567 tokens, 'll see; \xE4\xB8\xAD\xE6\x96\x87  \n";
  for (std::size_t limit : {0u, 5u, 12u, 20u, 100u}) {
    StreamEncoder s(enc);
    s.set_budget(limit);
    std::size_t pos = 0;
    std::size_t first_over = tokcount::kNoOffset;
    for (std::size_t c : random_cuts(rng, text.size())) {
      s.feed(std::string_view(text).substr(pos, c));
      pos += c;
      // Up to the last complete character.
      std::string prefix = text.substr(0, pos);
      prefix.resize(prefix.size() - tokcount::incomplete_utf8_suffix(prefix));
      EXPECT_EQ(s.count(), enc->count(prefix));
      EXPECT_LE(s.stable_count(), s.count());
      const bool over = enc->count_up_to(prefix, limit).exceeded;
      EXPECT_EQ(s.over_budget(), over) << limit << " at " << pos;
      if (over && first_over == tokcount::kNoOffset) first_over = pos;
    }
    s.finish();
    EXPECT_EQ(s.stable_count(), enc->count(text));
    EXPECT_EQ(s.count(), enc->count(text));
    EXPECT_EQ(s.budget_crossed_at(), first_over) << limit;
  }
}

TEST(StreamEncoder, MemoryIsBoundedByTheUnfinishedPiece) {
  const auto enc = Encoding::get("o200k_base");
  StreamEncoder s(enc);
  std::size_t max_pending = 0;
  std::vector<Rank> all;
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    const std::string chunk = i % 7 == 0 ? " 1234567890" : i % 5 == 0 ? ",\n" : " word";
    text += chunk;
    all = concat(all, s.feed(chunk));
    max_pending = std::max(max_pending, s.pending_bytes());
  }
  all = concat(all, s.finish());
  EXPECT_EQ(all, enc->encode(text));
  EXPECT_LE(max_pending, 16u);  // one unfinished piece, never the stream (~110 KB)

  // A long run that may still become one piece is held, and released when it ends.
  StreamEncoder w(enc);
  for (int i = 0; i < 10000; ++i) w.feed("  ");
  EXPECT_GE(w.pending_bytes(), 10000u);
  w.feed("x y z");
  EXPECT_LE(w.pending_bytes(), 2u);
}

TEST(StreamEncoder, ManySmallFeedsStayLinear) {
  // 2 MB of whitespace fed 3 bytes at a time: every check would rescan the pending run without
  // the doubling rule. This finishes in well under a second when feed() is linear.
  const auto enc = Encoding::get("cl100k_base");
  StreamEncoder s(enc);
  const auto t0 = std::chrono::steady_clock::now();
  std::string text;
  for (int i = 0; i < 700000; ++i) s.feed(" \n ");
  auto out = s.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string all;
  for (int i = 0; i < 700000; ++i) all += " \n ";
  EXPECT_EQ(std::vector<Rank>(out.begin(), out.end()), enc->encode(all));
  EXPECT_LT(secs, 20.0);
}

TEST(StreamEncoder, FeedAfterFinishAndReset) {
  const auto enc = Encoding::get("r50k_base");
  StreamEncoder s(enc);
  s.feed("abc");
  s.finish();
  EXPECT_THROW(s.feed("x"), tokcount::Error);
  EXPECT_THROW(s.finish(), tokcount::Error);
  s.reset();
  s.feed("hello");
  auto out = s.finish();
  EXPECT_EQ(std::vector<Rank>(out.begin(), out.end()), enc->encode("hello"));
  EXPECT_EQ(s.stable_count(), 1u);
}

TEST(StreamDecoder, RandomSplitsEqualDecode) {
  std::mt19937_64 rng(7);
  for (const char* name : {"cl100k_base", "o200k_base", "r50k_base"}) {
    const auto enc = Encoding::get(name);
    const std::string text = "na\xC3\xAFve \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD done";
    std::vector<Rank> ids = enc->encode(text);
    // Token ids that split characters (single bytes of a 4-byte emoji) and an invalid run.
    for (char c : std::string("\xF0\x9F\x98")) ids.push_back(enc->encode_single_token(std::string(1, c)));
    ids.push_back(enc->encode_single_token("a"));
    for (char c : std::string("\xE4\xB8")) ids.push_back(enc->encode_single_token(std::string(1, c)));
    const std::string expected = enc->decode(ids);
    for (int r = 0; r < 200; ++r) {
      StreamDecoder d(enc);
      std::string got;
      std::size_t pos = 0;
      while (pos < ids.size()) {
        const std::size_t n = std::min<std::size_t>(ids.size() - pos, rng() % 4);
        const auto piece = d.feed(std::span<const Rank>(ids).subspan(pos, n));
        EXPECT_EQ(tokcount::find_invalid_utf8(piece), tokcount::kNoOffset);
        EXPECT_EQ(tokcount::incomplete_utf8_suffix(piece), 0u);
        got += piece;
        pos += n;
        EXPECT_LE(d.pending_bytes(), 3u);
      }
      got += d.finish();
      EXPECT_EQ(got, expected) << name;
    }
  }
}

TEST(StreamDecoder, UnknownTokenChangesNothing) {
  const auto enc = Encoding::get("cl100k_base");
  StreamDecoder d(enc);
  const Rank first = enc->encode_single_token("\xE4");
  EXPECT_EQ(d.feed(std::vector<Rank>{first}), "");
  EXPECT_THROW(d.feed(std::vector<Rank>{enc->encode_single_token("\xB8"), 999999999u}), tokcount::Error);
  EXPECT_EQ(d.pending_bytes(), 1u);
  EXPECT_EQ(d.feed(std::vector<Rank>{enc->encode_single_token("\xB8"), enc->encode_single_token("\xAD")}), "\xE4\xB8\xAD");
}

TEST(StreamUtf8, IncompleteSuffix) {
  EXPECT_EQ(tokcount::incomplete_utf8_suffix(""), 0u);
  EXPECT_EQ(tokcount::incomplete_utf8_suffix("abc"), 0u);
  EXPECT_EQ(tokcount::incomplete_utf8_suffix("a\xC3"), 1u);
  EXPECT_EQ(tokcount::incomplete_utf8_suffix("a\xE4\xB8"), 2u);
  EXPECT_EQ(tokcount::incomplete_utf8_suffix("a\xF0\x9F\x98"), 3u);
  EXPECT_EQ(tokcount::incomplete_utf8_suffix("a\xF0\x9F\x98\x80"), 0u);  // complete
  EXPECT_EQ(tokcount::incomplete_utf8_suffix("a\xE0\x80"), 0u);          // can never complete
  EXPECT_EQ(tokcount::incomplete_utf8_suffix("a\xED\xA0"), 0u);          // surrogate
  EXPECT_EQ(tokcount::incomplete_utf8_suffix("a\xC0"), 0u);
  EXPECT_EQ(tokcount::incomplete_utf8_suffix("\x80\x80\x80"), 0u);
}
