// The whitespace family: PC011 TRAILING_WHITESPACE (line ends, whitespace-only lines, blank
// lines at the start and end of a segment), PC012 LINE_ENDINGS, PC013 MIXED_INDENT.
#include <algorithm>
#include <map>
#include <string>

#include "lint/lint_internal.hpp"

namespace tokcount::lint::detail {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool blank_line(std::string_view line) { return std::all_of(line.begin(), line.end(), is_blank); }

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string describe_trailing(std::string_view ws) {
  const std::size_t tabs = static_cast<std::size_t>(std::count(ws.begin(), ws.end(), '\t'));
  const std::size_t spaces = ws.size() - tabs;
  std::string s;
  if (spaces) s += plural(spaces, "space", "spaces");
  if (tabs) s += (s.empty() ? "" : " and ") + plural(tabs, "tab", "tabs");
  return s;
}

void detect_trailing(const TextView& view, std::vector<RawFinding>& out) {
  const std::size_t n = view.line_count();
  const std::string_view text = view.text();
  // First and last lines with content; the blank runs outside them are reported as blocks.
  std::size_t first = 0;
  while (first < n && blank_line(view.line(first))) ++first;
  if (first == n) {
    if (!text.empty())
      out.push_back({kPC011, 0, text.size(), "segment is only whitespace", {{0, text.size(), ""}}});
    return;
  }
  std::size_t last = n - 1;
  while (blank_line(view.line(last))) --last;

  if (first > 0) {
    const std::size_t end = view.line_start(first);
    out.push_back({kPC011, 0, end, plural(first, "blank line", "blank lines") + " at the start", {{0, end, ""}}});
  }
  for (std::size_t i = first; i <= last; ++i) {
    const std::string_view line = view.line(i);
    std::size_t k = line.size();
    while (k > 0 && is_blank(line[k - 1])) --k;
    if (k == line.size()) continue;
    const std::size_t b = view.line_start(i) + k, e = view.line_end(i);
    std::string msg = k == 0 ? "whitespace-only line (" + describe_trailing(line) + ")"
                             : describe_trailing(line.substr(k)) + " at the end of the line";
    out.push_back({kPC011, b, e, std::move(msg), {{b, e, ""}}});
  }
  // Everything after the last content line's terminator. One final newline is the norm for
  // text files and is kept; more is reported.
  const std::size_t tail = view.line_next(last);
  if (tail < text.size()) {
    const std::size_t blank_lines = n - 1 - last - (text.back() == '\n' || text.back() == '\r' ? 1 : 0);
    std::string msg = blank_lines == 0 ? "whitespace after the last line"
                                       : plural(blank_lines, "blank line", "blank lines") + " at the end";
    out.push_back({kPC011, tail, text.size(), std::move(msg), {{tail, text.size(), ""}}});
  }
}

void detect_line_endings(const TextView& view, std::vector<RawFinding>& out) {
  const std::string_view text = view.text();
  std::vector<RawEdit> crlf, cr;
  std::size_t lf = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++lf;
    } else if (text[i] == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        crlf.push_back({i, i + 2, "\n"});
        ++i;
      } else {
        cr.push_back({i, i + 1, "\n"});
      }
    }
  }
  const std::size_t total = lf + crlf.size() + cr.size();
  auto report = [&](std::vector<RawEdit>& edits, const char* what) {
    if (edits.empty()) return;
    std::string msg = std::string(what) + " line endings (";
    msg += edits.size() == total ? "all " + std::to_string(total) + " lines"
                                 : std::to_string(edits.size()) + " of " + std::to_string(total) + " lines, mixed with " +
                                       (lf ? "LF" : "other endings");
    msg += ")";
    const std::size_t b = edits.front().begin, e = edits.front().end;
    out.push_back({kPC012, b, e, std::move(msg), std::move(edits)});
  };
  report(crlf, "CRLF");
  report(cr, "lone CR");
}

void detect_indent(const TextView& view, std::vector<RawFinding>& out) {
  struct Context {
    std::size_t tab_lines = 0, space_lines = 0;
    std::size_t first_tab = 0, first_space = 0;  // line index + 1 (0 = none)
  };
  std::map<int, Context> contexts;  // -1: prose; i: the i-th fenced block
  for (std::size_t i = 0; i < view.line_count(); ++i) {
    const std::string_view line = view.line(i);
    std::size_t k = 0;
    while (k < line.size() && is_blank(line[k])) ++k;
    if (k == 0 || k == line.size()) continue;  // no indent, or whitespace-only (PC011's)
    const std::string_view indent = line.substr(0, k);
    const std::size_t space_tab = indent.find(" \t");
    if (space_tab != std::string_view::npos) {
      const std::size_t b = view.line_start(i) + space_tab + 1;
      out.push_back({kPC013, b, b + 1, "tab after a space in the indentation", {}});
      continue;
    }
    Context& c = contexts[view.fence_index(view.line_start(i))];
    if (indent[0] == '\t') {
      if (!c.tab_lines++) c.first_tab = i + 1;
    } else {
      if (!c.space_lines++) c.first_space = i + 1;
    }
  }
  for (const auto& [fence, c] : contexts) {
    if (!c.tab_lines || !c.space_lines) continue;
    // Report the first line of the less common style (tabs on a tie).
    const bool tabs_minority = c.tab_lines <= c.space_lines;
    const std::size_t line = (tabs_minority ? c.first_tab : c.first_space) - 1;
    const std::size_t b = view.line_start(line);
    std::string msg = std::string("indented with ") + (tabs_minority ? "a tab" : "spaces") + "; " +
                      std::to_string(tabs_minority ? c.space_lines : c.tab_lines) + " other line(s) " +
                      (fence < 0 ? "outside code blocks" : "in this code block") + " are indented with " +
                      (tabs_minority ? "spaces" : "tabs");
    out.push_back({kPC013, b, b + 1, std::move(msg), {}});
  }
}

}  // namespace

void detect_whitespace(const TextView& view, const DetectContext& ctx, std::vector<RawFinding>& out) {
  if (ctx.enabled[kPC011]) detect_trailing(view, out);
  if (ctx.enabled[kPC012]) detect_line_endings(view, out);
  if (ctx.enabled[kPC013]) detect_indent(view, out);
}

}  // namespace tokcount::lint::detail
