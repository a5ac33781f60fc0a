// tokcount lint: every static-text rule fires on its defect at the right line and column and
// stays quiet on the near-miss; tokens_at_risk is the real token count to the end of the
// cacheable region; --fix repairs exactly the fixable findings, is idempotent and preserves
// everything else; clean real-world fixtures (tests/fixtures/lint/clean_*) produce nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tokcount/lint.hpp"
#include "tokcount/tokcount.h"

namespace {

using namespace tokcount::lint;

// Default config with PC019 off: most cases are short texts, far below any cache minimum.
Config short_text_config() {
  Config c;
  c.rules["PC019"] = {false, std::nullopt};
  return c;
}

std::vector<Finding> lint_with(const std::string& text, Config config = short_text_config()) {
  return Linter(std::move(config)).lint_text(text).findings;
}

std::vector<Finding> of_rule(const std::vector<Finding>& all, std::string_view id) {
  std::vector<Finding> out;
  for (const Finding& f : all)
    if (f.rule->id == id) out.push_back(f);
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.location.byte < b.location.byte; });
  return out;
}

std::string rules_of(const std::vector<Finding>& all) {
  std::set<std::string> ids;
  for (const Finding& f : all) ids.insert(std::string(f.rule->id));
  std::string s;
  for (const std::string& id : ids) s += (s.empty() ? "" : ",") + id;
  return s;
}

// Exactly one finding of `rule`, at line:column.
#define EXPECT_ONE_AT(text, rule, line_, col_)                                                            \
  do {                                                                                                    \
    const auto _all = lint_with(text);                                                                    \
    const auto _f = of_rule(_all, rule);                                                                  \
    ASSERT_EQ(_f.size(), 1u) << "text: " << ::testing::PrintToString(std::string(text)) << " rules: " << rules_of(_all); \
    EXPECT_EQ(_f[0].location.line, static_cast<std::size_t>(line_)) << _f[0].message;                     \
    EXPECT_EQ(_f[0].location.column, static_cast<std::size_t>(col_)) << _f[0].message;                   \
  } while (0)

#define EXPECT_NONE(text, rule)                                                                           \
  do {                                                                                                    \
    const auto _f = of_rule(lint_with(text), rule);                                                       \
    EXPECT_TRUE(_f.empty()) << "text: " << ::testing::PrintToString(std::string(text)) << " -> " << _f[0].message; \
  } while (0)

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path fixtures() { return std::filesystem::path(TOKCOUNT_SOURCE_DIR) / "tests" / "fixtures" / "lint"; }

// ---- catalog ------------------------------------------------------------------------------

TEST(LintRules, CatalogHasThe30SpecRulesInOrder) {
  const auto all = rules();
  ASSERT_EQ(all.size(), 30u);
  const char* names[] = {"TIMESTAMP_IN_PREFIX", "DATE_IN_PREFIX", "ID_IN_PREFIX", "USER_DATA_EARLY", "VOLATILE_COUNTERS",
                         "TOOL_ORDER_UNSTABLE", "JSON_KEY_ORDER", "TOOLSET_CHURN", "SCHEMA_CHURN", "PARAM_DRIFT",
                         "TRAILING_WHITESPACE", "LINE_ENDINGS", "MIXED_INDENT", "UNICODE_NOT_NFC", "INVISIBLE_CHARS",
                         "EXOTIC_SPACES", "BOM", "NON_ASCII_EARLY", "BELOW_MINIMUM", "BREAKPOINT_ON_VOLATILE",
                         "LOOKBACK_EXCEEDED", "BREAKPOINT_RULES", "HISTORY_MUTATION", "NONDETERMINISTIC_RENDER",
                         "TEMPLATE_VAR_IN_PREFIX", "BOUNDARY_SPLICE", "CACHE_KEY_GRANULARITY", "REASONING_VIA_CHAT",
                         "TTL_MISMATCH", "CONCURRENT_FANOUT"};
  for (std::size_t i = 0; i < all.size(); ++i) {
    char id[24];  // room for any size_t, so -Wformat-truncation has nothing to say
    std::snprintf(id, sizeof(id), "PC%03zu", i + 1);
    EXPECT_EQ(all[i].id, id);
    EXPECT_EQ(all[i].name, names[i]);
    EXPECT_FALSE(all[i].why.empty());
    EXPECT_FALSE(all[i].fix.empty());
    EXPECT_EQ(find_rule(id), &all[i]);
    EXPECT_EQ(find_rule(names[i]), &all[i]);
  }
  // The spec's severities.
  EXPECT_EQ(find_rule("PC001")->default_severity, Severity::kError);
  EXPECT_EQ(find_rule("PC002")->default_severity, Severity::kWarn);
  EXPECT_EQ(find_rule("PC013")->default_severity, Severity::kInfo);
  EXPECT_EQ(find_rule("PC026")->default_severity, Severity::kInfo);
  EXPECT_EQ(find_rule("pc011"), find_rule("PC011"));
  EXPECT_EQ(find_rule("PC031"), nullptr);
}

// ---- the spec's example (7.2) -------------------------------------------------------------

TEST(LintRules, SpecExampleTimestampAtLine3Column29Byte212) {
  const std::string line1(90, 'a');
  std::string line2 = "You are a support assistant for a hardware store. Keep answers short and polite, always.....";
  ASSERT_EQ(line2.size(), 92u);
  const std::string text = line1 + "\n" + line2 + "\nSystem rules. Current time: 2026-07-06T14:32:07Z. Be concise.\n";
  const Linter linter(short_text_config());
  const Result r = linter.lint_text(text);
  const auto f = of_rule(r.findings, "PC001");
  ASSERT_EQ(f.size(), 1u) << rules_of(r.findings);
  EXPECT_EQ(f[0].rule->name, "TIMESTAMP_IN_PREFIX");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].location.byte, 212u);
  EXPECT_EQ(f[0].location.line, 3u);
  EXPECT_EQ(f[0].location.column, 29u);
  EXPECT_NE(f[0].excerpt.find("Current time: 2026-07-06T14:32:07Z"), std::string::npos) << f[0].excerpt;
  // The date inside the timestamp is not reported again.
  EXPECT_TRUE(of_rule(r.findings, "PC002").empty());

  // tokens_at_risk: the token containing byte 212 and every token after it.
  const auto& enc = linter.encoding();
  const std::vector<tokcount::Rank> toks = enc.encode_ordinary(text);
  ASSERT_LE(f[0].tokens_at_risk, toks.size());
  const std::size_t kept = toks.size() - f[0].tokens_at_risk;
  std::size_t kept_bytes = 0;
  for (std::size_t i = 0; i < kept; ++i) kept_bytes += enc.token_bytes(toks[i]).size();
  EXPECT_LE(kept_bytes, 212u);
  EXPECT_GT(kept_bytes + enc.token_bytes(toks[kept]).size(), 212u);
  EXPECT_EQ(r.cacheable_tokens, toks.size());
}

// ---- PC001 ---------------------------------------------------------------------------------

TEST(LintRules, PC001Timestamps) {
  EXPECT_ONE_AT("The job ran at 14:32:07 yesterday.", "PC001", 1, 16);
  EXPECT_ONE_AT("Meeting starts 3:45 PM sharp.", "PC001", 1, 16);
  EXPECT_ONE_AT("Deadline 09:30 UTC.", "PC001", 1, 10);
  EXPECT_ONE_AT("x\nThe time is now 09:30, hurry.", "PC001", 2, 17);
  EXPECT_ONE_AT("ts=1751812327 (seconds)", "PC001", 1, 4);
  EXPECT_ONE_AT("ms: 1751812327123", "PC001", 1, 5);
  EXPECT_ONE_AT("Stamp 20260706T143207Z here", "PC001", 1, 7);
  EXPECT_ONE_AT("Generated on July 6, 2026 at 14:32.", "PC001", 1, 14);
  EXPECT_ONE_AT("Now: {{ now() }}", "PC001", 1, 6);
  EXPECT_ONE_AT("Clock: ${new Date().toISOString()}", "PC001", 1, 8);
  EXPECT_ONE_AT("Current time: (see below)", "PC001", 1, 1);
  // A date inside a written date-time is not a separate PC002.
  EXPECT_NONE("Generated on July 6, 2026 at 14:32.", "PC002");
}

TEST(LintRules, PC001QuietOnRatiosVersionsAndProse) {
  EXPECT_NONE("Use a 16:9 aspect ratio, or 4:3 for thumbnails; see section 3.2.", "PC001");
  EXPECT_NONE("Office hours start 9:30 and end 17:00.", "PC001");
  EXPECT_NONE("If you do not know the current time, say so.", "PC001");
  EXPECT_NONE("Release 1.2.3 fixed 12 bugs in 2024.", "PC001");
  EXPECT_NONE("Timeouts are given in seconds (default 30).", "PC001");
}

// ---- PC002 ---------------------------------------------------------------------------------

TEST(LintRules, PC002Dates) {
  EXPECT_ONE_AT("Today is 2026-07-06.", "PC002", 1, 10);
  EXPECT_ONE_AT("a\nb\nUpdated: July 6, 2026", "PC002", 3, 10);
  EXPECT_ONE_AT("Signed 6 July 2026.", "PC002", 1, 8);
  EXPECT_ONE_AT("Date 07/06/2026", "PC002", 1, 6);
  EXPECT_ONE_AT("Today is Monday, July 6, 2026.", "PC002", 1, 10);
  EXPECT_ONE_AT("It is Monday.", "PC002", 1, 7);
  EXPECT_ONE_AT("今天是2026年7月6日。", "PC002", 1, 4);
  EXPECT_ONE_AT("Today is {{date}}.", "PC002", 1, 10);
  EXPECT_ONE_AT("Today: {{ today }}", "PC002", 1, 8);
  EXPECT_ONE_AT("Current date: see the header", "PC002", 1, 1);
}

TEST(LintRules, PC002QuietOnYearsVersionsAndWeekdaysInProse) {
  EXPECT_NONE("Founded in 2019; version 2.0.1; RFC 3339 and ISO 8601 define formats.", "PC002");
  EXPECT_NONE("Meetings usually happen on Monday or Friday.", "PC002");
  EXPECT_NONE("Score 2026-13-45 is not a date.", "PC002");
  EXPECT_NONE("Use the format YYYY-MM-DD for dates.", "PC002");
}

// ---- PC003 ---------------------------------------------------------------------------------

TEST(LintRules, PC003Ids) {
  EXPECT_ONE_AT("Session 3f2b8c1e-9a4d-4e2b-8f3a-1c2d3e4f5a6b active", "PC003", 1, 9);
  EXPECT_ONE_AT("Use request req_8f3k2j9x for lookups", "PC003", 1, 13);
  EXPECT_ONE_AT("trace: 4bf92f3577b34da6a3ce929d0e0e4736", "PC003", 1, 8);
  EXPECT_ONE_AT("key kJ8sT2qL9xZ4vB7nM1pR5wY3 here", "PC003", 1, 5);
  EXPECT_ONE_AT("auth eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "PC003", 1, 6);
  EXPECT_ONE_AT("nonce=abc", "PC003", 1, 7);
  EXPECT_ONE_AT("Conversation {{ session_id }}", "PC003", 1, 14);
  EXPECT_ONE_AT("msg msg_01XFDUDYJgAACzvnptvVoYEL ok", "PC003", 1, 5);
}

TEST(LintRules, PC003QuietOnIdentifiersPathsAndWords) {
  EXPECT_NONE("Call request_handler() and run_command() in order_history.", "PC003");
  EXPECT_NONE("See getUserAccountSettingsById2024 in docs/api/v2/ReferenceGuide.", "PC003");
  EXPECT_NONE("ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz deadbeef 0123456789", "PC003");
  EXPECT_NONE("The colour #ff8800 and the value 0x1f are fine.", "PC003");
}

// ---- PC004 ---------------------------------------------------------------------------------

TEST(LintRules, PC004UserData) {
  EXPECT_ONE_AT("Rules first.\nUser name: Alice Johnson", "PC004", 2, 12);
  EXPECT_ONE_AT("- **Customer ID:** 88123", "PC004", 1, 20);
  EXPECT_ONE_AT("Working directory: /home/alice/project", "PC004", 1, 20);
  EXPECT_ONE_AT("Files live under /Users/bob/code.", "PC004", 1, 25);
  EXPECT_ONE_AT("Locale: fr-FR", "PC004", 1, 9);
  EXPECT_ONE_AT("Hello {{user.first_name}}!", "PC004", 1, 7);
}

TEST(LintRules, PC004QuietOnTranscriptsAndSupportAddresses) {
  EXPECT_NONE("User: Hello, how are you?\nAssistant: Fine, thanks.", "PC004");
  EXPECT_NONE("Email support@acme.example for refunds.", "PC004");
  EXPECT_NONE("Ask the user for their name before booking.", "PC004");
}

// ---- PC005 ---------------------------------------------------------------------------------

TEST(LintRules, PC005VolatileState) {
  EXPECT_ONE_AT("Branch: feature/login-fix", "PC005", 1, 9);
  EXPECT_ONE_AT("You are on branch main now", "PC005", 1, 19);
  EXPECT_ONE_AT("Credits: 42", "PC005", 1, 10);
  EXPECT_ONE_AT("You have 3 unread messages.", "PC005", 1, 10);
  EXPECT_ONE_AT("HEAD a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", "PC005", 1, 6);
  EXPECT_ONE_AT("commit 9fceb02 fixed it", "PC005", 1, 8);
  EXPECT_ONE_AT("Todo:\n- [x] write tests\n- [ ] ship", "PC005", 2, 1);
  EXPECT_ONE_AT("Currently working on: login page", "PC005", 1, 1);
  EXPECT_ONE_AT("Memory:\n{{ memories }}", "PC005", 2, 1);
}

TEST(LintRules, PC005QuietOnStepsAndUncheckedLists) {
  EXPECT_NONE("Step 1: read the file.\nStep 2: answer.", "PC005");
  EXPECT_NONE("- [ ] check the tests\n- [ ] check the docs", "PC005");
  EXPECT_NONE("Branches of the company are in three cities.", "PC005");
}

// ---- PC011 ---------------------------------------------------------------------------------

TEST(LintRules, PC011TrailingWhitespaceAndBlankLines) {
  EXPECT_ONE_AT("Hello  \nWorld\n", "PC011", 1, 6);
  EXPECT_ONE_AT("Hello\nWorld\t\n", "PC011", 2, 6);
  EXPECT_ONE_AT("a\n   \nb\n", "PC011", 2, 1);
  EXPECT_ONE_AT("\n\nHello\n", "PC011", 1, 1);
  EXPECT_ONE_AT("Hello\n\n\n", "PC011", 2, 1);
  EXPECT_ONE_AT("Hello\nend ", "PC011", 2, 4);
  const auto f = of_rule(lint_with("\n\nHello\n"), "PC011");
  EXPECT_EQ(f[0].message, "2 blank lines at the start");
  const auto g = of_rule(lint_with("Hello\n\n\n"), "PC011");
  EXPECT_EQ(g[0].message, "2 blank lines at the end");
}

TEST(LintRules, PC011QuietOnOneFinalNewlineAndInnerBlankLines) {
  EXPECT_NONE("Hello\n\nWorld\n", "PC011");
  EXPECT_NONE("Hello\nWorld", "PC011");
  EXPECT_NONE("", "PC011");
}

// ---- PC012 ---------------------------------------------------------------------------------

TEST(LintRules, PC012LineEndings) {
  EXPECT_ONE_AT("a\r\nb\r\n", "PC012", 1, 2);
  EXPECT_ONE_AT("a\nbb\r\nc\n", "PC012", 2, 3);
  EXPECT_ONE_AT("a\rb", "PC012", 1, 2);
  EXPECT_EQ(of_rule(lint_with("a\r\nb\r\n"), "PC012")[0].message, "CRLF line endings (all 2 lines)");
  EXPECT_EQ(of_rule(lint_with("a\nbb\r\nc\n"), "PC012")[0].message, "CRLF line endings (1 of 3 lines, mixed with LF)");
  // CR and CRLF both: two findings.
  EXPECT_EQ(of_rule(lint_with("a\r\nb\rc\n"), "PC012").size(), 2u);
  EXPECT_NONE("a\nb\n", "PC012");
}

// ---- PC013 ---------------------------------------------------------------------------------

TEST(LintRules, PC013MixedIndent) {
  EXPECT_ONE_AT("- a\n\t- b\n  - c\n", "PC013", 2, 1);
  EXPECT_ONE_AT("x\n \tindented", "PC013", 2, 2);
  // Go code indented with tabs inside a fence, lists with spaces outside: each judged alone.
  EXPECT_NONE("Steps:\n  - one\n  - two\n\n```go\nfunc f() {\n\treturn\n}\n```\n", "PC013");
}

// ---- PC014 ---------------------------------------------------------------------------------

TEST(LintRules, PC014NotNfc) {
  EXPECT_ONE_AT("Serve the cafe\xCC\x81 menu", "PC014", 1, 14);
  EXPECT_ONE_AT("ok\nA\xCC\x8A and \xE2\x84\xAB", "PC014", 2, 1);  // A + ring, ANGSTROM SIGN
  EXPECT_NONE("Serve the caf\xC3\xA9 menu", "PC014");
  EXPECT_NONE("日本語のテキストと한국어 텍스트", "PC014");
}

// ---- PC015 ---------------------------------------------------------------------------------

TEST(LintRules, PC015InvisibleCharacters) {
  EXPECT_ONE_AT("Hello\xE2\x80\x8Bworld", "PC015", 1, 6);               // ZWSP
  EXPECT_ONE_AT("abc \xE2\x80\xAE" "def", "PC015", 1, 5);              // RLO
  EXPECT_ONE_AT("co\xC2\xADoperate", "PC015", 1, 3);                    // soft hyphen
  EXPECT_ONE_AT("x\xEF\xBB\xBFy", "PC015", 1, 2);                       // U+FEFF inside text
  EXPECT_ONE_AT("a\xF3\xA0\x81\x81" "b", "PC015", 1, 2);               // TAG LATIN CAPITAL A
  EXPECT_ONE_AT("bell\x07!", "PC015", 1, 5);
  EXPECT_ONE_AT("word\xE2\x80\x8Djoiner", "PC015", 1, 5);              // ZWJ between Latin letters
}

TEST(LintRules, PC015QuietOnEmojiSequencesAndJoiningScripts) {
  EXPECT_NONE("Family: \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7", "PC015");
  EXPECT_NONE("Persian: \xD9\x85\xDB\x8C\xE2\x80\x8C\xD8\xAE\xD9\x88\xD8\xA7\xD9\x87\xD9\x85", "PC015");  // می‌خواهم
  EXPECT_NONE("Hindi: \xE0\xA4\x95\xE0\xA5\x8D\xE2\x80\x8D\xE0\xA4\xB7", "PC015");  // क्‍ष
  // England flag: U+1F3F4 + tags g b e n g + cancel tag.
  EXPECT_NONE("Flag: \xF0\x9F\x8F\xB4\xF3\xA0\x81\xA7\xF3\xA0\x81\xA2\xF3\xA0\x81\xA5\xF3\xA0\x81\xAE\xF3\xA0\x81\xA7\xF3\xA0\x81\xBF", "PC015");
  EXPECT_NONE("Tabs\tare\tfine.\n", "PC015");
}

// ---- PC016 ---------------------------------------------------------------------------------

TEST(LintRules, PC016ExoticSpaces) {
  EXPECT_ONE_AT("Price:\xC2\xA0" "100", "PC016", 1, 7);          // NBSP
  EXPECT_ONE_AT("a\nBonjour\xE2\x80\xAF!", "PC016", 2, 8);        // NNBSP
  EXPECT_ONE_AT("ascii\xE3\x80\x80text", "PC016", 1, 6);          // IDSP between Latin
  EXPECT_NONE("これは\xE3\x80\x80テストです。", "PC016");            // IDSP in Japanese
  EXPECT_NONE("\xE3\x80\x80\xE3\x80\x80第一章", "PC016");           // Japanese indent
  EXPECT_NONE("plain spaces only", "PC016");
}

// ---- PC017 ---------------------------------------------------------------------------------

TEST(LintRules, PC017Bom) {
  EXPECT_ONE_AT("\xEF\xBB\xBFHello", "PC017", 1, 1);
  EXPECT_ONE_AT("\xEF\xBB\xBF\xEF\xBB\xBFHello", "PC017", 1, 1);
  EXPECT_NONE("\xEF\xBB\xBFHello", "PC015");  // a BOM is PC017, not also PC015
  EXPECT_NONE("Hello", "PC017");
}

// ---- PC018 ---------------------------------------------------------------------------------

TEST(LintRules, PC018OffByDefaultAndOnlyForMostlyAsciiText) {
  const std::string text = "Write a r\xC3\xA9sum\xC3\xA9 \xE2\x80\x94 short and clear. " + std::string(200, 'x');
  EXPECT_TRUE(of_rule(lint_with(text), "PC018").empty());
  Config on = short_text_config();
  on.rules["PC018"] = {true, std::nullopt};
  const auto f = of_rule(lint_with(text, on), "PC018");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].location.column, 10u);
  EXPECT_EQ(f[0].severity, Severity::kInfo);
  EXPECT_NE(f[0].message.find("3 non-ASCII"), std::string::npos) << f[0].message;
  EXPECT_TRUE(of_rule(lint_with("这是一个中文提示，请用中文回答问题。", on), "PC018").empty());
  EXPECT_TRUE(of_rule(lint_with("One stray \xE2\x80\x94 only.", on), "PC018").empty());
}

// ---- PC019 ---------------------------------------------------------------------------------

TEST(LintRules, PC019BelowTheModelMinimum) {
  Config defaults;  // PC019 on
  const std::string short_text = "You are a helpful assistant.\n";
  const auto f = of_rule(Linter(defaults).lint_text(short_text).findings, "PC019");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].location.line, 1u);
  EXPECT_EQ(f[0].location.column, 1u);
  EXPECT_EQ(f[0].tokens_at_risk, Linter(defaults).encoding().count_ordinary(short_text));
  EXPECT_NE(f[0].message.find("1024"), std::string::npos) << f[0].message;

  std::string long_text;
  while (Linter(defaults).encoding().count_ordinary(long_text) < 1100) long_text += "Answer the question using the reference text below.\n";
  EXPECT_TRUE(of_rule(Linter(defaults).lint_text(long_text).findings, "PC019").empty());
  // Claude Haiku 4.5 needs 4096 tokens.
  Config haiku;
  haiku.model = "claude-haiku-4-5";
  const Result hr = Linter(haiku).lint_text(long_text);
  ASSERT_EQ(of_rule(hr.findings, "PC019").size(), 1u);
  EXPECT_NE(of_rule(hr.findings, "PC019")[0].message.find("4096"), std::string::npos);
  EXPECT_TRUE(hr.tokens_estimated);
  // A configured minimum wins.
  Config zero;
  zero.min_cacheable_tokens = 0;
  EXPECT_TRUE(of_rule(Linter(zero).lint_text(short_text).findings, "PC019").empty());
  EXPECT_TRUE(of_rule(Linter(defaults).lint_text("").findings, "PC019").empty());
}

TEST(LintRules, CacheMinimumTable) {
  EXPECT_EQ(cache_minimum_for_model("gpt-4o-mini").tokens, 1024u);
  EXPECT_TRUE(cache_minimum_for_model("gpt-5.2").known);
  EXPECT_EQ(cache_minimum_for_model("claude-opus-4-5-20251101").tokens, 4096u);
  EXPECT_EQ(cache_minimum_for_model("claude-opus-4-1").tokens, 1024u);
  EXPECT_EQ(cache_minimum_for_model("claude-opus-5").tokens, 512u);
  EXPECT_EQ(cache_minimum_for_model("gemini-2.5-pro").tokens, 2048u);
  EXPECT_FALSE(cache_minimum_for_model("my-local-model").known);
  // Read from cache_rules.json, the simulator's table: providers as the rows say, and the
  // simulator's catch-all row for unknown models does not make a model known here.
  EXPECT_EQ(cache_minimum_for_model("claude-sonnet-4-5").provider, "anthropic");
  EXPECT_EQ(cache_minimum_for_model("gemini-3-pro").tokens, 4096u);
  EXPECT_EQ(cache_minimum_for_model("gemini-3-pro").provider, "gemini");
  EXPECT_EQ(cache_minimum_for_model("o3-mini").provider, "openai");
  EXPECT_TRUE(cache_minimum_for_model("ft:gpt-4.1-mini:org::id").known);
  EXPECT_FALSE(cache_minimum_for_model("claude-unreleased-9").known);
  EXPECT_FALSE(cache_minimum_for_model("").known);
}

// ---- PC024 / PC025 / PC026 -------------------------------------------------------------------

TEST(LintRules, PC024NondeterministicRender) {
  EXPECT_ONE_AT("Examples:\n{% for ex in examples | shuffle %}{{ ex }}{% endfor %}", "PC024", 2, 1);
  EXPECT_ONE_AT("{% for f in os.listdir(docs) %}{{ f }}{% endfor %}", "PC024", 1, 1);
  EXPECT_ONE_AT("Tip: {{ tips | random }}", "PC024", 1, 6);
  EXPECT_ONE_AT("{% for t in set(tags) %}{{ t }}{% endfor %}", "PC024", 1, 1);
  EXPECT_NONE("{% for f in os.listdir(docs) | sort %}{{ f }}{% endfor %}", "PC024");
  EXPECT_NONE("{% for f in sorted(os.listdir(docs)) %}{{ f }}{% endfor %}", "PC024");
  EXPECT_NONE("{% for ex in examples %}{{ ex }}{% endfor %}", "PC024");
}

TEST(LintRules, PC025TemplatePlaceholders) {
  EXPECT_ONE_AT("Answer in the {{ tone }} style.", "PC025", 1, 15);
  EXPECT_ONE_AT("Product: ${product}", "PC025", 1, 10);
  EXPECT_ONE_AT("Write in a {tone} voice.", "PC025", 1, 12);
  EXPECT_ONE_AT("Style %(tone)s here", "PC025", 1, 7);
  EXPECT_ONE_AT("Hi <%= greeting %>", "PC025", 1, 4);
  EXPECT_ONE_AT("```\n{{ template_everywhere }}\n```", "PC025", 2, 1);
}

TEST(LintRules, PC025QuietOnCodeLatexAndJson) {
  EXPECT_NONE("```python\nprint(f\"{x}\")\nos.environ[\"${HOME}\"]\n```\n", "PC025");
  EXPECT_NONE("Inline `{name}` and `${var}` are code.", "PC025");
  EXPECT_NONE("Math: \\frac{a}{b} and x^{n} and a_{i}.", "PC025");
  EXPECT_NONE("Reply as {\"answer\": \"...\"}.", "PC025");
  EXPECT_NONE("{{! a Handlebars comment }}", "PC025");
}

TEST(LintRules, PC026BoundarySplice) {
  EXPECT_ONE_AT("Rules:{{rules}}", "PC026", 1, 7);
  EXPECT_ONE_AT("x\nIDs look like ACME-{{ticket_kind}}", "PC026", 2, 20);
  EXPECT_NONE("Rules: {{rules}}", "PC026");
  EXPECT_NONE("Rules:\n{{rules}}", "PC026");
}

// ---- findings, config, segments ------------------------------------------------------------

TEST(LintEngine, InvalidUtf8IsATypedErrorWithTheOffset) {
  try {
    Linter(short_text_config()).lint_text("ok\xFF");
    FAIL() << "no error";
  } catch (const tokcount::Error& e) {
    EXPECT_EQ(e.code(), tokcount::ErrorCode::kInvalidUtf8);
    EXPECT_EQ(e.byte_offset(), 2u);
  }
}

TEST(LintEngine, ExcerptsMakeInvisibleCharactersVisible) {
  const auto f = of_rule(lint_with("Use\xC2\xA0the tool\xE2\x80\x8B now.  \n"), "PC016");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].excerpt, "Use<NBSP>the tool<ZWSP> now.  ");
  EXPECT_EQ(f[0].excerpt_mark_begin, 3u);
  EXPECT_EQ(f[0].excerpt_mark_end, 9u);
  const auto t = of_rule(lint_with("end  \r\n"), "PC011");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].excerpt, "end\xC2\xB7\xC2\xB7");
  const auto c = of_rule(lint_with("end\r\n"), "PC012");
  EXPECT_EQ(c[0].excerpt, "end<CR><LF>");
}

TEST(LintEngine, TokensAtRiskSpanCacheableSegmentsOnly) {
  const Linter linter(short_text_config());
  const std::vector<Segment> segs = {
      {"Tools: search, fetch.  ", "tools", "$.tools", true},
      {"System prompt text.", "system[0]", "$.system[0].text", true},
      {"User turn  \nwith trailing spaces", "messages[0]", "$.messages[0].content", false},
  };
  const Result r = linter.lint(segs);
  const auto& enc = linter.encoding();
  EXPECT_EQ(r.cacheable_tokens, enc.count_ordinary(segs[0].text) + enc.count_ordinary(segs[1].text));
  const auto f = of_rule(r.findings, "PC011");
  ASSERT_EQ(f.size(), 1u);  // the non-cacheable user turn is not linted
  EXPECT_EQ(f[0].location.label, "tools");
  EXPECT_EQ(f[0].location.json_path, "$.tools");
  EXPECT_EQ(f[0].location.column, 22u);
  // The trailing "  " is the last token of segment 0: that token plus all of segment 1.
  EXPECT_EQ(f[0].tokens_at_risk, 1 + enc.count_ordinary(segs[1].text));
}

// Linear-ish time on hostile input: one 600 kB line packed with findings of every kind.
TEST(LintEngine, LongLinesWithManyFindingsStayFast) {
  std::string line;
  const std::string unit = "rules:{{v}} \xC2\xA0\xE2\x80\x8B 2026-07-06 \xE3\x80\x80\xE3\x80\x80 e\xCC\x81 req_8f3k2j9x ";
  while (line.size() < 600000) line += unit;
  const auto t0 = std::chrono::steady_clock::now();
  const Result r = Linter(short_text_config()).lint_text(line);
  const std::string fixed = Linter(short_text_config()).fix_text(line);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(r.findings.size(), 40000u);
  EXPECT_LT(fixed.size(), line.size());
  EXPECT_LT(s, 60.0) << "lint + fix of " << line.size() << " bytes took " << s << " s";
}

TEST(LintEngine, FindingsSortedByTokensAtRisk) {
  const Result r = Linter(short_text_config()).lint_text("a  \nUUID 3f2b8c1e-9a4d-4e2b-8f3a-1c2d3e4f5a6b\nend \n");
  ASSERT_GE(r.findings.size(), 3u);
  for (std::size_t i = 1; i < r.findings.size(); ++i)
    EXPECT_GE(r.findings[i - 1].tokens_at_risk, r.findings[i].tokens_at_risk);
}

TEST(LintConfig, TomlEnablesDisablesAndRegrades) {
  const Config c = Config::parse_toml(R"(
model = "gpt-4.1"
fail_on = "error"
min_cacheable_tokens = 0
[rules]
PC011 = "off"
PC012 = "error"
NON_ASCII_EARLY = "on"
PC013 = false
[[overrides]]
paths = ["fragments/*.md"]
rules = { PC012 = "off", PC019 = "info" }
)",
                                      "t.toml");
  EXPECT_EQ(c.model, "gpt-4.1");
  EXPECT_EQ(c.fail_on, Severity::kError);
  EXPECT_EQ(c.min_cacheable_tokens, std::optional<std::size_t>(0));
  EXPECT_FALSE(c.enabled(*find_rule("PC011")));
  EXPECT_TRUE(c.enabled(*find_rule("PC012")));
  EXPECT_EQ(c.severity(*find_rule("PC012")), Severity::kError);
  EXPECT_TRUE(c.enabled(*find_rule("PC018")));
  EXPECT_EQ(c.severity(*find_rule("PC018")), Severity::kInfo);
  EXPECT_FALSE(c.enabled(*find_rule("PC013")));
  EXPECT_EQ(c.severity(*find_rule("PC001")), Severity::kError);

  const Result r = Linter(c).lint_text("a  \r\nb\r\n");
  EXPECT_TRUE(of_rule(r.findings, "PC011").empty());
  ASSERT_EQ(of_rule(r.findings, "PC012").size(), 1u);
  EXPECT_EQ(of_rule(r.findings, "PC012")[0].severity, Severity::kError);

  const Config frag = c.for_path("fragments/intro.md");
  EXPECT_FALSE(frag.enabled(*find_rule("PC012")));
  EXPECT_EQ(frag.severity(*find_rule("PC019")), Severity::kInfo);
  EXPECT_TRUE(c.for_path("prompts/main.md").enabled(*find_rule("PC012")));
}

TEST(LintConfig, ErrorsNameTheLocation) {
  auto message_of = [](std::string_view toml) {
    try {
      Config::parse_toml(toml, "cfg.toml");
    } catch (const tokcount::Error& e) {
      EXPECT_EQ(e.code(), tokcount::ErrorCode::kParseError);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message_of("[rules]\nPC099 = \"on\"\n").find("cfg.toml:2:1: unknown rule 'PC099'"), std::string::npos)
      << message_of("[rules]\nPC099 = \"on\"\n");
  EXPECT_NE(message_of("[rules]\nPC011 = \"loud\"\n").find("cfg.toml:2"), std::string::npos);
  EXPECT_NE(message_of("modle = \"gpt-4o\"\n").find("unknown key 'modle'"), std::string::npos);
  EXPECT_NE(message_of("fail_on = \"fatal\"\n").find("fail_on"), std::string::npos);
  EXPECT_NE(message_of("model = \n").find("cfg.toml:1"), std::string::npos);
  EXPECT_NE(message_of("encoding = \"o300k\"\n").find("unknown encoding"), std::string::npos);
  EXPECT_NE(message_of("[[overrides]]\nrules = {}\n").find("paths"), std::string::npos);
}

// ---- fix -----------------------------------------------------------------------------------

std::set<std::string> fixable_ids() {
  std::set<std::string> ids;
  for (const RuleInfo& r : rules())
    if (r.fixable) ids.insert(std::string(r.id));
  return ids;
}

TEST(LintFix, FixableRulesAreTheMechanicalOnes) {
  EXPECT_EQ(fixable_ids(), (std::set<std::string>{"PC011", "PC012", "PC014", "PC015", "PC016", "PC017"}));
}

TEST(LintFix, RepairsEachDefectAndNothingElse) {
  const Linter linter(short_text_config());
  const std::pair<std::string, std::string> cases[] = {
      {"Hello  \nWorld\t\n", "Hello\nWorld\n"},
      {"\n\n  \nHello\n\n\n", "Hello\n"},
      {"a\r\nb\r\n", "a\nb\n"},
      {"a\rb\r", "a\nb\n"},
      {"\xEF\xBB\xBF\xEF\xBB\xBFHi\n", "Hi\n"},
      {"cafe\xCC\x81\n", "caf\xC3\xA9\n"},
      {"Hello\xE2\x80\x8Bworld \xE2\x80\x8B\n", "Helloworld\n"},
      {"Price:\xC2\xA0" "100\xC2\xA0\n", "Price: 100\n"},
      {"line\xE2\x80\xA8next\n", "line\nnext\n"},
      {"Family \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 and \xE3\x81\x82\xE3\x80\x80\xE3\x81\x84\n",
       "Family \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 and \xE3\x81\x82\xE3\x80\x80\xE3\x81\x84\n"},
      {"No final newline", "No final newline"},
      {"Time 2026-07-06T14:32:07Z  \n", "Time 2026-07-06T14:32:07Z\n"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(linter.fix_text(in), want) << ::testing::PrintToString(in);
    EXPECT_EQ(linter.fix_text(want), want) << ::testing::PrintToString(want);
  }
}

TEST(LintFix, DisabledRulesAreNotFixed) {
  Config c = short_text_config();
  c.rules["PC012"] = {false, std::nullopt};
  EXPECT_EQ(Linter(c).fix_text("a  \r\nb\r\n"), "a\r\nb\r\n");
}

// Random texts built from the troublesome pieces: fix is idempotent, leaves no fixable
// finding, keeps every other character in order, and leaves the content rules' findings alone.
TEST(LintFix, IdempotentAndContentPreservingOnRandomTexts) {
  const std::vector<std::string> pieces = {
      " ", "  ", "\t", "\n", "\r\n", "\r", "\xC2\xA0", "\xE2\x80\xAF", "\xE3\x80\x80", "\xE2\x80\x8B", "\xE2\x80\x8D",
      "\xE2\x80\xAE", "\xEF\xBB\xBF", "\xC2\xAD", "e\xCC\x81", "A\xCC\x8A", "\xE2\x84\xAB", "word", "Hi", "\xE4\xB8\xAD",
      "\xF0\x9F\x91\xA8", "\xD9\x85", " {{ tone }} ", " UUID 3f2b8c1e-9a4d-4e2b-8f3a-1c2d3e4f5a6b ", "- ", "x"};
  // (Content pieces carry their own spaces: RE2's \b is ASCII, so a removed joiner or an NFC
  // composition right next to an id legitimately changes whether it is a whole word.)
  const Linter linter(short_text_config());
  const std::set<std::string> fixable = fixable_ids();
  const std::set<std::string> content_rules = {"PC001", "PC002", "PC003", "PC004", "PC005", "PC024", "PC025"};
  std::mt19937 rng(20260706);
  auto keep = [](std::string_view s) {
    // Characters no fix may touch: everything except whitespace, invisible characters,
    // exotic spaces and combining marks (which NFC may merge into their base letter).
    std::string kept;
    std::size_t len = 0;
    for (std::size_t p = 0; p < s.size(); p += len) {
      len = 1;
      const unsigned char b = static_cast<unsigned char>(s[p]);
      if (b >= 0x80) len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
      const std::string_view c = s.substr(p, len);
      static const std::set<std::string_view> dropped = {
          " ", "\t", "\n", "\r", "\xC2\xA0", "\xE2\x80\xAF", "\xE3\x80\x80", "\xE2\x80\x8B", "\xE2\x80\x8D",
          "\xE2\x80\xAE", "\xEF\xBB\xBF", "\xC2\xAD", "\xCC\x81", "\xCC\x8A", "\xE2\x80\xA8"};
      if (dropped.count(c)) continue;
      // NFC: A + ring and ANGSTROM SIGN both become U+00C5; e + acute becomes U+00E9.
      if (c == "\xE2\x84\xAB" || c == "\xC3\x85") { kept += "A"; continue; }
      if (c == "\xC3\xA9") { kept += "e"; continue; }
      kept += c;
    }
    return kept;
  };
  for (int iter = 0; iter < 400; ++iter) {
    std::string text;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) text += pieces[rng() % pieces.size()];
    const std::string once = linter.fix_text(text);
    ASSERT_EQ(linter.fix_text(once), once) << ::testing::PrintToString(text);
    const auto after = linter.lint_text(once).findings;
    for (const Finding& f : after)
      EXPECT_FALSE(fixable.count(std::string(f.rule->id))) << f.rule->id << " " << f.message << " in " << ::testing::PrintToString(once);
    EXPECT_EQ(keep(once), keep(text)) << ::testing::PrintToString(text);
    std::map<std::string, int> before_counts, after_counts;
    for (const Finding& f : linter.lint_text(text).findings)
      if (content_rules.count(std::string(f.rule->id))) ++before_counts[std::string(f.rule->id)];
    for (const Finding& f : after)
      if (content_rules.count(std::string(f.rule->id))) ++after_counts[std::string(f.rule->id)];
    EXPECT_EQ(before_counts, after_counts) << ::testing::PrintToString(text);
  }
}

// ---- clean real-world fixtures -------------------------------------------------------------

TEST(LintFixtures, CleanPromptsHaveNoFindings) {
  const Linter linter{Config{}};  // defaults, PC019 included: the fixtures are long enough
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fixtures())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("clean_", 0) != 0) continue;
    ++seen;
    const std::string text = read_file(entry.path());
    ASSERT_GT(text.size(), 2000u) << name;
    const Result r = linter.lint_text(text);
    for (const Finding& f : r.findings)
      ADD_FAILURE() << name << ":" << f.location.line << ":" << f.location.column << " " << f.rule->id << " "
                    << f.message << " | " << f.excerpt;
    EXPECT_EQ(linter.fix_text(text), text) << name;
  }
  EXPECT_GE(seen, 4u);
}

// Each clean fixture with defects injected: every defect is found at its line, and --fix
// gives back the clean text byte for byte.
TEST(LintFixtures, InjectedDefectsAreFoundAndFixedBackToTheOriginal) {
  const Linter linter{Config{}};
  for (const char* name : {"clean_support_agent.md", "clean_code_review.md", "clean_cjk_assistant.md", "clean_tables.md"}) {
    const std::string clean = read_file(fixtures() / name);
    ASSERT_FALSE(clean.empty()) << name;
    // Split into lines, dirty some of them.
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i < clean.size(); ++i)
      if (clean[i] == '\n') {
        lines.push_back(clean.substr(start, i - start));
        start = i + 1;
      }
    ASSERT_EQ(start, clean.size()) << name << " must end with a newline";
    ASSERT_GT(lines.size(), 30u);
    std::string dirty = "\xEF\xBB\xBF";
    std::map<std::string, std::size_t> expected_line;  // rule -> first line it should fire on
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string l = lines[i];
      const std::size_t space = l.find(' ');
      if (i == 3) { l += "   "; expected_line.emplace("PC011", i + 1); }
      if (i == 7 && space != std::string::npos) { l.replace(space, 1, "\xC2\xA0"); expected_line.emplace("PC016", i + 1); }
      if (i == 11 && !l.empty()) { l = "\xE2\x80\x8B" + l; expected_line.emplace("PC015", i + 1); }
      if (i == 13) l += "\xE2\x80\xAF";  // NNBSP at the end: mapped to a space, then trimmed
      const std::string eol = (i >= 20 && i < 25) ? "\r\n" : "\n";
      if (i == 20) expected_line.emplace("PC012", i + 1);
      dirty += l + eol;
    }
    dirty += "\n\n";
    const Result r = linter.lint_text(dirty);
    for (const auto& [rule, line] : expected_line) {
      const auto f = of_rule(r.findings, rule);
      ASSERT_FALSE(f.empty()) << name << " " << rule;
      EXPECT_EQ(f[0].location.line, line) << name << " " << rule << " " << f[0].message;
    }
    EXPECT_FALSE(of_rule(r.findings, "PC017").empty()) << name;
    EXPECT_EQ(linter.fix_text(dirty), clean) << name;
  }
}

// ---- C API ---------------------------------------------------------------------------------

TEST(LintCapi, LintRenderFixAndErrors) {
  const std::string text = "Hello  \nToday is 2026-07-06.\n";
  tokcount_lint_result* res = nullptr;
  const std::string cfg = "min_cacheable_tokens = 0\n";
  ASSERT_EQ(tokcount_lint_text(text.data(), text.size(), "gpt-4o", 6, cfg.data(), cfg.size(), &res), TOKCOUNT_OK)
      << tokcount_last_error_message();
  size_t n = 0;
  ASSERT_EQ(tokcount_lint_result_count(res, &n), TOKCOUNT_OK);
  ASSERT_EQ(n, 2u);
  tokcount_lint_finding f{};
  ASSERT_EQ(tokcount_lint_result_finding(res, 0, &f), TOKCOUNT_OK);
  EXPECT_STREQ(f.rule, "PC011");
  EXPECT_STREQ(f.name, "TRAILING_WHITESPACE");
  EXPECT_EQ(f.severity, TOKCOUNT_LINT_WARN);
  EXPECT_EQ(f.line, 1u);
  EXPECT_EQ(f.column, 6u);
  EXPECT_EQ(f.fixable, 1);
  ASSERT_EQ(tokcount_lint_result_finding(res, 1, &f), TOKCOUNT_OK);
  EXPECT_STREQ(f.rule, "PC002");
  EXPECT_EQ(f.line, 2u);
  EXPECT_EQ(f.column, 10u);
  EXPECT_EQ(tokcount_lint_result_finding(res, 2, &f), TOKCOUNT_INVALID_ARGUMENT);
  size_t cacheable = 0;
  ASSERT_EQ(tokcount_lint_result_cacheable_tokens(res, &cacheable), TOKCOUNT_OK);
  EXPECT_GT(cacheable, 5u);

  size_t need = 0;
  EXPECT_EQ(tokcount_lint_result_render(res, TOKCOUNT_LINT_FORMAT_JSON, "p.md", 4, nullptr, 0, &need), TOKCOUNT_BUFFER_TOO_SMALL);
  std::string json(need, '\0');
  ASSERT_EQ(tokcount_lint_result_render(res, TOKCOUNT_LINT_FORMAT_JSON, "p.md", 4, json.data(), json.size(), &need), TOKCOUNT_OK);
  EXPECT_NE(json.find("\"rule\": \"PC011\""), std::string::npos);
  EXPECT_NE(json.find("\"tokens_at_risk\""), std::string::npos);
  EXPECT_EQ(tokcount_lint_result_render(res, 7, nullptr, 0, nullptr, 0, &need), TOKCOUNT_INVALID_ARGUMENT);
  tokcount_lint_result_free(res);
  tokcount_lint_result_free(nullptr);

  char out[64];
  size_t out_len = 0;
  ASSERT_EQ(tokcount_lint_fix(text.data(), text.size(), nullptr, 0, out, sizeof(out), &out_len), TOKCOUNT_OK);
  EXPECT_EQ(std::string(out, out_len), "Hello\nToday is 2026-07-06.\n");

  EXPECT_EQ(tokcount_lint_text("a\xFF", 2, nullptr, 0, nullptr, 0, &res), TOKCOUNT_INVALID_UTF8);
  EXPECT_EQ(res, nullptr);
  EXPECT_EQ(tokcount_last_error_offset(), 1u);
  EXPECT_EQ(tokcount_lint_text("x", 1, nullptr, 0, "[rules]\nPC0 = 1", 15, &res), TOKCOUNT_PARSE_ERROR);
  EXPECT_EQ(tokcount_lint_text(nullptr, 3, nullptr, 0, nullptr, 0, &res), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_lint_text("x", 1, nullptr, 0, nullptr, 0, nullptr), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_lint_result_count(nullptr, &n), TOKCOUNT_INVALID_ARGUMENT);
}

}  // namespace
