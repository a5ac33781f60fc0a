// tokcount lint: finds what breaks prompt caching in prompt files, templates and requests.
//
// The rules are PC001-PC030 of the prompt-cache research spec (section 7). Input is a list of
// Segments: pieces of text in the order the provider hashes them, each knowing where it came
// from (a file, or a JSON path inside a request) and whether it lies inside the cacheable
// region. A prompt file is one segment; a request body becomes one segment per static string
// (tools -> response schema -> system/developer -> messages), so request and log front ends
// only have to produce segments. Findings carry an exact location, a visible excerpt, and
// tokens_at_risk: the real token count (tiktoken-exact, the model's encoding) from the finding
// to the end of the cacheable region.
//
// Design choices:
//  - Findings only matter inside the cacheable region: segments outside it are not linted.
//  - Each fixable finding carries its own byte edits; fix() applies exactly those edits (and
//    nothing else), re-detecting until nothing fixable is left, so it is idempotent.
//  - Columns count Unicode code points (1-based); byte offsets are 0-based into the segment.
//  - Dynamic-content rules report the first match per rule per line: everything after the
//    first volatile byte of a line is lost anyway, and tokens_at_risk says how much.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokcount/tokcount.hpp"

namespace tokcount::lint {

// Ordered: a finding "at or above" --fail-on compares with these values.
enum class Severity : int { kInfo = 0, kWarn = 1, kError = 2 };
const char* severity_name(Severity s) noexcept;  // "info", "warn", "error"
// "info" | "warn" | "warning" | "error"; nullopt otherwise.
std::optional<Severity> parse_severity(std::string_view s) noexcept;

// Which inputs a rule can judge.
enum InputScope : unsigned {
  kScopeText = 1u,     // a prompt file / template on its own
  kScopeRequest = 2u,  // one request body (structure, breakpoints, parameters)
  kScopeLog = 4u,      // a sequence of requests (drift between requests)
};

struct RuleInfo {
  std::string_view id;    // "PC011"
  std::string_view name;  // "TRAILING_WHITESPACE"
  Severity default_severity;
  unsigned scopes;               // InputScope bits where the rule applies
  unsigned implemented_scopes;   // InputScope bits this build detects
  bool enabled_by_default;
  bool fixable;                  // fix() can repair it mechanically
  std::string_view detects;      // what it looks for
  std::string_view why;          // why it breaks caching
  std::string_view fix;          // what to do
  std::string_view source;       // where the behaviour is documented / reported
};
// All 30 rules, PC001..PC030 in order.
std::span<const RuleInfo> rules() noexcept;
// By id ("PC011", case-insensitive) or name ("TRAILING_WHITESPACE"); nullptr if unknown.
const RuleInfo* find_rule(std::string_view id_or_name) noexcept;

// One piece of the prompt in provider order.
struct Segment {
  std::string text;        // UTF-8
  std::string label;       // "file", "system[0]", "tools[1].function.description"
  std::string json_path;   // "$.system[0].text"; empty: the text is the whole file's bytes
  bool cacheable = true;   // inside the cacheable region
};

struct Location {
  std::size_t segment = 0;   // index into the segments (kNoSegment: a finding about the request
                             // itself, located by json_path alone)
  std::size_t record = 0;    // JSONL logs: 1-based line of the request in the log; 0 otherwise
  std::string label;         // the segment's label
  std::string json_path;     // the segment's JSON path, if any
  std::size_t byte = 0;      // offset of the finding in the segment text (0-based)
  std::size_t length = 0;    // bytes covered (0 for a position)
  std::size_t line = 1;      // 1-based, in the segment text (LF, CRLF and lone CR end lines)
  std::size_t column = 1;    // 1-based, in code points
  std::size_t end_line = 1;
  std::size_t end_column = 1;
};

// A replacement of segment bytes [begin, end) by `text`.
inline constexpr std::size_t kNoSegment = static_cast<std::size_t>(-1);

struct Edit {
  std::size_t segment = 0;
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string text;
};

struct Finding {
  const RuleInfo* rule = nullptr;
  Severity severity = Severity::kWarn;  // after configuration
  Location location;
  std::string message;   // what was found, specifically ("3 trailing spaces")
  std::string excerpt;   // the line around the finding, invisible characters made visible
  // [begin, end) of the finding inside `excerpt`, in code points (for highlighting).
  std::size_t excerpt_mark_begin = 0;
  std::size_t excerpt_mark_end = 0;
  std::size_t tokens_at_risk = 0;
  std::vector<Edit> edits;  // non-empty iff the finding is fixable
};

// How a rule is configured: off, on at its default severity, or on at a given severity.
struct RuleSetting {
  bool enabled = true;
  std::optional<Severity> severity;
};

// Per-path settings from a config file: [[overrides]] paths = [...], rules = {...}.
struct PathOverride {
  std::vector<std::string> patterns;  // fnmatch patterns ('*' also matches '/')
  std::map<std::string, RuleSetting> rules;  // keyed by rule id
};

struct Config {
  std::string model = "gpt-4o";  // picks the encoding (tiktoken's table) and the cache minimum
  std::string encoding;          // overrides the model's encoding for tokens_at_risk
  std::optional<std::size_t> min_cacheable_tokens;  // overrides the model's minimum (PC019)
  Severity fail_on = Severity::kWarn;
  std::map<std::string, RuleSetting> rules;  // keyed by rule id
  std::vector<PathOverride> overrides;
  std::string base_dir;  // directory override patterns are relative to (the config's)

  // Parses a .tokcount-lint.toml document. kParseError (message names `origin`, line and
  // column) for bad TOML, unknown keys, rules or severities.
  static Config parse_toml(std::string_view toml, std::string_view origin = "<config>");
  static Config load_file(const std::string& path);  // + kIoError; base_dir = its directory
  // The configuration with the overrides whose patterns match `path` applied.
  Config for_path(std::string_view path) const;
  bool enabled(const RuleInfo& rule) const;
  Severity severity(const RuleInfo& rule) const;
};

// Smallest prefix the model's provider caches (OpenAI 1024, Anthropic and Gemini per model),
// and whether it comes from the provider table (false: unknown model, OpenAI's 1024 assumed).
struct CacheMinimum {
  std::size_t tokens = 1024;
  bool known = false;
  std::string_view provider = "openai";
};
CacheMinimum cache_minimum_for_model(std::string_view model) noexcept;

// What an input is. kAuto: a JSONL log if the first non-blank line is a {"request": ...}
// object, a request if the text is one JSON object with "messages", else a text file.
enum class InputKind { kAuto, kText, kRequest, kLog };
const char* input_kind_name(InputKind k) noexcept;  // "auto", "text", "request", "log"
std::optional<InputKind> parse_input_kind(std::string_view s) noexcept;
// The kind kAuto resolves to for `data` (never kAuto).
InputKind detect_input_kind(std::string_view data) noexcept;

struct Result {
  std::vector<Finding> findings;   // sorted: tokens_at_risk descending, then position
  std::size_t cacheable_tokens = 0;  // text: the cacheable segments; request: the rendered
                                     // prefix up to the end of the cacheable region; log: the
                                     // largest such prefix among its requests
  InputKind kind = InputKind::kText;
  std::size_t requests = 0;        // requests linted (request: 1; log: its records)
  std::string encoding;            // the encoding the counts use
  bool tokens_estimated = false;   // true when the model's own tokenizer is not tiktoken's
};

struct FixResult {
  std::vector<std::string> texts;  // fixed text per segment
  std::size_t edits_applied = 0;
  bool changed = false;
};

class Linter {
 public:
  // kUnknownEncoding for a bad Config::encoding. An unknown model is not an error: counts
  // then use o200k_base and are marked estimated.
  explicit Linter(Config config);

  // Lints the segments. kInvalidUtf8 (with the segment's byte offset) for invalid text.
  Result lint(std::span<const Segment> segments) const;
  // A plain-text / Markdown prompt file or template: one cacheable segment labelled "file".
  Result lint_text(std::string_view text) const;
  // One request body: an OpenAI Chat Completions body, or an Anthropic Messages body (top-level
  // "system", tools with "input_schema", content blocks with "cache_control"). Its static
  // strings (tool and schema descriptions, system/developer text) are linted with the text
  // rules, each a segment with its JSON path; tokens_at_risk counts the request's rendered
  // prompt (OpenAI, through tokcount::chat) or estimated blocks (Anthropic) to the end of the
  // cacheable region; the request rules (PC007, PC019, PC020, PC022, PC027, PC028) judge it.
  // kParseError (with the byte offset) for malformed JSON; kInvalidArgument naming the JSON
  // path for a field of the wrong shape.
  Result lint_request(std::string_view json) const;
  // A JSONL request log, one {"ts": <unix seconds>, "request": {...}} per line (the format of
  // `tokcount cache`; optional "response_ts" / "first_token_ts" and "conversation"). Every
  // request is linted as by lint_request (a finding repeated by later requests is reported
  // once, at its first record), then consecutive requests of a conversation or prefix group are
  // compared (PC006, PC007, PC008, PC009, PC010, PC020, PC021, PC023, PC027, PC029, PC030).
  // kParseError naming the line for a line that is not such an object.
  Result lint_log(std::string_view jsonl) const;
  // Dispatches on the kind (kAuto: detect_input_kind).
  Result lint_input(std::string_view data, InputKind kind = InputKind::kAuto) const;

  // Applies the edits of every enabled fixable rule until none is left. Only bytes that a
  // finding points at change.
  FixResult fix(std::span<const Segment> segments) const;
  std::string fix_text(std::string_view text) const;

  const Config& config() const noexcept { return config_; }
  const Encoding& encoding() const noexcept { return *encoding_; }
  // True when the model's own tokenizer is not tiktoken's (counts are estimates).
  bool tokens_estimated() const noexcept { return tokens_estimated_; }

 private:
  Config config_;
  EncodingPtr encoding_;
  bool tokens_estimated_ = false;
};

// ---- reports -------------------------------------------------------------------------------
// One linted input for the report writers.
struct FileReport {
  std::string path;   // as given ("-" for stdin)
  Result result;
  std::string error;  // non-empty: this input could not be linted (the message)
};

struct TextStyle {
  bool color = false;
  bool show_why = true;  // the why/fix lines under each finding
};
std::string format_text(std::span<const FileReport> files, const TextStyle& style = {});
// {"tool", "version", "model", "findings": [{path, rule, name, severity, line, column, ...}],
//  "files": [...], "summary": {...}}
std::string format_json(std::span<const FileReport> files, const Config& config);
// SARIF 2.1.0, one run; columns are code points (run.columnKind = "unicodeCodePoints").
std::string format_sarif(std::span<const FileReport> files, const Config& config);

// Highest severity among the findings, nullopt if none.
std::optional<Severity> max_severity(std::span<const FileReport> files) noexcept;

}  // namespace tokcount::lint
