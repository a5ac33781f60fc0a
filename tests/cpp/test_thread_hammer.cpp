// Thread hammer: many threads encoding, counting, decoding, streaming and chat-counting on one
// shared Encoding (built-in and custom RE2-pattern encodings) and through one shared C API
// handle must all get the single-threaded results. Built-ins are process-wide singletons and
// the merge memo is thread_local, so this is where a data race would show; tools/test.sh runs
// it in the TSan build (build-tsan/) too. TOKCOUNT_HAMMER_ROUNDS scales the work (default 6).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "tokcount/chat.hpp"
#include "tokcount/stream.hpp"
#include "tokcount/tokcount.h"
#include "tokcount/tokcount.hpp"

namespace {

using tokcount::EncodeOptions;
using tokcount::Encoding;
using tokcount::EncodingPtr;
using tokcount::Rank;

// Deterministic mixed texts: prose, code, CJK, emoji, long unspaced runs (backtracking
// merge), digits, whitespace runs, special-token text, and invalid bytes (lossy path).
std::vector<std::string> hammer_texts() {
  std::vector<std::string> out = {
      "Hello, world! It's a test of the tokenizer's threads.",
      "def f(x):\n    return x ** 2  # squares\n\n\n\t\t",
      "日本語のテキストと中文文本，还有한국어 텍스트。",
      "emoji 👩‍👩‍👧‍👦🏳️‍🌈 and combining é ñ ü",
      "1234567890 3.14159 1e-9 0xDEADBEEF",
      "   leading and trailing spaces   ",
      "hi<|endoftext|>there<|fim_prefix|>x",
      std::string("bad \xff\xfe bytes \xe2\x82 here"),
  };
  std::string run;
  for (int i = 0; i < 300; ++i) run += static_cast<char>('a' + (i * 7) % 26);
  out.push_back(run);
  std::string mixed;
  for (int i = 0; i < 200; ++i) mixed += (i % 5 == 0 ? " " : "") + std::to_string(i * 37) + "ü";
  out.push_back(mixed);
  return out;
}

struct Expected {
  std::vector<Rank> ids;
  std::size_t count = 0;
  std::string decoded;
};

int rounds() {
  const char* v = std::getenv("TOKCOUNT_HAMMER_ROUNDS");
  return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : 6;
}

void hammer(const EncodingPtr& enc, unsigned threads) {
  const std::vector<std::string> texts = hammer_texts();
  EncodeOptions opts;
  opts.allowed_special = tokcount::TokenSet::all();
  opts.utf8 = tokcount::Utf8Mode::kReplace;
  std::vector<Expected> expect;
  for (const std::string& t : texts) {
    Expected e;
    e.ids = enc->encode(t, opts);
    e.count = enc->count(t, opts);
    e.decoded = enc->decode(e.ids);
    expect.push_back(std::move(e));
  }
  const std::string body =
      R"({"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},)"
      R"({"role":"user","content":"What is 2+2? 日本語"}],)"
      R"("tools":[{"type":"function","function":{"name":"add","parameters":{"type":"object",)"
      R"("properties":{"a":{"type":"number"},"b":{"type":"number"}}}}}]})";
  const std::size_t chat_expect = tokcount::chat::render_json(body).prompt_tokens;

  tokcount_encoding* handle = nullptr;
  ASSERT_EQ(tokcount_encoding_get(enc->name().data(), enc->name().size(), &handle), TOKCOUNT_OK);

  std::atomic<int> mismatches{0};
  std::atomic<bool> go{false};
  const int n_rounds = rounds();
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < threads; ++w) {
    pool.emplace_back([&, w] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (int r = 0; r < n_rounds; ++r) {
        for (std::size_t k = 0; k < texts.size(); ++k) {
          // Each thread starts at a different text so different pieces race.
          const std::size_t i = (k + w) % texts.size();
          const std::string& t = texts[i];
          if (enc->encode(t, opts) != expect[i].ids) ++mismatches;
          if (enc->count(t, opts) != expect[i].count) ++mismatches;
          if (enc->decode(expect[i].ids) != expect[i].decoded) ++mismatches;
          std::size_t n = 0;
          if (tokcount_count(handle, t.data(), t.size(), TOKCOUNT_ALLOWED_SPECIAL_ALL | TOKCOUNT_UTF8_REPLACE, &n) !=
                  TOKCOUNT_OK ||
              n != expect[i].count)
            ++mismatches;
          tokcount::StreamEncoder s(enc, opts);
          std::vector<Rank> got;
          for (std::size_t p = 0; p < t.size(); p += 5) {
            auto part = s.feed(std::string_view(t).substr(p, 5));
            got.insert(got.end(), part.begin(), part.end());
          }
          auto tail = s.finish();
          got.insert(got.end(), tail.begin(), tail.end());
          if (got != expect[i].ids) ++mismatches;
        }
        if (enc->name() == "o200k_base" && tokcount::chat::render_json(body).prompt_tokens != chat_expect)
          ++mismatches;
        // A failing call on one thread must not disturb another thread's last error.
        std::size_t n = 0;
        if (tokcount_count(handle, "\xff", 1, 0, &n) != TOKCOUNT_INVALID_UTF8 || tokcount_last_error_offset() != 0)
          ++mismatches;
      }
    });
  }
  go.store(true, std::memory_order_release);
  for (std::thread& t : pool) t.join();
  tokcount_encoding_free(handle);
  EXPECT_EQ(mismatches.load(), 0) << enc->name();
}

TEST(ThreadHammer, SharedBuiltinEncodingsGiveIdenticalResults) {
  for (const char* name : {"o200k_base", "cl100k_base", "r50k_base"}) hammer(Encoding::get(name), 8);
}

TEST(ThreadHammer, SharedCustomRe2EncodingGivesIdenticalResults) {
  // A custom pattern runs on RE2 (shared compiled regex) rather than a hand-written scanner.
  const EncodingPtr base = Encoding::get("cl100k_base");
  const EncodingPtr custom =
      Encoding::create("hammer_custom", R"( ?\p{L}+| ?\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
                       base->mergeable_ranks(), {{"<|endoftext|>", 100257}});
  ASSERT_STREQ(custom->pretokenizer_kind(), "re2");
  const std::vector<std::string> texts = hammer_texts();
  std::vector<std::vector<Rank>> expect;
  EncodeOptions opts;
  opts.allowed_special = tokcount::TokenSet::all();
  opts.utf8 = tokcount::Utf8Mode::kReplace;
  for (const std::string& t : texts) expect.push_back(custom->encode(t, opts));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < 8; ++w) {
    pool.emplace_back([&, w] {
      for (int r = 0; r < rounds(); ++r)
        for (std::size_t k = 0; k < texts.size(); ++k) {
          const std::size_t i = (k + w) % texts.size();
          if (custom->encode(texts[i], opts) != expect[i]) ++mismatches;
          if (custom->count(texts[i], opts) != expect[i].size()) ++mismatches;
        }
    });
  }
  for (std::thread& t : pool) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ThreadHammer, FirstUseOfEveryEncodingRacesSafely) {
  // Built-ins are created on first use: many threads asking at once get one instance.
  std::vector<const Encoding*> seen(16 * 7);
  std::vector<std::thread> pool;
  const char* names[] = {"r50k_base", "gpt2", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base", "o200k_harmony"};
  for (unsigned w = 0; w < 16; ++w) {
    pool.emplace_back([&, w] {
      for (int k = 0; k < 7; ++k) seen[w * 7 + k] = Encoding::get(names[(k + w) % 7]).get();
    });
  }
  for (std::thread& t : pool) t.join();
  for (int k = 0; k < 7; ++k) {
    const Encoding* one = Encoding::get(names[k]).get();
    for (unsigned w = 0; w < 16; ++w) EXPECT_EQ(seen[w * 7 + ((k - static_cast<int>(w)) % 7 + 7) % 7], one) << names[k];
  }
}

}  // namespace
