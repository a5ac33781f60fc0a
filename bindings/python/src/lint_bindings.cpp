// tokcount._tokcount lint functions: a thin skin over tokcount::lint for tokcount/lint.py.
// Arguments become a Config (TOML text parsed by the C++ loader), the GIL is released around
// linting, findings come back as plain dicts; no lint logic lives here.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "tokcount/lint.hpp"

namespace py = pybind11;
namespace lint = tokcount::lint;

namespace {

// A config file that cannot be read is an OSError; bad text, UTF-8 or TOML a ValueError.
[[noreturn]] void raise(const tokcount::Error& e) {
  if (e.code() == tokcount::ErrorCode::kIoError) {
    PyErr_SetString(PyExc_OSError, e.what());
    throw py::error_already_set();
  }
  throw py::value_error(e.what());
}

lint::Config make_config(const std::string& config_toml, const std::string& config_path, const std::string& model,
                         const std::string& encoding, const std::string& path) {
  lint::Config c;
  if (!config_path.empty())
    c = lint::Config::load_file(config_path);
  else if (!config_toml.empty())
    c = lint::Config::parse_toml(config_toml, "<config>");
  if (!model.empty()) c.model = model;
  if (!encoding.empty()) c.encoding = encoding;
  return path.empty() ? c : c.for_path(path);
}

py::dict finding_dict(const lint::Finding& f) {
  py::dict d;
  d["rule"] = std::string(f.rule->id);
  d["name"] = std::string(f.rule->name);
  d["severity"] = lint::severity_name(f.severity);
  d["line"] = f.location.line;
  d["column"] = f.location.column;
  d["end_line"] = f.location.end_line;
  d["end_column"] = f.location.end_column;
  d["byte"] = f.location.byte;
  d["length"] = f.location.length;
  d["segment"] = f.location.label;
  d["json_path"] = f.location.json_path.empty() ? py::object(py::none()) : py::object(py::str(f.location.json_path));
  d["record"] = f.location.record == 0 ? py::object(py::none()) : py::object(py::int_(f.location.record));
  d["message"] = f.message;
  d["excerpt"] = f.excerpt;
  d["tokens_at_risk"] = f.tokens_at_risk;
  d["fixable"] = !f.edits.empty();
  d["why"] = std::string(f.rule->why);
  d["fix"] = std::string(f.rule->fix);
  d["source"] = std::string(f.rule->source);
  return d;
}

}  // namespace

void register_lint(py::module_& m) {
  m.def(
      "_lint_text",
      [](const std::string& text, const std::string& path, const std::string& model, const std::string& encoding,
         const std::string& config_toml, const std::string& config_path, const std::string& input) {
        try {
          const lint::Config config = make_config(config_toml, config_path, model, encoding, path);
          const std::optional<lint::InputKind> kind = lint::parse_input_kind(input.empty() ? "text" : input);
          if (!kind) throw py::value_error("input must be 'text', 'request', 'log' or 'auto', got '" + input + "'");
          lint::FileReport report{path.empty() ? std::string("-") : path, {}, {}};
          std::string json, sarif, text_report;
          {
            py::gil_scoped_release release;
            report.result = lint::Linter(config).lint_input(text, *kind);
            const std::span<const lint::FileReport> one(&report, 1);
            json = lint::format_json(one, config);
            sarif = lint::format_sarif(one, config);
            text_report = lint::format_text(one);
          }
          py::list findings;
          for (const lint::Finding& f : report.result.findings) findings.append(finding_dict(f));
          py::dict out;
          out["findings"] = findings;
          out["cacheable_tokens"] = report.result.cacheable_tokens;
          out["encoding"] = report.result.encoding;
          out["tokens_estimated"] = report.result.tokens_estimated;
          out["kind"] = lint::input_kind_name(report.result.kind);
          out["requests"] = report.result.requests;
          out["fail_on"] = lint::severity_name(config.fail_on);
          out["json"] = json;
          out["sarif"] = sarif;
          out["text"] = text_report;
          return out;
        } catch (const tokcount::Error& e) {
          raise(e);
        }
      },
      py::arg("text"), py::arg("path") = "", py::arg("model") = "", py::arg("encoding") = "",
      py::arg("config_toml") = "", py::arg("config_path") = "", py::arg("input") = "text",
      "Lints one prompt text, request body or JSONL log; returns findings (dicts) and the JSON, SARIF and text reports.");
  m.def(
      "_lint_fix",
      [](const std::string& text, const std::string& path, const std::string& config_toml, const std::string& config_path) {
        try {
          const lint::Config config = make_config(config_toml, config_path, "", "", path);
          py::gil_scoped_release release;
          return lint::Linter(config).fix_text(text);
        } catch (const tokcount::Error& e) {
          raise(e);
        }
      },
      py::arg("text"), py::arg("path") = "", py::arg("config_toml") = "", py::arg("config_path") = "",
      "The text with every enabled fixable finding repaired, nothing else changed.");
  py::list rules;
  for (const lint::RuleInfo& r : lint::rules()) {
    py::dict d;
    d["rule"] = std::string(r.id);
    d["name"] = std::string(r.name);
    d["severity"] = lint::severity_name(r.default_severity);
    d["enabled_by_default"] = r.enabled_by_default;
    d["fixable"] = r.fixable;
    d["implemented_for_text"] = (r.implemented_scopes & lint::kScopeText) != 0;
    d["implemented_for_requests"] = (r.implemented_scopes & lint::kScopeRequest) != 0;
    d["implemented_for_logs"] = (r.implemented_scopes & lint::kScopeLog) != 0 ||
                                (r.implemented_scopes & lint::kScopeRequest) != 0;
    d["detects"] = std::string(r.detects);
    d["why"] = std::string(r.why);
    d["fix"] = std::string(r.fix);
    d["source"] = std::string(r.source);
    rules.append(d);
  }
  m.attr("_lint_rules") = rules;
}
