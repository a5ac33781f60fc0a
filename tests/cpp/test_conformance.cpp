// Token-for-token conformance with tiktoken.
//  * ../shared/conformance/*.jsonl: vectors made with tiktoken's own core (present on the
//    project's machines and in CI; skipped with a message elsewhere).
//  * tests/fixtures/*.jsonl: vectors the repo carries, made by tools/gen_fixtures.py with pip
//    tiktoken, so a fresh clone still tests exactness.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tokcount/tokcount.hpp"

namespace fs = std::filesystem;
using tokcount::Encoding;
using tokcount::Rank;

namespace {

struct Totals {
  std::size_t cases = 0, checks = 0;
};

// Checks every line of one .jsonl file for every encoding key it has.
Totals check_file(const fs::path& path) {
  Totals t;
  std::ifstream in(path);
  std::string line;
  std::size_t failures = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    ++t.cases;
    const std::string text = j.at("text").get<std::string>();
    const bool allow_all = j.contains("allowed_special") && j["allowed_special"] == "all";
    for (const char* name : {"r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base", "o200k_harmony"}) {
      if (!j.contains(name)) continue;
      const auto expected = j[name].get<std::vector<Rank>>();
      const auto enc = Encoding::get(name);
      tokcount::EncodeOptions opts;
      if (allow_all) {
        opts.allowed_special = tokcount::TokenSet::all();
      } else {
        opts.disallowed_special = tokcount::TokenSet::none();  // vectors use encode_ordinary
      }
      const auto got = enc->encode(text, opts);
      ++t.checks;
      if (got != expected && ++failures <= 10) {
        std::size_t i = 0;
        while (i < got.size() && i < expected.size() && got[i] == expected[i]) ++i;
        ADD_FAILURE() << path.filename() << " " << j.value("id", "?") << " " << name << ": first difference at token "
                      << i << " of " << expected.size() << " (got " << got.size() << " tokens)";
      }
      EXPECT_EQ(enc->count(text, opts), expected.size()) << j.value("id", "?") << " " << name;
      EXPECT_EQ(enc->decode_bytes(got), text) << j.value("id", "?") << " " << name;
    }
  }
  EXPECT_EQ(failures, 0u) << path;
  return t;
}

fs::path source_dir() { return fs::path(TOKCOUNT_SOURCE_DIR); }

}  // namespace

TEST(Conformance, SharedVectors) {
  const fs::path dir = source_dir().parent_path() / "shared" / "conformance";
  if (!fs::exists(dir)) GTEST_SKIP() << "no ../shared/conformance/ here; the repo's own fixtures still run";
  Totals all;
  for (const char* f : {"prose_en", "code", "multilingual", "edge", "random", "special"}) {
    const Totals t = check_file(dir / (std::string(f) + ".jsonl"));
    EXPECT_GT(t.cases, 0u) << f;
    all.cases += t.cases;
    all.checks += t.checks;
  }
  // 704 cases x 4 encodings, per the vectors' README.
  EXPECT_GE(all.cases, 704u);
  EXPECT_GE(all.checks, 4 * 704u);
}

TEST(Conformance, RepoFixtures) {
  const fs::path dir = source_dir() / "tests" / "fixtures";
  ASSERT_TRUE(fs::exists(dir)) << "tests/fixtures/ is part of the repo";
  std::size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".jsonl") continue;
    cases += check_file(entry.path()).cases;
  }
  EXPECT_GT(cases, 100u);
}
