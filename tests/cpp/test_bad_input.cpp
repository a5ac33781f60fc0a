// "What bad input gets" (README): one test per row of the table, for the C API (status, last
// error message and offset) and the C++ API (tokcount::Error code, offset, token) it wraps.
// The Python and CLI columns are backed by tests/python and tests/cli/test_bad_input.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "tokcount/chat.hpp"
#include "tokcount/lint.hpp"
#include "tokcount/sse.hpp"
#include "tokcount/stream.hpp"
#include "tokcount/tokcount.h"
#include "tokcount/tokcount.hpp"

namespace {

using tokcount::Encoding;
using tokcount::Error;
using tokcount::ErrorCode;

struct Handle {
  tokcount_encoding* h = nullptr;
  Handle() { EXPECT_EQ(tokcount_encoding_get("o200k_base", 10, &h), TOKCOUNT_OK); }
  ~Handle() { tokcount_encoding_free(h); }
};

std::string last_message() { return tokcount_last_error_message(); }

template <class F>
Error cpp_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no tokcount::Error thrown";
  return Error(ErrorCode::kOk, "");
}

TEST(BadInput, InvalidUtf8) {
  Handle enc;
  const std::string text = "ok \xe2\x82 bad";
  size_t n = 0;
  EXPECT_EQ(tokcount_count(enc.h, text.data(), text.size(), 0, &n), TOKCOUNT_INVALID_UTF8);
  EXPECT_EQ(tokcount_last_error_offset(), 3u);
  EXPECT_NE(last_message().find("not valid UTF-8 at byte offset 3"), std::string::npos) << last_message();
  // Lossy mode encodes the U+FFFD-replaced text instead.
  EXPECT_EQ(tokcount_count(enc.h, text.data(), text.size(), TOKCOUNT_UTF8_REPLACE, &n), TOKCOUNT_OK);
  EXPECT_EQ(n, Encoding::get("o200k_base")->count("ok \xef\xbf\xbd bad"));
  const Error e = cpp_error([&] { (void)Encoding::get("o200k_base")->encode(text); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidUtf8);
  EXPECT_EQ(e.byte_offset(), 3u);
}

TEST(BadInput, DisallowedSpecialToken) {
  Handle enc;
  const std::string text = "hi <|endoftext|>";
  size_t n = 0;
  EXPECT_EQ(tokcount_count(enc.h, text.data(), text.size(), 0, &n), TOKCOUNT_DISALLOWED_SPECIAL);
  EXPECT_EQ(tokcount_last_error_offset(), 3u);
  EXPECT_NE(last_message().find("<|endoftext|>"), std::string::npos) << last_message();
  EXPECT_EQ(tokcount_count(enc.h, text.data(), text.size(), TOKCOUNT_ALLOWED_SPECIAL_ALL, &n), TOKCOUNT_OK);
  const Error e = cpp_error([&] { (void)Encoding::get("o200k_base")->encode(text); });
  EXPECT_EQ(e.code(), ErrorCode::kDisallowedSpecial);
  EXPECT_EQ(e.token(), "<|endoftext|>");
  EXPECT_EQ(e.byte_offset(), 3u);
}

TEST(BadInput, DisallowedSpecialOffsetIsInTheInputInLossyMode) {
  // Regression (fuzz_encode): in lossy mode the special-token search runs on the repaired text,
  // where each invalid byte is 3 bytes of U+FFFD; the offset must still be the input's.
  Handle enc;
  const std::string text = "\xff\xff ab\xe2\x82<|endoftext|>\xff";
  size_t n = 0;
  EXPECT_EQ(tokcount_count(enc.h, text.data(), text.size(), TOKCOUNT_UTF8_REPLACE, &n), TOKCOUNT_DISALLOWED_SPECIAL);
  EXPECT_EQ(tokcount_last_error_offset(), 7u);
  EXPECT_NE(last_message().find("at byte offset 7."), std::string::npos) << last_message();
  tokcount::EncodeOptions lossy;
  lossy.utf8 = tokcount::Utf8Mode::kReplace;
  const Error e = cpp_error([&] { (void)Encoding::get("o200k_base")->encode(text, lossy); });
  EXPECT_EQ(e.code(), ErrorCode::kDisallowedSpecial);
  EXPECT_EQ(e.byte_offset(), 7u);
  EXPECT_EQ(text.substr(e.byte_offset(), 13), "<|endoftext|>");
}

TEST(BadInput, UnknownTokenId) {
  Handle enc;
  const uint32_t ids[] = {24912, 4000000000u};
  size_t need = 0;
  EXPECT_EQ(tokcount_decode(enc.h, ids, 2, nullptr, 0, &need), TOKCOUNT_UNKNOWN_TOKEN);
  EXPECT_NE(last_message().find("4000000000"), std::string::npos) << last_message();
  const char* bytes = nullptr;
  size_t len = 0;
  EXPECT_EQ(tokcount_token_bytes(enc.h, 199998, &bytes, &len), TOKCOUNT_UNKNOWN_TOKEN);  // a gap id
  const Error e = cpp_error([&] { (void)Encoding::get("o200k_base")->decode(std::vector<tokcount::Rank>{4000000000u}); });
  EXPECT_EQ(e.code(), ErrorCode::kUnknownToken);
}

TEST(BadInput, MalformedChatJson) {
  const std::string body = R"({"model":"gpt-4o","messages":[)";
  tokcount_chat_result* r = nullptr;
  EXPECT_EQ(tokcount_chat_render(body.data(), body.size(), nullptr, &r), TOKCOUNT_PARSE_ERROR);
  EXPECT_EQ(r, nullptr);
  EXPECT_NE(tokcount_last_error_offset(), TOKCOUNT_NO_OFFSET);
  // Valid JSON of the wrong shape: INVALID_ARGUMENT naming the JSON path.
  const std::string wrong = R"({"model":"gpt-4o","messages":[{"role":"user","content":7}]})";
  EXPECT_EQ(tokcount_chat_render(wrong.data(), wrong.size(), nullptr, &r), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_NE(last_message().find("$.messages[0].content"), std::string::npos) << last_message();
  EXPECT_EQ(cpp_error([&] { (void)tokcount::chat::render_json(body); }).code(), ErrorCode::kParseError);
  // Nesting deep enough to overflow a recursive parser is an error, not a crash.
  const std::string deep = R"({"model":"gpt-4o","messages":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_NE(tokcount_chat_render(deep.data(), deep.size(), nullptr, &r), TOKCOUNT_OK);
  EXPECT_EQ(r, nullptr);
}

TEST(BadInput, MalformedSseFrame) {
  // No C API for SSE; the C++ ChatStream (tokcount sse, the proxy, Python ChatStream).
  tokcount::sse::ChatStreamOptions opts;
  opts.model = "gpt-4o";
  tokcount::sse::ChatStream s(opts);
  const std::string good = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n";
  s.feed(good);
  const Error e = cpp_error([&] { s.feed("data: {not json\n\n"); });
  EXPECT_EQ(e.code(), ErrorCode::kParseError);
  EXPECT_NE(e.byte_offset(), tokcount::kNoOffset);
  EXPECT_GE(e.byte_offset(), good.size());
  EXPECT_TRUE(s.failed());
  EXPECT_EQ(s.result().choices.at(0).content, "hi");  // what came before the bad frame is kept
  // An event without a line end that grows past the limit: kInputTooLarge, not unbounded memory.
  tokcount::sse::EventParser p(1024);
  EXPECT_EQ(cpp_error([&] { p.feed("data: " + std::string(4096, 'x'), [](const tokcount::sse::Event&) {}); }).code(),
            ErrorCode::kInputTooLarge);
}

TEST(BadInput, NullAndEmptyArguments) {
  Handle enc;
  size_t n = 7;
  EXPECT_EQ(tokcount_count(nullptr, "a", 1, 0, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count(enc.h, nullptr, 1, 0, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count(enc.h, "a", 1, 0, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count(enc.h, "a", 1, 0x80u, &n), TOKCOUNT_INVALID_ARGUMENT);  // unknown flag
  EXPECT_FALSE(last_message().empty());
  EXPECT_EQ(tokcount_encoding_get(nullptr, 3, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_chat_render(nullptr, 5, nullptr, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  // (NULL, 0) is the empty text: valid, zero tokens.
  EXPECT_EQ(tokcount_count(enc.h, nullptr, 0, 0, &n), TOKCOUNT_OK);
  EXPECT_EQ(n, 0u);
  tokcount_encoding_free(nullptr);  // allowed
}

TEST(BadInput, OversizeInput) {
  Handle enc;
  size_t n = 0;
  // The length is checked before any byte is read, so a short buffer can stand for it.
  const char small[4] = {'a', 'b', 'c', 'd'};
  EXPECT_EQ(tokcount_count(enc.h, small, TOKCOUNT_MAX_INPUT_BYTES + 1, 0, &n), TOKCOUNT_INPUT_TOO_LARGE);
  EXPECT_NE(last_message().find("TOKCOUNT_MAX_INPUT_BYTES"), std::string::npos) << last_message();
  static_assert(TOKCOUNT_MAX_INPUT_BYTES == tokcount::kMaxInputBytes);
  // The stream encoder (tokcount count of big files) limits only its pending text; what it
  // has emitted is dropped, so memory stays at the unfinished piece.
  const auto o200k = Encoding::get("o200k_base");
  tokcount::StreamEncoder s(o200k);
  const std::string part = " " + std::string(1 << 12, 'a');  // one piece: counts add up
  std::size_t tokens = 0, max_pending = 0;
  for (int i = 0; i < 256; ++i) {
    tokens += s.feed(part).size();
    max_pending = std::max(max_pending, s.pending_bytes());
  }
  tokens += s.finish().size();
  EXPECT_EQ(tokens, 256 * o200k->count(part));
  EXPECT_LE(max_pending, 2 * part.size());
}

TEST(BadInput, BadCustomPatternOrVocabulary) {
  const std::string vocab = "YQ== 0\nYg== 1\n";  // "a", "b"
  tokcount_encoding* h = nullptr;
  const std::string lookbehind = "(?<=a)b|.";
  EXPECT_EQ(tokcount_encoding_create("x", 1, lookbehind.data(), lookbehind.size(), vocab.data(), vocab.size(),
                                     nullptr, 0, 0, &h),
            TOKCOUNT_UNSUPPORTED_PATTERN);
  EXPECT_EQ(h, nullptr);
  const std::string unclosed = "(a";
  EXPECT_EQ(tokcount_encoding_create("x", 1, unclosed.data(), unclosed.size(), vocab.data(), vocab.size(),
                                     nullptr, 0, 0, &h),
            TOKCOUNT_UNSUPPORTED_PATTERN);
  const std::string ok_pattern = "\\S+|\\s+";
  const std::string bad_vocab = "YQ== 0\nnot base64! 1\n";
  EXPECT_EQ(tokcount_encoding_create("x", 1, ok_pattern.data(), ok_pattern.size(), bad_vocab.data(),
                                     bad_vocab.size(), nullptr, 0, 0, &h),
            TOKCOUNT_PARSE_ERROR);
  EXPECT_NE(last_message().find("line 2"), std::string::npos) << last_message();
  const std::string dup = "YQ== 0\nYg== 0\n";  // two tokens, one rank
  EXPECT_NE(tokcount_encoding_create("x", 1, ok_pattern.data(), ok_pattern.size(), dup.data(), dup.size(), nullptr,
                                     0, 0, &h),
            TOKCOUNT_OK);
  EXPECT_EQ(cpp_error([&] { (void)Encoding::create("x", lookbehind, {{"a", 0}}, {}); }).code(),
            ErrorCode::kUnsupportedPattern);
  EXPECT_EQ(cpp_error([&] { (void)Encoding::parse_tiktoken_bpe(bad_vocab); }).code(), ErrorCode::kParseError);
}

TEST(BadInput, EmptyCustomVocabularyAndPattern) {
  // Regression (fuzz_custom_encoding, UBSan): an empty vocabulary reached memcpy with a null
  // source. Either a typed error or a usable (empty) encoding is fine; nothing undefined.
  try {
    const auto enc = Encoding::create("empty", "", {}, {});
    EXPECT_TRUE(enc->encode("").empty());
  } catch (const Error& e) {
    EXPECT_NE(e.code(), ErrorCode::kInternal);
  }
  tokcount_encoding* h = nullptr;
  const tokcount_status st = tokcount_encoding_create("empty", 5, "", 0, "", 0, nullptr, 0, 0, &h);
  EXPECT_NE(st, TOKCOUNT_INTERNAL);
  tokcount_encoding_free(h);
}

TEST(BadInput, UnknownEncodingOrModel) {
  tokcount_encoding* h = nullptr;
  EXPECT_EQ(tokcount_encoding_get("nope", 4, &h), TOKCOUNT_UNKNOWN_ENCODING);
  EXPECT_EQ(tokcount_encoding_for_model("no-such-model", 13, &h), TOKCOUNT_UNKNOWN_MODEL);
  EXPECT_EQ(h, nullptr);
  EXPECT_EQ(cpp_error([] { (void)Encoding::get("nope"); }).code(), ErrorCode::kUnknownEncoding);
}

TEST(BadInput, UnreadableFile) {
  tokcount_encoding* h = nullptr;
  const std::string path = "/nonexistent/dir/x.tiktoken";
  const std::string pattern = "\\S+|\\s+";
  EXPECT_EQ(tokcount_encoding_create_from_file("x", 1, pattern.data(), pattern.size(), path.data(), path.size(),
                                               nullptr, 0, 0, &h),
            TOKCOUNT_IO_ERROR);
  EXPECT_NE(last_message().find(path), std::string::npos) << last_message();
  EXPECT_EQ(cpp_error([&] { (void)Encoding::load_tiktoken_bpe_file(path); }).code(), ErrorCode::kIoError);
  EXPECT_EQ(cpp_error([&] { (void)tokcount::lint::Config::load_file("/nonexistent/.tokcount-lint.toml"); }).code(),
            ErrorCode::kIoError);
}

TEST(BadInput, BadLintConfig) {
  tokcount_lint_result* r = nullptr;
  const std::string toml = "[rules]\nPC099 = \"error\"\n";
  EXPECT_EQ(tokcount_lint_text("x", 1, nullptr, 0, toml.data(), toml.size(), &r), TOKCOUNT_PARSE_ERROR);
  EXPECT_NE(last_message().find("PC099"), std::string::npos) << last_message();
  EXPECT_EQ(r, nullptr);
  const std::string broken = "[rules\n";
  EXPECT_EQ(tokcount_lint_text("x", 1, nullptr, 0, broken.data(), broken.size(), &r), TOKCOUNT_PARSE_ERROR);
  EXPECT_EQ(cpp_error([&] { (void)tokcount::lint::Config::parse_toml(broken); }).code(), ErrorCode::kParseError);
}

TEST(BadInput, OutputBufferTooSmall) {
  Handle enc;
  uint32_t out[1];
  size_t need = 0;
  const std::string text = "hello world, again";
  EXPECT_EQ(tokcount_encode(enc.h, text.data(), text.size(), 0, out, 1, &need), TOKCOUNT_BUFFER_TOO_SMALL);
  EXPECT_EQ(need, Encoding::get("o200k_base")->count(text));
}

}  // namespace
