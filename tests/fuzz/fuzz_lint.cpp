// Lint input: a prompt file's bytes through Linter::lint_text, fix_text and every report
// format; the first input byte picks the mode, and one mode parses the bytes as a
// .tokcount-lint.toml config. Oracles: rejection is a tokcount::Error; findings lie inside
// the text; fixing is idempotent (fix(fix(x)) == fix(x)) and the fixed text is valid UTF-8.
#include "fuzz_common.hpp"
#include "tokcount/lint.hpp"

using namespace tokcount;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  const std::uint8_t mode = in.byte();
  const std::string_view text = in.rest();
  if (mode % 4 == 3) {
    try {
      const lint::Config c = lint::Config::parse_toml(text, "fuzz.toml");
      lint::Linter l(c);
      (void)l.lint_text("hello  \nworld\t \n");
    } catch (const Error& e) {
      FUZZ_CHECK(e.code() == ErrorCode::kParseError || e.code() == ErrorCode::kUnknownEncoding);
    }
    return 0;
  }
  lint::Linter linter{lint::Config{}};
  try {
    const lint::Result r = linter.lint_text(text);
    for (const lint::Finding& f : r.findings) {
      FUZZ_CHECK(f.location.byte <= text.size() && f.location.length <= text.size() - f.location.byte);
    }
    std::vector<lint::FileReport> files{{"fuzz.md", r, {}}};
    (void)lint::format_text(files);
    (void)lint::format_json(files, linter.config());
    (void)lint::format_sarif(files, linter.config());
  } catch (const Error& e) {
    FUZZ_CHECK(e.code() == ErrorCode::kInvalidUtf8);
    return 0;
  }
  if (mode & 1) {
    const std::string fixed = linter.fix_text(text);
    FUZZ_CHECK(find_invalid_utf8(fixed) == kNoOffset);
    FUZZ_CHECK(linter.fix_text(fixed) == fixed);
  }
  return 0;
}
