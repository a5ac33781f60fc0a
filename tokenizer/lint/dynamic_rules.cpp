// Dynamic content in the prefix: PC001 TIMESTAMP_IN_PREFIX, PC002 DATE_IN_PREFIX, PC003
// ID_IN_PREFIX, PC004 USER_DATA_EARLY, PC005 VOLATILE_COUNTERS, and the template rules PC024
// NONDETERMINISTIC_RENDER, PC025 TEMPLATE_VAR_IN_PREFIX, PC026 BOUNDARY_SPLICE.
//
// Matching is RE2 (linear time). Candidates claim byte ranges in priority order (template
// placeholders first, then timestamps, ids, dates, ...), so a date inside a timestamp or a
// word inside {{...}} is reported once, under its most specific rule. The spec's field-tested
// regexes (section 7.1) are the base; each narrowing is named where it is made, because the
// linter must stay quiet on ordinary prose, code and tables.
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "lint/lint_internal.hpp"

namespace tokcount::lint::detail {
namespace {

struct Candidate {
  int rule;
  std::size_t begin, end;
  int priority;      // lower claims first
  bool weak;         // a label/phrase without a value: dropped when its line has a stronger finding
  bool placeholder;  // a template placeholder (PC026 checks its join)
  std::string message;
};

// Runs `re` over text; fn(match_begin, match_end, groups) for each non-overlapping match.
template <class Fn>
void for_each_match(const RE2& re, std::string_view text, Fn&& fn) {
  const int ngroups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> m(static_cast<std::size_t>(ngroups));
  std::size_t pos = 0;
  while (pos <= text.size() &&
         re.Match(re2::StringPiece(text.data(), text.size()), pos, text.size(), RE2::UNANCHORED, m.data(), ngroups)) {
    const std::size_t b = static_cast<std::size_t>(m[0].data() - text.data());
    const std::size_t e = b + m[0].size();
    fn(b, e, m);
    pos = e > b ? e : e + 1;
  }
}

std::size_t offset_of(std::string_view text, const re2::StringPiece& piece) {
  return static_cast<std::size_t>(piece.data() - text.data());
}

std::unique_ptr<RE2> compile(const std::string& pattern) {
  RE2::Options opt;
  opt.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, opt);
  if (!re->ok()) throw Error(ErrorCode::kInternal, "lint: bad built-in pattern: " + re->error());
  return re;
}

// ---- building blocks -----------------------------------------------------------------------
const std::string kMonth =
    "(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    "Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)";
const std::string kWeekday = "(?:Mon|Tue(?:s)?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?";
const std::string kDay = "(?:0?[1-9]|[12]\\d|3[01])";
const std::string kIsoDate = "\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])";
const std::string kClock = "(?:[01]?\\d|2[0-3]):[0-5]\\d";
const std::string kZone = "(?:Z|[+-](?:[01]\\d|2[0-3]):?[0-5]\\d|\\s?(?:UTC|GMT))";
// Dates written out: "July 6, 2026", "Monday, 6 July 2026", numeric with a 4-digit year,
// CJK 2026年7月6日 / 2026년 7월 6일.
const std::string kTextDate = "(?:" + kWeekday + ",? )?(?:" + kMonth + "\\.? " + kDay +
                              "(?:st|nd|rd|th)?,? \\d{4}|" + kDay + "(?:st|nd|rd|th)? (?:of )?" + kMonth +
                              "\\.?,? \\d{4})";
const std::string kNumericDate = "(?:" + kDay + "[/.]" + kDay + "[/.]\\d{4}|\\d{4}/(?:0?[1-9]|1[0-2])/" + kDay + ")";
const std::string kCjkDate = "(?:\\d{4}年\\d{1,2}月\\d{1,2}日|\\d{4}년 ?\\d{1,2}월 ?\\d{1,2}일)";

struct Patterns {
  std::unique_ptr<RE2> mustache, dollar, erb, percent, brace, jinja_stmt;
  std::unique_ptr<RE2> iso_datetime, basic_datetime, text_datetime, clock_seconds, clock_ampm, clock_zone,
      clock_labelled, epoch;
  std::unique_ptr<RE2> iso_date, text_date, numeric_date, cjk_date, weekday_today;
  std::unique_ptr<RE2> uuid, jwt, prefixed_id, hex, base64, nonce;
  std::unique_ptr<RE2> git_ref, branch, volatile_label, counter_label, counter_count, todo_done;
  std::unique_ptr<RE2> user_label, home_path;
  std::unique_ptr<RE2> time_phrase, date_phrase;
  std::unique_ptr<RE2> nondeterministic, unsorted_iteration, time_expression;

  Patterns() {
    // Template placeholders. {{...}} also matches Handlebars {{{raw}}}.
    mustache = compile("\\{\\{\\{?-?\\s*([^{}]*?)\\s*-?\\}?\\}\\}");
    dollar = compile("\\$\\{([^{}\\n]*)\\}");
    erb = compile("<%=\\s*([^%\\n]*?)\\s*-?%>");
    percent = compile("%\\(([A-Za-z_][A-Za-z0-9_]*)\\)[-#0 +]*\\d*(?:\\.\\d+)?[sdifrxXeEgGc]");
    brace = compile(
        "\\{([A-Za-z_][A-Za-z0-9_]*(?:\\([^(){}\\n]*\\))?(?:(?:\\.[A-Za-z_][A-Za-z0-9_]*|\\[[^\\]\\n]*\\])"
        "(?:\\([^(){}\\n]*\\))?)*)(?:![rsa])?(?::[^{}\\n]*)?\\}");
    jinja_stmt = compile("\\{%-?\\s*([^%]*?)\\s*-?%\\}");

    // PC001: the spec's ISO regex, with seconds optional; basic ISO (20260706T143207Z); a
    // written date followed by a clock time; clock times only with seconds, AM/PM, a zone or a
    // time label (a bare "16:10" is as often an aspect ratio or a verse); epochs.
    iso_datetime = compile("\\b" + kIsoDate + "[T ]" + kClock + "(?::[0-5]\\d(?:[.,]\\d+)?)?" + kZone + "?");
    basic_datetime = compile("\\b\\d{8}T\\d{6}Z?\\b");
    text_datetime = compile("(?i)\\b(?:" + kTextDate + "|" + kNumericDate + ")(?:,? (?:at )?)" + kClock +
                            "(?::[0-5]\\d)?(?: ?[ap]\\.?m\\.?)?" + kZone + "?");
    clock_seconds = compile("\\b" + kClock + ":[0-5]\\d(?:[.,]\\d+)?\\b" + kZone + "?");
    clock_ampm = compile("(?i)\\b(?:0?\\d|1[0-2]):[0-5]\\d ?[ap]\\.?m\\b\\.?");
    clock_zone = compile("\\b" + kClock + " ?(?:UTC|GMT|Z\\b|[A-Z][A-Z]?[SD]?T\\b|[+-](?:[01]\\d|2[0-3]):?[0-5]\\d)");
    clock_labelled = compile("(?i)\\b(?:time|now|clock|it is|it's)\\b[^\\n\\d]{0,12}\\b(" + kClock + ")\\b");
    epoch = compile("\\b1\\d{9}(?:\\d{3})?\\b");

    // PC002.
    iso_date = compile("\\b" + kIsoDate + "\\b");
    text_date = compile("(?i)\\b" + kTextDate + "\\b");
    numeric_date = compile("\\b" + kNumericDate + "\\b");
    cjk_date = compile(kCjkDate);
    weekday_today = compile("(?i)\\b(?:today is|it is|it's) (?:a )?((?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)\\b");

    // PC003. Prefixed ids: the spec's list plus provider id prefixes; the id part must hold a
    // digit, so identifiers such as request_handler or run_command stay quiet.
    uuid = compile("\\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\b");
    jwt = compile("\\beyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}");
    prefixed_id = compile(
        "(?i)\\b(?:session|sess|request|req|trace|txn|run|order|correlation|corr|conversation|conv|thread|"
        "chatcmpl|resp|msg|toolu|call|asst|batch|evt|sk)[_-]([A-Za-z0-9_-]{6,})\\b");
    hex = compile("\\b[0-9a-fA-F]{16,}\\b");
    base64 = compile("[A-Za-z0-9+/_-]{20,}={0,2}");
    nonce = compile("(?i)\\bnonce\\s*[:=]\\s*(\\S+)");

    // PC005.
    git_ref = compile("(?i)\\b(?:commit|sha|revision|rev|HEAD(?: is now at)?)\\b:?\\s+([0-9a-f]{7,40})\\b");
    branch = compile("(?i)(?:\\b(?:current |git |active )?branch\\s*[:=]\\s*|\\bon branch )([A-Za-z0-9._/-]+)");
    volatile_label = compile(
        "(?i)\\b(?:currently working on|current task|current step|recent commits|git status|uncommitted changes|"
        "modified files|open files|open tabs|last (?:updated|modified|run|login|seen|sync(?:ed)?))\\s*[:=]\\s*(\\S)");
    counter_label = compile(
        "(?i)\\b(?:remaining|used|left|unread|pending|balance|credits|quota|tokens used|tokens remaining|turns?|"
        "iterations?|attempts?|messages|requests|open issues|open tickets|tasks|notifications)\\s*[:=]\\s*(\\d[\\d,.]*)");
    counter_count = compile(
        "(?i)\\b(\\d[\\d,]*)\\s+(?:unread|remaining|pending|new messages|new notifications|open issues|open tickets|"
        "tokens left|credits left|messages left|tasks left|requests left)\\b");
    todo_done = compile("(?m)^[ \\t]*[-*+] \\[[xX]\\] ");

    // PC004. A label at the start of a line (after list/quote markers and bold), then a value.
    // Bare "User:" is left alone: it labels few-shot transcripts far more often than data.
    user_label = compile(
        "(?im)^[ \\t>*+-]*(?:\\*\\*|__)?(?:the )?(?:current )?(?:user(?:[ _-]?(?:name|id|email|e-mail|location|locale|"
        "language|timezone|time zone|tz|plan|tier|role|profile|handle))|username|user's name|"
        "customer(?:[ _-]?(?:name|id|email))?|client name|tenant(?:[ _-]?(?:id|name))?|account(?:[ _-]?(?:id|name|email))|"
        "org(?:anization|anisation)?[ _-]?(?:id|name)|e-?mail(?: address)?|locale|time ?zone|"
        "(?:current )?working directory|cwd|home directory|subscription(?: plan| tier)?|plan tier)(?:\\*\\*|__)?"
        "\\s*[:=](?:\\*\\*|__)?\\s*(?:\\*\\*|__)?([^\\s*_](?:[^\\r\\n]*[^\\s*_])?)");
    home_path = compile("(?:/home/|/Users/|\\b[A-Za-z]:\\\\Users\\\\)([A-Za-z0-9._-]+)");

    // Labels whose value follows (weak: only reported when nothing else on the line is).
    time_phrase = compile(
        "(?i)\\b(?:current (?:date and )?time|current datetime|time now|local time|the time is)\\s*(?:is)?\\s*[:=]\\s*\\S");
    date_phrase = compile("(?i)\\b(?:current date|today's date|date today|today is)\\s*[:=]\\s*\\S");

    // Inside template code.
    nondeterministic = compile("(?i)\\b(?:random|shuffle|shuffled|sample|choice|choices|randint|randrange)\\b");
    unsorted_iteration = compile(
        "\\bfor\\b[^%]*\\bin\\b([^%]*\\b(?:set|frozenset|listdir|scandir|glob|iglob|readdir|readdirSync|walk)\\b[^%]*)");
    time_expression = compile(
        "(?i)(?:\\bnow\\b|\\butcnow\\b|toISOString|\\bDate\\.now|\\bnew Date\\b|\\btime\\.time\\b|\\btimestamp\\b|"
        "\\bdatetime\\b|strftime\\([^)]*%[HMSTc])");
  }
};

const Patterns& patterns() {
  static const Patterns p;
  return p;
}

// ---- placeholders --------------------------------------------------------------------------

// Identifier words of a template expression: snake_case, camelCase and dotted parts split.
std::vector<std::string> words_of(std::string_view expr) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
  };
  for (std::size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    const bool upper = c >= 'A' && c <= 'Z', lower = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!upper && !lower) {
      flush();
      continue;
    }
    if (upper && !cur.empty() && i > 0 && expr[i - 1] >= 'a' && expr[i - 1] <= 'z') flush();
    cur.push_back(upper ? static_cast<char>(c - 'A' + 'a') : c);
  }
  flush();
  return words;
}

bool any_word(const std::vector<std::string>& words, std::initializer_list<std::string_view> set) {
  for (const std::string& w : words)
    for (std::string_view s : set)
      if (w == s) return true;
  return false;
}

// Which rule a placeholder's expression belongs to, most specific first.
int classify_placeholder(std::string_view expr, std::string& why) {
  const Patterns& p = patterns();
  const re2::StringPiece e(expr.data(), expr.size());
  if (RE2::PartialMatch(e, *p.nondeterministic)) {
    why = "renders a random choice";
    return kPC024;
  }
  const std::vector<std::string> w = words_of(expr);
  if (RE2::PartialMatch(e, *p.time_expression) ||
      any_word(w, {"time", "timestamp", "clock", "hour", "minute", "epoch", "ts", "now"})) {
    why = "a time";
    return kPC001;
  }
  if (any_word(w, {"uuid", "guid", "id", "ids", "nonce", "sid", "rid", "trace", "correlation", "txn", "session",
                   "request"})) {
    why = "an id";
    return kPC003;
  }
  if (any_word(w, {"date", "today", "day", "weekday", "month", "year", "yesterday", "tomorrow"})) {
    why = "a date";
    return kPC002;
  }
  const bool named_person = any_word(w, {"name"}) && (w.size() == 1 || any_word(w, {"first", "last", "full", "display"}));
  if (named_person || any_word(w, {"user", "users", "username", "customer", "client", "tenant", "account", "email",
                                   "locale", "timezone", "tz", "cwd", "workdir", "pwd", "home", "profile", "org",
                                   "organization", "persona", "location", "city", "country", "plan"})) {
    why = "user-specific data";
    return kPC004;
  }
  if (any_word(w, {"count", "counter", "branch", "commit", "sha", "git", "status", "todo", "todos", "memory",
                   "memories", "progress", "metrics", "stats", "usage", "remaining", "balance", "credits",
                   "history", "recent", "changes", "diff", "task", "tasks", "scratchpad", "notes"})) {
    why = "state that changes between turns";
    return kPC005;
  }
  why = "a value filled at render time";
  return kPC025;
}

std::string shorten(std::string_view s, std::size_t max = 48) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

void find_placeholders(const TextView& view, std::vector<Candidate>& out) {
  const Patterns& p = patterns();
  const std::string_view text = view.text();
  auto add = [&](std::size_t b, std::size_t e, std::string_view expr) {
    std::string why;
    const int rule = classify_placeholder(expr, why);
    const std::string shown = shorten(text.substr(b, e - b));
    std::string msg = rule == kPC025 ? "template placeholder " + shown + " in the cacheable prefix"
                      : rule == kPC024 ? "placeholder " + shown + " " + why
                                       : "placeholder " + shown + " fills in " + why;
    out.push_back({rule, b, e, 0, false, true, std::move(msg)});
  };
  // {{...}} is template syntax wherever it appears (Jinja renders code blocks too); comments
  // and block closers are not values.
  for_each_match(*p.mustache, text, [&](std::size_t b, std::size_t e, const auto& m) {
    const std::string_view expr(m[1].data(), m[1].size());
    if (expr.empty() || expr[0] == '!' || expr[0] == '/' || expr == "else") return;
    add(b, e, expr);
  });
  for_each_match(*p.erb, text, [&](std::size_t b, std::size_t e, const auto& m) { add(b, e, std::string_view(m[1].data(), m[1].size())); });
  for_each_match(*p.percent, text, [&](std::size_t b, std::size_t e, const auto& m) { add(b, e, std::string_view(m[1].data(), m[1].size())); });
  // ${...} and {name} are also shell, JavaScript, Python and LaTeX syntax: only outside code.
  for_each_match(*p.dollar, text, [&](std::size_t b, std::size_t e, const auto& m) {
    if (view.in_code(b) || (b > 0 && text[b - 1] == '$')) return;
    add(b, e, std::string_view(m[1].data(), m[1].size()));
  });
  for_each_match(*p.brace, text, [&](std::size_t b, std::size_t e, const auto& m) {
    if (view.in_code(b)) return;
    const char before = b > 0 ? text[b - 1] : '\0';
    const char after = e < text.size() ? text[e] : '\0';
    // {{ }} belongs to the mustache pass; a letter, digit, backslash command, brace, ^ or _
    // before the brace is LaTeX (\frac{a}{b}, x^{n}) or code, not a format field.
    if (before == '{' || before == '$' || before == '\\' || before == '}' || before == '^' || word_char(before) ||
        after == '}')
      return;
    add(b, e, std::string_view(m[1].data(), m[1].size()));
  });
}

void find_template_statements(std::string_view text, std::vector<Candidate>& out) {
  const Patterns& p = patterns();
  for_each_match(*p.jinja_stmt, text, [&](std::size_t b, std::size_t e, const auto& m) {
    const re2::StringPiece body = m[1];
    const std::string shown = shorten(text.substr(b, e - b));
    if (RE2::PartialMatch(body, *p.nondeterministic)) {
      out.push_back({kPC024, b, e, 0, false, false, "template statement " + shown + " renders in random order"});
      return;
    }
    re2::StringPiece source;
    if (RE2::PartialMatch(body, *p.unsorted_iteration, &source) && source.find("sort") == re2::StringPiece::npos)
      out.push_back({kPC024, b, e, 0, false, false,
                     "template loop " + shown + " iterates a set or directory listing without sorting"});
  });
}

// ---- values --------------------------------------------------------------------------------

double shannon_bits(std::string_view s) {
  std::array<int, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double h = 0;
  for (int n : counts) {
    if (!n) continue;
    const double q = static_cast<double>(n) / static_cast<double>(s.size());
    h -= q * std::log2(q);
  }
  return h;
}

// High-entropy token check for base64-like runs [INF]: >= 20 characters with at least two
// each of digits, upper and lower case letters, little of it in lowercase word-like runs, and
// close to random entropy. Identifiers, paths and words fail one of these.
bool looks_random(std::string_view s) {
  std::size_t digits = 0, upper = 0, lower = 0, in_word_runs = 0, run = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') ++digits;
    if (c >= 'A' && c <= 'Z') ++upper;
    if (c >= 'a' && c <= 'z') {
      ++lower;
      ++run;
    } else {
      if (run >= 4) in_word_runs += run;
      run = 0;
    }
  }
  if (run >= 4) in_word_runs += run;
  if (digits < 2 || upper < 2 || lower < 2) return false;
  if (static_cast<double>(in_word_runs) > 0.25 * static_cast<double>(s.size())) return false;
  return shannon_bits(s) >= 3.5;
}

bool has_digit(std::string_view s) { return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }); }
bool has_hex_letter(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); });
}

void find_values(const TextView& view, std::vector<Candidate>& out) {
  const Patterns& p = patterns();
  const std::string_view text = view.text();
  auto whole = [&](const RE2& re, int rule, int priority, const char* what) {
    for_each_match(re, text, [&](std::size_t b, std::size_t e, const auto&) {
      out.push_back({rule, b, e, priority, false, false, std::string(what) + " " + shorten(text.substr(b, e - b))});
    });
  };
  auto group = [&](const RE2& re, int rule, int priority, const char* what, bool weak = false) {
    for_each_match(re, text, [&](std::size_t, std::size_t, const auto& m) {
      const std::size_t b = offset_of(text, m[1]);
      const std::size_t e = b + m[1].size();
      out.push_back({rule, b, e, priority, weak, false, std::string(what) + " " + shorten(text.substr(b, e - b))});
    });
  };

  whole(*p.iso_datetime, kPC001, 1, "timestamp");
  whole(*p.basic_datetime, kPC001, 1, "timestamp");
  whole(*p.text_datetime, kPC001, 1, "date and time");
  whole(*p.uuid, kPC003, 1, "UUID");
  whole(*p.jwt, kPC003, 1, "JSON Web Token");
  whole(*p.clock_seconds, kPC001, 2, "clock time");
  whole(*p.clock_ampm, kPC001, 2, "clock time");
  whole(*p.clock_zone, kPC001, 2, "clock time");
  group(*p.clock_labelled, kPC001, 2, "clock time");
  whole(*p.epoch, kPC001, 2, "epoch timestamp");
  whole(*p.iso_date, kPC002, 3, "date");
  whole(*p.text_date, kPC002, 3, "date");
  whole(*p.numeric_date, kPC002, 3, "date");
  whole(*p.cjk_date, kPC002, 3, "date");
  group(*p.weekday_today, kPC002, 3, "weekday");

  for_each_match(*p.prefixed_id, text, [&](std::size_t b, std::size_t e, const auto& m) {
    if (has_digit(std::string_view(m[1].data(), m[1].size())))
      out.push_back({kPC003, b, e, 4, false, false, "id " + shorten(text.substr(b, e - b))});
  });
  for_each_match(*p.hex, text, [&](std::size_t b, std::size_t e, const auto&) {
    const std::string_view h = text.substr(b, e - b);
    if (!has_digit(h) || !has_hex_letter(h)) return;
    const bool git_sha = h.size() == 40 && std::none_of(h.begin(), h.end(), [](char c) { return c >= 'A' && c <= 'F'; });
    if (git_sha)
      out.push_back({kPC005, b, e, 4, false, false, "git SHA " + shorten(h)});
    else
      out.push_back({kPC003, b, e, 4, false, false, "hex id " + shorten(h)});
  });
  for_each_match(*p.base64, text, [&](std::size_t b, std::size_t e, const auto&) {
    const std::string_view s = text.substr(b, e - b);
    if (looks_random(s)) out.push_back({kPC003, b, e, 5, false, false, "high-entropy token " + shorten(s)});
  });
  group(*p.nonce, kPC003, 4, "nonce");

  group(*p.git_ref, kPC005, 4, "git revision");
  group(*p.branch, kPC005, 6, "branch name");
  for_each_match(*p.volatile_label, text, [&](std::size_t b, std::size_t e, const auto&) {
    out.push_back({kPC005, b, e, 6, false, false, "volatile state " + shorten(text.substr(b, e - b - 1))});
  });
  group(*p.counter_label, kPC005, 6, "counter");
  group(*p.counter_count, kPC005, 6, "counter");
  for_each_match(*p.todo_done, text, [&](std::size_t b, std::size_t e, const auto&) {
    out.push_back({kPC005, b, e, 6, false, false, "checked todo item (a todo list in the prefix)"});
  });

  group(*p.user_label, kPC004, 5, "user-specific value");
  group(*p.home_path, kPC004, 5, "home directory of user");

  for_each_match(*p.time_phrase, text, [&](std::size_t b, std::size_t e, const auto&) {
    out.push_back({kPC001, b, e - 1, 8, true, false, "time label " + shorten(text.substr(b, e - 1 - b))});
  });
  for_each_match(*p.date_phrase, text, [&](std::size_t b, std::size_t e, const auto&) {
    out.push_back({kPC002, b, e - 1, 8, true, false, "date label " + shorten(text.substr(b, e - 1 - b))});
  });
}

constexpr std::size_t kSpliceWindow = 256;

// PC026: does a value glued to `static_text` change the static text's tokens? Probes with
// values starting with each character class BPE treats differently.
std::string splice_probe(const Encoding& enc, std::string_view static_text) {
  static constexpr std::string_view kProbes[] = {"x", "X", "7", "-", "\xC3\xA9", "\xE4\xB8\xAD"};
  const std::vector<Rank> base = enc.encode_ordinary(static_text);
  for (std::string_view probe : kProbes) {
    std::string joined(static_text);
    joined += probe;
    const std::vector<Rank> with = enc.encode_ordinary(joined);
    if (with.size() < base.size() || !std::equal(base.begin(), base.end(), with.begin())) return std::string(probe);
  }
  return {};
}

}  // namespace

void detect_dynamic(const TextView& view, const DetectContext& ctx, std::vector<RawFinding>& out) {
  const RuleMask& on = ctx.enabled;
  if (!(on[kPC001] || on[kPC002] || on[kPC003] || on[kPC004] || on[kPC005] || on[kPC024] || on[kPC025] || on[kPC026]))
    return;
  const std::string_view text = view.text();
  std::vector<Candidate> cands;
  find_placeholders(view, cands);
  find_template_statements(text, cands);
  find_values(view, cands);

  // Claim ranges: strongest first, then leftmost; a candidate overlapping a claimed range is
  // dropped (whatever rule it is, so the date inside a timestamp is reported once). Disabled
  // rules still claim, so switching PC002 off does not turn a date's digits into an "epoch".
  std::stable_sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.begin < b.begin;
  });
  std::map<std::size_t, std::size_t> claimed;  // disjoint [begin, end), by begin
  std::vector<const Candidate*> accepted;
  for (const Candidate& c : cands) {
    const std::size_t b = c.begin, e = std::max(c.end, c.begin + 1);
    auto it = claimed.lower_bound(e);
    if (it != claimed.begin() && std::prev(it)->second > b) continue;
    claimed.emplace(b, e);
    accepted.push_back(&c);
  }
  std::sort(accepted.begin(), accepted.end(), [](const Candidate* a, const Candidate* b) { return a->begin < b->begin; });

  // One finding per rule per line (the first); labels only where the line has nothing else.
  std::vector<std::size_t> lines(accepted.size());
  std::map<std::size_t, std::size_t> strong_per_line;
  for (std::size_t i = 0; i < accepted.size(); ++i) {
    lines[i] = view.line_of(accepted[i]->begin);
    if (!accepted[i]->weak) ++strong_per_line[lines[i]];
  }
  std::set<std::pair<std::size_t, int>> reported;  // (line, rule)
  for (std::size_t i = 0; i < accepted.size(); ++i) {
    const Candidate& c = *accepted[i];
    if (c.weak && strong_per_line.count(lines[i])) continue;
    if (on[c.rule] && reported.emplace(lines[i], c.rule).second) out.push_back({c.rule, c.begin, c.end, c.message, {}});
    // PC026 for placeholders glued to the text before them.
    if (on[kPC026] && c.placeholder) {
      const std::size_t line_start = view.line_start(lines[i]);
      if (c.begin > line_start) {
        const char before = text[c.begin - 1];
        if (before != ' ' && before != '\t') {
          // The join only re-tokenizes the last piece or two: a window of the line back to a
          // space keeps this linear on long lines with many placeholders.
          std::size_t from = line_start;
          if (c.begin - line_start > kSpliceWindow) {
            const std::size_t space = text.find(' ', c.begin - kSpliceWindow);
            from = space < c.begin ? space : c.begin - kSpliceWindow;
            while (from < c.begin && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) ++from;
          }
          const std::string_view static_text = text.substr(from, c.begin - from);
          const std::string probe = splice_probe(ctx.encoding, static_text);
          if (!probe.empty())
            out.push_back({kPC026, c.begin, c.end,
                           "placeholder glued to \"" + shorten(static_text.substr(static_text.size() > 24 ? static_text.size() - 24 : 0)) +
                               "\": a value starting with \"" + probe + "\" merges into the last static token",
                           {}});
        }
      }
    }
  }
}

}  // namespace tokcount::lint::detail
