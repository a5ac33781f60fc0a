// Behaviour of the Encoding API beyond plain conformance: special tokens, errors, decoding,
// counting, batches, custom encodings, adversarial inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pretokenizer/patterns.hpp"
#include "tokcount/tokcount.hpp"

using tokcount::Encoding;
using tokcount::EncodeOptions;
using tokcount::Error;
using tokcount::ErrorCode;
using tokcount::Rank;
using tokcount::TokenSet;

namespace {

EncodeOptions allow_all() {
  EncodeOptions o;
  o.allowed_special = TokenSet::all();
  return o;
}

EncodeOptions ordinary() {
  EncodeOptions o;
  o.disallowed_special = TokenSet::none();
  return o;
}

template <class F>
Error capture(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected tokcount::Error";
  return Error(ErrorCode::kOk, "");
}

}  // namespace

TEST(Encoding, BuiltinPropertiesMatchTiktoken) {
  struct Row {
    const char* name;
    std::size_t n_vocab;
    Rank eot;
    std::size_t specials;
  };
  // tiktoken 0.14.0 n_vocab / eot_token / len(special_tokens_set).
  for (const Row& r : {Row{"gpt2", 50257, 50256, 1}, Row{"r50k_base", 50257, 50256, 1},
                       Row{"p50k_base", 50281, 50256, 1}, Row{"p50k_edit", 50284, 50256, 4},
                       Row{"cl100k_base", 100277, 100257, 5}, Row{"o200k_base", 200019, 199999, 2},
                       Row{"o200k_harmony", 201088, 199999, 1091}}) {
    const auto enc = Encoding::get(r.name);
    EXPECT_EQ(enc->name(), r.name);
    EXPECT_EQ(enc->n_vocab(), r.n_vocab) << r.name;
    EXPECT_EQ(enc->max_token_value(), r.n_vocab - 1) << r.name;
    ASSERT_TRUE(enc->eot_token().has_value());
    EXPECT_EQ(*enc->eot_token(), r.eot) << r.name;
    EXPECT_EQ(enc->special_tokens().size(), r.specials) << r.name;
  }
  EXPECT_EQ(Encoding::get("gpt2"), Encoding::get("gpt2")) << "built-ins are shared singletons";
  EXPECT_EQ(Encoding::get("cl100k_base")->mergeable_count(), 100256u);
  EXPECT_EQ(Encoding::get("p50k_base")->mergeable_count(), 50280u);
  EXPECT_STREQ(Encoding::get("o200k_base")->pretokenizer_kind(), "o200k");
  EXPECT_EQ(capture([] { Encoding::get("cl200k"); }).code(), ErrorCode::kUnknownEncoding);
}

TEST(Encoding, KnownVectors) {
  // openai-cookbook "How to count tokens with tiktoken".
  EXPECT_EQ(Encoding::get("cl100k_base")->encode("tiktoken is great!"),
            (std::vector<Rank>{83, 1609, 5963, 374, 2294, 0}));
  EXPECT_EQ(Encoding::get("o200k_base")->encode("tiktoken is great!"),
            (std::vector<Rank>{83, 8251, 2488, 382, 2212, 0}));
  EXPECT_EQ(Encoding::get("o200k_base")->encode("2 + 2 = 4"), (std::vector<Rank>{17, 659, 220, 17, 314, 220, 19}));
  EXPECT_EQ(Encoding::get("gpt2")->encode("hello world"), (std::vector<Rank>{31373, 995}));
  EXPECT_TRUE(Encoding::get("cl100k_base")->encode("").empty());
}

TEST(Encoding, ModelLookupFollowsTiktokenTables) {
  EXPECT_EQ(Encoding::encoding_name_for_model("gpt-4o"), "o200k_base");
  EXPECT_EQ(Encoding::encoding_name_for_model("gpt-4o-2024-05-13"), "o200k_base");
  EXPECT_EQ(Encoding::encoding_name_for_model("gpt-4-0314"), "cl100k_base");
  EXPECT_EQ(Encoding::encoding_name_for_model("gpt-3.5-turbo-0301"), "cl100k_base");
  EXPECT_EQ(Encoding::encoding_name_for_model("gpt-5.4"), "o200k_base");  // "gpt-5" prefix (0.14)
  EXPECT_EQ(Encoding::encoding_name_for_model("gpt-oss-120b"), "o200k_harmony");
  EXPECT_EQ(Encoding::encoding_name_for_model("text-davinci-003"), "p50k_base");
  EXPECT_EQ(Encoding::encoding_name_for_model("code-davinci-edit-001"), "p50k_edit");
  EXPECT_EQ(Encoding::encoding_name_for_model("davinci-002"), "cl100k_base");
  // First prefix wins: ft:gpt-4.1 hits "ft:gpt-4" (a tiktoken quirk we reproduce).
  EXPECT_EQ(Encoding::encoding_name_for_model("ft:gpt-4.1-mini:org::id"), "cl100k_base");
  EXPECT_EQ(Encoding::encoding_name_for_model("ft:gpt-4o-mini:org::id"), "o200k_base");
  EXPECT_EQ(Encoding::for_model("gpt2")->name(), "gpt2");
  for (const char* unknown : {"gpt-4.5", "gpt-oss", "claude-3", ""})
    EXPECT_EQ(capture([&] { Encoding::encoding_name_for_model(unknown); }).code(), ErrorCode::kUnknownModel)
        << unknown;
}

TEST(SpecialTokens, DefaultRejectsSpecialTextWithTokenAndOffset) {
  const auto enc = Encoding::get("cl100k_base");
  const Error e = capture([&] { enc->encode("hi <|endoftext|> there"); });
  EXPECT_EQ(e.code(), ErrorCode::kDisallowedSpecial);
  EXPECT_EQ(e.token(), "<|endoftext|>");
  EXPECT_EQ(e.byte_offset(), 3u);
  EXPECT_NE(std::string(e.what()).find("<|endoftext|>"), std::string::npos);
  // The first occurrence is reported.
  EXPECT_EQ(capture([&] { enc->encode("a<|fim_middle|>b<|endoftext|>"); }).token(), "<|fim_middle|>");
}

TEST(SpecialTokens, AllowedAllEncodesSpecials) {
  EXPECT_EQ(Encoding::get("cl100k_base")->encode("hello<|endoftext|>world", allow_all()),
            (std::vector<Rank>{15339, 100257, 14957}));
  EXPECT_EQ(Encoding::get("o200k_base")->encode("hello<|endoftext|>world", allow_all()),
            (std::vector<Rank>{24912, 199999, 24169}));
  EXPECT_EQ(Encoding::get("gpt2")->encode("<|endoftext|>", allow_all()), (std::vector<Rank>{50256}));
}

TEST(SpecialTokens, DisallowNoneEncodesSpecialTextAsText) {
  const auto enc = Encoding::get("cl100k_base");
  const auto as_text = enc->encode("<|endoftext|>", ordinary());
  EXPECT_GT(as_text.size(), 1u);
  EXPECT_EQ(as_text, enc->encode_ordinary("<|endoftext|>"));
  EXPECT_EQ(enc->decode_bytes(as_text), "<|endoftext|>");
}

TEST(SpecialTokens, AllowedSubsetOnlyThoseAreSpecial) {
  const auto enc = Encoding::get("cl100k_base");
  EncodeOptions o;
  o.allowed_special = TokenSet::of({"<|fim_prefix|>"});
  // <|endoftext|> is still disallowed (disallowed = all - allowed).
  EXPECT_EQ(capture([&] { enc->encode("<|fim_prefix|>x<|endoftext|>", o); }).token(), "<|endoftext|>");
  o.disallowed_special = TokenSet::none();
  const auto t = enc->encode("<|fim_prefix|>x<|endoftext|>", o);
  EXPECT_EQ(t.front(), 100258u);
  EXPECT_EQ(std::count(t.begin(), t.end(), Rank{100257}), 0);
  // An explicit disallowed list is searched as given.
  EncodeOptions d;
  d.disallowed_special = TokenSet::of({"<|fim_suffix|>"});
  EXPECT_NO_THROW(enc->encode("<|endoftext|>", d));
  EXPECT_EQ(capture([&] { enc->encode("..<|fim_suffix|>", d); }).byte_offset(), 2u);
}

TEST(SpecialTokens, SegmentsArePreTokenizedSeparately) {
  // tiktoken runs the split regex on each segment between specials, so `\s++$` matches the
  // spaces right before a special token as if at the end of the text.
  const auto enc = Encoding::get("cl100k_base");
  const auto with = enc->encode("a  <|endoftext|>", allow_all());
  auto expected = enc->encode_ordinary("a  ");
  expected.push_back(100257);
  EXPECT_EQ(with, expected);
}

TEST(SpecialTokens, HarmonyTokens) {
  const auto enc = Encoding::get("o200k_harmony");
  EXPECT_EQ(enc->encode("<|start|>user<|message|>hi<|end|>", allow_all()).front(), 200006u);
  EXPECT_EQ(enc->encode_single_token("<|reserved_200018|>"), 200018u);
  EXPECT_EQ(enc->encode_single_token("<|endofprompt|>"), 200018u);
  EXPECT_EQ(enc->token_bytes(200018), "<|endofprompt|>");
  EXPECT_EQ(enc->token_bytes(201087), "<|reserved_201087|>");
  EXPECT_TRUE(enc->is_special_token(200012));
  EXPECT_FALSE(enc->is_special_token(1000));
}

TEST(Utf8, StrictReportsOffsetAndLossyReplaces) {
  const auto enc = Encoding::get("o200k_base");
  const std::string bad = std::string("ok \xC3\x28 x");
  const Error e = capture([&] { enc->encode(bad); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidUtf8);
  EXPECT_EQ(e.byte_offset(), 3u);
  EncodeOptions lossy;
  lossy.utf8 = tokcount::Utf8Mode::kReplace;
  EXPECT_EQ(enc->encode(bad, lossy), enc->encode("ok \xEF\xBF\xBD( x"));
  // Surrogates and overlongs are invalid; each maximal subpart becomes one U+FFFD.
  EXPECT_EQ(tokcount::replace_invalid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(tokcount::replace_invalid_utf8("\xF0\x9F\x98"), "\xEF\xBF\xBD");
  EXPECT_EQ(tokcount::replace_invalid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(tokcount::find_invalid_utf8("plain ascii text, long enough for the word loop"), tokcount::kNoOffset);
  EXPECT_EQ(tokcount::find_invalid_utf8("0123456789abcdef\xFF"), 16u);
}

TEST(Decode, RoundTripsAndReportsUnknownIds) {
  const auto enc = Encoding::get("cl100k_base");
  const std::string text = "Grüße, 世界! 👋🏽 \r\n\tcode(x) {}";
  const auto tokens = enc->encode(text);
  EXPECT_EQ(enc->decode_bytes(tokens), text);
  EXPECT_EQ(enc->decode(tokens), text);
  const Error e = capture([&] { enc->decode_bytes(std::vector<Rank>{15339, 999999}); });
  EXPECT_EQ(e.code(), ErrorCode::kUnknownToken);
  EXPECT_EQ(e.token(), "999999");
  // 100256 is a gap in cl100k (between mergeable ranks and specials).
  EXPECT_EQ(capture([&] { enc->token_bytes(100256); }).code(), ErrorCode::kUnknownToken);
  // decode() replaces a token boundary that splits a character.
  const auto emoji = enc->encode("👋");
  ASSERT_GT(emoji.size(), 1u);
  EXPECT_EQ(enc->decode(std::vector<Rank>{emoji[0]}), "\xEF\xBF\xBD");
}

TEST(Decode, SingleTokens) {
  const auto enc = Encoding::get("gpt2");
  EXPECT_EQ(enc->encode_single_token("hello"), 31373u);
  EXPECT_EQ(enc->encode_single_token("<|endoftext|>"), 50256u);
  EXPECT_EQ(enc->token_bytes(31373), "hello");
  EXPECT_EQ(capture([&] { enc->encode_single_token("hello world"); }).code(), ErrorCode::kUnknownToken);
}

TEST(Count, MatchesEncodeAndStopsAtBudget) {
  const auto enc = Encoding::get("o200k_base");
  std::string text;
  for (int i = 0; i < 200; ++i) text += "The quick brown fox jumps over the lazy dog. ";
  const std::size_t n = enc->encode(text).size();
  EXPECT_EQ(enc->count(text), n);
  const auto under = enc->count_up_to(text, n);
  EXPECT_FALSE(under.exceeded);
  EXPECT_EQ(under.count, n);
  const auto over = enc->count_up_to(text, 10);
  EXPECT_TRUE(over.exceeded);
  EXPECT_EQ(over.count, 11u);
  EXPECT_EQ(enc->count_up_to("", 0).count, 0u);
  EXPECT_TRUE(enc->count_up_to("x", 0).exceeded);
}

TEST(Batch, ThreadsGiveSameResultsInOrder) {
  const auto enc = Encoding::get("cl100k_base");
  std::vector<std::string> owned;
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) owned.push_back("doc " + std::to_string(rng()) + std::string(i % 17, ' ') + "end.");
  std::vector<std::string_view> texts(owned.begin(), owned.end());
  const auto batch = enc->encode_batch(texts, {}, 2);
  const auto counts = enc->count_batch(texts, {}, 2);
  ASSERT_EQ(batch.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(batch[i], enc->encode(texts[i]));
    EXPECT_EQ(counts[i], batch[i].size());
  }
  // The first error in input order is reported.
  texts[5] = "<|endoftext|>";
  texts[200] = "\xFF";
  EXPECT_EQ(capture([&] { enc->encode_batch(texts, {}, 2); }).code(), ErrorCode::kDisallowedSpecial);
}

TEST(Batch, TinyTextsClaimedInChunksKeepOrderAndTheFirstError) {
  const auto enc = Encoding::get("o200k_base");
  std::vector<std::string> owned;
  for (int i = 0; i < 5000; ++i) owned.push_back(std::to_string(i * 7919) + (i % 3 ? " x" : "!"));
  std::vector<std::string_view> texts(owned.begin(), owned.end());
  const auto counts = enc->count_batch(texts, {}, 3);
  ASSERT_EQ(counts.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) ASSERT_EQ(counts[i], enc->count(texts[i])) << i;
  texts[4000] = "\xFF";  // same chunk neighbourhood as the next one: the lower index wins
  texts[4001] = "<|endoftext|>";
  EXPECT_EQ(capture([&] { enc->count_batch(texts, {}, 3); }).code(), ErrorCode::kInvalidUtf8);
}

// The texts delivered by encode_batch_in_order, checked to come in order, each once, on the
// calling thread.
struct Delivered {
  std::vector<std::vector<Rank>> results;
  bool on_other_thread = false, out_of_order = false;
};

Delivered deliver_all(const Encoding& enc, std::span<const std::string_view> texts, unsigned threads) {
  Delivered d;
  const auto caller = std::this_thread::get_id();
  enc.encode_batch_in_order(texts, {}, threads, [&](std::size_t first, std::span<std::vector<Rank>> r) {
    if (std::this_thread::get_id() != caller) d.on_other_thread = true;
    if (first != d.results.size() || r.empty()) d.out_of_order = true;
    for (auto& tokens : r) d.results.push_back(std::move(tokens));
  });
  return d;
}

TEST(Batch, InOrderDeliversEveryTextOnceInOrderOnTheCallingThread) {
  const auto enc = Encoding::get("cl100k_base");
  std::vector<std::string> owned;
  std::mt19937 rng(11);
  for (int i = 0; i < 700; ++i)  // tiny texts and a few of tens of kilobytes, so chunks differ in cost
    owned.push_back(i % 97 == 0 ? std::string(40000 + i, static_cast<char>('a' + i % 26)) : "doc " + std::to_string(rng()) + " end");
  std::vector<std::string_view> texts(owned.begin(), owned.end());
  for (unsigned threads : {1u, 2u, 4u}) {
    const Delivered d = deliver_all(*enc, texts, threads);
    EXPECT_FALSE(d.on_other_thread) << threads;
    EXPECT_FALSE(d.out_of_order) << threads;
    ASSERT_EQ(d.results.size(), texts.size()) << threads;
    for (std::size_t i = 0; i < texts.size(); ++i) ASSERT_EQ(d.results[i], enc->encode(texts[i])) << threads << " " << i;
  }
  EXPECT_TRUE(deliver_all(*enc, {}, 2).results.empty());
}

TEST(Batch, InOrderStopsAtTheFirstErrorAfterDeliveringEverythingBeforeIt) {
  const auto enc = Encoding::get("cl100k_base");
  std::vector<std::string> owned(400, "a text that encodes");
  owned[150] = "<|endoftext|>";
  owned[390] = "\xFF";
  std::vector<std::string_view> texts(owned.begin(), owned.end());
  for (unsigned threads : {1u, 2u, 4u}) {
    std::size_t delivered = 0;
    const Error e = capture([&] {
      enc->encode_batch_in_order(texts, {}, threads,
                                 [&](std::size_t first, std::span<std::vector<Rank>> r) { delivered = first + r.size(); });
    });
    EXPECT_EQ(e.code(), ErrorCode::kDisallowedSpecial) << threads;
    EXPECT_EQ(delivered, 150u) << threads;
  }
  // The consumer's own exception comes out too, and deliver is not called again after it.
  owned[150] = owned[390] = "fine";
  for (unsigned threads : {1u, 2u}) {
    int calls_after_throw = 0;
    bool thrown = false;
    try {
      enc->encode_batch_in_order(texts, {}, threads, [&](std::size_t first, std::span<std::vector<Rank>> r) {
        if (thrown) ++calls_after_throw;
        if (first + r.size() > 200) {
          thrown = true;
          throw std::runtime_error("consumer failed");
        }
      });
      ADD_FAILURE() << "no exception with " << threads << " threads";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "consumer failed");
    }
    EXPECT_TRUE(thrown);
    EXPECT_EQ(calls_after_throw, 0) << threads;
  }
}

TEST(EncodeBytes, MatchesTiktokenOnTruncatedUtf8) {
  const auto enc = Encoding::get("cl100k_base");
  EXPECT_EQ(enc->encode_bytes("hello world"), enc->encode_ordinary("hello world"));
  // A truncated character: the valid prefix, then the last piece re-merged with the tail.
  const std::string truncated = std::string("hello \xE2\x82");
  const auto t = enc->encode_bytes(truncated);
  EXPECT_EQ(enc->decode_bytes(t), truncated);
  EXPECT_EQ(t.front(), 15339u);
}

TEST(CustomEncoding, BuiltFromTiktokenBufferMatchesBuiltin) {
  const auto base = Encoding::get("r50k_base");
  auto ranks = base->mergeable_ranks();
  ASSERT_EQ(ranks.size(), 50256u);
  const auto custom = Encoding::create("my_r50k", base->pat_str(), ranks, {{"<|endoftext|>", 50256}}, 50257);
  EXPECT_STREQ(custom->pretokenizer_kind(), "r50k");
  const std::string text = "Custom encodings share the pipeline: 123 + 4567 = don't!";
  EXPECT_EQ(custom->encode(text), base->encode(text));
  EXPECT_EQ(custom->n_vocab(), 50257u);
  // explicit_n_vocab is checked like tiktoken's assertion.
  EXPECT_EQ(capture([&] { Encoding::create("bad", base->pat_str(), ranks, {}, 50300); }).code(),
            ErrorCode::kInvalidArgument);
}

TEST(CustomEncoding, ParsesTiktokenFormatAndRejectsBadInput) {
  const auto ranks = Encoding::parse_tiktoken_bpe("YQ== 0\nYg== 1\n\nYWI= 2\n");
  ASSERT_EQ(ranks.size(), 3u);
  EXPECT_EQ(ranks[2].first, "ab");
  EXPECT_EQ(ranks[2].second, 2u);
  EXPECT_EQ(capture([] { Encoding::parse_tiktoken_bpe("YQ== x\n"); }).code(), ErrorCode::kParseError);
  EXPECT_EQ(capture([] { Encoding::parse_tiktoken_bpe("!!! 0\n"); }).code(), ErrorCode::kParseError);
  EXPECT_EQ(capture([] { Encoding::parse_tiktoken_bpe("YQ==\n"); }).code(), ErrorCode::kParseError);
  // Duplicate ranks are rejected (tiktoken: "Encoder and decoder must be of equal length").
  EXPECT_EQ(capture([] {
              Encoding::create("dup", std::string(tokcount::pretok::kR50kPattern), {{"a", 0}, {"b", 0}}, {});
            }).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(capture([] { Encoding::load_tiktoken_bpe_file("/nonexistent/file.tiktoken"); }).code(),
            ErrorCode::kIoError);
}

TEST(CustomEncoding, MissingByteIsAClearError) {
  const auto enc = Encoding::create("tiny", std::string(tokcount::pretok::kR50kPattern), {{"a", 0}, {"b", 1}, {"ab", 2}}, {});
  EXPECT_EQ(enc->encode("abab"), (std::vector<Rank>{2, 2}));
  EXPECT_EQ(enc->encode("ba"), (std::vector<Rank>{1, 0}));
  EXPECT_EQ(capture([&] { enc->encode("abc"); }).code(), ErrorCode::kInvalidArgument);
}

TEST(CustomEncoding, SpecialTokensWithDifferentFirstBytes) {
  // Built-ins all start with '<' (the search then jumps with memchr); a custom set may not.
  const auto enc = Encoding::create("tiny_specials", std::string(tokcount::pretok::kR50kPattern),
                                    {{"a", 0}, {"b", 1}, {"ab", 2}}, {{"<|x|>", 3}, {"[END]", 4}});
  EncodeOptions all;
  all.allowed_special = TokenSet::all();
  EXPECT_EQ(enc->encode("ab[END]a<|x|>", all), (std::vector<Rank>{2, 4, 0, 3}));
  EXPECT_EQ(capture([&] { enc->encode("ab[END]"); }).code(), ErrorCode::kDisallowedSpecial);
  EXPECT_EQ(capture([&] { enc->encode("ab<|x|>"); }).code(), ErrorCode::kDisallowedSpecial);
  EXPECT_EQ(capture([&] { enc->encode("ab<|x|>"); }).byte_offset(), 2u);
}

TEST(Adversarial, MegabyteInputsComplete) {
  // No timing assertion: the test proves these finish (a quadratic path would time out) and
  // round-trip. Throughput is measured by the benchmarks.
  std::mt19937 rng(1);
  std::string letters(1 << 20, 'a');
  for (auto& c : letters) c = static_cast<char>('a' + rng() % 26);
  std::string punct(1 << 20, '!');
  for (auto& c : punct) c = "!@#$%^&*()[]{}<>?/\\|~`"[rng() % 22];
  const std::string inputs[] = {std::string(1 << 20, 'a'), letters, std::string(1 << 20, '7'), punct,
                                std::string(1 << 20, ' '), std::string(1 << 20, '\n')};
  for (const char* name : {"r50k_base", "cl100k_base", "o200k_base"}) {
    const auto enc = Encoding::get(name);
    for (const auto& s : inputs) {
      const auto tokens = enc->encode_ordinary(s);
      EXPECT_EQ(enc->decode_bytes(tokens), s) << name;
      EXPECT_EQ(enc->count_ordinary(s), tokens.size()) << name;
    }
  }
}
