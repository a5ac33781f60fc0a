// cache::diff: the first divergence between two requests and the reason codes for it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tokcount/cache.hpp"

namespace cache = tokcount::cache;
using nlohmann::ordered_json;

namespace {

ordered_json tool(const std::string& name, ordered_json params) {
  return {{"type", "function"},
          {"function", {{"name", name}, {"description", "Tool " + name}, {"parameters", std::move(params)}}}};
}

ordered_json base_request() {
  ordered_json r;
  r["model"] = "gpt-4o";
  r["tools"] = ordered_json::array(
      {tool("get_weather", ordered_json::parse(R"({"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string"}},"required":["city"]})")),
       tool("search", ordered_json::parse(R"({"type":"object","properties":{"q":{"type":"string"}}})"))});
  r["messages"] = ordered_json::array({{{"role", "system"}, {"content", "You are a careful assistant.\nAnswer briefly."}},
                                       {{"role", "user"}, {"content", "What is the weather in Paris?"}}});
  return r;
}

cache::DiffResult d(const ordered_json& a, const ordered_json& b) { return cache::diff_json(a.dump(), b.dump()); }

bool has(const cache::DiffResult& r, cache::Reason code, const std::string& rule = "") {
  for (const auto& x : r.reasons)
    if (x.code == code && (rule.empty() || std::find(x.rules.begin(), x.rules.end(), rule) != x.rules.end())) return true;
  return false;
}

std::string names(const cache::DiffResult& r) { return cache::diff_report_json(r); }

}  // namespace

TEST(CacheDiff, Identical) {
  const auto r = d(base_request(), base_request());
  EXPECT_TRUE(r.divergence.identical);
  EXPECT_EQ(r.divergence.common_tokens, r.tokens_a);
  EXPECT_TRUE(has(r, cache::Reason::kIdentical));
}

TEST(CacheDiff, ToolOrder) {
  auto b = base_request();
  std::swap(b["tools"][0], b["tools"][1]);
  const auto r = d(base_request(), b);
  EXPECT_FALSE(r.divergence.identical);
  EXPECT_EQ(r.divergence.level, cache::Level::kTools) << names(r);
  EXPECT_TRUE(has(r, cache::Reason::kToolOrder, "PC006")) << names(r);
  EXPECT_FALSE(has(r, cache::Reason::kToolSetChanged)) << names(r);
  EXPECT_EQ(r.divergence.segment_path, "$.tools");
  EXPECT_GT(r.divergence.byte_offset, 0u);  // the TypeScript block starts identically
}

TEST(CacheDiff, ToolSetChanged) {
  auto b = base_request();
  b["tools"].push_back(tool("calc", ordered_json::parse(R"({"type":"object","properties":{}})")));
  const auto r = d(base_request(), b);
  EXPECT_TRUE(has(r, cache::Reason::kToolSetChanged, "PC008")) << names(r);
}

TEST(CacheDiff, JsonKeyOrderInToolSchema) {
  auto b = base_request();
  b["tools"][0]["function"]["parameters"] = ordered_json::parse(
      R"({"required":["city"],"type":"object","properties":{"unit":{"type":"string"},"city":{"type":"string"}}})");
  const auto r = d(base_request(), b);
  EXPECT_EQ(r.divergence.level, cache::Level::kTools);
  EXPECT_TRUE(has(r, cache::Reason::kJsonKeyOrder, "PC007")) << names(r);
}

TEST(CacheDiff, ToolSchemaChanged) {
  auto b = base_request();
  b["tools"][1]["function"]["parameters"]["properties"]["limit"] = {{"type", "integer"}};
  const auto r = d(base_request(), b);
  EXPECT_TRUE(has(r, cache::Reason::kToolsChanged)) << names(r);
  EXPECT_FALSE(has(r, cache::Reason::kJsonKeyOrder));
}

TEST(CacheDiff, ResponseFormatSchema) {
  auto a = base_request();
  a["response_format"] = ordered_json::parse(
      R"({"type":"json_schema","json_schema":{"name":"out","schema":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"number"}}}}})");
  auto b = a;
  b["response_format"]["json_schema"]["schema"]["properties"] = ordered_json::parse(R"({"b":{"type":"number"},"a":{"type":"string"}})");
  auto r = d(a, b);
  EXPECT_EQ(r.divergence.level, cache::Level::kSchema) << names(r);
  EXPECT_TRUE(has(r, cache::Reason::kJsonKeyOrder, "PC007")) << names(r);
  b["response_format"]["json_schema"]["schema"]["properties"]["c"] = {{"type", "string"}};
  r = d(a, b);
  EXPECT_TRUE(has(r, cache::Reason::kSchemaChanged, "PC009")) << names(r);
}

TEST(CacheDiff, CrlfAndTrailingWhitespaceAreFormatDrift) {
  auto b = base_request();
  b["messages"][0]["content"] = "You are a careful assistant.  \r\nAnswer briefly.";
  const auto r = d(base_request(), b);
  EXPECT_EQ(r.divergence.level, cache::Level::kSystem) << names(r);
  EXPECT_TRUE(has(r, cache::Reason::kFormatDrift, "PC012")) << names(r);
  EXPECT_TRUE(has(r, cache::Reason::kFormatDrift, "PC011")) << names(r);
  EXPECT_TRUE(has(r, cache::Reason::kSystemChanged));
  EXPECT_EQ(r.divergence.segment_path, "$.messages[0].content");
  EXPECT_EQ(r.divergence.byte_offset, std::string("You are a careful assistant.").size());
}

TEST(CacheDiff, TimestampAtTopOfSystemPrompt) {
  auto a = base_request();
  auto b = base_request();
  a["messages"][0]["content"] = "Current time: 2026-07-06T14:32:07Z\nYou are a careful assistant.";
  b["messages"][0]["content"] = "Current time: 2026-07-06T14:37:51Z\nYou are a careful assistant.";
  const auto r = d(a, b);
  EXPECT_TRUE(has(r, cache::Reason::kVolatileContent, "PC001")) << names(r);
  EXPECT_EQ(r.divergence.byte_offset, std::string("Current time: 2026-07-06T14:3").size());
  // The divergence sits right after the tools, at the start of the system text.
  EXPECT_LT(r.divergence.token_index, r.tokens_a);
}

TEST(CacheDiff, ParamDrift) {
  auto b = base_request();
  b["tool_choice"] = "required";
  auto r = d(base_request(), b);
  EXPECT_TRUE(has(r, cache::Reason::kParamsChanged, "PC010")) << names(r);
  b = base_request();
  b["reasoning_effort"] = "high";
  r = d(base_request(), b);
  EXPECT_TRUE(has(r, cache::Reason::kParamsChanged, "PC010")) << names(r);
  EXPECT_EQ(r.divergence.level, cache::Level::kRoot);
  b = base_request();
  b["model"] = "gpt-4o-mini";
  r = d(base_request(), b);
  EXPECT_TRUE(has(r, cache::Reason::kModelChanged)) << names(r);
  EXPECT_EQ(r.divergence.token_index, 0u);
}

TEST(CacheDiff, ImageDetail) {
  auto a = base_request();
  a["messages"][1]["content"] = ordered_json::parse(
      R"([{"type":"text","text":"Describe"},{"type":"image_url","image_url":{"url":"https://x/img.png","detail":"low"}}])");
  auto b = a;
  b["messages"][1]["content"][1]["image_url"]["detail"] = "high";
  tokcount::cache::PrepareOptions o;
  o.chat.unknown_image_size = tokcount::chat::UnknownImageSize::kWorstCase;
  const auto r = cache::diff_json(a.dump(), b.dump(), o);
  EXPECT_TRUE(has(r, cache::Reason::kParamsChanged, "PC010")) << names(r);
}

TEST(CacheDiff, AppendVersusMutation) {
  auto a = base_request();
  auto b = base_request();
  b["messages"].push_back({{"role", "assistant"}, {"content", "Sunny, 21 C."}});
  b["messages"].push_back({{"role", "user"}, {"content", "And tomorrow?"}});
  auto r = d(a, b);
  EXPECT_TRUE(has(r, cache::Reason::kAppended)) << names(r);
  EXPECT_FALSE(has(r, cache::Reason::kHistoryMutation));
  // Everything the earlier request rendered, reply priming included, is shared.
  EXPECT_EQ(r.divergence.common_tokens, r.tokens_a) << names(r);

  auto c = b;
  c["messages"][1]["content"] = "What is the weather in Lyon?";
  r = d(b, c);
  EXPECT_TRUE(has(r, cache::Reason::kHistoryMutation, "PC023")) << names(r);
  EXPECT_TRUE(has(r, cache::Reason::kMessagesChanged));

  auto t = b;
  t["messages"].erase(t["messages"].begin() + 3);
  t["messages"].erase(t["messages"].begin() + 2);
  r = d(b, t);
  EXPECT_TRUE(has(r, cache::Reason::kHistoryMutation)) << names(r);

  // A new question replacing the last one is a plain change, not history mutation.
  auto q = base_request();
  q["messages"][1]["content"] = "Is it raining in Rome?";
  r = d(a, q);
  EXPECT_TRUE(has(r, cache::Reason::kMessagesChanged)) << names(r);
  EXPECT_FALSE(has(r, cache::Reason::kHistoryMutation)) << names(r);
}

TEST(CacheDiff, AnthropicPathsAndToolChoice) {
  const std::string a = R"({"model":"claude-sonnet-4-5","system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],
    "messages":[{"role":"user","content":[{"type":"text","text":"Hello there"}]}]})";
  const std::string b = R"({"model":"claude-sonnet-4-5","system":[{"type":"text","text":"Be brief!","cache_control":{"type":"ephemeral"}}],
    "messages":[{"role":"user","content":[{"type":"text","text":"Hello there"}]}]})";
  auto r = cache::diff_json(a, b);
  EXPECT_EQ(r.divergence.segment_path, "$.system[0]") << names(r);
  EXPECT_TRUE(has(r, cache::Reason::kSystemChanged)) << names(r);
  auto c = ordered_json::parse(a);
  c["tool_choice"] = {{"type", "any"}};
  r = cache::diff_json(a, c.dump());
  EXPECT_TRUE(has(r, cache::Reason::kParamsChanged)) << names(r);
  EXPECT_EQ(r.divergence.level, cache::Level::kMessages) << names(r);
}

TEST(CacheDiff, ReportJson) {
  auto b = base_request();
  std::swap(b["tools"][0], b["tools"][1]);
  const auto j = ordered_json::parse(cache::diff_report_json(d(base_request(), b)));
  EXPECT_EQ(j["first_divergence"]["level"], "tools");
  EXPECT_EQ(j["reasons"][0]["code"], "TOOL_ORDER");
  EXPECT_EQ(j["reasons"][0]["rules"][0], "PC006");
}

TEST(CacheDiff, BadInputIsTyped) {
  EXPECT_THROW(cache::diff_json("{", "{}"), tokcount::Error);
  EXPECT_THROW(cache::diff_json(R"({"model":"gpt-4o"})", R"({"model":"gpt-4o","messages":[]})"), tokcount::Error);
}
