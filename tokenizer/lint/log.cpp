// JSONL request logs for lint: one {"ts": <unix seconds>, "request": {...}} per line, the format
// `tokcount cache` replays. Each request is linted as a request body (a finding that later
// requests repeat is reported once, at its first record); then the sequence rules compare
// requests that should share a prefix [spec 7, 7.1]:
//  - a *prefix group* is the requests whose system / developer text is the same after
//    normalization (line endings, trailing blanks, digit runs): the traffic that shares the
//    tools -> schema -> system prefix;
//  - a *conversation* is a group's requests with the same first user message (or the same
//    "conversation" field of the log line).
// Each request is compared with the previous request of its conversation (or, opening a
// conversation, the previous request of its group: then only the tools and schema levels are
// judged, since different conversations differ in their messages by nature).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "chat/json_util.hpp"
#include "lint/log_internal.hpp"

namespace tokcount::lint::detail {
namespace {

using chat::detail::find;

// Normalization for grouping only (never for judging): CRLF/CR -> LF, trailing blanks dropped,
// runs of digits -> '0', so a timestamp in the system prompt does not split its group.
std::string group_normal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') continue;
      c = '\n';
    }
    if (c == '\n')
      while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
    if (c >= '0' && c <= '9') {
      if (!out.empty() && out.back() == '0') continue;
      c = '0';
    }
    out += c;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t' || out.back() == '\n')) out.pop_back();
  return out;
}

std::string text_of(const Json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (content.is_array())
    for (const Json& part : content)
      if (part.is_object())
        if (const Json* t = find(part, "text"); t && t->is_string()) out += t->get<std::string>() + "\n";
  return out;
}

void group_keys(const Json& body, std::string& group, std::string& conversation) {
  std::string system;
  if (const Json* s = find(body, "system")) system = text_of(*s);
  std::string first_user;
  if (const Json* msgs = find(body, "messages"); msgs && msgs->is_array())
    for (const Json& mv : *msgs) {
      if (!mv.is_object()) continue;
      const Json* role = find(mv, "role");
      const std::string r = role && role->is_string() ? role->get<std::string>() : "";
      const Json* c = find(mv, "content");
      if ((r == "system" || r == "developer") && c) system += text_of(*c) + "\n";
      if (r == "user" && c && first_user.empty()) {
        first_user = text_of(*c);
        if (first_user.empty()) first_user = chat::detail::Json(*c).dump();
      }
    }
  group = group_normal(system);
  conversation = group + '\x1e' + group_normal(first_user);
}

std::optional<double> seconds(const Json& line, const char* key) {
  const Json* v = find(line, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  const double d = v->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

}  // namespace

std::vector<LogRecord> parse_log(std::string_view jsonl, const Linter& linter) {
  std::vector<LogRecord> records;
  std::size_t line_no = 0, start = 0;
  while (start <= jsonl.size()) {
    std::size_t end = jsonl.find('\n', start);
    if (end == std::string_view::npos) end = jsonl.size();
    std::string_view line = jsonl.substr(start, end - start);
    ++line_no;
    const std::size_t next = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      start = next;
      if (end == jsonl.size()) break;
      continue;
    }
    const std::string where = "line " + std::to_string(line_no);
    Json doc;
    try {
      doc = chat::detail::parse_json(line, where);
    } catch (const Error& e) {
      throw Error(ErrorCode::kParseError, std::string(e.what()), start + (e.byte_offset() == kNoOffset ? 0 : e.byte_offset()));
    }
    if (!doc.is_object()) throw Error(ErrorCode::kParseError, where + ": expected a JSON object", start);
    const Json* req = find(doc, "request");
    if (req == nullptr || !req->is_object())
      throw Error(ErrorCode::kParseError, where + ": expected {\"ts\": ..., \"request\": {...}}", start);
    LogRecord r;
    r.line = line_no;
    r.ts = seconds(doc, "ts");
    r.response_ts = seconds(doc, "first_token_ts");
    if (!r.response_ts) r.response_ts = seconds(doc, "response_ts");
    r.body = *req;
    try {
      r.model = build_request_model(r.body, "$.request", linter);
    } catch (const Error& e) {
      throw Error(e.code(), where + ": " + e.what(), start);
    }
    group_keys(r.body, r.group, r.conversation);
    if (const Json* c = find(doc, "conversation"); c && (c->is_string() || c->is_number()))
      r.conversation = r.group + '\x1e' + (c->is_string() ? c->get<std::string>() : c->dump());
    records.push_back(std::move(r));
    if (end == jsonl.size()) break;
    start = next;
  }
  return records;
}

}  // namespace tokcount::lint::detail

namespace tokcount::lint {

Result Linter::lint_log(std::string_view jsonl) const {
  const std::vector<detail::LogRecord> records = detail::parse_log(jsonl, *this);
  Result result;
  result.kind = InputKind::kLog;
  result.requests = records.size();
  result.encoding = encoding().name();
  result.tokens_estimated = tokens_estimated();

  // Per-request findings, each reported once: at the first record that has it.
  std::set<std::string> reported;
  for (const detail::LogRecord& rec : records) {
    Result r = detail::lint_request_model(*this, rec.model, rec.body);
    result.cacheable_tokens = std::max(result.cacheable_tokens, r.cacheable_tokens);
    result.tokens_estimated = result.tokens_estimated || r.tokens_estimated;
    for (Finding& f : r.findings) {
      const std::string key = std::string(f.rule->id) + '\x1f' + f.location.json_path + '\x1f' +
                              std::to_string(f.location.line) + ':' + std::to_string(f.location.column) + '\x1f' +
                              (f.location.segment == kNoSegment ? std::string() : f.excerpt);
      if (!reported.insert(key).second) continue;
      f.location.record = rec.line;
      f.edits.clear();  // --fix does not rewrite logs
      result.findings.push_back(std::move(f));
    }
  }
  detail::sequence_rules(*this, records, result.findings);
  detail::sort_findings(result.findings);
  return result;
}

}  // namespace tokcount::lint
