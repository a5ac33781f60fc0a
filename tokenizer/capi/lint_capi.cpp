// C API for tokcount lint (tokcount.h, "Lint" section): a skin over tokcount::lint. It checks
// arguments, keeps the findings' strings alive in the result handle, and turns exceptions
// into status codes; every lint decision is made by the C++ linter.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "capi/capi_internal.hpp"
#include "tokcount/lint.hpp"
#include "tokcount/tokcount.h"

struct tokcount_lint_result {
  tokcount::lint::Config config;
  tokcount::lint::Result result;
};

namespace {

using namespace tokcount::capi;
namespace lint = tokcount::lint;

static_assert(static_cast<int>(lint::Severity::kInfo) == TOKCOUNT_LINT_INFO);
static_assert(static_cast<int>(lint::Severity::kWarn) == TOKCOUNT_LINT_WARN);
static_assert(static_cast<int>(lint::Severity::kError) == TOKCOUNT_LINT_ERROR);

lint::Config config_arg(const char* config_toml, size_t config_len, const char* model, size_t model_len) {
  const std::string_view toml = text_arg(config_toml, config_len, "config text is NULL");
  lint::Config config = toml.empty() ? lint::Config{} : lint::Config::parse_toml(toml, "<config>");
  const std::string_view m = text_arg(model, model_len, "model is NULL");
  if (!m.empty()) config.model = std::string(m);
  return config;
}

const tokcount_lint_result& result_arg(const tokcount_lint_result* r) {
  if (r == nullptr) invalid("lint result is NULL");
  return *r;
}

}  // namespace

extern "C" {

tokcount_status tokcount_lint_text(const char* text, size_t len, const char* model, size_t model_len,
                                   const char* config_toml, size_t config_len, tokcount_lint_result** out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    tokcount_lint_result** dest = &out_arg(out, "output pointer is NULL");
    const std::string_view t = text_arg(text, len, "text is NULL");
    auto holder = std::make_unique<tokcount_lint_result>();
    holder->config = config_arg(config_toml, config_len, model, model_len);
    const lint::Linter linter(holder->config);
    holder->result = linter.lint_text(t);
    *dest = holder.release();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_lint_input(const char* data, size_t len, int kind, const char* model, size_t model_len,
                                    const char* config_toml, size_t config_len, tokcount_lint_result** out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    tokcount_lint_result** dest = &out_arg(out, "output pointer is NULL");
    const std::string_view t = text_arg(data, len, "data is NULL");
    lint::InputKind k = lint::InputKind::kAuto;
    switch (kind) {
      case TOKCOUNT_LINT_INPUT_AUTO: k = lint::InputKind::kAuto; break;
      case TOKCOUNT_LINT_INPUT_TEXT: k = lint::InputKind::kText; break;
      case TOKCOUNT_LINT_INPUT_REQUEST: k = lint::InputKind::kRequest; break;
      case TOKCOUNT_LINT_INPUT_LOG: k = lint::InputKind::kLog; break;
      default: invalid("unknown lint input kind");
    }
    auto holder = std::make_unique<tokcount_lint_result>();
    holder->config = config_arg(config_toml, config_len, model, model_len);
    const lint::Linter linter(holder->config);
    holder->result = linter.lint_input(t, k);
    *dest = holder.release();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_lint_result_location(const tokcount_lint_result* result, size_t index,
                                              const char** out_json_path, size_t* out_record) {
  return guarded([&] {
    const tokcount_lint_result& r = result_arg(result);
    if (index >= r.result.findings.size()) invalid("finding index out of range");
    const lint::Finding& x = r.result.findings[index];
    if (out_json_path != nullptr) *out_json_path = x.location.json_path.c_str();
    if (out_record != nullptr) *out_record = x.location.record;
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_lint_result_count(const tokcount_lint_result* result, size_t* out_count) {
  return guarded([&] {
    const tokcount_lint_result& r = result_arg(result);
    out_arg(out_count, "count pointer is NULL") = r.result.findings.size();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_lint_result_finding(const tokcount_lint_result* result, size_t index,
                                             tokcount_lint_finding* out) {
  return guarded([&] {
    const tokcount_lint_result& r = result_arg(result);
    tokcount_lint_finding& f = out_arg(out, "finding pointer is NULL");
    if (index >= r.result.findings.size()) invalid("finding index out of range");
    const lint::Finding& x = r.result.findings[index];
    // Rule strings are string_views into static storage built from literals: NUL-terminated.
    f.rule = x.rule->id.data();
    f.name = x.rule->name.data();
    f.severity = static_cast<int>(x.severity);
    f.line = x.location.line;
    f.column = x.location.column;
    f.end_line = x.location.end_line;
    f.end_column = x.location.end_column;
    f.byte_offset = x.location.byte;
    f.byte_length = x.location.length;
    f.message = x.message.c_str();
    f.excerpt = x.excerpt.c_str();
    f.why = x.rule->why.data();
    f.fix = x.rule->fix.data();
    f.tokens_at_risk = x.tokens_at_risk;
    f.fixable = x.edits.empty() ? 0 : 1;
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_lint_result_cacheable_tokens(const tokcount_lint_result* result, size_t* out_tokens) {
  return guarded([&] {
    const tokcount_lint_result& r = result_arg(result);
    out_arg(out_tokens, "token count pointer is NULL") = r.result.cacheable_tokens;
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_lint_result_render(const tokcount_lint_result* result, int format, const char* path,
                                            size_t path_len, char* out, size_t capacity, size_t* out_len) {
  return guarded([&] {
    const tokcount_lint_result& r = result_arg(result);
    check_buffer(out, capacity, out_len);
    const std::string_view p = text_arg(path, path_len, "path is NULL");
    const lint::FileReport report{p.empty() ? std::string("-") : std::string(p), r.result, {}};
    const std::span<const lint::FileReport> files(&report, 1);
    std::string text;
    switch (format) {
      case TOKCOUNT_LINT_FORMAT_TEXT: text = lint::format_text(files); break;
      case TOKCOUNT_LINT_FORMAT_JSON: text = lint::format_json(files, r.config); break;
      case TOKCOUNT_LINT_FORMAT_SARIF: text = lint::format_sarif(files, r.config); break;
      default: invalid("unknown lint report format");
    }
    return copy_out(std::span<const char>(text.data(), text.size()), out, capacity, out_len);
  });
}

void tokcount_lint_result_free(tokcount_lint_result* result) { delete result; }

tokcount_status tokcount_lint_fix(const char* text, size_t len, const char* config_toml, size_t config_len, char* out,
                                  size_t capacity, size_t* out_len) {
  return guarded([&] {
    check_buffer(out, capacity, out_len);
    const std::string_view t = text_arg(text, len, "text is NULL");
    const lint::Linter linter(config_arg(config_toml, config_len, nullptr, 0));
    const std::string fixed = linter.fix_text(t);
    return copy_out(std::span<const char>(fixed.data(), fixed.size()), out, capacity, out_len);
  });
}

}  // extern "C"
