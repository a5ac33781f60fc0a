// The lint engine: runs the detector families over each cacheable segment, adds the
// cross-segment prefix rules (PC018, PC019), turns byte spans into locations and visible
// excerpts, counts tokens_at_risk with the model's real encoding, and applies fixes.
#include <unicode/utf8.h>

#include <algorithm>

#include "lint/lint_internal.hpp"

namespace tokcount::lint {
namespace {

using detail::RawFinding;
using detail::TextView;

// Excerpt window around a finding, in code points on each side.
constexpr std::size_t kContext = 32;
// Longest stretch of a multi-line span shown in an excerpt.
constexpr std::size_t kSpanShown = 40;
// PC018: the first this-many characters of the request are what the report measured.
constexpr std::size_t kEarlyChars = 4096;

detail::RuleMask enabled_mask(const Config& config, unsigned scope) {
  detail::RuleMask mask{};
  const auto all = rules();
  for (std::size_t i = 0; i < all.size(); ++i)
    mask[i] = (all[i].implemented_scopes & scope) != 0 && config.enabled(all[i]);
  return mask;
}

std::vector<RawFinding> detect(const TextView& view, const detail::DetectContext& ctx) {
  std::vector<RawFinding> raw;
  detail::detect_whitespace(view, ctx, raw);
  detail::detect_unicode(view, ctx, raw);
  detail::detect_dynamic(view, ctx, raw);
  return raw;
}

void check_utf8(const Segment& s) {
  const std::size_t bad = find_invalid_utf8(s.text);
  if (bad != kNoOffset)
    throw Error(ErrorCode::kInvalidUtf8,
                (s.label.empty() ? std::string("text") : s.label) + ": invalid UTF-8 at byte " + std::to_string(bad), bad);
}

// Appends the visible form of code point c.
void append_visible(std::string& out, std::string_view raw, char32_t c, bool in_mark, std::size_t& cps) {
  if (const char* name = detail::visible_name(c)) {
    out += '<';
    out += name;
    out += '>';
    cps += std::char_traits<char>::length(name) + 2;
  } else if (in_mark && c == ' ') {
    out += "\xC2\xB7";  // MIDDLE DOT: a space that is the finding itself
    ++cps;
  } else if (in_mark && detail::is_combining_mark(c)) {
    const std::string label = "<" + detail::code_point_label(c) + ">";
    out += label;
    cps += label.size();
  } else {
    out += raw;
    ++cps;
  }
}

struct Excerpt {
  std::string text;
  std::size_t mark_begin = 0, mark_end = 0;
};

Excerpt make_excerpt(const TextView& view, std::size_t b, std::size_t e) {
  const std::string_view text = view.text();
  const std::size_t line = view.line_of(b);
  const std::size_t ls = view.line_start(line), le = view.line_end(line);
  Excerpt ex;
  std::size_t cps = 0, len = 0;

  // Context before: up to kContext code points of the same line, found walking backwards so
  // a finding deep inside a long line costs no more than one near its start.
  std::size_t from = b, back = 0;
  while (from > ls && back < kContext) {
    int32_t i = static_cast<int32_t>(from);
    UChar32 c = 0;
    U8_PREV(reinterpret_cast<const uint8_t*>(text.data()), static_cast<int32_t>(ls), i, c);
    (void)c;
    from = static_cast<std::size_t>(i);
    ++back;
  }
  if (from > ls) {
    ex.text += "...";
    cps += 3;
  }
  for (std::size_t p = from; p < b; p += len) {
    const char32_t c = detail::decode_at(text, p, len);
    append_visible(ex.text, text.substr(p, len), c, false, cps);
  }
  ex.mark_begin = cps;
  // The span itself, line breaks included (shown as <CR>/<LF>), at most kSpanShown characters.
  std::size_t shown = 0, p = b;
  for (; p < e && shown < kSpanShown; p += len, ++shown) {
    const char32_t c = detail::decode_at(text, p, len);
    append_visible(ex.text, text.substr(p, len), c, true, cps);
  }
  if (p < e) {
    ex.text += "...";
    cps += 3;
  }
  ex.mark_end = cps;
  // Context after, on the line where the span ends.
  if (p >= e && e <= le && e >= ls) {
    std::size_t q = e, n = 0;
    for (; q < le && n < kContext; q += len, ++n) {
      const char32_t c = detail::decode_at(text, q, len);
      append_visible(ex.text, text.substr(q, len), c, false, cps);
    }
    if (q < le) ex.text += "...";
  }
  return ex;
}

// 1-based code-point columns. Remembers its last position, so a run of queries in byte order
// along a line costs one pass over the line, not one pass per query.
class ColumnCursor {
 public:
  explicit ColumnCursor(const TextView& view) : view_(view) {}
  std::size_t column(std::size_t line, std::size_t byte) {
    if (line != line_ || byte < byte_) {
      line_ = line;
      byte_ = view_.line_start(line);
      col_ = 1;
    }
    const std::string_view text = view_.text();
    std::size_t len = 0;
    for (; byte_ < byte && byte_ < text.size(); byte_ += len, ++col_) detail::decode_at(text, byte_, len);
    return col_;
  }

 private:
  const TextView& view_;
  std::size_t line_ = static_cast<std::size_t>(-1), byte_ = 0, col_ = 1;
};

// Token end offsets of one segment, for tokens_at_risk.
struct TokenIndex {
  std::vector<std::size_t> ends;  // byte offset just past each token
  std::size_t from(std::size_t byte) const {
    return ends.size() - static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), byte) - ends.begin());
  }
};

TokenIndex index_tokens(const Encoding& enc, std::string_view text) {
  TokenIndex idx;
  const std::vector<Rank> tokens = enc.encode_ordinary(text);
  idx.ends.reserve(tokens.size());
  std::size_t end = 0;
  for (Rank t : tokens) {
    end += enc.token_bytes(t).size();
    idx.ends.push_back(end);
  }
  return idx;
}

}  // namespace

Linter::Linter(Config config) : config_(std::move(config)) {
  if (!config_.encoding.empty()) {
    encoding_ = Encoding::get(config_.encoding);
    const auto minimum = cache_minimum_for_model(config_.model);
    tokens_estimated_ = !minimum.known || minimum.provider != "openai";
    return;
  }
  try {
    encoding_ = Encoding::for_model(config_.model);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kUnknownModel) throw;
    // Anthropic and Gemini tokenizers are not public [spec 6.3]: o200k_base stands in.
    encoding_ = Encoding::get("o200k_base");
    tokens_estimated_ = true;
  }
}

Result Linter::lint_text(std::string_view text) const {
  Segment s{std::string(text), "file", "", true};
  return lint(std::span<const Segment>(&s, 1));
}

Result Linter::lint(std::span<const Segment> segments) const {
  return detail::lint_segments(*this, segments, nullptr, kScopeText | kScopeRequest);
}

namespace detail {

Result lint_segments(const Linter& linter, std::span<const Segment> segments, const TokenPlan* plan, unsigned scope) {
  const Config& config = linter.config();
  const Encoding* enc = &linter.encoding();
  const bool estimated = linter.tokens_estimated() || (plan != nullptr && plan->estimated);
  for (const Segment& s : segments) check_utf8(s);
  detail::RuleMask mask = enabled_mask(config, scope);
  if (plan != nullptr && plan->only != nullptr)
    for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = mask[i] && (*plan->only)[i];
  const detail::DetectContext ctx{mask, *enc};
  const auto catalog = rules();

  Result result;
  result.encoding = enc->name();
  result.tokens_estimated = estimated;

  // Tokens of each cacheable segment; risk counts to the end of the cacheable region.
  std::vector<TokenIndex> tokens(segments.size());
  std::vector<std::size_t> after(segments.size() + 1, 0);  // cacheable tokens in later segments
  for (std::size_t i = 0; i < segments.size(); ++i)
    if (segments[i].cacheable) tokens[i] = index_tokens(*enc, segments[i].text);
  for (std::size_t i = segments.size(); i-- > 0;) after[i] = after[i + 1] + tokens[i].ends.size();
  result.cacheable_tokens = after[0];
  // A rendered request knows better: what follows each segment is the rest of the rendered
  // prompt (wrappers, history, other blocks), not only the later linted strings.
  if (plan != nullptr) {
    for (std::size_t i = 0; i < segments.size(); ++i) after[i + 1] = i < plan->after.size() ? plan->after[i] : 0;
    result.cacheable_tokens = plan->total;
  }

  auto add = [&](std::size_t seg, const TextView& view, ColumnCursor& starts, ColumnCursor& ends, RawFinding&& raw) {
    const RuleInfo& rule = catalog[static_cast<std::size_t>(raw.rule)];
    Finding f;
    f.rule = &rule;
    f.severity = config.severity(rule);
    f.message = std::move(raw.message);
    Location& loc = f.location;
    loc.segment = seg;
    loc.label = segments[seg].label;
    loc.json_path = segments[seg].json_path;
    loc.byte = raw.begin;
    loc.length = raw.end - raw.begin;
    loc.line = view.line_of(raw.begin) + 1;
    loc.column = starts.column(loc.line - 1, raw.begin);
    loc.end_line = view.line_of(raw.end) + 1;
    loc.end_column = ends.column(loc.end_line - 1, raw.end);
    Excerpt ex = make_excerpt(view, raw.begin, raw.end);
    f.excerpt = std::move(ex.text);
    f.excerpt_mark_begin = ex.mark_begin;
    f.excerpt_mark_end = ex.mark_end;
    f.tokens_at_risk = tokens[seg].from(raw.begin) + after[seg + 1];
    if (rule.fixable)
      for (detail::RawEdit& e : raw.edits) f.edits.push_back({seg, e.begin, e.end, std::move(e.text)});
    result.findings.push_back(std::move(f));
  };

  std::size_t first_cacheable = segments.size();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (!segments[i].cacheable) continue;
    if (first_cacheable == segments.size()) first_cacheable = i;
    const TextView view(segments[i].text);
    std::vector<RawFinding> raw = detect(view, ctx);
    std::stable_sort(raw.begin(), raw.end(), [](const RawFinding& a, const RawFinding& b) { return a.begin < b.begin; });
    ColumnCursor starts(view), ends(view);
    for (RawFinding& r : raw) add(i, view, starts, ends, std::move(r));
  }

  // PC018: stray non-ASCII characters in the first 4,096 characters of the cacheable region.
  if (mask[detail::kPC018]) {
    std::size_t chars = 0, non_ascii = 0, len = 0;
    std::size_t first_seg = 0, first_byte = kNoOffset;
    std::string listed;
    for (std::size_t i = 0; i < segments.size() && chars < kEarlyChars; ++i) {
      if (!segments[i].cacheable) continue;
      const std::string_view t = segments[i].text;
      for (std::size_t p = 0; p < t.size() && chars < kEarlyChars; p += len, ++chars) {
        const char32_t c = detail::decode_at(t, p, len);
        if (c < 0x80) continue;
        if (++non_ascii == 1) {
          first_seg = i;
          first_byte = p;
        }
        if (non_ascii <= 5) listed += (listed.empty() ? "" : ", ") + detail::code_point_label(c);
      }
    }
    // Only for mostly-ASCII text: CJK or Cyrillic prompts cannot be ASCII-fied, so the advice
    // does not apply to them.
    if (non_ascii >= 2 && non_ascii * 10 <= chars) {
      const TextView view(segments[first_seg].text);
      ColumnCursor starts(view), ends(view);
      detail::decode_at(segments[first_seg].text, first_byte, len);
      add(first_seg, view, starts, ends,
          {detail::kPC018, first_byte, first_byte + len,
           std::to_string(non_ascii) + " non-ASCII characters in the first " + std::to_string(chars) +
               " characters (" + listed + (non_ascii > 5 ? ", ..." : "") + ")",
           {}});
    }
  }

  // PC019: the whole cacheable region is below the model's minimum.
  const std::string& minimum_model = plan != nullptr && !plan->model.empty() ? plan->model : config.model;
  if (mask[detail::kPC019] && (plan == nullptr || !plan->skip_pc019) && first_cacheable < segments.size() &&
      result.cacheable_tokens > 0) {
    const CacheMinimum min = cache_minimum_for_model(minimum_model);
    const std::size_t minimum = config.min_cacheable_tokens.value_or(min.tokens);
    if (result.cacheable_tokens < minimum) {
      const TextView view(segments[first_cacheable].text);
      ColumnCursor starts(view), ends(view);
      std::string msg = "the cacheable prefix is " + std::to_string(result.cacheable_tokens) + " tokens (" +
                        enc->name() + (estimated ? ", estimated" : "") + "); " +
                        (config.min_cacheable_tokens ? std::string("the configured minimum is ")
                                                      : minimum_model + (min.known ? " caches" : " (assumed OpenAI) caches") +
                                                            " only prefixes of ") +
                        std::to_string(minimum) + " tokens or more";
      add(first_cacheable, view, starts, ends, {detail::kPC019, 0, 0, std::move(msg), {}});
    }
  }

  sort_findings(result.findings);
  return result;
}

void sort_findings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (a.tokens_at_risk != b.tokens_at_risk) return a.tokens_at_risk > b.tokens_at_risk;
    if (a.location.record != b.location.record) return a.location.record < b.location.record;
    if (a.location.segment != b.location.segment) return a.location.segment < b.location.segment;
    if (a.location.byte != b.location.byte) return a.location.byte < b.location.byte;
    return a.rule->id < b.rule->id;
  });
}

RuleMask enabled_rules(const Config& config, unsigned scope) { return enabled_mask(config, scope); }

}  // namespace detail


FixResult Linter::fix(std::span<const Segment> segments) const {
  for (const Segment& s : segments) check_utf8(s);
  detail::RuleMask mask = enabled_mask(config_, kScopeText | kScopeRequest);
  const auto catalog = rules();
  for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = mask[i] && catalog[i].fixable;
  const detail::DetectContext ctx{mask, *encoding_};

  FixResult out;
  out.texts.reserve(segments.size());
  for (const Segment& s : segments) out.texts.push_back(s.text);
  // Fixes can expose more (a removed zero-width space leaves a trailing space; stripped
  // trailing spaces leave blank lines), so detect again until nothing is left. Each pass only
  // deletes or replaces flagged bytes, so this converges in a few passes.
  constexpr int kMaxPasses = 16;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (!segments[i].cacheable) continue;
    for (int pass = 0; pass < kMaxPasses; ++pass) {
      std::string& text = out.texts[i];
      const TextView view(text);
      std::vector<detail::RawEdit> edits;
      for (RawFinding& raw : detect(view, ctx))
        for (detail::RawEdit& e : raw.edits) edits.push_back(std::move(e));
      if (edits.empty()) break;
      std::sort(edits.begin(), edits.end(), [](const auto& a, const auto& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
      });
      // Non-overlapping edits, applied back to front; overlapping ones wait for the next pass.
      std::vector<const detail::RawEdit*> chosen;
      std::size_t last_end = 0;
      for (const detail::RawEdit& e : edits) {
        if (!chosen.empty() && e.begin < last_end) continue;
        chosen.push_back(&e);
        last_end = e.end;
      }
      std::string fixed;
      fixed.reserve(text.size());
      std::size_t pos = 0;
      for (const detail::RawEdit* e : chosen) {
        fixed.append(text, pos, e->begin - pos);
        fixed += e->text;
        pos = e->end;
      }
      fixed.append(text, pos, std::string::npos);
      if (fixed == text) break;
      out.edits_applied += chosen.size();
      text = std::move(fixed);
      out.changed = true;
    }
  }
  return out;
}

std::string Linter::fix_text(std::string_view text) const {
  Segment s{std::string(text), "file", "", true};
  return std::move(fix(std::span<const Segment>(&s, 1)).texts[0]);
}

std::optional<Severity> max_severity(std::span<const FileReport> files) noexcept {
  std::optional<Severity> max;
  for (const FileReport& f : files)
    for (const Finding& x : f.result.findings)
      if (!max || x.severity > *max) max = x.severity;
  return max;
}

}  // namespace tokcount::lint
