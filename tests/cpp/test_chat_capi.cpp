// The chat part of the C API: same numbers as C++, caller buffers, errors, NULL arguments.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "tokcount/chat.hpp"
#include "tokcount/tokcount.h"

namespace {

const std::string kBody = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hello"}],"max_tokens":100})";

struct Handle {
  tokcount_chat_result* r = nullptr;
  ~Handle() { tokcount_chat_result_free(r); }
};

}  // namespace

TEST(ChatCapi, RenderCountTokensAndReport) {
  Handle h;
  ASSERT_EQ(tokcount_chat_render(kBody.data(), kBody.size(), nullptr, &h.r), TOKCOUNT_OK);
  size_t n = 0;
  int uncertain = -1;
  ASSERT_EQ(tokcount_chat_prompt_tokens(h.r, &n, &uncertain), TOKCOUNT_OK);
  EXPECT_EQ(n, 8u);
  EXPECT_EQ(uncertain, 0);

  size_t len = 0;
  EXPECT_EQ(tokcount_chat_tokens(h.r, nullptr, 0, &len), TOKCOUNT_BUFFER_TOO_SMALL);
  EXPECT_EQ(len, 8u);
  std::vector<uint32_t> ids(len);
  ASSERT_EQ(tokcount_chat_tokens(h.r, ids.data(), ids.size(), &len), TOKCOUNT_OK);
  EXPECT_EQ(ids, tokcount::chat::render_json(kBody).tokens);

  ASSERT_EQ(tokcount_chat_report_json(h.r, 1, nullptr, 0, &len), TOKCOUNT_BUFFER_TOO_SMALL);
  std::string json(len, '\0');
  ASSERT_EQ(tokcount_chat_report_json(h.r, 1, json.data(), json.size(), &len), TOKCOUNT_OK);
  const tokcount::chat::Result cpp = tokcount::chat::render_json(kBody);
  EXPECT_EQ(json, tokcount::chat::report_json(cpp, tokcount::chat::estimate_cost(cpp), true));

  size_t segs = 0;
  ASSERT_EQ(tokcount_chat_segment_count(h.r, &segs), TOKCOUNT_OK);
  ASSERT_EQ(segs, cpp.segments.size());
  tokcount_chat_segment s;
  bool text_seen = false;
  for (size_t i = 0; i < segs; ++i) {
    ASSERT_EQ(tokcount_chat_segment_at(h.r, i, &s), TOKCOUNT_OK);
    EXPECT_EQ(s.begin, cpp.segments[i].begin);
    if (std::strcmp(s.kind, "text") == 0) {
      text_seen = true;
      EXPECT_EQ(std::string(s.path, s.path_len), "$.messages[0].content");
      EXPECT_EQ(s.message, 0);
    }
  }
  EXPECT_TRUE(text_seen);
  EXPECT_EQ(tokcount_chat_segment_at(h.r, segs, &s), TOKCOUNT_INVALID_ARGUMENT);

  const char* currency = nullptr;
  double prompt = 0, worst = 0;
  int exceeds = -1;
  ASSERT_EQ(tokcount_chat_cost(h.r, &currency, &prompt, &worst, &exceeds), TOKCOUNT_OK);
  EXPECT_STREQ(currency, "USD");
  EXPECT_DOUBLE_EQ(prompt, 8 * 2.5 / 1e6);
  EXPECT_DOUBLE_EQ(worst, (8 * 2.5 + 100 * 10.0) / 1e6);
  EXPECT_EQ(exceeds, 0);
}

TEST(ChatCapi, Options) {
  const std::string model = "gpt-5.4", provider = "example-cny";
  tokcount_chat_options opt = {};
  opt.model = model.data();
  opt.model_len = model.size();
  opt.provider = provider.data();
  opt.provider_len = provider.size();
  Handle h;
  ASSERT_EQ(tokcount_chat_render(kBody.data(), kBody.size(), &opt, &h.r), TOKCOUNT_OK);
  const char* currency = nullptr;
  double prompt = 0, worst = 0;
  ASSERT_EQ(tokcount_chat_cost(h.r, &currency, &prompt, &worst, nullptr), TOKCOUNT_OK);
  EXPECT_STREQ(currency, "CNY");
  EXPECT_DOUBLE_EQ(prompt, 0.0001152);
  EXPECT_DOUBLE_EQ(worst, 0.0116352);  // + 100 x 115.20 / 1e6

  const std::string img = R"({"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/cat.png"}}]}]})";
  Handle e;
  EXPECT_EQ(tokcount_chat_render(img.data(), img.size(), nullptr, &e.r), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(e.r, nullptr);
  const std::string url = "https://x/cat.png";
  tokcount_chat_image_size size = {url.data(), url.size(), 1024, 1024};
  tokcount_chat_options io = {};
  io.image_sizes = &size;
  io.image_size_count = 1;
  Handle ok;
  ASSERT_EQ(tokcount_chat_render(img.data(), img.size(), &io, &ok.r), TOKCOUNT_OK);
  size_t n = 0;
  ASSERT_EQ(tokcount_chat_prompt_tokens(ok.r, &n, nullptr), TOKCOUNT_OK);
  EXPECT_EQ(n, 7u + 765);
  tokcount_chat_options worst_opt = {};
  worst_opt.flags = TOKCOUNT_CHAT_IMAGES_WORST_CASE;
  Handle w;
  ASSERT_EQ(tokcount_chat_render(img.data(), img.size(), &worst_opt, &w.r), TOKCOUNT_OK);
  int uncertain = 0;
  ASSERT_EQ(tokcount_chat_prompt_tokens(w.r, &n, &uncertain), TOKCOUNT_OK);
  EXPECT_EQ(n, 7u + 85 + 8 * 170);
  EXPECT_EQ(uncertain, 1);

  const std::string prices = R"({"models":[{"provider":"acme","model":"gpt-4o","currency":"EUR","input":1}]})";
  const std::string acme = "acme";
  tokcount_chat_options po = {};
  po.prices_json = prices.data();
  po.prices_json_len = prices.size();
  po.provider = acme.data();
  po.provider_len = acme.size();
  Handle p;
  ASSERT_EQ(tokcount_chat_render(kBody.data(), kBody.size(), &po, &p.r), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_chat_cost(p.r, &currency, &prompt, &worst, nullptr), TOKCOUNT_OK);
  EXPECT_STREQ(currency, "EUR");
  EXPECT_DOUBLE_EQ(prompt, 8e-6);
  EXPECT_TRUE(std::isnan(worst));  // no output price
}

TEST(ChatCapi, ErrorsAndNullArguments) {
  tokcount_chat_result* r = reinterpret_cast<tokcount_chat_result*>(1);
  const std::string bad = R"({"model":"gpt-4o","messages":[)";
  EXPECT_EQ(tokcount_chat_render(bad.data(), bad.size(), nullptr, &r), TOKCOUNT_PARSE_ERROR);
  EXPECT_EQ(r, nullptr);
  EXPECT_EQ(tokcount_last_error_offset(), bad.size());
  EXPECT_NE(std::string(tokcount_last_error_message()).find("malformed JSON"), std::string::npos);
  const std::string unknown = R"({"model":"nope","messages":[]})";
  EXPECT_EQ(tokcount_chat_render(unknown.data(), unknown.size(), nullptr, &r), TOKCOUNT_UNKNOWN_MODEL);
  const std::string fallback = "cl100k_base";
  tokcount_chat_options o = {};
  o.encoding = fallback.data();
  o.encoding_len = fallback.size();
  Handle h;
  ASSERT_EQ(tokcount_chat_render(unknown.data(), unknown.size(), &o, &h.r), TOKCOUNT_OK);
  EXPECT_EQ(tokcount_chat_cost(h.r, nullptr, nullptr, nullptr, nullptr), TOKCOUNT_UNKNOWN_MODEL);  // no price entry
  EXPECT_EQ(tokcount_chat_render(nullptr, 5, nullptr, &r), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_chat_render(kBody.data(), kBody.size(), nullptr, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_chat_render("", 0, nullptr, &r), TOKCOUNT_PARSE_ERROR);
  size_t n = 0;
  EXPECT_EQ(tokcount_chat_prompt_tokens(nullptr, &n, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_chat_prompt_tokens(h.r, nullptr, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_chat_tokens(h.r, nullptr, 3, &n), TOKCOUNT_INVALID_ARGUMENT);
  tokcount_chat_options flags = {};
  flags.flags = 0x80;
  EXPECT_EQ(tokcount_chat_render(kBody.data(), kBody.size(), &flags, &r), TOKCOUNT_INVALID_ARGUMENT);
  tokcount_chat_result_free(nullptr);
}
