// tokcount lint on request bodies and JSONL request logs: the static strings of a request are
// linted at their JSON path with line/column inside the string, tokens_at_risk counts the
// rendered request to the end of its cacheable region, each request and log rule fires on its
// defect and stays quiet on the near-miss, and the clean fixtures (a well-behaved multi-turn
// conversation among them) produce nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tokcount/chat.hpp"
#include "lint_findings.hpp"
#include "tokcount/lint.hpp"
#include "tokcount/tokcount.h"

namespace {

using namespace tokcount::lint;
using Json = nlohmann::ordered_json;

std::filesystem::path fixtures() { return std::filesystem::path(TOKCOUNT_SOURCE_DIR) / "tests" / "fixtures" / "lint"; }

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A clean system prompt long enough (> 1,024 tokens) for every cache minimum that matters here.
const std::string& long_system() {
  static const std::string text = read_file(fixtures() / "clean_support_agent.md");
  return text;
}

using lint_test::of_rule;

std::string rules_of(const Result& r) {
  std::set<std::string> ids;
  for (const Finding& f : r.findings) ids.insert(std::string(f.rule->id) + "@" + f.location.json_path);
  std::string s;
  for (const std::string& id : ids) s += (s.empty() ? "" : ", ") + id;
  return s;
}

Json tool(const std::string& name, const std::string& description) {
  return {{"type", "function"},
          {"function",
           {{"name", name},
            {"description", description},
            {"parameters",
             {{"type", "object"},
              {"properties", {{"id", {{"type", "string"}, {"description", "The " + name + " id."}}}}},
              {"required", {"id"}}}}}}};
}

Json openai(std::vector<Json> messages, bool key = true) {
  Json body = {{"model", "gpt-4o"}, {"tools", {tool("get_order", "Look up an order."), tool("refund", "Start a refund.")}}};
  if (key) body["prompt_cache_key"] = "support-v1";
  body["messages"] = Json::array();
  for (Json& m : messages) body["messages"].push_back(std::move(m));
  return body;
}

Json msg(const std::string& role, const std::string& content) { return {{"role", role}, {"content", content}}; }

Result lint_request(const Json& body, Config config = {}) { return Linter(std::move(config)).lint_request(body.dump()); }

Json anthropic(Json system, std::vector<Json> messages) {
  Json body = {{"model", "claude-sonnet-4-5"}, {"max_tokens", 512}};
  body["system"] = std::move(system);
  body["messages"] = Json::array();
  for (Json& m : messages) body["messages"].push_back(std::move(m));
  return body;
}

Json text_block(const std::string& text, const char* ttl = nullptr) {
  Json b = {{"type", "text"}, {"text", text}};
  if (ttl != nullptr) b["cache_control"] = ttl[0] ? Json{{"type", "ephemeral"}, {"ttl", ttl}} : Json{{"type", "ephemeral"}};
  return b;
}

std::string jsonl(const std::vector<Json>& lines) {
  std::string out;
  for (const Json& l : lines) out += l.dump() + "\n";
  return out;
}

Json line(double ts, Json request, double response_after = 0.8) {
  return {{"ts", ts}, {"first_token_ts", ts + response_after}, {"request", std::move(request)}};
}

// ---- requests: static strings -------------------------------------------------------------

TEST(LintRequest, SystemTextIsLintedAtItsJsonPathWithLineAndColumn) {
  const Json body = openai({msg("system", "You are a support agent.\nCurrent time: 2026-07-06T14:32:07Z\n" + long_system()),
                            msg("user", "Where is my parcel?")});
  const Result r = lint_request(body);
  EXPECT_EQ(r.kind, InputKind::kRequest);
  const auto ts = of_rule(r, "PC001");
  ASSERT_EQ(ts.size(), 1u) << rules_of(r);
  EXPECT_EQ(ts[0].location.json_path, "$.messages[0].content");
  EXPECT_EQ(ts[0].location.label, "messages[0].content");
  EXPECT_EQ(ts[0].location.line, 2u);
  EXPECT_EQ(ts[0].location.column, 15u);
  EXPECT_TRUE(ts[0].edits.empty());  // JSON inputs are reported, not rewritten
  EXPECT_LE(ts[0].tokens_at_risk, r.cacheable_tokens);
}

TEST(LintRequest, ToolAndSchemaDescriptionsAreLinted) {
  Json body = openai({msg("system", long_system()), msg("user", "Hi")});
  body["tools"][0]["function"]["description"] = "Look up an\u00a0order.";
  body["tools"][1]["function"]["parameters"]["properties"]["id"]["description"] = "The refund id.  \nSecond line.";
  body["response_format"] = {{"type", "json_schema"},
                             {"json_schema",
                              {{"name", "answer"},
                               {"schema", {{"type", "object"}, {"description", "Answer\u200b object."}}}}}};
  const Result r = lint_request(body);
  const auto nbsp = of_rule(r, "PC016");
  ASSERT_EQ(nbsp.size(), 1u) << rules_of(r);
  EXPECT_EQ(nbsp[0].location.json_path, "$.tools[0].function.description");
  EXPECT_EQ(nbsp[0].location.column, 11u);
  const auto trailing = of_rule(r, "PC011");
  ASSERT_EQ(trailing.size(), 1u) << rules_of(r);
  EXPECT_EQ(trailing[0].location.json_path, "$.tools[1].function.parameters.properties.id.description");
  const auto zw = of_rule(r, "PC015");
  ASSERT_EQ(zw.size(), 1u) << rules_of(r);
  EXPECT_EQ(zw[0].location.json_path, "$.response_format.json_schema.schema.description");
  // Tools come first: a defect there puts more of the prefix at risk than one in the schema.
  EXPECT_GT(nbsp[0].tokens_at_risk, zw[0].tokens_at_risk);
  EXPECT_GT(zw[0].tokens_at_risk, 0u);
}

TEST(LintRequest, HistoryAndTheFinalTurnAreNotStaticText) {
  // A date in an old user message was said once and stays the same; the final turn is new.
  const Json body = openai({msg("system", long_system()), msg("user", "My order from 2026-07-01 is late."),
                            msg("assistant", "Sorry! Which order?"), msg("user", "Order 4417, placed 2026-07-01 09:14:22Z.")});
  const Result r = lint_request(body);
  EXPECT_TRUE(r.findings.empty()) << rules_of(r);
}

TEST(LintRequest, CacheableTokensAreTheRenderedPromptBeforeTheFinalTurn) {
  const std::vector<Json> history = {msg("system", long_system()), msg("user", "Hi"), msg("assistant", "Hello!")};
  std::vector<Json> with_final = history;
  with_final.push_back(msg("user", "Where is my parcel?"));
  const Result r = lint_request(openai(with_final));
  // The same request without its final turn, rendered by the chat module: its prompt minus the
  // 3 tokens of reply priming is exactly the prefix the final turn is appended to.
  const tokcount::chat::Result prefix = tokcount::chat::render_json(openai(history).dump());
  EXPECT_EQ(r.cacheable_tokens, prefix.prompt_tokens - prefix.breakdown.priming_tokens);
  EXPECT_FALSE(r.tokens_estimated);
}

TEST(LintRequest, BelowMinimumUsesTheRenderedPrefix) {
  const Result short_r = lint_request(openai({msg("system", "You are terse."), msg("user", "Hi")}));
  const auto f = of_rule(short_r, "PC019");
  ASSERT_EQ(f.size(), 1u) << rules_of(short_r);
  EXPECT_EQ(f[0].location.segment, kNoSegment);
  EXPECT_NE(f[0].message.find(std::to_string(short_r.cacheable_tokens) + " tokens"), std::string::npos) << f[0].message;
  EXPECT_TRUE(of_rule(lint_request(openai({msg("system", long_system()), msg("user", "Hi")})), "PC019").empty());
}

TEST(LintRequest, MissingPromptCacheKey) {
  const Result none = lint_request(openai({msg("system", long_system()), msg("user", "Hi")}, false));
  const auto f = of_rule(none, "PC027");
  ASSERT_EQ(f.size(), 1u) << rules_of(none);
  EXPECT_EQ(f[0].location.json_path, "$");
  EXPECT_EQ(f[0].tokens_at_risk, none.cacheable_tokens);
  EXPECT_TRUE(of_rule(lint_request(openai({msg("system", long_system()), msg("user", "Hi")}, true)), "PC027").empty());
  // Below the minimum nothing is cached, so routing does not matter.
  EXPECT_TRUE(of_rule(lint_request(openai({msg("system", "Short."), msg("user", "Hi")}, false)), "PC027").empty());
}

TEST(LintRequest, ReasoningModelThroughChatCompletions) {
  Json multi = openai({msg("system", long_system()), msg("user", "Hi"), msg("assistant", "Hello"), msg("user", "More")});
  multi["model"] = "o3";
  const auto f = of_rule(lint_request(multi), "PC028");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].location.json_path, "$.model");
  Json single = openai({msg("system", long_system()), msg("user", "Hi")});
  single["model"] = "o3";
  EXPECT_TRUE(of_rule(lint_request(single), "PC028").empty());
  multi["model"] = "gpt-4o";
  EXPECT_TRUE(of_rule(lint_request(multi), "PC028").empty());
}

TEST(LintRequest, KeyOrderDifferingInsideOneRequest) {
  Json body = openai({msg("system", long_system()), msg("user", "Hi")});
  const Result clean = lint_request(body);
  EXPECT_TRUE(of_rule(clean, "PC007").empty()) << rules_of(clean);
  // The second tool's property schema has the same keys in the other order.
  body["tools"][1]["function"]["parameters"]["properties"]["id"] = {{"description", "The refund id."}, {"type", "string"}};
  const Result r = lint_request(body);
  const auto f = of_rule(r, "PC007");
  ASSERT_EQ(f.size(), 1u) << rules_of(r);
  EXPECT_EQ(f[0].location.json_path, "$.tools[1].function.parameters.properties.id");
  EXPECT_NE(f[0].message.find("$.tools[0].function.parameters.properties.id"), std::string::npos) << f[0].message;
  EXPECT_GT(f[0].tokens_at_risk, 0u);
}

TEST(LintRequest, KeyOrderOfToolCallArguments) {
  auto call = [](const std::string& id, const std::string& args) {
    return Json{{"role", "assistant"},
                {"content", nullptr},
                {"tool_calls", {{{"id", id}, {"type", "function"}, {"function", {{"name", "get_order"}, {"arguments", args}}}}}}};
  };
  auto result = [](const std::string& id) { return Json{{"role", "tool"}, {"tool_call_id", id}, {"content", "ok"}}; };
  Json body = openai({msg("system", long_system()), msg("user", "Hi"), call("c1", R"({"id":"1","verbose":true})"),
                      result("c1"), call("c2", R"({"verbose":false,"id":"2"})"), result("c2"), msg("user", "Thanks")});
  const auto f = of_rule(lint_request(body), "PC007");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].location.json_path, "$.messages[4].tool_calls[0].function.arguments");
}

TEST(LintRequest, CleanFixtures) {
  const Linter linter{Config{}};
  for (const char* name : {"clean_openai.json", "clean_anthropic.json"}) {
    const Result r = linter.lint_request(read_file(fixtures() / "requests" / name));
    EXPECT_TRUE(r.findings.empty()) << name << ": " << rules_of(r);
    EXPECT_GT(r.cacheable_tokens, 1024u) << name;
  }
}

TEST(LintRequest, ErrorsAreTyped) {
  const Linter linter{Config{}};
  try {
    linter.lint_request(R"({"messages": [)");
    FAIL() << "no error";
  } catch (const tokcount::Error& e) {
    EXPECT_EQ(e.code(), tokcount::ErrorCode::kParseError);
  }
  try {
    linter.lint_request(R"({"model": "gpt-4o", "messages": {"role": "user"}})");
    FAIL() << "no error";
  } catch (const tokcount::Error& e) {
    EXPECT_EQ(e.code(), tokcount::ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("$.messages"), std::string::npos) << e.what();
  }
}

TEST(LintRequest, InputKindDetection) {
  EXPECT_EQ(detect_input_kind("You are {{name}}.\n"), InputKind::kText);
  EXPECT_EQ(detect_input_kind("{not json} is a Markdown start\n"), InputKind::kText);
  EXPECT_EQ(detect_input_kind(R"({"model": "gpt-4o", "messages": []})"), InputKind::kRequest);
  EXPECT_EQ(detect_input_kind("{\"ts\": 1, \"request\": {\"messages\": []}}\n{\"ts\": 2, \"request\": {\"messages\": []}}\n"),
            InputKind::kLog);
  EXPECT_EQ(parse_input_kind("jsonl"), InputKind::kLog);
  EXPECT_FALSE(parse_input_kind("yaml").has_value());
}

// ---- requests: Anthropic breakpoints --------------------------------------------------------

TEST(LintRequestAnthropic, CacheableRegionEndsAtTheLastBreakpoint) {
  const std::string volatile_text = "Current time: 2026-07-06T14:32:07Z\n";
  // No cache_control anywhere: nothing is cached, so nothing in it costs a hit.
  const Result none = lint_request(anthropic(Json::array({text_block(long_system()), text_block(volatile_text)}),
                                             {msg("user", "Hi")}));
  EXPECT_TRUE(none.findings.empty()) << rules_of(none);
  EXPECT_EQ(none.cacheable_tokens, 0u);
  // A breakpoint on the first block: the volatile second block lies after it.
  const Result before = lint_request(anthropic(Json::array({text_block(long_system(), ""), text_block(volatile_text)}),
                                               {msg("user", "Hi")}));
  EXPECT_TRUE(before.findings.empty()) << rules_of(before);
  EXPECT_TRUE(before.tokens_estimated);
  // A breakpoint on the volatile block: PC001 in the prefix and PC020 for the breakpoint.
  const Result on = lint_request(anthropic(Json::array({text_block(long_system()), text_block(volatile_text, "")}),
                                           {msg("user", "Hi")}));
  const auto ts = of_rule(on, "PC001");
  ASSERT_EQ(ts.size(), 1u) << rules_of(on);
  EXPECT_EQ(ts[0].location.json_path, "$.system[1].text");
  const auto bp = of_rule(on, "PC020");
  ASSERT_EQ(bp.size(), 1u) << rules_of(on);
  EXPECT_EQ(bp[0].location.json_path, "$.system[1].text");
  EXPECT_EQ(bp[0].tokens_at_risk, on.cacheable_tokens);  // the whole prefix it should have cached
}

TEST(LintRequestAnthropic, BreakpointOnAVolatileUserBlock) {
  const Json sys = Json::array({text_block(long_system())});
  const Result r = lint_request(anthropic(
      sys, {{{"role", "user"}, {"content", Json::array({text_block("Now: 2026-07-06T14:32:07Z. Where is my parcel?", "")})}}}));
  const auto f = of_rule(r, "PC020");
  ASSERT_EQ(f.size(), 1u) << rules_of(r);
  EXPECT_EQ(f[0].location.json_path, "$.messages[0].content[0].text");
  EXPECT_TRUE(of_rule(r, "PC001").empty());  // user text is not static text
  // Automatic caching moves its breakpoint forward with the conversation: not this trap.
  Json automatic = anthropic(sys, {msg("user", "Now: 2026-07-06T14:32:07Z. Where is my parcel?")});
  automatic["cache_control"] = {{"type", "ephemeral"}};
  EXPECT_TRUE(of_rule(lint_request(automatic), "PC020").empty());
  // A stable user block with a breakpoint is fine.
  const Result ok = lint_request(
      anthropic(sys, {{{"role", "user"}, {"content", Json::array({text_block("Where is my parcel?", "")})}}}));
  EXPECT_TRUE(ok.findings.empty()) << rules_of(ok);
}

TEST(LintRequestAnthropic, BreakpointRules) {
  auto user_blocks = [](int n, const char* last_ttl) {
    Json content = Json::array();
    for (int i = 0; i < n; ++i) content.push_back(text_block("Part " + std::to_string(i) + ".", i + 1 == n ? last_ttl : ""));
    return Json{{"role", "user"}, {"content", content}};
  };
  const Json sys = Json::array({text_block(long_system(), "")});
  EXPECT_TRUE(of_rule(lint_request(anthropic(sys, {user_blocks(3, "")})), "PC022").empty());  // 4 breakpoints
  const Result five = lint_request(anthropic(sys, {user_blocks(4, "")}));
  const auto f5 = of_rule(five, "PC022");
  ASSERT_EQ(f5.size(), 1u) << rules_of(five);
  EXPECT_EQ(f5[0].location.json_path, "$.messages[0].content[3]");
  EXPECT_NE(f5[0].message.find("5 cache breakpoints"), std::string::npos);

  // 1h after 5m is invalid; 1h before 5m is the documented order.
  const Result order = lint_request(anthropic(Json::array({text_block(long_system(), "5m")}), {user_blocks(1, "1h")}));
  const auto fo = of_rule(order, "PC022");
  ASSERT_EQ(fo.size(), 1u) << rules_of(order);
  EXPECT_EQ(fo[0].location.json_path, "$.messages[0].content[0]");
  EXPECT_TRUE(of_rule(lint_request(anthropic(Json::array({text_block(long_system(), "1h")}), {user_blocks(1, "5m")})), "PC022")
                  .empty());

  // Automatic caching's TTL must agree with an explicit breakpoint on the last block.
  Json clash = anthropic(sys, {user_blocks(1, "5m")});
  clash["cache_control"] = {{"type", "ephemeral"}, {"ttl", "1h"}};
  const auto fc = of_rule(lint_request(clash), "PC022");
  ASSERT_EQ(fc.size(), 1u);
  EXPECT_EQ(fc[0].location.json_path, "$.cache_control");
  clash["cache_control"]["ttl"] = "5m";
  EXPECT_TRUE(of_rule(lint_request(clash), "PC022").empty());
}

// ---- logs -----------------------------------------------------------------------------------

Result lint_log(const std::vector<Json>& lines, Config config = {}) { return Linter(std::move(config)).lint_log(jsonl(lines)); }

TEST(LintLog, CleanConversationFixture) {
  const Result r = Linter(Config{}).lint_log(read_file(fixtures() / "requests" / "clean_conversation.jsonl"));
  EXPECT_EQ(r.kind, InputKind::kLog);
  EXPECT_EQ(r.requests, 5u);
  EXPECT_TRUE(r.findings.empty()) << rules_of(r);
}

TEST(LintLog, RepeatedFindingIsReportedOnceAtItsFirstRecord) {
  const Json sys = msg("system", "Current time: 2026-07-06T14:32:07Z\n" + long_system());
  const Result r = lint_log({line(100, openai({sys, msg("user", "a")})), line(110, openai({sys, msg("user", "b")})),
                             line(120, openai({sys, msg("user", "c")}))});
  const auto f = of_rule(r, "PC001");
  ASSERT_EQ(f.size(), 1u) << rules_of(r);
  EXPECT_EQ(f[0].location.record, 1u);
  EXPECT_EQ(f[0].location.json_path, "$.request.messages[0].content");
}

TEST(LintLog, BadLinesAreTypedErrorsNamingTheLine) {
  try {
    Linter(Config{}).lint_log(jsonl({line(1, openai({msg("user", "a")}))}) + "{\"ts\": 2}\n");
    FAIL() << "no error";
  } catch (const tokcount::Error& e) {
    EXPECT_EQ(e.code(), tokcount::ErrorCode::kParseError);
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  try {
    Linter(Config{}).lint_log("{\"ts\": 1, \"request\": {\"messages\": [\n");
    FAIL() << "no error";
  } catch (const tokcount::Error& e) {
    EXPECT_EQ(e.code(), tokcount::ErrorCode::kParseError);
  }
}

TEST(LintLog, TtlGaps) {
  const Json a = openai({msg("system", long_system()), msg("user", "a")});
  const Json b = openai({msg("system", long_system()), msg("user", "b")});
  const Result gap = lint_log({line(1000, a), line(1000 + 25 * 60, b)});
  const auto f = of_rule(gap, "PC029");
  ASSERT_EQ(f.size(), 1u) << rules_of(gap);
  EXPECT_EQ(f[0].location.record, 2u);
  EXPECT_NE(f[0].message.find("25 min"), std::string::npos) << f[0].message;
  EXPECT_TRUE(of_rule(lint_log({line(1000, a), line(1000 + 120, b)}), "PC029").empty());
  // 24h retention keeps the entry.
  Json a24 = a, b24 = b;
  a24["prompt_cache_retention"] = "24h";
  b24["prompt_cache_retention"] = "24h";
  EXPECT_TRUE(of_rule(lint_log({line(1000, a24), line(1000 + 25 * 60, b24)}), "PC029").empty());
  // Anthropic: 5 min by default, 1 h when asked for.
  const Json s5 = anthropic(Json::array({text_block(long_system(), "")}), {msg("user", "a")});
  const Json s1 = anthropic(Json::array({text_block(long_system(), "1h")}), {msg("user", "a")});
  EXPECT_EQ(of_rule(lint_log({line(0, s5), line(600, s5)}), "PC029").size(), 1u);
  EXPECT_TRUE(of_rule(lint_log({line(0, s1), line(600, s1)}), "PC029").empty());
}

TEST(LintLog, ConcurrentFanout) {
  const auto req = [](const std::string& u) { return openai({msg("system", long_system()), msg("user", u)}); };
  // Three requests with the same new prefix before the first response began (at +2 s).
  const Result fan = lint_log({line(100, req("a"), 2.0), line(100.5, req("b"), 2.0), line(101, req("c"), 2.0)});
  const auto f = of_rule(fan, "PC030");
  ASSERT_EQ(f.size(), 1u) << rules_of(fan);
  EXPECT_EQ(f[0].location.record, 2u);
  EXPECT_NE(f[0].message.find("3 requests"), std::string::npos) << f[0].message;
  // One first, then the others after its response began.
  EXPECT_TRUE(of_rule(lint_log({line(100, req("a"), 2.0), line(103, req("b"), 2.0), line(103.1, req("c"), 2.0)}), "PC030").empty());
}

TEST(LintLog, CacheKeyGranularity) {
  const Json sys = msg("system", long_system());
  Json t1 = openai({sys, msg("user", "a")});
  Json t2 = openai({sys, msg("user", "a"), msg("assistant", "b"), msg("user", "c")});
  t1["prompt_cache_key"] = "req-1";
  t2["prompt_cache_key"] = "req-2";
  const auto f = of_rule(lint_log({line(0, t1), line(30, t2)}), "PC027");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].location.record, 2u);
  EXPECT_EQ(f[0].location.json_path, "$.request.prompt_cache_key");
  t2["prompt_cache_key"] = "req-1";
  EXPECT_TRUE(of_rule(lint_log({line(0, t1), line(30, t2)}), "PC027").empty());

  // One key above ~15 requests per minute.
  std::vector<Json> busy, calm;
  for (int i = 0; i < 20; ++i) {
    busy.push_back(line(i * 2.0, openai({sys, msg("user", "q" + std::to_string(i))})));
    calm.push_back(line(i * 10.0, openai({sys, msg("user", "q" + std::to_string(i))})));
  }
  const auto rpm = of_rule(lint_log(busy), "PC027");
  ASSERT_EQ(rpm.size(), 1u);
  EXPECT_EQ(rpm[0].location.record, 16u);
  EXPECT_TRUE(of_rule(lint_log(calm), "PC027").empty());
}

}  // namespace
