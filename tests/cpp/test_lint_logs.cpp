// tokcount lint on JSONL request logs, the comparison rules: each fires when consecutive
// requests of a conversation (or, for tools and schema, of a prefix group) differ the way the
// rule names, and stays quiet on the append-only turn that differs only by its new messages.
// Plus the C API skin over lint_input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "lint_findings.hpp"
#include "tokcount/lint.hpp"
#include "tokcount/tokcount.h"

namespace {

using namespace tokcount::lint;
using Json = nlohmann::ordered_json;

// Long enough (> 1,024 tokens) that every prefix here is cacheable.
std::string long_system() {
  std::string s = "You are the support agent of an online shop. Follow these rules.\n";
  for (int i = 1; i <= 120; ++i)
    s += "Rule " + std::to_string(i) + ": answer politely, check the order before promising anything, and never guess.\n";
  return s;
}

Json tool(const std::string& name) {
  return {{"type", "function"},
          {"function",
           {{"name", name},
            {"description", "The " + name + " tool."},
            {"parameters",
             {{"type", "object"},
              {"properties", {{"id", {{"type", "string"}, {"description", "An id."}}}}},
              {"required", {"id"}}}}}}};
}

Json msg(const std::string& role, const std::string& content) { return {{"role", role}, {"content", content}}; }

Json request(std::vector<Json> messages, std::vector<std::string> tools = {"get_order", "refund"}) {
  Json body = {{"model", "gpt-4o"}, {"prompt_cache_key", "support"}, {"tools", Json::array()}, {"tool_choice", "auto"}};
  for (const std::string& t : tools) body["tools"].push_back(tool(t));
  body["messages"] = Json::array({msg("system", long_system())});
  for (Json& m : messages) body["messages"].push_back(std::move(m));
  return body;
}

// Turn 1 and turn 2 of one conversation (append-only).
Json turn1() { return request({msg("user", "Where is my parcel?")}); }
Json turn2() {
  return request({msg("user", "Where is my parcel?"), msg("assistant", "Which order?"), msg("user", "Order 4417.")});
}

Result lint_log(const std::vector<Json>& requests) {
  std::string log;
  double ts = 1000;
  for (const Json& r : requests) {
    log += Json{{"ts", ts}, {"first_token_ts", ts + 1}, {"request", r}}.dump() + "\n";
    ts += 30;
  }
  return Linter(Config{}).lint_log(log);
}

using lint_test::of_rule;

std::string rules_of(const Result& r) {
  std::string s;
  for (const Finding& f : r.findings) s += std::string(f.rule->id) + "@" + std::to_string(f.location.record) + " " + f.message + "\n";
  return s;
}

TEST(LintLogCompare, AppendOnlyConversationIsClean) {
  const Result r = lint_log({turn1(), turn2()});
  EXPECT_TRUE(r.findings.empty()) << rules_of(r);
}

TEST(LintLogCompare, ToolOrder) {
  Json t2 = turn2();
  std::swap(t2["tools"][0], t2["tools"][1]);
  const Result r = lint_log({turn1(), t2});
  const auto f = of_rule(r, "PC006");
  ASSERT_EQ(f.size(), 1u) << rules_of(r);
  EXPECT_EQ(f[0].location.record, 2u);
  EXPECT_EQ(f[0].location.json_path.rfind("$.request.tools", 0), 0u) << f[0].location.json_path;
  EXPECT_TRUE(of_rule(r, "PC008").empty()) << rules_of(r);
}

TEST(LintLogCompare, ToolsetChurn) {
  const Json t2 = request({msg("user", "Where is my parcel?"), msg("assistant", "Which order?"), msg("user", "Order 4417.")},
                          {"get_order", "refund", "escalate"});
  const Result r = lint_log({turn1(), t2});
  ASSERT_EQ(of_rule(r, "PC008").size(), 1u) << rules_of(r);
  EXPECT_TRUE(of_rule(r, "PC006").empty()) << rules_of(r);
}

TEST(LintLogCompare, KeyOrderDrift) {
  Json t2 = turn2();
  t2["tools"][1]["function"]["parameters"] = {{"properties", {{"id", {{"type", "string"}, {"description", "An id."}}}}},
                                              {"required", {"id"}},
                                              {"type", "object"}};
  const Result r = lint_log({turn1(), t2});
  ASSERT_EQ(of_rule(r, "PC007").size(), 1u) << rules_of(r);
}

TEST(LintLogCompare, SchemaChurn) {
  auto with_schema = [](Json r, const std::string& field) {
    r["response_format"] = {{"type", "json_schema"},
                            {"json_schema",
                             {{"name", "answer"},
                              {"schema", {{"type", "object"}, {"properties", {{field, {{"type", "string"}}}}}}}}}};
    return r;
  };
  const Result same = lint_log({with_schema(turn1(), "reply"), with_schema(turn2(), "reply")});
  EXPECT_TRUE(of_rule(same, "PC009").empty()) << rules_of(same);
  const Result r = lint_log({with_schema(turn1(), "reply"), with_schema(turn2(), "answer")});
  ASSERT_EQ(of_rule(r, "PC009").size(), 1u) << rules_of(r);
}

TEST(LintLogCompare, ParamDriftWithinAConversationOnly) {
  Json t2 = turn2();
  t2["tool_choice"] = "required";
  const Result r = lint_log({turn1(), t2});
  ASSERT_EQ(of_rule(r, "PC010").size(), 1u) << rules_of(r);
  // Another conversation (another first message) may choose its own parameters.
  Json other = request({msg("user", "Can I change my address?")});
  other["tool_choice"] = "required";
  const Result across = lint_log({turn1(), other});
  EXPECT_TRUE(of_rule(across, "PC010").empty()) << rules_of(across);
}

TEST(LintLogCompare, HistoryMutation) {
  Json t2 = turn2();
  t2["messages"][2]["content"] = "Which order number, please?";  // the assistant's earlier turn, rewritten
  const Result r = lint_log({turn2(), [&] {
                               Json t3 = t2;
                               t3["messages"].push_back(msg("assistant", "Found it."));
                               t3["messages"].push_back(msg("user", "Thanks."));
                               return t3;
                             }()});
  const auto f = of_rule(r, "PC023");
  ASSERT_EQ(f.size(), 1u) << rules_of(r);
  EXPECT_EQ(f[0].location.record, 2u);
}

TEST(LintLogCompare, RepeatsAreCountedOnTheFirstFinding) {
  std::vector<Json> log;
  for (int i = 0; i < 4; ++i) {
    Json t = i == 0 ? turn1() : turn2();
    if (i % 2 == 1) std::swap(t["tools"][0], t["tools"][1]);
    if (i >= 2) t["messages"].push_back(msg("assistant", "Turn " + std::to_string(i))), t["messages"].push_back(msg("user", "More " + std::to_string(i)));
    log.push_back(t);
  }
  const auto f = of_rule(lint_log(log), "PC006");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].message.find("more time(s)"), std::string::npos) << f[0].message;
}

// ---- Anthropic lookback and breakpoints -------------------------------------------------------

// An agent loop: the first user message, `rounds` tool rounds (assistant text + tool_use, then
// the tool_result), a closing user message; the breakpoint on the last block, as the loop puts
// it each turn (earlier turns' markers are gone).
Json agent_turn(int rounds) {
  Json body = {{"model", "claude-sonnet-4-5"}, {"max_tokens", 256}};
  body["system"] = Json::array({{{"type", "text"}, {"text", long_system()}}});
  Json msgs = Json::array();
  msgs.push_back({{"role", "user"}, {"content", Json::array({{{"type", "text"}, {"text", "Check my orders."}}})}});
  for (int i = 0; i < rounds; ++i) {
    const std::string id = "toolu_" + std::to_string(i);
    msgs.push_back({{"role", "assistant"},
                    {"content", Json::array({{{"type", "text"}, {"text", "Checking order " + std::to_string(i) + "."}},
                                             {{"type", "tool_use"}, {"id", id}, {"name", "get_order"},
                                              {"input", {{"id", std::to_string(i)}}}}})}});
    msgs.push_back({{"role", "user"}, {"content", Json::array({{{"type", "tool_result"}, {"tool_use_id", id}, {"content", "ok"}}})}});
  }
  msgs.back()["content"].back()["cache_control"] = {{"type", "ephemeral"}};
  body["messages"] = msgs;
  return body;
}

TEST(LintLogCompare, LookbackExceeded) {
  // Turn 2 adds 12 rounds (36 positions) after the block turn 1 wrote its entry at: its only
  // breakpoint cannot walk back that far.
  const Result r = lint_log({agent_turn(1), agent_turn(13)});
  const auto f = of_rule(r, "PC021");
  ASSERT_EQ(f.size(), 1u) << rules_of(r);
  EXPECT_EQ(f[0].location.record, 2u);
  // Two more rounds stay inside the 20-position window.
  const Result ok = lint_log({agent_turn(1), agent_turn(3)});
  EXPECT_TRUE(of_rule(ok, "PC021").empty()) << rules_of(ok);
}

TEST(LintLogCompare, BreakpointOnAChangingBlockWithNothingMarkedBefore) {
  auto single = [](const std::string& question, bool system_breakpoint) {
    Json body = {{"model", "claude-sonnet-4-5"}, {"max_tokens", 256}};
    Json sys = {{"type", "text"}, {"text", long_system()}};
    if (system_breakpoint) sys["cache_control"] = {{"type", "ephemeral"}};
    body["system"] = Json::array({sys});
    body["messages"] = Json::array(
        {{{"role", "user"}, {"content", Json::array({{{"type", "text"}, {"text", question}, {"cache_control", {{"type", "ephemeral"}}}}})}}});
    return body;
  };
  const Result r = lint_log({single("Where is my parcel?", false), single("Can I pay by card?", false)});
  ASSERT_EQ(of_rule(r, "PC020").size(), 1u) << rules_of(r);
  const Result ok = lint_log({single("Where is my parcel?", true), single("Can I pay by card?", true)});
  EXPECT_TRUE(of_rule(ok, "PC020").empty()) << rules_of(ok);
}

// ---- C API -------------------------------------------------------------------------------------

TEST(LintCapi, InputKindsAndLocations) {
  const std::string body = turn1().dump();
  tokcount_lint_result* res = nullptr;
  ASSERT_EQ(tokcount_lint_input(body.data(), body.size(), TOKCOUNT_LINT_INPUT_REQUEST, nullptr, 0, nullptr, 0, &res), TOKCOUNT_OK);
  size_t n = 99;
  ASSERT_EQ(tokcount_lint_result_count(res, &n), TOKCOUNT_OK);
  EXPECT_EQ(n, 0u);  // a clean request
  tokcount_lint_result_free(res);

  Json dirty = turn1();
  dirty["messages"][0]["content"] = "Today is 2026-07-06.\n" + long_system();
  const std::string log = Json{{"ts", 1}, {"request", dirty}}.dump() + "\n";
  ASSERT_EQ(tokcount_lint_input(log.data(), log.size(), TOKCOUNT_LINT_INPUT_AUTO, "gpt-4o", 6, nullptr, 0, &res), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_lint_result_count(res, &n), TOKCOUNT_OK);
  ASSERT_GE(n, 1u);
  const char* path = nullptr;
  size_t record = 0;
  bool found = false;
  for (size_t i = 0; i < n; ++i) {
    tokcount_lint_finding f;
    ASSERT_EQ(tokcount_lint_result_finding(res, i, &f), TOKCOUNT_OK);
    ASSERT_EQ(tokcount_lint_result_location(res, i, &path, &record), TOKCOUNT_OK);
    if (std::string(f.rule) == "PC002") {
      found = true;
      EXPECT_STREQ(path, "$.request.messages[0].content");
      EXPECT_EQ(record, 1u);
      EXPECT_EQ(f.column, 10u);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(tokcount_lint_result_location(res, n, &path, &record), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_lint_result_location(res, 0, nullptr, nullptr), TOKCOUNT_OK);
  tokcount_lint_result_free(res);

  EXPECT_EQ(tokcount_lint_input(nullptr, 0, TOKCOUNT_LINT_INPUT_LOG, nullptr, 0, nullptr, 0, &res), TOKCOUNT_OK);
  tokcount_lint_result_free(res);  // empty log: no records
  EXPECT_EQ(tokcount_lint_input(body.data(), body.size(), 7, nullptr, 0, nullptr, 0, &res), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(res, nullptr);
  EXPECT_EQ(tokcount_lint_input("{", 1, TOKCOUNT_LINT_INPUT_REQUEST, nullptr, 0, nullptr, 0, &res), TOKCOUNT_PARSE_ERROR);
  EXPECT_EQ(tokcount_lint_input(body.data(), body.size(), TOKCOUNT_LINT_INPUT_REQUEST, nullptr, 0, nullptr, 0, nullptr),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_lint_result_location(nullptr, 0, &path, &record), TOKCOUNT_INVALID_ARGUMENT);
}

}  // namespace
