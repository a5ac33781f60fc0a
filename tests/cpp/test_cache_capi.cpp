// C API for the prompt cache: status codes for bad arguments, buffers, and the same JSON as
// the C++ API.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "tokcount/cache.hpp"
#include "tokcount/tokcount.h"

namespace {

std::string body(const std::string& user) {
  std::string sys;
  for (int i = 0; i < 1500; ++i) sys += "rule ";
  return R"({"model":"gpt-4o","messages":[{"role":"system","content":")" + sys + R"("},{"role":"user","content":")" +
         user + "\"}]}";
}

}  // namespace

TEST(CacheCapi, DiffMatchesCpp) {
  const std::string a = body("one"), b = body("two");
  size_t len = 0;
  ASSERT_EQ(tokcount_cache_diff(a.data(), a.size(), b.data(), b.size(), nullptr, 0, nullptr, 0, &len),
            TOKCOUNT_BUFFER_TOO_SMALL);
  std::string out(len, '\0');
  ASSERT_EQ(tokcount_cache_diff(a.data(), a.size(), b.data(), b.size(), nullptr, 0, out.data(), out.size(), &len), TOKCOUNT_OK);
  EXPECT_EQ(out, tokcount::cache::diff_report_json(tokcount::cache::diff_json(a, b)));
  EXPECT_EQ(tokcount_cache_diff(nullptr, 3, b.data(), b.size(), nullptr, 0, nullptr, 0, &len), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_cache_diff(a.data(), a.size(), b.data(), b.size(), "gemini", 6, nullptr, 0, &len),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_cache_diff("{", 1, b.data(), b.size(), nullptr, 0, nullptr, 0, &len), TOKCOUNT_PARSE_ERROR);
}

TEST(CacheCapi, FingerprintTokens) {
  const uint32_t toks[] = {1, 2, 3, 300};
  char buf[4096];
  size_t len = 0;
  ASSERT_EQ(tokcount_cache_fingerprint_tokens(toks, 4, "sglang", 6, 2, nullptr, 0, buf, sizeof buf, &len), TOKCOUNT_OK);
  const auto j = nlohmann::json::parse(std::string(buf, len));
  EXPECT_EQ(j["blocks"].size(), 2u);
  EXPECT_EQ(j["blocks"][0], tokcount::cache::sglang_hash_str(toks, 2, ""));
  EXPECT_EQ(tokcount_cache_fingerprint_tokens(toks, 4, "md5", 3, 0, nullptr, 0, buf, sizeof buf, &len),
            TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_cache_fingerprint_tokens(nullptr, 4, nullptr, 0, 0, nullptr, 0, buf, sizeof buf, &len),
            TOKCOUNT_INVALID_ARGUMENT);
}

TEST(CacheCapi, Simulator) {
  tokcount_cache_sim* sim = nullptr;
  ASSERT_EQ(tokcount_cache_sim_new(nullptr, 0, 0, 0, &sim), TOKCOUNT_OK);
  const std::string line = R"({"ts":0,"request":)" + body("q") + "}";
  const std::string line2 = R"({"ts":5,"request":)" + body("q") + "}";
  std::string out(8192, '\0');
  size_t len = 0;
  ASSERT_EQ(tokcount_cache_sim_add(sim, line.data(), line.size(), out.data(), out.size(), &len), TOKCOUNT_OK);
  ASSERT_EQ(tokcount_cache_sim_add(sim, line2.data(), line2.size(), nullptr, 0, &len), TOKCOUNT_BUFFER_TOO_SMALL);
  out.assign(len, '\0');
  ASSERT_EQ(tokcount_cache_sim_last(sim, out.data(), out.size(), &len), TOKCOUNT_OK);
  EXPECT_GT(nlohmann::json::parse(out)["predicted_cached_tokens"].get<int>(), 1024);
  EXPECT_EQ(tokcount_cache_sim_add(sim, "{}", 2, nullptr, 0, &len), TOKCOUNT_INVALID_ARGUMENT);
  out.assign(8192, '\0');
  ASSERT_EQ(tokcount_cache_sim_summary(sim, out.data(), out.size(), &len), TOKCOUNT_OK);
  const auto s = nlohmann::json::parse(out.substr(0, len));
  EXPECT_EQ(s["requests"], 2);
  EXPECT_EQ(s["errors"], 1);
  tokcount_cache_sim_free(sim);
  EXPECT_EQ(tokcount_cache_sim_add(nullptr, "{}", 2, nullptr, 0, &len), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(tokcount_cache_sim_new("x", 1, 0, 0, &sim), TOKCOUNT_INVALID_ARGUMENT);
  EXPECT_EQ(sim, nullptr);
}
