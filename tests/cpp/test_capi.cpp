// The C API (tokcount.h): every status it can return, argument checking, caller buffers and
// size queries, the per-thread last error, and agreement with the C++ API it wraps.
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tokcount/tokcount.h"
#include "tokcount/tokcount.hpp"

namespace {

constexpr const char* kR50kPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(v >> shift) & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// A small byte-level vocabulary: the 256 single bytes (rank = byte value) and "ab" = 256.
std::string tiny_tiktoken() {
  std::string data;
  for (int b = 0; b < 256; ++b) {
    data += base64(std::string(1, static_cast<char>(b))) + " " + std::to_string(b) + "\n";
  }
  data += base64("ab") + " 256\n";
  return data;
}

const tokcount_special_token kTinySpecials[] = {{"<|end|>", 7, 257}};

std::string status_name(tokcount_status s) { return tokcount_status_name(s); }

class CApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(tokcount_encoding_get("o200k_base", 10, &o200k_), TOKCOUNT_OK);
    ASSERT_EQ(tokcount_encoding_get("cl100k_base", 11, &cl100k_), TOKCOUNT_OK);
  }
  void TearDown() override {
    tokcount_encoding_free(o200k_);
    tokcount_encoding_free(cl100k_);
  }

  // Encodes through the size query, as a C caller would; status goes to *status.
  static std::vector<uint32_t> encode(const tokcount_encoding* enc, std::string_view text,
                                      uint32_t flags, tokcount_status* status = nullptr) {
    size_t needed = 0;
    tokcount_status s = tokcount_encode(enc, text.data(), text.size(), flags, nullptr, 0, &needed);
    std::vector<uint32_t> tokens;
    if (s == TOKCOUNT_BUFFER_TOO_SMALL) {
      tokens.resize(needed);
      size_t n = 0;
      s = tokcount_encode(enc, text.data(), text.size(), flags, tokens.data(), tokens.size(), &n);
      EXPECT_EQ(n, needed);
    }
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_EQ(s, TOKCOUNT_OK) << tokcount_last_error_message();
    }
    return tokens;
  }

  static std::vector<uint32_t> encode_ex(const tokcount_encoding* enc, std::string_view text,
                                         const tokcount_options* options,
                                         tokcount_status* status) {
    std::vector<uint32_t> tokens(text.size() * 3 + 1);  // the documented upper bound
    size_t n = 0;
    *status = tokcount_encode_ex(enc, text.data(), text.size(), options, tokens.data(),
                                 tokens.size(), &n);
    tokens.resize(*status == TOKCOUNT_OK ? n : 0);
    return tokens;
  }

  static std::string decode_bytes(const tokcount_encoding* enc, const std::vector<uint32_t>& t) {
    std::string out(t.size() * 128, '\0');
    size_t n = 0;
    EXPECT_EQ(tokcount_decode_bytes(enc, t.data(), t.size(), out.data(), out.size(), &n),
              TOKCOUNT_OK);
    out.resize(n);
    return out;
  }

  static std::vector<uint32_t> cpp_encode(const char* name, std::string_view text,
                                          const tokcount::EncodeOptions& options = {}) {
    return tokcount::Encoding::get(name)->encode(text, options);
  }

  static std::string tiny_path() { return ::testing::TempDir() + "tokcount_capi_tiny.tiktoken"; }

  tokcount_encoding* o200k_ = nullptr;
  tokcount_encoding* cl100k_ = nullptr;
};

TEST_F(CApi, VersionMacrosMatchTheLibrary) {
  char expected[32];
  std::snprintf(expected, sizeof expected, "%d.%d.%d", TOKCOUNT_VERSION_MAJOR,
                TOKCOUNT_VERSION_MINOR, TOKCOUNT_VERSION_PATCH);
  EXPECT_STREQ(tokcount_version(), expected);
  EXPECT_STREQ(tokcount_version(), tokcount::version());
  EXPECT_EQ(tokcount_abi_version(), TOKCOUNT_ABI_VERSION);
  EXPECT_STREQ(tokcount_unicode_version(), tokcount::unicode_version());
  EXPECT_GT(std::strlen(tokcount_unicode_version()), 0u);
}

TEST_F(CApi, StatusNamesFollowTheCppErrorCodes) {
  for (int code = TOKCOUNT_OK; code <= TOKCOUNT_INTERNAL; ++code) {
    const auto status = static_cast<tokcount_status>(code);
    EXPECT_EQ(status_name(status),
              std::string("TOKCOUNT_") +
                  tokcount::error_code_name(static_cast<tokcount::ErrorCode>(code)));
  }
  EXPECT_EQ(status_name(TOKCOUNT_DISALLOWED_SPECIAL), "TOKCOUNT_DISALLOWED_SPECIAL");
  // 14 and 15 are representable in the enum but name no status (C callers may pass any int).
  EXPECT_EQ(status_name(static_cast<tokcount_status>(14)), "TOKCOUNT_UNKNOWN_STATUS");
  EXPECT_EQ(status_name(static_cast<tokcount_status>(15)), "TOKCOUNT_UNKNOWN_STATUS");
}

TEST_F(CApi, GetsEncodingsByNameAndModel) {
  const char* name = nullptr;
  size_t len = 0;
  ASSERT_EQ(tokcount_encoding_name(o200k_, &name, &len), TOKCOUNT_OK);
  EXPECT_EQ(std::string_view(name, len), "o200k_base");
  EXPECT_EQ(name[len], '\0');

  struct Row {
    const char* model;
    const char* encoding;
  };
  for (const Row& r : {Row{"gpt-4o", "o200k_base"}, Row{"gpt-4", "cl100k_base"},
                       Row{"gpt-4o-2024-08-06", "o200k_base"}, Row{"text-davinci-003", "p50k_base"}}) {
    tokcount_encoding* enc = nullptr;
    ASSERT_EQ(tokcount_encoding_for_model(r.model, std::strlen(r.model), &enc), TOKCOUNT_OK)
        << r.model;
    ASSERT_EQ(tokcount_encoding_name(enc, &name, &len), TOKCOUNT_OK);
    EXPECT_EQ(std::string_view(name, len), r.encoding) << r.model;
    tokcount_encoding_free(enc);
  }
}

TEST_F(CApi, UnknownEncodingAndModelAreReportedAndClearTheHandle) {
  auto* sentinel = reinterpret_cast<tokcount_encoding*>(&o200k_);
  tokcount_encoding* enc = sentinel;
  EXPECT_EQ(tokcount_encoding_get("o300k_base", 10, &enc), TOKCOUNT_UNKNOWN_ENCODING);
  EXPECT_EQ(enc, nullptr);
  EXPECT_NE(std::string(tokcount_last_error_message()).find("o300k_base"), std::string::npos)
      << tokcount_last_error_message();
  EXPECT_EQ(tokcount_last_error_offset(), TOKCOUNT_NO_OFFSET);

  enc = sentinel;
  EXPECT_EQ(tokcount_encoding_for_model("no-such-model", 13, &enc), TOKCOUNT_UNKNOWN_MODEL);
  EXPECT_EQ(enc, nullptr);
  EXPECT_STRNE(tokcount_last_error_message(), "");

  // A name is a (data, len) text: NUL bytes are part of it, and the length decides.
  EXPECT_EQ(tokcount_encoding_get("o200k_base\0x", 12, &enc), TOKCOUNT_UNKNOWN_ENCODING);
  ASSERT_EQ(tokcount_encoding_get("o200k_base_and_more", 10, &enc), TOKCOUNT_OK);
  tokcount_encoding_free(enc);
  // NULL with length 0 is the empty name, which is simply unknown.
  EXPECT_EQ(tokcount_encoding_get(nullptr, 0, &enc), TOKCOUNT_UNKNOWN_ENCODING);
}

TEST_F(CApi, HandleArgumentsAreChecked) {
  tokcount_encoding* enc = nullptr;
  EXPECT_EQ(tokcount_encoding_get(nullptr, 5, &enc), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encoding_get("gpt2", 4, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encoding_for_model(nullptr, 3, &enc), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encoding_for_model("gpt-4", 5, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_STRNE(tokcount_last_error_message(), "");
  tokcount_encoding_free(nullptr);  // allowed, no effect
}

TEST_F(CApi, BuiltinHandlesAreIndependentlyFreeable) {
  tokcount_encoding* a = nullptr;
  tokcount_encoding* b = nullptr;
  ASSERT_EQ(tokcount_encoding_get("o200k_base", 10, &a), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_encoding_get("o200k_base", 10, &b), TOKCOUNT_OK);
  EXPECT_NE(a, b);
  tokcount_encoding_free(a);
  size_t count = 0;
  EXPECT_EQ(tokcount_count(b, "still works", 11, 0, &count), TOKCOUNT_OK);
  EXPECT_EQ(count, cpp_encode("o200k_base", "still works").size());
  tokcount_encoding_free(b);
}

TEST_F(CApi, EncodeAndCountMatchTheCppApi) {
  EXPECT_EQ(encode(cl100k_, "hello world", 0), (std::vector<uint32_t>{15339, 1917}));
  const std::vector<std::string> texts = {
      "hello world",
      "The quick brown fox jumps over the lazy dog.\n\n  indented\tline",
      "數字 123456789 and emoji \xf0\x9f\x98\x80\xf0\x9f\x98\x80 in one string",
      std::string("embedded\0nul", 12),
      "    \n\n\n   trailing spaces   "};
  for (const auto& text : texts) {
    for (const char* name : {"o200k_base", "cl100k_base"}) {
      const auto* enc = std::string_view(name) == "o200k_base" ? o200k_ : cl100k_;
      const auto expected = cpp_encode(name, text);
      EXPECT_EQ(encode(enc, text, 0), expected) << name << ": " << text;
      size_t count = 0;
      ASSERT_EQ(tokcount_count(enc, text.data(), text.size(), 0, &count), TOKCOUNT_OK);
      EXPECT_EQ(count, expected.size());
      EXPECT_EQ(decode_bytes(enc, expected), text);
    }
  }
}

TEST_F(CApi, EmptyTextMayBeNull) {
  size_t n = 7;
  EXPECT_EQ(tokcount_encode(o200k_, nullptr, 0, 0, nullptr, 0, &n), TOKCOUNT_OK);
  EXPECT_EQ(n, 0u);
  size_t count = 7;
  EXPECT_EQ(tokcount_count(o200k_, nullptr, 0, 0, &count), TOKCOUNT_OK);
  EXPECT_EQ(count, 0u);
  int exceeded = 7;
  EXPECT_EQ(tokcount_count_up_to(o200k_, nullptr, 0, 0, 0, &count, &exceeded), TOKCOUNT_OK);
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(exceeded, 0);
  n = 7;
  EXPECT_EQ(tokcount_decode_bytes(o200k_, nullptr, 0, nullptr, 0, &n), TOKCOUNT_OK);
  EXPECT_EQ(n, 0u);
  n = 7;
  EXPECT_EQ(tokcount_decode(o200k_, nullptr, 0, nullptr, 0, &n), TOKCOUNT_OK);
  EXPECT_EQ(n, 0u);
  // No token has empty bytes.
  uint32_t token = 0;
  EXPECT_EQ(tokcount_encode_single_token(o200k_, nullptr, 0, &token), TOKCOUNT_UNKNOWN_TOKEN);
}

TEST_F(CApi, NullArgumentsAreInvalid) {
  uint32_t buf[8];
  size_t n = 0;
  int exceeded = 0;
  const uint32_t tokens[] = {15339};
  const char* bytes = nullptr;
  uint32_t u32 = 0;
  const tokcount_str texts[] = {{"a", 1}};

  // NULL handle
  EXPECT_EQ(tokcount_encode(nullptr, "a", 1, 0, buf, 8, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encode_ex(nullptr, "a", 1, nullptr, buf, 8, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count(nullptr, "a", 1, 0, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count_up_to(nullptr, "a", 1, 0, 5, &n, &exceeded), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count_batch(nullptr, texts, 1, 0, 1, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encode_single_token(nullptr, "a", 1, &u32), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_decode_bytes(nullptr, tokens, 1, nullptr, 0, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_decode(nullptr, tokens, 1, nullptr, 0, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_token_bytes(nullptr, 1, &bytes, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encoding_name(nullptr, &bytes, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_n_vocab(nullptr, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_max_token_value(nullptr, &u32), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_eot_token(nullptr, &u32), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_special_token_count(nullptr, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_special_token_at(nullptr, 0, &bytes, &n, &u32), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tokcount_last_error_message()).find("handle"), std::string::npos);

  // NULL data with a nonzero length
  EXPECT_EQ(tokcount_encode(o200k_, nullptr, 1, 0, buf, 8, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count(o200k_, nullptr, 3, 0, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count_up_to(o200k_, nullptr, 3, 0, 5, &n, &exceeded),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encode_single_token(o200k_, nullptr, 1, &u32), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_decode_bytes(o200k_, nullptr, 1, nullptr, 0, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_decode(o200k_, nullptr, 2, nullptr, 0, &n), TOKCOUNT_INVALID_ARGUMENT);

  // NULL outputs, and a NULL buffer that claims capacity
  EXPECT_EQ(tokcount_encode(o200k_, "a", 1, 0, buf, 8, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encode(o200k_, "a", 1, 0, nullptr, 8, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count(o200k_, "a", 1, 0, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count_up_to(o200k_, "a", 1, 0, 5, nullptr, &exceeded),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count_up_to(o200k_, "a", 1, 0, 5, &n, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encode_single_token(o200k_, "a", 1, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  char text[8];
  EXPECT_EQ(tokcount_decode_bytes(o200k_, tokens, 1, text, 8, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_decode_bytes(o200k_, tokens, 1, nullptr, 8, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_decode(o200k_, tokens, 1, text, 8, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_token_bytes(o200k_, 1, nullptr, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_token_bytes(o200k_, 1, &bytes, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encoding_name(o200k_, nullptr, &n), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encoding_name(o200k_, &bytes, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_n_vocab(o200k_, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_max_token_value(o200k_, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_eot_token(o200k_, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_special_token_count(o200k_, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_special_token_at(o200k_, 0, nullptr, &n, &u32), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_special_token_at(o200k_, 0, &bytes, nullptr, &u32),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_special_token_at(o200k_, 0, &bytes, &n, nullptr), TOKCOUNT_INVALID_ARGUMENT);
}

TEST_F(CApi, BufferTooSmallReportsTheNeededSizeAndWritesNothing) {
  const std::string text = "Counting tokens for a proxy budget, one buffer at a time.";
  const auto expected = cpp_encode("o200k_base", text);
  ASSERT_GT(expected.size(), 2u);

  size_t needed = 0;
  EXPECT_EQ(tokcount_encode(o200k_, text.data(), text.size(), 0, nullptr, 0, &needed),
            TOKCOUNT_BUFFER_TOO_SMALL);
  EXPECT_EQ(needed, expected.size());
  EXPECT_NE(std::string(tokcount_last_error_message()).find(std::to_string(expected.size())),
            std::string::npos)
      << tokcount_last_error_message();
  EXPECT_EQ(tokcount_last_error_offset(), TOKCOUNT_NO_OFFSET);

  std::vector<uint32_t> buf(expected.size() + 2, 0xDEADBEEF);
  size_t n = 0;
  EXPECT_EQ(tokcount_encode(o200k_, text.data(), text.size(), 0, buf.data(), expected.size() - 1,
                            &n),
            TOKCOUNT_BUFFER_TOO_SMALL);
  EXPECT_EQ(n, expected.size());
  EXPECT_TRUE(std::all_of(buf.begin(), buf.end(), [](uint32_t t) { return t == 0xDEADBEEF; }));

  // A larger buffer is filled up to the result and no further.
  EXPECT_EQ(tokcount_encode(o200k_, text.data(), text.size(), 0, buf.data(), buf.size(), &n),
            TOKCOUNT_OK);
  ASSERT_EQ(n, expected.size());
  EXPECT_EQ(std::vector<uint32_t>(buf.begin(), buf.begin() + static_cast<long>(n)), expected);
  EXPECT_EQ(buf[n], 0xDEADBEEFu);

  // The same protocol for decoding.
  size_t bytes_needed = 0;
  EXPECT_EQ(tokcount_decode_bytes(o200k_, expected.data(), expected.size(), nullptr, 0,
                                  &bytes_needed),
            TOKCOUNT_BUFFER_TOO_SMALL);
  EXPECT_EQ(bytes_needed, text.size());
  std::string out(text.size() - 1, '#');
  EXPECT_EQ(tokcount_decode(o200k_, expected.data(), expected.size(), out.data(), out.size(), &n),
            TOKCOUNT_BUFFER_TOO_SMALL);
  EXPECT_EQ(n, text.size());
  EXPECT_EQ(out, std::string(text.size() - 1, '#'));
  out.assign(text.size(), '#');
  EXPECT_EQ(tokcount_decode(o200k_, expected.data(), expected.size(), out.data(), out.size(), &n),
            TOKCOUNT_OK);
  EXPECT_EQ(out, text);
}

TEST_F(CApi, DisallowedSpecialReportsTokenAndOffset) {
  const std::string text = "hi <|endoftext|> there";
  tokcount_status status = TOKCOUNT_OK;
  encode(cl100k_, text, 0, &status);
  EXPECT_EQ(status, TOKCOUNT_DISALLOWED_SPECIAL);
  EXPECT_EQ(tokcount_last_error_offset(), 3u);
  EXPECT_NE(std::string(tokcount_last_error_message()).find("<|endoftext|>"), std::string::npos);
  size_t count = 0;
  EXPECT_EQ(tokcount_count(cl100k_, text.data(), text.size(), 0, &count),
            TOKCOUNT_DISALLOWED_SPECIAL);
  EXPECT_EQ(tokcount_last_error_offset(), 3u);

  // allowed_special="all": the special token is encoded as itself.
  const auto allowed = encode(cl100k_, text, TOKCOUNT_ALLOWED_SPECIAL_ALL);
  uint32_t eot = 0;
  ASSERT_EQ(tokcount_eot_token(cl100k_, &eot), TOKCOUNT_OK);
  EXPECT_NE(std::find(allowed.begin(), allowed.end(), eot), allowed.end());
  tokcount::EncodeOptions all;
  all.allowed_special = tokcount::TokenSet::all();
  EXPECT_EQ(allowed, cpp_encode("cl100k_base", text, all));

  // disallowed_special=(): the text is ordinary text.
  const auto ordinary = encode(cl100k_, text, TOKCOUNT_DISALLOWED_SPECIAL_NONE);
  EXPECT_EQ(std::find(ordinary.begin(), ordinary.end(), eot), ordinary.end());
  EXPECT_EQ(ordinary, tokcount::Encoding::get("cl100k_base")->encode_ordinary(text));
}

TEST_F(CApi, SpecialTokenListsThroughOptions) {
  const tokcount_str endoftext{"<|endoftext|>", 13};
  const tokcount_str endofprompt{"<|endofprompt|>", 15};
  const std::string both = "a<|endoftext|>b<|endofprompt|>c";
  tokcount_status status = TOKCOUNT_OK;

  // NULL options are tiktoken's defaults.
  encode_ex(o200k_, both, nullptr, &status);
  EXPECT_EQ(status, TOKCOUNT_DISALLOWED_SPECIAL);
  EXPECT_EQ(tokcount_last_error_offset(), 1u);
  tokcount_options defaults{};
  encode_ex(o200k_, both, &defaults, &status);
  EXPECT_EQ(status, TOKCOUNT_DISALLOWED_SPECIAL);

  // Allowing one leaves the other disallowed.
  tokcount_options allow_one{};
  allow_one.allowed_special = &endoftext;
  allow_one.allowed_special_count = 1;
  encode_ex(o200k_, both, &allow_one, &status);
  EXPECT_EQ(status, TOKCOUNT_DISALLOWED_SPECIAL);
  EXPECT_EQ(tokcount_last_error_offset(), 15u);
  EXPECT_NE(std::string(tokcount_last_error_message()).find("<|endofprompt|>"), std::string::npos);

  // ... unless only the allowed one is present, or the check is off for the rest.
  tokcount::EncodeOptions cpp_allow_one;
  cpp_allow_one.allowed_special = tokcount::TokenSet::of({"<|endoftext|>"});
  EXPECT_EQ(encode_ex(o200k_, "a<|endoftext|>b", &allow_one, &status),
            cpp_encode("o200k_base", "a<|endoftext|>b", cpp_allow_one));
  EXPECT_EQ(status, TOKCOUNT_OK);
  allow_one.flags = TOKCOUNT_DISALLOWED_SPECIAL_NONE;
  cpp_allow_one.disallowed_special = tokcount::TokenSet::none();
  EXPECT_EQ(encode_ex(o200k_, both, &allow_one, &status),
            cpp_encode("o200k_base", both, cpp_allow_one));
  EXPECT_EQ(status, TOKCOUNT_OK);

  // An explicit disallowed list checks only those.
  tokcount_options disallow_prompt{};
  disallow_prompt.disallowed_special = &endofprompt;
  disallow_prompt.disallowed_special_count = 1;
  tokcount::EncodeOptions cpp_disallow_prompt;
  cpp_disallow_prompt.disallowed_special = tokcount::TokenSet::of({"<|endofprompt|>"});
  const auto plain = encode_ex(o200k_, "x<|endoftext|>", &disallow_prompt, &status);
  EXPECT_EQ(status, TOKCOUNT_OK);
  EXPECT_EQ(plain, cpp_encode("o200k_base", "x<|endoftext|>", cpp_disallow_prompt));
  EXPECT_GT(plain.size(), 2u);  // encoded as ordinary text, not as the special token
  encode_ex(o200k_, both, &disallow_prompt, &status);
  EXPECT_EQ(status, TOKCOUNT_DISALLOWED_SPECIAL);
  EXPECT_EQ(tokcount_last_error_offset(), 15u);

  // The _ex forms of count, count_up_to and count_batch take the same options.
  size_t count = 0;
  int exceeded = 0;
  EXPECT_EQ(tokcount_count_ex(o200k_, "x<|endoftext|>", 14, &disallow_prompt, &count),
            TOKCOUNT_OK);
  EXPECT_EQ(count, plain.size());
  EXPECT_EQ(tokcount_count_up_to_ex(o200k_, "x<|endoftext|>", 14, &disallow_prompt, 100, &count,
                                    &exceeded),
            TOKCOUNT_OK);
  EXPECT_EQ(count, plain.size());
  EXPECT_EQ(exceeded, 0);
  const tokcount_str batch[] = {{"x<|endoftext|>", 14}, {"y", 1}};
  size_t counts[2] = {0, 0};
  EXPECT_EQ(tokcount_count_batch_ex(o200k_, batch, 2, &disallow_prompt, 2, counts), TOKCOUNT_OK);
  EXPECT_EQ(counts[0], plain.size());
  EXPECT_EQ(counts[1], 1u);
}

TEST_F(CApi, MalformedOptionsAreInvalid) {
  const tokcount_str endoftext{"<|endoftext|>", 13};
  tokcount_status status = TOKCOUNT_OK;

  tokcount_options conflict{};
  conflict.flags = TOKCOUNT_ALLOWED_SPECIAL_ALL;
  conflict.allowed_special = &endoftext;
  conflict.allowed_special_count = 1;
  encode_ex(o200k_, "a", &conflict, &status);
  EXPECT_EQ(status, TOKCOUNT_INVALID_ARGUMENT);

  conflict = {};
  conflict.flags = TOKCOUNT_DISALLOWED_SPECIAL_NONE;
  conflict.disallowed_special = &endoftext;
  conflict.disallowed_special_count = 1;
  encode_ex(o200k_, "a", &conflict, &status);
  EXPECT_EQ(status, TOKCOUNT_INVALID_ARGUMENT);

  tokcount_options null_list{};
  null_list.allowed_special_count = 2;
  encode_ex(o200k_, "a", &null_list, &status);
  EXPECT_EQ(status, TOKCOUNT_INVALID_ARGUMENT);
  null_list = {};
  null_list.disallowed_special_count = 1;
  encode_ex(o200k_, "a", &null_list, &status);
  EXPECT_EQ(status, TOKCOUNT_INVALID_ARGUMENT);

  const tokcount_str null_entry{nullptr, 4};
  tokcount_options bad_entry{};
  bad_entry.allowed_special = &null_entry;
  bad_entry.allowed_special_count = 1;
  encode_ex(o200k_, "a", &bad_entry, &status);
  EXPECT_EQ(status, TOKCOUNT_INVALID_ARGUMENT);

  // Flags the library does not know fail loudly instead of being ignored.
  size_t count = 0;
  EXPECT_EQ(tokcount_count(o200k_, "a", 1, 0x80u, &count), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tokcount_last_error_message()).find("flag"), std::string::npos);
}

TEST_F(CApi, InvalidUtf8IsAnErrorOrReplaced) {
  const std::string bad = "ab\xff" "cd";
  tokcount_status status = TOKCOUNT_OK;
  encode(o200k_, bad, 0, &status);
  EXPECT_EQ(status, TOKCOUNT_INVALID_UTF8);
  EXPECT_EQ(tokcount_last_error_offset(), 2u);
  EXPECT_STRNE(tokcount_last_error_message(), "");

  const auto lossy = encode(o200k_, bad, TOKCOUNT_UTF8_REPLACE);
  EXPECT_EQ(lossy, cpp_encode("o200k_base", "ab\xef\xbf\xbd" "cd"));
  size_t count = 0;
  EXPECT_EQ(tokcount_count(o200k_, bad.data(), bad.size(), TOKCOUNT_UTF8_REPLACE, &count),
            TOKCOUNT_OK);
  EXPECT_EQ(count, lossy.size());
  EXPECT_EQ(tokcount_count(o200k_, bad.data(), bad.size(), 0, &count), TOKCOUNT_INVALID_UTF8);
  EXPECT_EQ(tokcount_last_error_offset(), 2u);

  // A truncated sequence at the end of the text is found too.
  const std::string truncated = "\xe2\x9c\x93 ok \xe2\x9c";
  EXPECT_EQ(tokcount_count(o200k_, truncated.data(), truncated.size(), 0, &count),
            TOKCOUNT_INVALID_UTF8);
  EXPECT_EQ(tokcount_last_error_offset(), 7u);
}

TEST_F(CApi, InputOverTheLimitIsRejectedBeforeReading) {
  if (SIZE_MAX <= TOKCOUNT_MAX_INPUT_BYTES) GTEST_SKIP() << "size_t cannot exceed the limit";
  // The length is checked before any byte is read, so a small buffer is safe here.
  const char small[4] = {'a', 'b', 'c', 'd'};
  const size_t too_long = TOKCOUNT_MAX_INPUT_BYTES + 1;
  size_t n = 0;
  int exceeded = 0;
  uint32_t token = 0;
  tokcount_encoding* enc = nullptr;
  EXPECT_EQ(tokcount_encode(o200k_, small, too_long, 0, nullptr, 0, &n), TOKCOUNT_INPUT_TOO_LARGE);
  EXPECT_NE(std::string(tokcount_last_error_message()).find("TOKCOUNT_MAX_INPUT_BYTES"),
            std::string::npos);
  EXPECT_EQ(tokcount_count(o200k_, small, too_long, 0, &n), TOKCOUNT_INPUT_TOO_LARGE);
  EXPECT_EQ(tokcount_count_up_to(o200k_, small, too_long, 0, 1, &n, &exceeded),
            TOKCOUNT_INPUT_TOO_LARGE);
  EXPECT_EQ(tokcount_encode_single_token(o200k_, small, too_long, &token),
            TOKCOUNT_INPUT_TOO_LARGE);
  EXPECT_EQ(tokcount_encoding_get(small, too_long, &enc), TOKCOUNT_INPUT_TOO_LARGE);
  const tokcount_str batch[] = {{small, 4}, {small, too_long}};
  size_t counts[2];
  EXPECT_EQ(tokcount_count_batch(o200k_, batch, 2, 0, 1, counts), TOKCOUNT_INPUT_TOO_LARGE);
}

TEST_F(CApi, CountUpToReportsWhetherTheBudgetIsExceeded) {
  const std::string text = "one two three four five six seven eight nine ten";
  const size_t total = cpp_encode("cl100k_base", text).size();
  ASSERT_GT(total, 3u);
  size_t count = 0;
  int exceeded = -1;
  EXPECT_EQ(tokcount_count_up_to(cl100k_, text.data(), text.size(), 0, total, &count, &exceeded),
            TOKCOUNT_OK);
  EXPECT_EQ(count, total);
  EXPECT_EQ(exceeded, 0);
  EXPECT_EQ(
      tokcount_count_up_to(cl100k_, text.data(), text.size(), 0, total - 1, &count, &exceeded),
      TOKCOUNT_OK);
  EXPECT_EQ(exceeded, 1);
  EXPECT_GT(count, total - 1);
  EXPECT_LE(count, total);
  EXPECT_EQ(tokcount_count_up_to(cl100k_, text.data(), text.size(), 0, 0, &count, &exceeded),
            TOKCOUNT_OK);
  EXPECT_EQ(exceeded, 1);
  // Errors still come first: a disallowed special token is reported, not counted.
  EXPECT_EQ(tokcount_count_up_to(cl100k_, "<|endoftext|>", 13, 0, 0, &count, &exceeded),
            TOKCOUNT_DISALLOWED_SPECIAL);
}

TEST_F(CApi, CountBatchMatchesSingleCounts) {
  const std::vector<std::string> texts = {"first text", "", "a somewhat longer third text here",
                                          "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "fifth"};
  std::vector<tokcount_str> items;
  for (const auto& t : texts) items.push_back({t.data(), t.size()});
  items[1].data = nullptr;  // an empty text may be NULL here too
  for (unsigned threads : {0u, 1u, 3u}) {
    std::vector<size_t> counts(texts.size(), 999);
    ASSERT_EQ(tokcount_count_batch(o200k_, items.data(), items.size(), 0, threads, counts.data()),
              TOKCOUNT_OK);
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_EQ(counts[i], cpp_encode("o200k_base", texts[i]).size()) << i;
    }
  }
  EXPECT_EQ(tokcount_count_batch(o200k_, nullptr, 0, 0, 0, nullptr), TOKCOUNT_OK);
  size_t one = 0;
  EXPECT_EQ(tokcount_count_batch(o200k_, nullptr, 1, 0, 0, &one), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count_batch(o200k_, items.data(), 1, 0, 0, nullptr),
            TOKCOUNT_INVALID_ARGUMENT);
  const tokcount_str null_entry[] = {{"ok", 2}, {nullptr, 1}};
  size_t two[2];
  EXPECT_EQ(tokcount_count_batch(o200k_, null_entry, 2, 0, 0, two), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_count_batch(o200k_, items.data(), 1, 0x100u, 0, &one),
            TOKCOUNT_INVALID_ARGUMENT);
}

TEST_F(CApi, CountBatchReportsTheFirstFailingText) {
  const tokcount_str items[] = {{"fine", 4}, {"x\xc0y", 3}, {"<|endoftext|>", 13}, {"ok", 2}};
  size_t counts[4];
  for (unsigned threads : {1u, 4u}) {
    EXPECT_EQ(tokcount_count_batch(o200k_, items, 4, 0, threads, counts), TOKCOUNT_INVALID_UTF8);
    EXPECT_EQ(tokcount_last_error_offset(), 1u);
    EXPECT_EQ(tokcount_count_batch(o200k_, items, 4, TOKCOUNT_UTF8_REPLACE, threads, counts),
              TOKCOUNT_DISALLOWED_SPECIAL);
    EXPECT_EQ(tokcount_last_error_offset(), 0u);
  }
}

namespace {

struct Delivered {
  std::vector<size_t> indices;
  std::vector<std::vector<uint32_t>> tokens;
  size_t stop_after = SIZE_MAX;  // the callback returns nonzero for this index
};

int record_tokens(void* user, size_t index, const uint32_t* tokens, size_t len) {
  auto& d = *static_cast<Delivered*>(user);
  d.indices.push_back(index);
  d.tokens.emplace_back(tokens, tokens + len);
  return index == d.stop_after ? 1 : 0;
}

}  // namespace

TEST_F(CApi, EncodeBatchDeliversEveryTextInOrder) {
  // Enough texts of mixed sizes that pool threads finish out of order.
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) {
    std::string t = "text " + std::to_string(i) + " ";
    for (int k = 0; k < (i * 37) % 200; ++k) t += i % 3 ? "word " : "\xe6\x97\xa5\xe6\x9c\xac ";
    texts.push_back(i % 50 == 7 ? std::string() : t);
  }
  std::vector<tokcount_str> items;
  for (const auto& t : texts) items.push_back({t.data(), t.size()});
  for (unsigned threads : {0u, 1u, 3u}) {
    Delivered d;
    size_t delivered = 0;
    ASSERT_EQ(tokcount_encode_batch(o200k_, items.data(), items.size(), nullptr, threads, record_tokens, &d,
                                    &delivered),
              TOKCOUNT_OK);
    ASSERT_EQ(delivered, texts.size());
    ASSERT_EQ(d.indices.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      ASSERT_EQ(d.indices[i], i) << threads << " threads";
      ASSERT_EQ(d.tokens[i], cpp_encode("o200k_base", texts[i])) << "text " << i << ", " << threads << " threads";
    }
  }
  // Options reach every text: with <|endoftext|> allowed it is one token, by default an error.
  const std::string eot = "a <|endoftext|> b";
  const tokcount_str special[] = {{eot.data(), eot.size()}};
  tokcount_options allow_all{};
  allow_all.flags = TOKCOUNT_ALLOWED_SPECIAL_ALL;
  Delivered d;
  EXPECT_EQ(tokcount_encode_batch(o200k_, special, 1, &allow_all, 2, record_tokens, &d, nullptr), TOKCOUNT_OK);
  ASSERT_EQ(d.tokens.size(), 1u);
  tokcount::EncodeOptions all;
  all.allowed_special = tokcount::TokenSet::all();
  EXPECT_EQ(d.tokens[0], cpp_encode("o200k_base", eot, all));
  uint32_t eot_id = 0;
  ASSERT_EQ(tokcount_eot_token(o200k_, &eot_id), TOKCOUNT_OK);
  EXPECT_NE(std::find(d.tokens[0].begin(), d.tokens[0].end(), eot_id), d.tokens[0].end());
  EXPECT_EQ(tokcount_encode_batch(o200k_, special, 1, nullptr, 2, record_tokens, &d, nullptr),
            TOKCOUNT_DISALLOWED_SPECIAL);
}

TEST_F(CApi, EncodeBatchStopsWhereTheCallbackOrAFailingTextSays) {
  std::vector<std::string> texts(40, "some words to encode");
  texts[25] = "x\xc0y";  // invalid UTF-8 at byte 1
  std::vector<tokcount_str> items;
  for (const auto& t : texts) items.push_back({t.data(), t.size()});
  for (unsigned threads : {1u, 4u}) {
    Delivered stopped;
    stopped.stop_after = 9;
    size_t delivered = 0;
    EXPECT_EQ(tokcount_encode_batch(cl100k_, items.data(), items.size(), nullptr, threads, record_tokens, &stopped,
                                    &delivered),
              TOKCOUNT_OK);
    EXPECT_EQ(delivered, 10u);
    EXPECT_EQ(stopped.indices.size(), 10u);
    // The failing text: every text before it delivered, then its error.
    Delivered failed;
    EXPECT_EQ(tokcount_encode_batch(cl100k_, items.data(), items.size(), nullptr, threads, record_tokens, &failed,
                                    &delivered),
              TOKCOUNT_INVALID_UTF8);
    EXPECT_EQ(tokcount_last_error_offset(), 1u);
    EXPECT_EQ(delivered, 25u);
    ASSERT_EQ(failed.indices.size(), 25u);
    EXPECT_EQ(failed.indices.back(), 24u);
  }
  // Bad arguments: a typed error, nothing delivered.
  Delivered none;
  size_t delivered = 7;
  EXPECT_EQ(tokcount_encode_batch(nullptr, items.data(), 1, nullptr, 0, record_tokens, &none, &delivered),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(delivered, 0u);
  EXPECT_EQ(tokcount_encode_batch(o200k_, nullptr, 1, nullptr, 0, record_tokens, &none, &delivered),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encode_batch(o200k_, items.data(), 1, nullptr, 0, nullptr, &none, &delivered),
            TOKCOUNT_INVALID_ARGUMENT);
  const tokcount_str null_entry[] = {{"ok", 2}, {nullptr, 1}};
  EXPECT_EQ(tokcount_encode_batch(o200k_, null_entry, 2, nullptr, 0, record_tokens, &none, &delivered),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_TRUE(none.indices.empty());
  EXPECT_EQ(tokcount_encode_batch(o200k_, nullptr, 0, nullptr, 0, record_tokens, &none, &delivered), TOKCOUNT_OK);
  EXPECT_EQ(delivered, 0u);
}

TEST_F(CApi, DecodeBytesAndLossyDecode) {
  // A lone 0xFF byte is its own token in byte-level BPE; it is not valid UTF-8.
  uint32_t ff = 0;
  ASSERT_EQ(tokcount_encode_single_token(cl100k_, "\xff", 1, &ff), TOKCOUNT_OK);
  const std::vector<uint32_t> tokens = {15339, ff};
  std::string out(16, '\0');
  size_t n = 0;
  ASSERT_EQ(tokcount_decode_bytes(cl100k_, tokens.data(), tokens.size(), out.data(), out.size(),
                                  &n),
            TOKCOUNT_OK);
  EXPECT_EQ(out.substr(0, n), "hello\xff");
  ASSERT_EQ(tokcount_decode(cl100k_, tokens.data(), tokens.size(), out.data(), out.size(), &n),
            TOKCOUNT_OK);
  EXPECT_EQ(out.substr(0, n), "hello\xef\xbf\xbd");

  const uint32_t unknown[] = {15339, 0xFFFFFFF0u};
  EXPECT_EQ(tokcount_decode_bytes(cl100k_, unknown, 2, out.data(), out.size(), &n),
            TOKCOUNT_UNKNOWN_TOKEN);
  EXPECT_NE(std::string(tokcount_last_error_message()).find("4294967280"), std::string::npos)
      << tokcount_last_error_message();
  EXPECT_EQ(tokcount_decode(cl100k_, unknown, 2, nullptr, 0, &n), TOKCOUNT_UNKNOWN_TOKEN);
}

TEST_F(CApi, TokenBytesAndSingleTokens) {
  const char* bytes = nullptr;
  size_t len = 0;
  ASSERT_EQ(tokcount_token_bytes(cl100k_, 15339, &bytes, &len), TOKCOUNT_OK);
  EXPECT_EQ(std::string_view(bytes, len), "hello");
  ASSERT_EQ(tokcount_token_bytes(cl100k_, 100257, &bytes, &len), TOKCOUNT_OK);
  EXPECT_EQ(std::string_view(bytes, len), "<|endoftext|>");
  EXPECT_EQ(tokcount_token_bytes(cl100k_, 100256, &bytes, &len), TOKCOUNT_UNKNOWN_TOKEN)
      << "100256 is a hole in cl100k_base";
  EXPECT_EQ(tokcount_token_bytes(cl100k_, 0xFFFFFFFFu, &bytes, &len), TOKCOUNT_UNKNOWN_TOKEN);

  uint32_t token = 0;
  EXPECT_EQ(tokcount_encode_single_token(cl100k_, "hello", 5, &token), TOKCOUNT_OK);
  EXPECT_EQ(token, 15339u);
  EXPECT_EQ(tokcount_encode_single_token(cl100k_, "<|endoftext|>", 13, &token), TOKCOUNT_OK);
  EXPECT_EQ(token, 100257u);
  token = 12345;
  EXPECT_EQ(tokcount_encode_single_token(cl100k_, "hello world", 11, &token),
            TOKCOUNT_UNKNOWN_TOKEN);
  EXPECT_EQ(token, 12345u) << "outputs are untouched on failure";
}

TEST_F(CApi, PropertiesMatchTheCppApi) {
  for (const char* name : {"r50k_base", "p50k_edit", "cl100k_base", "o200k_base", "o200k_harmony"}) {
    tokcount_encoding* enc = nullptr;
    ASSERT_EQ(tokcount_encoding_get(name, std::strlen(name), &enc), TOKCOUNT_OK);
    const auto cpp = tokcount::Encoding::get(name);
    size_t n_vocab = 0;
    uint32_t max_token = 0, eot = 0;
    EXPECT_EQ(tokcount_n_vocab(enc, &n_vocab), TOKCOUNT_OK);
    EXPECT_EQ(n_vocab, cpp->n_vocab());
    EXPECT_EQ(tokcount_max_token_value(enc, &max_token), TOKCOUNT_OK);
    EXPECT_EQ(max_token, cpp->max_token_value());
    EXPECT_EQ(tokcount_eot_token(enc, &eot), TOKCOUNT_OK);
    EXPECT_EQ(eot, cpp->eot_token().value());

    size_t specials = 0;
    ASSERT_EQ(tokcount_special_token_count(enc, &specials), TOKCOUNT_OK);
    ASSERT_EQ(specials, cpp->special_tokens().size());
    for (size_t i = 0; i < specials; ++i) {
      const char* text = nullptr;
      size_t len = 0;
      uint32_t rank = 0;
      ASSERT_EQ(tokcount_special_token_at(enc, i, &text, &len, &rank), TOKCOUNT_OK);
      EXPECT_EQ(std::string_view(text, len), cpp->special_tokens()[i].text);
      EXPECT_EQ(rank, cpp->special_tokens()[i].rank);
    }
    const char* text = nullptr;
    size_t len = 0;
    uint32_t rank = 0;
    EXPECT_EQ(tokcount_special_token_at(enc, specials, &text, &len, &rank),
              TOKCOUNT_INVALID_ARGUMENT);
    tokcount_encoding_free(enc);
  }
  // tiktoken's values for the two most used encodings.
  size_t n_vocab = 0;
  uint32_t eot = 0;
  ASSERT_EQ(tokcount_n_vocab(cl100k_, &n_vocab), TOKCOUNT_OK);
  EXPECT_EQ(n_vocab, 100277u);
  ASSERT_EQ(tokcount_eot_token(o200k_, &eot), TOKCOUNT_OK);
  EXPECT_EQ(eot, 199999u);
}

TEST_F(CApi, CustomEncodingFromMemory) {
  const std::string data = tiny_tiktoken();
  tokcount_encoding* enc = nullptr;
  ASSERT_EQ(tokcount_encoding_create("tiny", 4, kR50kPattern, std::strlen(kR50kPattern),
                                     data.data(), data.size(), kTinySpecials, 1, 258, &enc),
            TOKCOUNT_OK)
      << tokcount_last_error_message();
  EXPECT_EQ(encode(enc, "abab", 0), (std::vector<uint32_t>{256, 256}));
  EXPECT_EQ(encode(enc, "ab<|end|>", TOKCOUNT_ALLOWED_SPECIAL_ALL),
            (std::vector<uint32_t>{256, 257}));
  tokcount_status status = TOKCOUNT_OK;
  encode(enc, "ab<|end|>", 0, &status);
  EXPECT_EQ(status, TOKCOUNT_DISALLOWED_SPECIAL);
  EXPECT_EQ(tokcount_last_error_offset(), 2u);
  size_t n_vocab = 0;
  EXPECT_EQ(tokcount_n_vocab(enc, &n_vocab), TOKCOUNT_OK);
  EXPECT_EQ(n_vocab, 258u);
  const char* name = nullptr;
  size_t len = 0;
  EXPECT_EQ(tokcount_encoding_name(enc, &name, &len), TOKCOUNT_OK);
  EXPECT_EQ(std::string_view(name, len), "tiny");
  uint32_t eot = 0;
  EXPECT_EQ(tokcount_eot_token(enc, &eot), TOKCOUNT_UNKNOWN_TOKEN);
  EXPECT_NE(std::string(tokcount_last_error_message()).find("tiny"), std::string::npos);

  // Token bytes stay valid while another handle to the same encoding is alive... the
  // handle itself is the only owner here, so read them before freeing.
  const char* bytes = nullptr;
  EXPECT_EQ(tokcount_token_bytes(enc, 256, &bytes, &len), TOKCOUNT_OK);
  EXPECT_EQ(std::string_view(bytes, len), "ab");
  tokcount_encoding_free(enc);

  // explicit_n_vocab = 0 skips the check; a wrong value is rejected like tiktoken's assert.
  ASSERT_EQ(tokcount_encoding_create("tiny", 4, kR50kPattern, std::strlen(kR50kPattern),
                                     data.data(), data.size(), kTinySpecials, 1, 0, &enc),
            TOKCOUNT_OK);
  tokcount_encoding_free(enc);
  EXPECT_EQ(tokcount_encoding_create("tiny", 4, kR50kPattern, std::strlen(kR50kPattern),
                                     data.data(), data.size(), kTinySpecials, 1, 300, &enc),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(enc, nullptr);
}

TEST_F(CApi, CustomEncodingErrors) {
  const std::string data = tiny_tiktoken();
  const size_t pat_len = std::strlen(kR50kPattern);
  tokcount_encoding* enc = nullptr;

  const std::string malformed = "this is not base64!\n";
  EXPECT_EQ(tokcount_encoding_create("bad", 3, kR50kPattern, pat_len, malformed.data(),
                                     malformed.size(), nullptr, 0, 0, &enc),
            TOKCOUNT_PARSE_ERROR);
  EXPECT_EQ(enc, nullptr);
  EXPECT_STRNE(tokcount_last_error_message(), "");

  const char lookbehind[] = "(?<=a)b|\\s+";
  EXPECT_EQ(tokcount_encoding_create("bad", 3, lookbehind, std::strlen(lookbehind), data.data(),
                                     data.size(), nullptr, 0, 0, &enc),
            TOKCOUNT_UNSUPPORTED_PATTERN)
      << tokcount_last_error_message();

  EXPECT_EQ(tokcount_encoding_create("bad", 3, nullptr, 4, data.data(), data.size(), nullptr, 0,
                                     0, &enc),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encoding_create("bad", 3, kR50kPattern, pat_len, nullptr, 10, nullptr, 0, 0,
                                     &enc),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encoding_create(nullptr, 3, kR50kPattern, pat_len, data.data(), data.size(),
                                     nullptr, 0, 0, &enc),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encoding_create("bad", 3, kR50kPattern, pat_len, data.data(), data.size(),
                                     nullptr, 2, 0, &enc),
            TOKCOUNT_INVALID_ARGUMENT);
  const tokcount_special_token null_text[] = {{nullptr, 3, 300}};
  EXPECT_EQ(tokcount_encoding_create("bad", 3, kR50kPattern, pat_len, data.data(), data.size(),
                                     null_text, 1, 0, &enc),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encoding_create("bad", 3, kR50kPattern, pat_len, data.data(), data.size(),
                                     nullptr, 0, 0, nullptr),
            TOKCOUNT_INVALID_ARGUMENT);
}

TEST_F(CApi, CustomEncodingFromFile) {
  const std::string data = tiny_tiktoken();
  const std::string path = tiny_path();
  {
    std::ofstream file(path, std::ios::binary);
    file << data;
    ASSERT_TRUE(file.good());
  }
  const size_t pat_len = std::strlen(kR50kPattern);
  tokcount_encoding* enc = nullptr;
  ASSERT_EQ(tokcount_encoding_create_from_file("tiny", 4, kR50kPattern, pat_len, path.data(),
                                               path.size(), kTinySpecials, 1, 258, &enc),
            TOKCOUNT_OK)
      << tokcount_last_error_message();
  EXPECT_EQ(encode(enc, "xabab", 0), (std::vector<uint32_t>{'x', 256, 256}));
  tokcount_encoding_free(enc);
  std::remove(path.c_str());

  const std::string missing = path + ".missing";
  EXPECT_EQ(tokcount_encoding_create_from_file("tiny", 4, kR50kPattern, pat_len, missing.data(),
                                               missing.size(), nullptr, 0, 0, &enc),
            TOKCOUNT_IO_ERROR);
  EXPECT_EQ(enc, nullptr);
  EXPECT_NE(std::string(tokcount_last_error_message()).find(missing), std::string::npos);

  // The path is a (data, len) text; a NUL inside would make the OS open a different file.
  const std::string with_nul = path + std::string("\0.txt", 5);
  EXPECT_EQ(tokcount_encoding_create_from_file("tiny", 4, kR50kPattern, pat_len, with_nul.data(),
                                               with_nul.size(), nullptr, 0, 0, &enc),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_encoding_create_from_file("tiny", 4, kR50kPattern, pat_len, nullptr, 0,
                                               nullptr, 0, 0, &enc),
            TOKCOUNT_INVALID_ARGUMENT);
}

TEST_F(CApi, SuccessClearsTheLastError) {
  size_t count = 0;
  ASSERT_EQ(tokcount_count(o200k_, "x\xff", 2, 0, &count), TOKCOUNT_INVALID_UTF8);
  EXPECT_STRNE(tokcount_last_error_message(), "");
  EXPECT_EQ(tokcount_last_error_offset(), 1u);
  ASSERT_EQ(tokcount_count(o200k_, "x", 1, 0, &count), TOKCOUNT_OK);
  EXPECT_STREQ(tokcount_last_error_message(), "");
  EXPECT_EQ(tokcount_last_error_offset(), TOKCOUNT_NO_OFFSET);
}

TEST_F(CApi, LastErrorIsPerThread) {
  // Both threads fail, then both read their own error after the other has failed too.
  constexpr int kRounds = 200;
  std::barrier sync(2);
  std::vector<std::string> bad_utf8_messages, special_messages;
  std::vector<size_t> bad_utf8_offsets, special_offsets;
  std::vector<tokcount_status> bad_utf8_status, special_status;

  std::thread a([&] {
    for (int i = 0; i < kRounds; ++i) {
      size_t count = 0;
      bad_utf8_status.push_back(tokcount_count(o200k_, "ab\xff", 3, 0, &count));
      sync.arrive_and_wait();
      bad_utf8_messages.emplace_back(tokcount_last_error_message());
      bad_utf8_offsets.push_back(tokcount_last_error_offset());
      sync.arrive_and_wait();
    }
  });
  std::thread b([&] {
    for (int i = 0; i < kRounds; ++i) {
      size_t count = 0;
      special_status.push_back(tokcount_count(cl100k_, "abc<|endoftext|>", 16, 0, &count));
      sync.arrive_and_wait();
      special_messages.emplace_back(tokcount_last_error_message());
      special_offsets.push_back(tokcount_last_error_offset());
      sync.arrive_and_wait();
    }
  });
  a.join();
  b.join();

  ASSERT_EQ(bad_utf8_messages.size(), static_cast<size_t>(kRounds));
  ASSERT_EQ(special_messages.size(), static_cast<size_t>(kRounds));
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_EQ(bad_utf8_status[i], TOKCOUNT_INVALID_UTF8);
    EXPECT_EQ(bad_utf8_offsets[i], 2u);
    EXPECT_EQ(bad_utf8_messages[i].find("endoftext"), std::string::npos);
    EXPECT_NE(bad_utf8_messages[i].find("UTF-8"), std::string::npos) << bad_utf8_messages[i];
    EXPECT_EQ(special_status[i], TOKCOUNT_DISALLOWED_SPECIAL);
    EXPECT_EQ(special_offsets[i], 3u);
    EXPECT_NE(special_messages[i].find("<|endoftext|>"), std::string::npos);
  }
  // The main thread made no failing call of its own during this test.
  EXPECT_EQ(tokcount_last_error_offset(), TOKCOUNT_NO_OFFSET);
}

TEST_F(CApi, OneHandleServesManyThreads) {
  const std::string text = "Shared handles are immutable, so concurrent use needs no locking.";
  const auto expected = cpp_encode("o200k_base", text);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        uint32_t buf[64];
        size_t n = 0;
        if (tokcount_encode(o200k_, text.data(), text.size(), 0, buf, 64, &n) == TOKCOUNT_OK &&
            std::vector<uint32_t>(buf, buf + n) == expected) {
          ++ok[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, std::vector<int>(4, 100));
}

// TOKCOUNT_OUT_OF_MEMORY: tests/cpp/oom/test_out_of_memory.cpp (its own binary: it replaces
// the global operator new).

}  // namespace
