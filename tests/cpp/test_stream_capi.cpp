// C API for streaming: the same tokens as tokcount_encode, size queries, budget, decoder,
// NULL and misuse checks (never a crash, always a status).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tokcount/tokcount.h"

namespace {

std::vector<uint32_t> take(const tokcount_stream* s) {
  size_t n = 0;
  const tokcount_status query = tokcount_stream_tokens(s, nullptr, 0, &n);
  EXPECT_EQ(query, n == 0 ? TOKCOUNT_OK : TOKCOUNT_BUFFER_TOO_SMALL);
  std::vector<uint32_t> out(n);
  EXPECT_EQ(tokcount_stream_tokens(s, out.data(), out.size(), &n), TOKCOUNT_OK);
  return out;
}

}  // namespace

TEST(StreamCApi, FeedFinishEqualsEncode) {
  tokcount_encoding* enc = nullptr;
  ASSERT_EQ(tokcount_encoding_get("cl100k_base", 11, &enc), TOKCOUNT_OK);
  tokcount_stream* s = nullptr;
  ASSERT_EQ(tokcount_stream_new(enc, nullptr, &s), TOKCOUNT_OK);
  const std::string text = "Streaming \xE2\x9C\x93 works,   \n\n  exactly.";
  std::vector<uint32_t> got;
  for (size_t i = 0; i < text.size(); i += 3) {
    ASSERT_EQ(tokcount_stream_feed(s, text.data() + i, std::min<size_t>(3, text.size() - i)), TOKCOUNT_OK);
    for (uint32_t t : take(s)) got.push_back(t);
  }
  size_t stable = 0, total = 0;
  ASSERT_EQ(tokcount_stream_count(s, &stable, &total), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_stream_finish(s), TOKCOUNT_OK);
  for (uint32_t t : take(s)) got.push_back(t);
  std::vector<uint32_t> expected(text.size());
  size_t n = 0;
  ASSERT_EQ(tokcount_encode(enc, text.data(), text.size(), 0, expected.data(), expected.size(), &n), TOKCOUNT_OK);
  expected.resize(n);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(total, n);
  EXPECT_LE(stable, total);
  // Feeding after finish is a misuse, reported, not a crash; reset starts over.
  EXPECT_EQ(tokcount_stream_feed(s, "x", 1), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_stream_reset(s), TOKCOUNT_OK);
  EXPECT_EQ(tokcount_stream_feed(s, "x", 1), TOKCOUNT_OK);
  tokcount_stream_free(s);
  tokcount_encoding_free(enc);
}

TEST(StreamCApi, ErrorsBudgetAndNulls) {
  tokcount_encoding* enc = nullptr;
  ASSERT_EQ(tokcount_encoding_get("o200k_base", 10, &enc), TOKCOUNT_OK);
  tokcount_stream* s = nullptr;
  EXPECT_EQ(tokcount_stream_new(nullptr, nullptr, &s), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(tokcount_stream_new(enc, nullptr, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_stream_feed(nullptr, "a", 1), TOKCOUNT_INVALID_ARGUMENT);
  tokcount_options opt = {};
  opt.flags = 0x80;  // unknown flag
  EXPECT_EQ(tokcount_stream_new(enc, &opt, &s), TOKCOUNT_INVALID_ARGUMENT);

  ASSERT_EQ(tokcount_stream_new(enc, nullptr, &s), TOKCOUNT_OK);
  EXPECT_EQ(tokcount_stream_feed(s, nullptr, 1), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_stream_feed(s, nullptr, 0), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_stream_set_budget(s, 3), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_stream_feed(s, "one two three", 13), TOKCOUNT_OK);
  int over = -1;
  size_t at = 0;
  ASSERT_EQ(tokcount_stream_budget(s, &over, &at), TOKCOUNT_OK);
  EXPECT_EQ(over, 0);
  EXPECT_EQ(at, TOKCOUNT_NO_OFFSET);
  ASSERT_EQ(tokcount_stream_feed(s, " four", 5), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_stream_budget(s, &over, &at), TOKCOUNT_OK);
  EXPECT_EQ(over, 1);
  EXPECT_EQ(at, 18u);
  // Disallowed special-token text: an error with the stream offset; the stream stays failed.
  EXPECT_EQ(tokcount_stream_feed(s, " <|endoftext|> ", 15), TOKCOUNT_DISALLOWED_SPECIAL);
  EXPECT_EQ(tokcount_last_error_offset(), 19u);
  EXPECT_EQ(tokcount_stream_finish(s), TOKCOUNT_DISALLOWED_SPECIAL);
  tokcount_stream_free(s);
  tokcount_stream_free(nullptr);

  // Invalid UTF-8 split across feeds: the offset of the bad byte in the whole stream.
  ASSERT_EQ(tokcount_stream_new(enc, nullptr, &s), TOKCOUNT_OK);
  EXPECT_EQ(tokcount_stream_feed(s, "ab\xE4", 3), TOKCOUNT_OK);
  EXPECT_EQ(tokcount_stream_feed(s, "z", 1), TOKCOUNT_INVALID_UTF8);
  EXPECT_EQ(tokcount_last_error_offset(), 2u);
  tokcount_stream_free(s);
  tokcount_encoding_free(enc);
}

TEST(StreamCApi, Decoder) {
  tokcount_encoding* enc = nullptr;
  ASSERT_EQ(tokcount_encoding_get("cl100k_base", 11, &enc), TOKCOUNT_OK);
  tokcount_stream_decoder* d = nullptr;
  ASSERT_EQ(tokcount_stream_decoder_new(enc, &d), TOKCOUNT_OK);
  uint32_t e4 = 0, b8 = 0, ad = 0;
  ASSERT_EQ(tokcount_encode_single_token(enc, "\xE4", 1, &e4), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_encode_single_token(enc, "\xB8", 1, &b8), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_encode_single_token(enc, "\xAD", 1, &ad), TOKCOUNT_OK);
  const uint32_t first[] = {e4, b8};
  ASSERT_EQ(tokcount_stream_decoder_feed(d, first, 2), TOKCOUNT_OK);
  size_t n = 99;
  ASSERT_EQ(tokcount_stream_decoder_text(d, nullptr, 0, &n), TOKCOUNT_OK);
  EXPECT_EQ(n, 0u);  // held back: incomplete character
  const uint32_t bad[] = {ad, 4000000000u};
  EXPECT_EQ(tokcount_stream_decoder_feed(d, bad, 2), TOKCOUNT_UNKNOWN_TOKEN);
  ASSERT_EQ(tokcount_stream_decoder_feed(d, &ad, 1), TOKCOUNT_OK);
  char buf[8];
  ASSERT_EQ(tokcount_stream_decoder_text(d, buf, sizeof buf, &n), TOKCOUNT_OK);
  EXPECT_EQ(std::string(buf, n), "\xE4\xB8\xAD");
  ASSERT_EQ(tokcount_stream_decoder_feed(d, &e4, 1), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_stream_decoder_finish(d), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_stream_decoder_text(d, buf, sizeof buf, &n), TOKCOUNT_OK);
  EXPECT_EQ(std::string(buf, n), "\xEF\xBF\xBD");  // U+FFFD, as tokcount_decode gives
  EXPECT_EQ(tokcount_stream_decoder_feed(nullptr, &e4, 1), TOKCOUNT_INVALID_ARGUMENT);
  tokcount_stream_decoder_free(d);
  tokcount_encoding_free(enc);
}

// ---- SSE through the C API: the same counts as the C++ ChatStream (one skin, one pipeline) --

namespace {

std::string read_stream_fixture(const char* name) {
  std::ifstream in(std::string(TOKCOUNT_SOURCE_DIR) + "/tests/fixtures/stream/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(SseCApi, ByteByByteFeedCountsLikeOneShotEncode) {
  const std::string body = read_stream_fixture("basic.sse");
  ASSERT_FALSE(body.empty());
  tokcount_sse_stream* s = nullptr;
  ASSERT_EQ(tokcount_sse_stream_new(nullptr, nullptr, 0, 1, &s), TOKCOUNT_OK);
  for (char c : body) ASSERT_EQ(tokcount_sse_stream_feed(s, &c, 1), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_sse_stream_finish(s), TOKCOUNT_OK);
  size_t got = 0;
  ASSERT_EQ(tokcount_sse_stream_completion_tokens(s, &got), TOKCOUNT_OK);
  // The oracle: one-shot encode of the stitched content (tests/fixtures/stream/expected.json).
  tokcount_encoding* enc = nullptr;
  ASSERT_EQ(tokcount_encoding_get("o200k_base", 10, &enc), TOKCOUNT_OK);
  const std::string content = "Hello! How can I  help you today? \xF0\x9F\x99\x82";
  size_t expected = 0;
  ASSERT_EQ(tokcount_count(enc, content.data(), content.size(), 0, &expected), TOKCOUNT_OK);
  EXPECT_EQ(got, expected);
  int has_usage = 0;
  uint64_t prompt = 0, completion = 0, reasoning = 0;
  ASSERT_EQ(tokcount_sse_stream_usage(s, &has_usage, &prompt, &completion, &reasoning), TOKCOUNT_OK);
  EXPECT_EQ(has_usage, 1);
  EXPECT_EQ(completion, 11u);
  EXPECT_EQ(reasoning, 0u);
  size_t len = 0;
  EXPECT_EQ(tokcount_sse_stream_result_json(s, nullptr, 0, &len), TOKCOUNT_BUFFER_TOO_SMALL);
  std::string json(len, '\0');
  ASSERT_EQ(tokcount_sse_stream_result_json(s, json.data(), json.size(), &len), TOKCOUNT_OK);
  EXPECT_NE(json.find("\"completion_tokens\":" + std::to_string(expected)), std::string::npos) << json;
  EXPECT_NE(json.find("help you today"), std::string::npos);
  tokcount_sse_stream_free(s);
  tokcount_encoding_free(enc);
}

TEST(SseCApi, MalformedFrameIsATypedErrorWithOffsetAndKeepsTheCount) {
  const std::string body = read_stream_fixture("malformed.sse");
  ASSERT_FALSE(body.empty());
  tokcount_encoding* enc = nullptr;
  ASSERT_EQ(tokcount_encoding_get("o200k_base", 10, &enc), TOKCOUNT_OK);
  tokcount_sse_stream* s = nullptr;
  ASSERT_EQ(tokcount_sse_stream_new(enc, nullptr, 0, 0, &s), TOKCOUNT_OK);
  EXPECT_EQ(tokcount_sse_stream_feed(s, body.data(), body.size()), TOKCOUNT_PARSE_ERROR);
  const size_t offset = tokcount_last_error_offset();
  ASSERT_NE(offset, TOKCOUNT_NO_OFFSET);
  EXPECT_LT(offset, body.size());
  EXPECT_GT(offset, body.find("\n\n"));  // the first event was good
  size_t counted = 0;
  ASSERT_EQ(tokcount_sse_stream_completion_tokens(s, &counted), TOKCOUNT_OK);
  EXPECT_GT(counted, 0u);  // "Good" and what followed it before the bad frame
  EXPECT_EQ(tokcount_sse_stream_feed(s, "data: {}\n\n", 10), TOKCOUNT_PARSE_ERROR);  // stays failed
  tokcount_sse_stream_free(s);
  tokcount_encoding_free(enc);
}

TEST(SseCApi, NullAndEmptyArguments) {
  tokcount_sse_stream* s = nullptr;
  EXPECT_EQ(tokcount_sse_stream_new(nullptr, nullptr, 3, 0, &s), TOKCOUNT_INVALID_ARGUMENT);  // NULL model, len 3
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(tokcount_sse_stream_new(nullptr, nullptr, 0, 0, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_sse_stream_feed(nullptr, "x", 1), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_sse_stream_finish(nullptr), TOKCOUNT_INVALID_ARGUMENT);
  size_t n = 0;
  EXPECT_EQ(tokcount_sse_stream_completion_tokens(nullptr, &n), TOKCOUNT_INVALID_ARGUMENT);
  ASSERT_EQ(tokcount_sse_stream_new(nullptr, "gpt-4o", 6, 0, &s), TOKCOUNT_OK);
  EXPECT_EQ(tokcount_sse_stream_feed(s, nullptr, 0), TOKCOUNT_OK);  // empty read
  EXPECT_EQ(tokcount_sse_stream_feed(s, nullptr, 1), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_sse_stream_completion_tokens(s, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_sse_stream_usage(s, nullptr, nullptr, nullptr, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  int has = 1;
  EXPECT_EQ(tokcount_sse_stream_usage(s, &has, nullptr, nullptr, nullptr), TOKCOUNT_OK);
  EXPECT_EQ(has, 0);
  EXPECT_EQ(tokcount_sse_stream_result_json(s, nullptr, 0, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  tokcount_sse_stream_free(s);
  tokcount_sse_stream_free(nullptr);
}
