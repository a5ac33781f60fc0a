// Report writers: human text (optionally coloured), JSON, and SARIF 2.1.0. One place, so the
// CLI, the Python package and the C API print identical reports.
#include <nlohmann/json.hpp>

#include <string>

#include "lint/lint_internal.hpp"

namespace tokcount::lint {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kToolName = "tokcount lint";

std::string display_path(const std::string& path) { return path == "-" ? "<stdin>" : path; }

// Input positions are reported as the user named them; the segment part only for requests.
// Logs add the record's line; findings about a request as a whole have no line and column.
std::string where(const FileReport& file, const Finding& f) {
  std::string s = display_path(file.path);
  if (f.location.record != 0) s += ":" + std::to_string(f.location.record);
  if (!f.location.json_path.empty()) s += ":" + f.location.json_path;
  if (f.location.segment != kNoSegment)
    s += ":" + std::to_string(f.location.line) + ":" + std::to_string(f.location.column);
  return s;
}

const char* sarif_level(Severity s) {
  switch (s) {
    case Severity::kError: return "error";
    case Severity::kWarn: return "warning";
    case Severity::kInfo: return "note";
  }
  return "none";
}

// Dump that never throws on odd bytes (paths need not be UTF-8).
std::string dump(const Json& j) { return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"; }

struct Counts {
  std::size_t total = 0, by[3] = {0, 0, 0}, fixable = 0, files_with = 0, files = 0, errors = 0;
};

Counts count(std::span<const FileReport> files) {
  Counts c;
  for (const FileReport& f : files) {
    ++c.files;
    if (!f.error.empty()) ++c.errors;
    if (!f.result.findings.empty()) ++c.files_with;
    for (const Finding& x : f.result.findings) {
      ++c.total;
      ++c.by[static_cast<int>(x.severity)];
      if (!x.edits.empty()) ++c.fixable;
    }
  }
  return c;
}

// Terminal columns of a UTF-8 string (for the caret line under an excerpt).
std::size_t columns(std::string_view s, std::size_t cps) {
  std::size_t cols = 0, len = 0, n = 0;
  for (std::size_t p = 0; p < s.size() && n < cps; p += len, ++n) cols += static_cast<std::size_t>(detail::display_width(detail::decode_at(s, p, len)));
  return cols;
}

std::size_t byte_of_cp(std::string_view s, std::size_t cps) {
  std::size_t p = 0, len = 0;
  for (std::size_t n = 0; p < s.size() && n < cps; p += len, ++n) detail::decode_at(s, p, len);
  return p;
}

Json finding_json(const FileReport& file, const Finding& f) {
  Json j;
  j["path"] = file.path;
  j["rule"] = f.rule->id;
  j["name"] = f.rule->name;
  j["severity"] = severity_name(f.severity);
  j["line"] = f.location.line;
  j["column"] = f.location.column;
  j["end_line"] = f.location.end_line;
  j["end_column"] = f.location.end_column;
  j["byte"] = f.location.byte;
  j["length"] = f.location.length;
  j["segment"] = f.location.label;
  j["json_path"] = f.location.json_path.empty() ? Json(nullptr) : Json(f.location.json_path);
  j["record"] = f.location.record == 0 ? Json(nullptr) : Json(f.location.record);
  j["message"] = f.message;
  j["excerpt"] = f.excerpt;
  j["tokens_at_risk"] = f.tokens_at_risk;
  j["fixable"] = !f.edits.empty();
  j["why"] = f.rule->why;
  j["fix"] = f.rule->fix;
  j["source"] = f.rule->source;
  return j;
}

}  // namespace

std::string format_text(std::span<const FileReport> files, const TextStyle& style) {
  const char* reset = style.color ? "\x1b[0m" : "";
  const char* bold = style.color ? "\x1b[1m" : "";
  const char* dim = style.color ? "\x1b[2m" : "";
  auto sev_color = [&](Severity s) -> const char* {
    if (!style.color) return "";
    return s == Severity::kError ? "\x1b[1;31m" : s == Severity::kWarn ? "\x1b[1;33m" : "\x1b[1;36m";
  };
  std::string out;
  for (const FileReport& file : files) {
    if (!file.error.empty()) {
      out += std::string(bold) + display_path(file.path) + reset + ": " + sev_color(Severity::kError) + "input error" +
             reset + ": " + file.error + "\n";
      continue;
    }
    for (const Finding& f : file.result.findings) {
      out += std::string(bold) + where(file, f) + reset + ": " + sev_color(f.severity) + severity_name(f.severity) +
             reset + " " + bold + std::string(f.rule->id) + reset + " " + std::string(f.rule->name) + ": " + f.message +
             " " + dim + "(" + std::to_string(f.tokens_at_risk) + " tokens at risk" + (f.edits.empty() ? "" : ", fixable") +
             ")" + reset + "\n";
      if (!f.excerpt.empty() || f.excerpt_mark_end > f.excerpt_mark_begin) {
        const std::string_view ex = f.excerpt;
        const std::size_t b = byte_of_cp(ex, f.excerpt_mark_begin), e = byte_of_cp(ex, f.excerpt_mark_end);
        out += "    | ";
        out.append(ex.substr(0, b));
        out += sev_color(f.severity);
        out.append(ex.substr(b, e - b));
        out += reset;
        out.append(ex.substr(e));
        out += "\n    | ";
        const std::size_t pad = columns(ex, f.excerpt_mark_begin);
        const std::size_t width = std::max<std::size_t>(1, columns(ex, f.excerpt_mark_end) - pad);
        out += std::string(pad, ' ') + sev_color(f.severity) + std::string(width, '^') + reset + "\n";
      }
      if (style.show_why) {
        out += std::string("    ") + dim + "why: " + reset + std::string(f.rule->why) + "\n";
        out += std::string("    ") + dim + "fix: " + reset + std::string(f.rule->fix) + "\n";
      }
    }
  }
  const Counts c = count(files);
  if (c.total == 0) {
    out += "No cache-breaking findings in " + std::to_string(c.files - c.errors) + " input(s)";
  } else {
    out += "Found " + std::to_string(c.total) + " finding(s) (" + std::to_string(c.by[2]) + " error, " +
           std::to_string(c.by[1]) + " warn, " + std::to_string(c.by[0]) + " info) in " + std::to_string(c.files_with) +
           " of " + std::to_string(c.files - c.errors) + " input(s)";
    if (c.fixable) out += "; " + std::to_string(c.fixable) + " fixable with --fix";
  }
  if (c.errors) out += "; " + std::to_string(c.errors) + " input(s) could not be read";
  out += ".\n";
  return out;
}

std::string format_json(std::span<const FileReport> files, const Config& config) {
  Json findings = Json::array(), inputs = Json::array();
  for (const FileReport& file : files) {
    Json in;
    in["path"] = file.path;
    if (!file.error.empty()) {
      in["error"] = file.error;
    } else {
      in["kind"] = input_kind_name(file.result.kind);
      if (file.result.kind == InputKind::kLog) in["requests"] = file.result.requests;
      in["encoding"] = file.result.encoding;
      in["tokens_estimated"] = file.result.tokens_estimated;
      in["cacheable_tokens"] = file.result.cacheable_tokens;
      in["findings"] = file.result.findings.size();
    }
    inputs.push_back(std::move(in));
    for (const Finding& f : file.result.findings) findings.push_back(finding_json(file, f));
  }
  const Counts c = count(files);
  Json doc;
  doc["tool"] = kToolName;
  doc["version"] = tokcount::version();
  doc["model"] = config.model;
  doc["findings"] = std::move(findings);
  doc["files"] = std::move(inputs);
  doc["summary"] = {{"findings", c.total},  {"error", c.by[2]},   {"warn", c.by[1]},
                    {"info", c.by[0]},      {"fixable", c.fixable}, {"inputs", c.files},
                    {"input_errors", c.errors}};
  return dump(doc);
}

std::string format_sarif(std::span<const FileReport> files, const Config& config) {
  const auto catalog = rules();
  Json rule_list = Json::array();
  for (const RuleInfo& r : catalog) {
    Json rule;
    rule["id"] = r.id;
    rule["name"] = r.name;
    rule["shortDescription"] = {{"text", std::string(r.name) + ": " + std::string(r.detects)}};
    rule["fullDescription"] = {{"text", r.why}};
    rule["help"] = {{"text", r.fix}};
    if (r.source.substr(0, 8) == "https://") rule["helpUri"] = r.source;
    rule["defaultConfiguration"] = {{"enabled", config.enabled(r)}, {"level", sarif_level(config.severity(r))}};
    rule["properties"] = {{"tags", Json::array({"prompt-caching"})}, {"fixable", r.fixable}};
    rule_list.push_back(std::move(rule));
  }

  Json results = Json::array(), notifications = Json::array();
  for (const FileReport& file : files) {
    const std::string uri = file.path == "-" ? "stdin" : file.path;
    if (!file.error.empty()) {
      notifications.push_back({{"level", "error"},
                               {"message", {{"text", file.error}}},
                               {"locations", Json::array({{{"physicalLocation", {{"artifactLocation", {{"uri", uri}}}}}}})}});
      continue;
    }
    for (const Finding& f : file.result.findings) {
      Json res;
      res["ruleId"] = f.rule->id;
      res["ruleIndex"] = static_cast<std::size_t>(f.rule - catalog.data());
      res["level"] = sarif_level(f.severity);
      res["message"] = {{"text", f.message + " (" + std::to_string(f.tokens_at_risk) + " tokens at risk). " +
                                     std::string(f.rule->fix)}};
      Json physical = {{"artifactLocation", {{"uri", uri}}}};
      // A plain file's segment is the file itself, so the region is a file region; a request
      // segment's positions are inside a JSON string and are given as a logical location.
      const bool file_region = f.location.json_path.empty();
      if (file_region) {
        Json region = {{"startLine", f.location.line},
                       {"startColumn", f.location.column},
                       {"endLine", f.location.end_line},
                       {"endColumn", f.location.end_column},
                       {"byteOffset", f.location.byte},
                       {"byteLength", f.location.length}};
        if (!f.excerpt.empty()) region["snippet"] = {{"text", f.excerpt}};
        physical["region"] = std::move(region);
      }
      if (!file_region && f.location.record != 0) physical["region"] = {{"startLine", f.location.record}};
      Json location = {{"physicalLocation", std::move(physical)}};
      if (!file_region)
        location["logicalLocations"] = Json::array({{{"fullyQualifiedName", f.location.json_path}, {"kind", "member"}}});
      res["locations"] = Json::array({std::move(location)});
      if (file_region && !f.edits.empty()) {
        Json replacements = Json::array();
        for (const Edit& e : f.edits)
          replacements.push_back({{"deletedRegion", {{"byteOffset", e.begin}, {"byteLength", e.end - e.begin}}},
                                  {"insertedContent", {{"text", e.text}}}});
        res["fixes"] = Json::array({{{"description", {{"text", std::string(f.rule->fix)}}},
                                     {"artifactChanges", Json::array({{{"artifactLocation", {{"uri", uri}}},
                                                                       {"replacements", std::move(replacements)}}})}}});
      }
      res["properties"] = {{"name", f.rule->name},
                           {"tokens_at_risk", f.tokens_at_risk},
                           {"excerpt", f.excerpt},
                           {"segment", f.location.label}};
      results.push_back(std::move(res));
    }
  }

  Json driver = {{"name", kToolName},
                 {"semanticVersion", tokcount::version()},
                 {"rules", std::move(rule_list)}};
  Json invocation = {{"executionSuccessful", notifications.empty()}};
  if (!notifications.empty()) invocation["toolExecutionNotifications"] = std::move(notifications);
  Json run = {{"tool", {{"driver", std::move(driver)}}},
              {"invocations", Json::array({std::move(invocation)})},
              {"columnKind", "unicodeCodePoints"},
              {"results", std::move(results)},
              {"properties", {{"model", config.model}}}};
  Json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", Json::array({std::move(run)})}};
  return dump(doc);
}

}  // namespace tokcount::lint
