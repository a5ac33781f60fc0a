// .tokcount-lint.toml: which rules run, at which severity, per path. Parsed with toml++
// (Debian's libtomlplusplus). Unknown keys, rules and severities are errors, so a typo cannot
// silently switch a rule off.
//
//   model = "gpt-4o"                # encoding for tokens_at_risk, cache minimum for PC019
//   encoding = "o200k_base"         # optional: count with this encoding instead
//   fail_on = "warn"                # exit 1 at or above this severity
//   min_cacheable_tokens = 1024     # optional: overrides the model's minimum
//   [rules]
//   PC013 = "off"                   # "off" | "on" | "info" | "warn" | "error" | true | false
//   NON_ASCII_EARLY = "info"        # names work too; this enables a default-off rule
//   [[overrides]]
//   paths = ["prompts/fragments/*"] # fnmatch patterns, relative to the config's directory
//   rules = { PC019 = "off" }
#include <fnmatch.h>

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tokcount/lint.hpp"

namespace tokcount::lint {
namespace {

[[noreturn]] void config_error(std::string_view origin, const toml::source_region& where, const std::string& what) {
  std::string msg(origin);
  if (where.begin.line) msg += ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column);
  throw Error(ErrorCode::kParseError, msg + ": " + what);
}

RuleSetting parse_setting(const toml::node& value, std::string_view origin) {
  if (const auto* b = value.as_boolean()) return {b->get(), std::nullopt};
  if (const auto* s = value.as_string()) {
    const std::string& v = s->get();
    if (v == "off") return {false, std::nullopt};
    if (v == "on") return {true, std::nullopt};
    if (auto sev = parse_severity(v)) return {true, sev};
    config_error(origin, value.source(), "rule setting must be \"off\", \"on\", \"info\", \"warn\" or \"error\", not \"" + v + "\"");
  }
  config_error(origin, value.source(), "rule setting must be a string or a boolean");
}

std::map<std::string, RuleSetting> parse_rules(const toml::node& node, std::string_view origin) {
  const toml::table* table = node.as_table();
  if (!table) config_error(origin, node.source(), "'rules' must be a table of RULE = setting");
  std::map<std::string, RuleSetting> out;
  for (const auto& [key, value] : *table) {
    const RuleInfo* rule = find_rule(key.str());
    if (!rule) config_error(origin, key.source(), "unknown rule '" + std::string(key.str()) + "'");
    out[std::string(rule->id)] = parse_setting(value, origin);
  }
  return out;
}

std::string string_value(const toml::node& node, std::string_view origin, const char* key) {
  const auto* s = node.as_string();
  if (!s) config_error(origin, node.source(), std::string("'") + key + "' must be a string");
  return s->get();
}

bool matches(const std::string& pattern, const std::string& path) {
  if (::fnmatch(pattern.c_str(), path.c_str(), 0) == 0) return true;
  // A pattern without '/' also matches the file name alone, as in .gitignore.
  if (pattern.find('/') == std::string::npos) {
    const std::string name = std::filesystem::path(path).filename().string();
    return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
  }
  return false;
}

}  // namespace

Config Config::parse_toml(std::string_view text, std::string_view origin) {
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    config_error(origin, e.source(), std::string(e.description()));
  }
  Config config;
  for (const auto& [key, value] : doc) {
    const std::string_view k = key.str();
    if (k == "model") {
      config.model = string_value(value, origin, "model");
    } else if (k == "encoding") {
      config.encoding = string_value(value, origin, "encoding");
    } else if (k == "fail_on") {
      const std::string v = string_value(value, origin, "fail_on");
      const auto sev = parse_severity(v);
      if (!sev) config_error(origin, value.source(), "fail_on must be \"info\", \"warn\" or \"error\", not \"" + v + "\"");
      config.fail_on = *sev;
    } else if (k == "min_cacheable_tokens") {
      const auto* n = value.as_integer();
      if (!n || n->get() < 0) config_error(origin, value.source(), "min_cacheable_tokens must be a non-negative integer");
      config.min_cacheable_tokens = static_cast<std::size_t>(n->get());
    } else if (k == "rules") {
      config.rules = parse_rules(value, origin);
    } else if (k == "overrides") {
      const toml::array* list = value.as_array();
      if (!list) config_error(origin, value.source(), "'overrides' must be an array of tables ([[overrides]])");
      for (const toml::node& item : *list) {
        const toml::table* t = item.as_table();
        if (!t) config_error(origin, item.source(), "each [[overrides]] entry must be a table");
        PathOverride o;
        for (const auto& [ok, ov] : *t) {
          if (ok.str() == "paths") {
            const toml::array* paths = ov.as_array();
            if (!paths) config_error(origin, ov.source(), "'paths' must be an array of strings");
            for (const toml::node& p : *paths) o.patterns.push_back(string_value(p, origin, "paths"));
          } else if (ok.str() == "rules") {
            o.rules = parse_rules(ov, origin);
          } else {
            config_error(origin, ok.source(), "unknown key '" + std::string(ok.str()) + "' in [[overrides]]");
          }
        }
        if (o.patterns.empty()) config_error(origin, item.source(), "[[overrides]] needs a non-empty 'paths'");
        config.overrides.push_back(std::move(o));
      }
    } else {
      config_error(origin, key.source(), "unknown key '" + std::string(k) + "'");
    }
  }
  if (!config.encoding.empty()) {
    const auto names = Encoding::list_encoding_names();
    if (std::find(names.begin(), names.end(), config.encoding) == names.end())
      throw Error(ErrorCode::kParseError, std::string(origin) + ": unknown encoding '" + config.encoding + "'");
  }
  return config;
}

Config Config::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIoError, path + ": cannot read the lint config");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw Error(ErrorCode::kIoError, path + ": cannot read the lint config");
  Config config = parse_toml(buf.str(), path);
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(path, ec);
  config.base_dir = (ec ? std::filesystem::path(path) : abs).parent_path().lexically_normal().string();
  return config;
}

Config Config::for_path(std::string_view path) const {
  if (overrides.empty()) return *this;
  std::string rel(path);
  if (!base_dir.empty() && path != "-") {
    std::error_code ec;
    const std::filesystem::path abs = std::filesystem::absolute(std::filesystem::path(path), ec).lexically_normal();
    if (!ec) {
      const std::filesystem::path r = abs.lexically_relative(base_dir);
      if (!r.empty() && *r.begin() != "..") rel = r.string();
    }
  }
  Config out = *this;
  for (const PathOverride& o : overrides) {
    const bool hit = std::any_of(o.patterns.begin(), o.patterns.end(),
                                 [&](const std::string& p) { return matches(p, rel) || matches(p, std::string(path)); });
    if (!hit) continue;
    for (const auto& [id, setting] : o.rules) out.rules[id] = setting;
  }
  return out;
}

bool Config::enabled(const RuleInfo& rule) const {
  const auto it = rules.find(std::string(rule.id));
  return it == rules.end() ? rule.enabled_by_default : it->second.enabled;
}

Severity Config::severity(const RuleInfo& rule) const {
  const auto it = rules.find(std::string(rule.id));
  return it != rules.end() && it->second.severity ? *it->second.severity : rule.default_severity;
}

}  // namespace tokcount::lint
