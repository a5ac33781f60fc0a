// TextView: the line table (LF, CRLF and lone CR end a line, as editors count them) and the
// Markdown code regions some rules treat differently (fenced blocks after CommonMark's
// opening/closing rules, inline `code` spans within a line).
#include <algorithm>

#include "lint/lint_internal.hpp"

namespace tokcount::lint::detail {
namespace {

// A fence line: up to 3 spaces, then >= 3 backticks or tildes. Returns the run length, 0 if
// the line is not a fence; `ch` receives the fence character.
std::size_t fence_run(std::string_view line, char& ch) {
  std::size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == ' ') ++i;
  if (i >= line.size() || (line[i] != '`' && line[i] != '~')) return 0;
  ch = line[i];
  std::size_t n = 0;
  while (i + n < line.size() && line[i + n] == ch) ++n;
  if (n < 3) return 0;
  // A backtick fence's info string may not contain backticks (CommonMark).
  if (ch == '`' && line.find('`', i + n) != std::string_view::npos) return 0;
  return n;
}

bool blank_after(std::string_view line, std::size_t from) {
  return std::all_of(line.begin() + static_cast<std::ptrdiff_t>(from), line.end(),
                     [](char c) { return c == ' ' || c == '\t'; });
}

bool in_ranges(const std::vector<std::pair<std::size_t, std::size_t>>& ranges, std::size_t byte) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), byte,
                             [](std::size_t b, const auto& r) { return b < r.first; });
  if (it == ranges.begin()) return false;
  --it;
  return byte >= it->first && byte < it->second;
}

}  // namespace

TextView::TextView(std::string_view text) : text_(text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r') {
      starts_.push_back(start);
      ends_.push_back(i);
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  // The last line (possibly empty, after a final newline) is a line too: blank-line rules
  // need to see it.
  starts_.push_back(start);
  ends_.push_back(text.size());

  // Fenced code blocks.
  std::size_t open_line = 0, open_run = 0;
  char open_ch = 0;
  bool open = false;
  for (std::size_t i = 0; i < starts_.size(); ++i) {
    const std::string_view l = line(i);
    char ch = 0;
    const std::size_t run = fence_run(l, ch);
    if (!open) {
      if (run) {
        open = true;
        open_line = i;
        open_run = run;
        open_ch = ch;
      }
    } else if (run >= open_run && ch == open_ch && blank_after(l, l.find_first_not_of(' ') + run)) {
      fences_.emplace_back(starts_[open_line], line_next(i));
      open = false;
    }
  }
  if (open) fences_.emplace_back(starts_[open_line], text.size());

  // Inline code spans, outside fences: a run of n backticks up to the next run of exactly n.
  for (std::size_t i = 0; i < starts_.size(); ++i) {
    const std::size_t b = starts_[i], e = ends_[i];
    if (in_ranges(fences_, b)) continue;
    std::size_t p = b;
    while (p < e) {
      if (text[p] != '`') {
        ++p;
        continue;
      }
      std::size_t n = 0;
      while (p + n < e && text[p + n] == '`') ++n;
      std::size_t q = p + n;
      bool closed = false;
      while (q < e) {
        if (text[q] != '`') {
          ++q;
          continue;
        }
        std::size_t m = 0;
        while (q + m < e && text[q + m] == '`') ++m;
        if (m == n) {
          inline_.emplace_back(p, q + m);
          p = q + m;
          closed = true;
          break;
        }
        q += m;
      }
      if (!closed) p += n;
    }
  }
}

std::size_t TextView::line_of(std::size_t byte) const noexcept {
  auto it = std::upper_bound(starts_.begin(), starts_.end(), byte);
  return static_cast<std::size_t>(it - starts_.begin()) - 1;
}

bool TextView::in_fence(std::size_t byte) const noexcept { return in_ranges(fences_, byte); }

bool TextView::in_code(std::size_t byte) const noexcept {
  return in_ranges(fences_, byte) || in_ranges(inline_, byte);
}

int TextView::fence_index(std::size_t byte) const noexcept {
  auto it = std::upper_bound(fences_.begin(), fences_.end(), byte,
                             [](std::size_t b, const auto& r) { return b < r.first; });
  if (it == fences_.begin()) return -1;
  --it;
  return byte < it->second ? static_cast<int>(it - fences_.begin()) : -1;
}

}  // namespace tokcount::lint::detail
