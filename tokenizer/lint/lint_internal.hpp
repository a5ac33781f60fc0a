// Internal interface between the lint engine (linter.cpp) and the detector families:
// whitespace_rules.cpp (PC011-PC013), unicode_rules.cpp (PC014-PC018), dynamic_rules.cpp
// (PC001-PC005, PC024-PC026). A detector sees one segment as a TextView and appends RawFindings:
// a byte span, a specific message, and for fixable rules the edits that repair it.
#pragma once

#include <array>
#include <span>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokcount/lint.hpp"

namespace tokcount::lint::detail {

// Index of a rule in rules(): PC001 -> 0 ... PC030 -> 29.
enum Rule : int {
  kPC001, kPC002, kPC003, kPC004, kPC005, kPC006, kPC007, kPC008, kPC009, kPC010,
  kPC011, kPC012, kPC013, kPC014, kPC015, kPC016, kPC017, kPC018, kPC019, kPC020,
  kPC021, kPC022, kPC023, kPC024, kPC025, kPC026, kPC027, kPC028, kPC029, kPC030,
  kRuleCount
};
using RuleMask = std::array<bool, kRuleCount>;

struct RawEdit {
  std::size_t begin, end;
  std::string text;
};

struct RawFinding {
  int rule;
  std::size_t begin, end;  // bytes in the segment text
  std::string message;
  std::vector<RawEdit> edits;
};

// One segment's text with its line table and Markdown code regions.
class TextView {
 public:
  explicit TextView(std::string_view text);

  std::string_view text() const noexcept { return text_; }
  std::size_t line_count() const noexcept { return starts_.size(); }
  std::size_t line_start(std::size_t i) const noexcept { return starts_[i]; }
  // End of line i's content (before its terminator).
  std::size_t line_end(std::size_t i) const noexcept { return ends_[i]; }
  // End of line i including its terminator.
  std::size_t line_next(std::size_t i) const noexcept {
    return i + 1 < starts_.size() ? starts_[i + 1] : text_.size();
  }
  std::string_view line(std::size_t i) const noexcept {
    return text_.substr(starts_[i], ends_[i] - starts_[i]);
  }
  std::size_t line_of(std::size_t byte) const noexcept;  // 0-based line containing byte

  // Inside a fenced code block (``` or ~~~), fence lines included.
  bool in_fence(std::size_t byte) const noexcept;
  // Inside a fenced block or an inline `code` span.
  bool in_code(std::size_t byte) const noexcept;
  // Index of the fenced block containing byte, or -1.
  int fence_index(std::size_t byte) const noexcept;

 private:
  std::string_view text_;
  std::vector<std::size_t> starts_, ends_;
  std::vector<std::pair<std::size_t, std::size_t>> fences_;   // sorted byte ranges
  std::vector<std::pair<std::size_t, std::size_t>> inline_;   // sorted byte ranges
};

struct DetectContext {
  const RuleMask& enabled;
  const Encoding& encoding;
};

void detect_whitespace(const TextView& view, const DetectContext& ctx, std::vector<RawFinding>& out);
void detect_unicode(const TextView& view, const DetectContext& ctx, std::vector<RawFinding>& out);
void detect_dynamic(const TextView& view, const DetectContext& ctx, std::vector<RawFinding>& out);

// ---- the engine (linter.cpp) -----------------------------------------------------------------
// How a front end that rendered the whole prompt counts tokens: per segment, the cacheable
// tokens after it to the end of the cacheable region; the region's total; the model whose
// cache minimum PC019 uses.
struct TokenPlan {
  std::vector<std::size_t> after;
  std::size_t total = 0;
  std::string model;
  bool estimated = false;
  bool skip_pc019 = false;  // the front end judges PC019 itself
  const RuleMask* only = nullptr;  // non-null: only these rules (and the configured ones)
};
// Lints the cacheable segments with the rules implemented for `scope` (plan: nullptr counts
// the segments' own tokens), then sorts the findings.
Result lint_segments(const Linter& linter, std::span<const Segment> segments, const TokenPlan* plan, unsigned scope);
void sort_findings(std::vector<Finding>& findings);
RuleMask enabled_rules(const Config& config, unsigned scope);

// ---- characters (unicode_rules.cpp) --------------------------------------------------------
// Decodes the code point at text[pos] (valid UTF-8 assumed); `len` receives its byte length.
char32_t decode_at(std::string_view text, std::size_t pos, std::size_t& len) noexcept;
// Short name of a character the excerpt shows as <NAME> (invisible, exotic space, control),
// or nullptr for one shown as itself.
const char* visible_name(char32_t c) noexcept;
bool is_combining_mark(char32_t c) noexcept;
int display_width(char32_t c) noexcept;  // 0, 1 or 2 terminal columns
std::string code_point_label(char32_t c);  // "U+00A0"

}  // namespace tokcount::lint::detail
