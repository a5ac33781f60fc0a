// SSE event parsing and Chat Completions stream stitching, on the hand-written fixtures in
// tests/fixtures/stream/ (see its README for the format sources). Every fixture is fed whole,
// byte by byte and in random network-read sizes; all must give the same result, and the token
// counts must equal one-shot encode() of the stitched texts.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tokcount/sse.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using tokcount::Encoding;
using tokcount::sse::ChatStream;
using tokcount::sse::Event;
using tokcount::sse::EventParser;

namespace {

fs::path fixtures() { return fs::path(TOKCOUNT_SOURCE_DIR) / "tests" / "fixtures" / "stream"; }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::size_t> random_reads(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::size_t> r;
  for (std::size_t pos = 0; pos < n;) {
    const std::size_t len = std::min<std::size_t>(n - pos, 1 + rng() % (rng() % 2 ? 5 : 300));
    r.push_back(len);
    pos += len;
  }
  return r;
}

struct Outcome {
  std::string json;
  std::optional<tokcount::Error> error;
};

Outcome run(const std::string& stream, const std::vector<std::size_t>& reads) {
  ChatStream cs;
  Outcome o;
  try {
    std::size_t pos = 0;
    for (std::size_t n : reads) {
      cs.feed(std::string_view(stream).substr(pos, n));
      pos += n;
    }
    cs.feed(std::string_view(stream).substr(pos));
    cs.finish();
  } catch (const tokcount::Error& e) {
    o.error = e;
  }
  o.json = cs.result_json(-1);
  return o;
}

}  // namespace

TEST(SseEvents, LineEndingsFieldsAndComments) {
  const std::string s =
      "\xEF\xBB\xBF: comment\r\n"
      "event: update\r\nid: 7\r\ndata: first\r\ndata:second\r\ndata\r\n\r\n"  // three data lines
      "data: x\rdata: y\r\r"                                                    // CR only
      "retry: 1500\nid\ndata: z\n\n"                                            // empty id resets it
      "event: ignored-without-data\n\n"
      "data: incomplete";
  for (std::size_t read : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, s.size()}) {
    EventParser p;
    std::vector<Event> ev;
    for (std::size_t pos = 0; pos < s.size(); pos += read)
      p.feed(std::string_view(s).substr(pos, read), [&](const Event& e) { ev.push_back(e); });
    EXPECT_EQ(p.finish(), std::string("data: incomplete").size());  // an unterminated line
    ASSERT_EQ(ev.size(), 3u) << read;
    EXPECT_EQ(ev[0].type, "update");
    EXPECT_EQ(ev[0].data, "first\nsecond\n");
    EXPECT_EQ(ev[0].id, "7");
    EXPECT_EQ(ev[1].type, "message");
    EXPECT_EQ(ev[1].data, "x\ny");
    EXPECT_EQ(ev[1].id, "7");  // the last event ID persists
    EXPECT_EQ(ev[2].data, "z");
    EXPECT_EQ(ev[2].id, "");
    EXPECT_EQ(p.retry_ms(), 1500u);
    // Offsets map back into the stream.
    EXPECT_EQ(s.substr(ev[0].stream_offset(0), 5), "first");
    EXPECT_EQ(s.substr(ev[0].stream_offset(6), 6), "second");
    EXPECT_EQ(s.substr(ev[1].stream_offset(2), 1), "y");
  }
}

TEST(SseEvents, OversizedEventIsAnError) {
  EventParser p(100);
  std::string big = "data: " + std::string(200, 'x');
  EXPECT_THROW(p.feed(big, [](const Event&) {}), tokcount::Error);
}

TEST(ChatStreamFixtures, EveryCaseEveryChunking) {
  const json expected_all = json::parse(read_file(fixtures() / "expected.json"));
  std::size_t files = 0;
  std::mt19937_64 rng(11);
  for (const auto& [file, exp] : expected_all.items()) {
    ++files;
    SCOPED_TRACE(file);
    const std::string stream = read_file(fixtures() / file);
    ASSERT_FALSE(stream.empty());
    const Outcome whole = run(stream, {});
    // The same result, error included, however the stream is cut into reads.
    const Outcome bytewise = run(stream, std::vector<std::size_t>(stream.size(), 1));
    EXPECT_EQ(bytewise.json, whole.json);
    EXPECT_EQ(bytewise.error.has_value(), whole.error.has_value());
    for (int r = 0; r < 20; ++r) {
      const Outcome o = run(stream, random_reads(rng, stream.size()));
      EXPECT_EQ(o.json, whole.json);
      ASSERT_EQ(o.error.has_value(), whole.error.has_value());
      if (o.error) {
        EXPECT_EQ(o.error->byte_offset(), whole.error->byte_offset());
      }
    }

    const json got = json::parse(whole.json);
    const auto enc = Encoding::get(exp["encoding"].get<std::string>());
    EXPECT_EQ(got["encoding"], exp["encoding"]);
    if (exp.contains("error_after")) {
      ASSERT_TRUE(whole.error.has_value());
      EXPECT_EQ(whole.error->code(), tokcount::ErrorCode::kParseError);
      // The offset is where the JSON breaks: just after the frame's last complete value.
      const std::string marker = exp["error_after"];
      const std::size_t at = stream.find(marker);
      ASSERT_NE(at, std::string::npos);
      EXPECT_EQ(whole.error->byte_offset(), at + marker.size());
    } else {
      EXPECT_FALSE(whole.error.has_value()) << (whole.error ? whole.error->what() : "");
      EXPECT_EQ(got["done"], exp["done"]);
    }
    std::size_t visible = 0;
    ASSERT_EQ(got["choices"].size(), exp["choices"].size());
    for (std::size_t i = 0; i < exp["choices"].size(); ++i) {
      const json& ec = exp["choices"][i];
      const json& gc = got["choices"][i];
      EXPECT_EQ(gc["index"], ec["index"]);
      EXPECT_EQ(gc["role"], ec["role"]);
      EXPECT_EQ(gc["content"], ec["content"]);
      EXPECT_EQ(gc["finish_reason"], ec["finish_reason"]);
      std::size_t tokens = 0;
      if (ec["content"].is_string()) {
        const std::size_t n = enc->count_ordinary(ec["content"].get<std::string>());
        EXPECT_EQ(gc["tokens"]["content"], n);
        tokens += n;
      }
      if (ec.contains("refusal")) {
        EXPECT_EQ(gc["refusal"], ec["refusal"]);
        const std::size_t n = enc->count_ordinary(ec["refusal"].get<std::string>());
        EXPECT_EQ(gc["tokens"]["refusal"], n);
        tokens += n;
      }
      const json etc = ec.value("tool_calls", json::array());
      ASSERT_EQ(gc["tool_calls"].size(), etc.size());
      for (std::size_t t = 0; t < etc.size(); ++t) {
        const json& g = gc["tool_calls"][t];
        EXPECT_EQ(g["index"], etc[t]["index"]);
        EXPECT_EQ(g["id"], etc[t]["id"]);
        EXPECT_EQ(g["type"], "function");
        EXPECT_EQ(g["function"]["name"], etc[t]["name"]);
        EXPECT_EQ(g["function"]["arguments"], etc[t]["arguments"]);
        EXPECT_EQ(g["arguments_complete_json"], etc[t]["complete_json"]);
        const std::size_t n = enc->count_ordinary(etc[t]["name"].get<std::string>()) +
                              enc->count_ordinary(etc[t]["arguments"].get<std::string>());
        EXPECT_EQ(g["tokens"]["name"].get<std::size_t>() + g["tokens"]["arguments"].get<std::size_t>(), n);
        tokens += n;
      }
      EXPECT_EQ(gc["tokens"]["total"], tokens);
      visible += tokens;
    }
    EXPECT_EQ(got["completion_tokens"], visible);
    if (!exp["choices"].empty() && exp["choices"][0]["index"] == 0) {
      EXPECT_EQ(got["content"], exp["choices"][0]["content"]);
    }
    const json& cmp = got["usage_comparison"];
    EXPECT_EQ(cmp["visible_completion_tokens"], visible);
    if (exp.contains("usage") && exp["usage"].is_object()) {
      EXPECT_EQ(got["usage"]["completion_tokens"], exp["usage"]["completion_tokens"]);
      const long long reported = exp["usage"]["completion_tokens"];
      EXPECT_EQ(cmp["difference"], reported - static_cast<long long>(visible));
      if (exp["usage"].contains("reasoning_tokens")) {
        EXPECT_EQ(cmp["reasoning_tokens"], exp["usage"]["reasoning_tokens"]);
      }
    } else if (exp.contains("usage")) {
      EXPECT_TRUE(got["usage"].is_null());
      EXPECT_TRUE(cmp["difference"].is_null());
    }
    if (exp.value("discarded", false)) {
      EXPECT_GT(got["discarded_bytes"].get<std::size_t>(), 0u);
    }
    if (exp.contains("api_error")) {
      EXPECT_EQ(got["error"]["type"], exp["api_error"]);
    }
  }
  EXPECT_EQ(files, 13u);
}

TEST(ChatStreamFixtures, ExplanationsNameTheDifference) {
  auto explain = [](const char* file) {
    const Outcome o = run(read_file(fixtures() / file), {});
    const json result = json::parse(o.json);
    std::string all;
    for (const auto& s : result["usage_comparison"]["explanation"]) all += s.get<std::string>() + "\n";
    return all;
  };
  EXPECT_NE(explain("reasoning.sse").find("192 reasoning tokens"), std::string::npos);
  EXPECT_NE(explain("tool_calls.sse").find("Tool calls are counted as the text of their names and arguments"), std::string::npos);
  EXPECT_NE(explain("n2.sse").find("usage covers all 2 choices"), std::string::npos);
  EXPECT_NE(explain("basic.sse").find("equal the visible count"), std::string::npos);
  EXPECT_NE(explain("length_no_done.sse").find("without \"data: [DONE]\""), std::string::npos);
  EXPECT_NE(explain("cut_mid_event.sse").find("no finish_reason"), std::string::npos);
  EXPECT_NE(explain("tool_calls_truncated.sse").find("not complete JSON"), std::string::npos);
  EXPECT_NE(explain("crlf_comments.sse").find("no usage chunk"), std::string::npos);
}

TEST(ChatStream, RunningCountWhileStreaming) {
  // The count is exact for the text so far after every read, not only at the end.
  const std::string stream = read_file(fixtures() / "basic.sse");
  ChatStream cs;
  const auto enc = Encoding::get("o200k_base");
  std::string content_so_far;
  EventParser shadow;  // an independent view of which content has arrived
  for (std::size_t pos = 0; pos < stream.size(); pos += 17) {
    const std::string_view read = std::string_view(stream).substr(pos, 17);
    cs.feed(read);
    shadow.feed(read, [&](const Event& e) {
      if (e.data == "[DONE]") return;
      const json j = json::parse(e.data);
      for (const auto& c : j["choices"])
        if (c["delta"].contains("content") && c["delta"]["content"].is_string()) content_so_far += c["delta"]["content"];
    });
    EXPECT_EQ(cs.completion_tokens(), enc->count_ordinary(content_so_far));
  }
}

TEST(ChatStream, CountOnlyModeKeepsNoText) {
  tokcount::sse::ChatStreamOptions o;
  o.keep_text = false;
  ChatStream cs(o);
  cs.feed(read_file(fixtures() / "tool_calls.sse"));
  cs.finish();
  const json j = json::parse(cs.result_json());
  EXPECT_TRUE(j["content"].is_null());
  EXPECT_TRUE(j["choices"][0]["tool_calls"][0]["function"]["arguments"].is_null());
  EXPECT_EQ(j["choices"][0]["tool_calls"][0]["function"]["name"], "get_weather");
  const auto enc = Encoding::get("o200k_base");
  EXPECT_EQ(j["completion_tokens"], enc->count_ordinary("get_weather") + enc->count_ordinary("{\"location\": \"Paris, France\"}") +
                                        enc->count_ordinary("get_time") + enc->count_ordinary("{\"tz\": \"Europe/Paris\"}"));
}

TEST(ChatStream, ErrorKeepsWhatCameBeforeAndStaysFailed) {
  ChatStream cs;
  const std::string good = "data: {\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"kept\"}}]}\n\n";
  cs.feed(good);
  EXPECT_THROW(cs.feed("data: [1,2]\n\n"), tokcount::Error);  // not an object
  EXPECT_TRUE(cs.failed());
  EXPECT_EQ(cs.result().choices.at(0).content, "kept");
  EXPECT_THROW(cs.feed(good), tokcount::Error);
  for (const std::string& bad : {std::string("data: {\"choices\":{}}\n\n"), std::string("data: {\"choices\":[{\"delta\":{\"content\":5}}]}\n\n"),
                                std::string("data: {\"choices\":[{\"index\":-1,\"delta\":{}}]}\n\n")}) {
    ChatStream c2;
    try {
      c2.feed(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const tokcount::Error& e) {
      EXPECT_EQ(e.code(), tokcount::ErrorCode::kParseError);
      EXPECT_EQ(e.byte_offset(), 6u);  // the frame's JSON starts after "data: "
    }
  }
}

TEST(ChatStream, NumberOverflowIsATypedParseError) {
  // Found by fuzz_sse: nlohmann reports 1e99999 as out_of_range, which escaped as an untyped
  // exception. It is a malformed frame like any other: kParseError at the number, earlier
  // content kept.
  ChatStream cs;
  const std::string good = "data: {\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"kept\"}}]}\n\n";
  const std::string bad = "data: {\"usage\":{\"prompt_tokens\":1e99999}}\n\n";
  cs.feed(good);
  try {
    cs.feed(bad);
    ADD_FAILURE() << "accepted " << bad;
  } catch (const tokcount::Error& e) {
    EXPECT_EQ(e.code(), tokcount::ErrorCode::kParseError);
    const std::size_t number_at = good.size() + bad.find("1e99999");
    EXPECT_GE(e.byte_offset(), number_at);
    EXPECT_LE(e.byte_offset(), number_at + 7);
  }
  EXPECT_TRUE(cs.failed());
  EXPECT_EQ(cs.result().choices.at(0).content, "kept");
}

TEST(ChatStream, ApiErrorsOfAnyShapeAreReported) {
  // Found by fuzz_sse: a non-string "message" threw nlohmann's type_error out of feed().
  struct Case {
    const char* frame;
    const char* message;
  };
  for (const Case& c : {Case{R"({"error":{"message":5,"type":"server_error","code":429}})", "5"},
                        Case{R"({"error":{"message":{"why":"x"}}})", R"({"why":"x"})"},
                        Case{R"({"error":{"message":null}})", ""}, Case{R"({"error":"overloaded"})", "overloaded"}}) {
    ChatStream cs;
    cs.feed(std::string("data: ") + c.frame + "\n\n");
    cs.finish();
    ASSERT_TRUE(cs.result().error.has_value()) << c.frame;
    EXPECT_EQ(cs.result().error->message, c.message) << c.frame;
  }
  ChatStream coded;
  coded.feed("data: {\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\",\"code\":429}}\n\n");
  ASSERT_TRUE(coded.result().error.has_value());
  EXPECT_EQ(coded.result().error->type, "rate_limit");
  EXPECT_EQ(coded.result().error->code, "429");
}

TEST(ChatStream, UsageKeepsTheFieldOrderSent) {
  ChatStream cs;
  cs.feed("data: {\"choices\":[],\"usage\":{\"total_tokens\":3,\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n");
  cs.finish();
  ASSERT_TRUE(cs.result().usage.has_value());
  EXPECT_EQ(cs.result().usage->json, R"({"total_tokens":3,"prompt_tokens":1,"completion_tokens":2})");
  EXPECT_EQ(cs.result().usage->completion_tokens, 2u);
}

TEST(ChatStream, ModelOptionAndFallbackEncoding) {
  const std::string s = "data: {\"model\":\"my-local-llama\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi there\"}}]}\n\n";
  ChatStream unknown;
  unknown.feed(s);
  unknown.finish();
  EXPECT_EQ(unknown.result().encoding, "o200k_base");
  EXPECT_TRUE(unknown.result().encoding_from_fallback);
  tokcount::sse::ChatStreamOptions o;
  o.model = "gpt-4";
  ChatStream forced(o);
  forced.feed(s);
  forced.finish();
  EXPECT_EQ(forced.result().encoding, "cl100k_base");
  EXPECT_EQ(forced.completion_tokens(), Encoding::get("cl100k_base")->count_ordinary("hi there"));
}
