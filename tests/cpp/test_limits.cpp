// Resource limits: no input makes time grow faster than n log n. For each adversarial shape
// (one 4 MB piece of letters, of digits, of whitespace, of punctuation; repeated merges;
// combining marks; special-token text; invalid bytes in lossy mode) the time for 4x the input
// must stay under 8x (linear is 4x, n log n about 4.4x; the slack absorbs a loaded machine).
// Best of two runs per size, up to three rounds. Sizes are 1 MB / 4 MB, or 256 kB / 1 MB in sanitizer builds.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>

#include "tokcount/stream.hpp"
#include "tokcount/tokcount.hpp"

namespace {

using tokcount::EncodeOptions;
using tokcount::Encoding;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::size_t kSmall = 256 << 10;
#else
constexpr std::size_t kSmall = 1 << 20;
#endif

std::string repeat_to(std::string_view unit, std::size_t n) {
  std::string s;
  s.reserve(n + unit.size());
  while (s.size() < n) s += unit;
  s.resize(n - n % unit.size());  // whole units: no split UTF-8 sequence at the end
  return s;
}

double best_seconds(const std::function<void()>& fn) {
  double best = 1e9;
  for (int i = 0; i < 2; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

struct Shape {
  const char* name;
  std::function<std::string(std::size_t)> make;
};

const Shape kShapes[] = {
    {"letters", [](std::size_t n) { return repeat_to("abcdefghijklmnopqrstuvwxyz", n); }},
    {"one_letter", [](std::size_t n) { return std::string(n, 'a'); }},
    {"digits", [](std::size_t n) { return repeat_to("1234567890", n); }},
    {"spaces", [](std::size_t n) { return std::string(n, ' '); }},
    {"newlines_spaces", [](std::size_t n) { return repeat_to(" \n \n\t", n); }},
    {"punctuation", [](std::size_t n) { return repeat_to("!@#$%^&*()", n); }},
    {"contractions", [](std::size_t n) { return repeat_to("'s'S'll", n); }},
    {"cjk", [](std::size_t n) { return repeat_to("日本語中文", n); }},
    {"combining", [](std::size_t n) { return "e" + repeat_to("\xcc\x81", n); }},
    {"specials", [](std::size_t n) { return repeat_to("<|endoftext|>", n); }},
    {"special_prefixes", [](std::size_t n) { return repeat_to("<|endoftex", n); }},
    {"invalid", [](std::size_t n) { return repeat_to("\xff\xfe\x80", n); }},
};

void check_growth(const char* what, const std::string& shape, const std::function<void(const std::string&)>& run,
                  const std::function<std::string(std::size_t)>& make) {
  const std::string small = make(kSmall), big = make(4 * kSmall);
  run(small);  // warm up: first-use tables, memo
  // Up to three rounds: a busy machine (ctest runs tests in parallel) can stretch one round's
  // big run, but a quadratic path is 16x in every round, so passing one round is the verdict.
  double t1 = 0, t4 = 0, limit = 0;
  for (int round = 0; round < 3; ++round) {
    t1 = best_seconds([&] { run(small); });
    t4 = best_seconds([&] { run(big); });
    // Below 10 ms per MB-sized run, cache effects (1 MB stays in cache, 4 MB does not) and a
    // loaded machine dominate the ratio; a superlinear path costs far more than that at 1 MB.
    limit = 8.0 * std::max(t1, 10e-3 * static_cast<double>(kSmall) / (1 << 20));
    if (t4 < limit) break;
  }
  EXPECT_LT(t4, limit) << what << " / " << shape << ": " << t1 << " s -> " << t4 << " s (3 rounds)";
}

TEST(Limits, EncodeTimeGrowsAtMostNLogN) {
  EncodeOptions opts;
  opts.allowed_special = tokcount::TokenSet::all();
  opts.utf8 = tokcount::Utf8Mode::kReplace;
  for (const char* name : {"r50k_base", "cl100k_base", "o200k_base"}) {
    const auto enc = Encoding::get(name);
    for (const Shape& s : kShapes) {
      check_growth(name, s.name, [&](const std::string& t) { (void)enc->count(t, opts); }, s.make);
    }
  }
}

TEST(Limits, CustomPatternAndHeapMergeTimeGrowsAtMostNLogN) {
  // A custom encoding runs the RE2 pre-tokenizer and, without backtracking tables, the heap merge.
  const auto base = Encoding::get("r50k_base");
  const auto custom = Encoding::create("limits_custom", R"(\p{L}+|\p{N}+|\s+|[^\s\p{L}\p{N}]+)",
                                       base->mergeable_ranks(), {});
  for (const Shape& s : kShapes) {
    check_growth("custom", s.name, [&](const std::string& t) {
      (void)custom->count(t, EncodeOptions{tokcount::TokenSet::none(), tokcount::TokenSet::none(),
                                           tokcount::Utf8Mode::kReplace});
    }, s.make);
  }
}

TEST(Limits, StreamEncoderTimeGrowsAtMostNLogN) {
  EncodeOptions opts;
  opts.allowed_special = tokcount::TokenSet::all();
  opts.utf8 = tokcount::Utf8Mode::kReplace;
  const auto enc = Encoding::get("o200k_base");
  for (const Shape& s : kShapes) {
    check_growth("stream", s.name, [&](const std::string& t) {
      tokcount::StreamEncoder st(enc, opts);
      for (std::size_t i = 0; i < t.size(); i += 4096) (void)st.feed(std::string_view(t).substr(i, 4096));
      (void)st.finish();
    }, s.make);
  }
}

TEST(Limits, DecodeTimeGrowsLinearly) {
  const auto enc = Encoding::get("o200k_base");
  check_growth("decode", "ids", [&](const std::string& t) {
    std::vector<tokcount::Rank> ids(t.size() / 4);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<tokcount::Rank>((i * 7919) % 199990);
    (void)enc->decode(ids);
  }, [](std::size_t n) { return std::string(n, 'x'); });
}

}  // namespace
