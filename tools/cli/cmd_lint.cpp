// tokcount lint: find what breaks prompt caching in prompt files and templates, fix the
// mechanical problems, report as text, JSON or SARIF.
//
// Exit status is the linter convention (as ruff, eslint): 0 clean, 1 findings at or above
// --fail-on, 2 usage or input error (an unreadable file, invalid UTF-8, a bad config). An
// input error does not stop the other inputs from being linted.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dtl/dtl.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "io.hpp"
#include "tokcount/lint.hpp"

namespace tokcount::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kConfigName = ".tokcount-lint.toml";

constexpr const char* kLintFooter = R"(Inputs: files are linted whatever their name; directories are walked recursively for
prompt files (.md .markdown .mdx .txt .prompt .tmpl .tpl .j2 .jinja .jinja2 .hbs .mustache
.liquid), skipping hidden directories. '-' or no path reads stdin. A .json file is a request
body (OpenAI Chat Completions or Anthropic Messages), a .jsonl file a request log (one
{"ts": ..., "request": {...}} per line); --input overrides (stdin: detected from the content).
Request and log findings are reported, never fixed.
Config: --config FILE, else the nearest .tokcount-lint.toml in this directory or a parent.
--fix rewrites files in place (temp file + rename, mode kept) for the mechanical rules
(PC011 PC012 PC014 PC015 PC016 PC017) and reports what is left; with stdin it prints the
fixed text to stdout and the report to stderr. --diff prints what --fix would change as a
unified diff and writes nothing.
Exit status: 0 clean; 1 findings at or above --fail-on (default warn), or with --diff
changes to make; 2 usage or input error.
)";

const char* const kPromptExtensions[] = {".md",  ".markdown", ".mdx", ".txt",    ".prompt", ".tmpl",     ".tpl",
                                         ".j2",  ".jinja",    ".jinja2", ".hbs", ".mustache", ".liquid"};

bool prompt_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(std::begin(kPromptExtensions), std::end(kPromptExtensions), ext) != std::end(kPromptExtensions);
}

// Files to lint, in argument order; directories expand to their prompt files, sorted.
std::vector<std::string> expand(const std::vector<std::string>& args, std::vector<std::pair<std::string, std::string>>& errors) {
  std::vector<std::string> out;
  if (args.empty()) out.push_back("-");
  for (const std::string& a : args) {
    std::error_code ec;
    if (a != "-" && fs::is_directory(a, ec)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(a, fs::directory_options::none, ec), end;
      if (ec) {
        errors.emplace_back(a, ec.message());
        continue;
      }
      for (; it != end; it.increment(ec)) {
        if (ec) {
          errors.emplace_back(a, ec.message());
          break;
        }
        const fs::path& p = it->path();
        const std::string name = p.filename().string();
        if (it->is_directory(ec) && name.size() > 1 && name[0] == '.') {
          it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file(ec) && prompt_file(p)) found.push_back(p.string());
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(a);
    }
  }
  return out;
}

std::string find_config() {
  std::error_code ec;
  for (fs::path dir = fs::current_path(ec); !ec && !dir.empty(); dir = dir.parent_path()) {
    const fs::path candidate = dir / kConfigName;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
    if (dir == dir.root_path()) break;
  }
  return {};
}

// Replaces path's contents: write a temp file beside it, copy the mode (and owner, when
// allowed), fsync, rename over. A reader sees the old file or the new one, never half.
void write_atomically(const std::string& path, std::string_view data) {
  std::error_code ec;
  const fs::path target = fs::canonical(path, ec);  // follow symlinks: replace the file, not the link
  if (ec) throw InputError(path + ": " + ec.message());
  struct stat st {};
  if (::stat(target.c_str(), &st) != 0) throw InputError(path + ": " + std::strerror(errno));
  std::string tmp = (target.parent_path() / ("." + target.filename().string() + ".tokcount-XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw InputError(path + ": cannot create a temporary file: " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw InputError(path + ": " + what + ": " + std::strerror(err));
  };
  for (std::size_t done = 0; done < data.size();) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write failed");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, st.st_mode & 07777) != 0) fail("cannot set the file mode");
  if (::fchown(fd, st.st_uid, st.st_gid) != 0) {
    // Not the owner: the file simply becomes ours, as with any editor's save.
  }
  if (::fsync(fd) != 0) fail("fsync failed");
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw InputError(path + ": close failed: " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw InputError(path + ": rename failed: " + std::strerror(err));
  }
}

// Lines split at LF (a CR stays part of its line, so line-ending fixes show in the diff); a
// last line without LF carries diff's "\ No newline at end of file" marker.
std::vector<std::string> diff_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') {
      lines.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  if (start < text.size()) lines.push_back(std::string(text.substr(start)) + "\n\\ No newline at end of file");
  return lines;
}

// Unified diff (3 lines of context) from dtl's shortest edit script.
std::string unified_diff(const std::string& path, std::string_view before, std::string_view after) {
  const std::vector<std::string> a = diff_lines(before), b = diff_lines(after);
  dtl::Diff<std::string, std::vector<std::string>> diff(a, b);
  diff.compose();
  const auto seq = diff.getSes().getSequence();
  constexpr std::size_t kContext = 3;
  std::string out;
  std::size_t i = 0;
  const std::size_t n = seq.size();
  auto is_change = [&](std::size_t k) { return seq[k].second.type != dtl::SES_COMMON; };
  std::size_t a_before = 0, b_before = 0;  // lines of a / b before index `counted`
  std::size_t counted = 0;
  auto count_to = [&](std::size_t k) {
    for (; counted < k; ++counted) {
      if (seq[counted].second.type != dtl::SES_ADD) ++a_before;
      if (seq[counted].second.type != dtl::SES_DELETE) ++b_before;
    }
  };
  while (i < n) {
    while (i < n && !is_change(i)) ++i;
    if (i == n) break;
    const std::size_t start = i > kContext ? i - kContext : 0;
    std::size_t last = i, j = i;
    while (j < n && j <= last + 2 * kContext) {
      if (is_change(j)) last = j;
      ++j;
    }
    const std::size_t end = std::min(n, last + 1 + kContext);
    count_to(start);
    std::size_t a_count = 0, b_count = 0;
    std::string body;
    for (std::size_t k = start; k < end; ++k) {
      const auto type = seq[k].second.type;
      body += type == dtl::SES_ADD ? '+' : type == dtl::SES_DELETE ? '-' : ' ';
      body += seq[k].first;
      body += '\n';
      if (type != dtl::SES_ADD) ++a_count;
      if (type != dtl::SES_DELETE) ++b_count;
    }
    if (out.empty()) out = "--- a/" + path + "\n+++ b/" + path + "\n";
    out += "@@ -" + std::to_string(a_count ? a_before + 1 : a_before) + "," + std::to_string(a_count) + " +" +
           std::to_string(b_count ? b_before + 1 : b_before) + "," + std::to_string(b_count) + " @@\n" + body;
    i = end;
  }
  return out;
}

// The kind of one input: --input, else the extension, else (stdin, other names) the content.
lint::InputKind input_kind(const std::string& option, const std::string& path, std::string_view data) {
  if (option != "auto") return *lint::parse_input_kind(option);
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".json") return lint::InputKind::kRequest;
  if (ext == ".jsonl" || ext == ".ndjson") return lint::InputKind::kLog;
  if (path == "-") return lint::detect_input_kind(data);
  return lint::InputKind::kText;
}

bool want_color(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* term = std::getenv("TERM");
  return ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr && !(term && std::string(term) == "dumb");
}

std::vector<std::string> split_list(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& v : values) {
    std::size_t start = 0;
    while (start <= v.size()) {
      const std::size_t comma = v.find(',', start);
      const std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!item.empty()) out.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

void print_rules(const lint::Config& config) {
  Output out;
  for (const lint::RuleInfo& r : lint::rules()) {
    std::string scopes;
    if (r.implemented_scopes & lint::kScopeText) scopes += "text";
    if (r.implemented_scopes & lint::kScopeRequest) scopes += scopes.empty() ? "request" : ",request";
    if (r.implemented_scopes & lint::kScopeLog) scopes += scopes.empty() ? "log" : ",log";
    // Text and request rules also judge every request of a log.
    if ((r.implemented_scopes & (lint::kScopeText | lint::kScopeRequest)) && !(r.implemented_scopes & lint::kScopeLog) &&
        (r.implemented_scopes & lint::kScopeRequest))
      scopes += ",log";
    std::string line = std::string(r.id) + "  " + std::string(r.name);
    line.resize(std::max<std::size_t>(line.size() + 1, 33), ' ');
    std::string sev = config.enabled(r) ? lint::severity_name(config.severity(r)) : "off";
    sev.resize(6, ' ');
    out.write(line + sev + (r.fixable ? "fix  " : "     ") + scopes + "\n      " + std::string(r.detects) + "\n");
  }
  out.flush();
}

}  // namespace

CLI::App* add_lint_command(CLI::App& app, LintArgs& a) {
  CLI::App* cmd = app.add_subcommand("lint", "Find what breaks prompt caching in prompt files, templates, request bodies and logs");
  cmd->add_option("paths", a.paths, "Prompt files or directories; '-' or nothing reads stdin")->type_name("PATH");
  cmd->add_option("-m,--model", a.model, "Model: its encoding counts tokens_at_risk, its cache minimum drives PC019 (default gpt-4o)");
  cmd->add_option("-e,--encoding", a.encoding, "Count tokens with this encoding instead of the model's")
      ->check(CLI::IsMember(Encoding::list_encoding_names()));
  cmd->add_option("--format", a.format, "Report format")->check(CLI::IsMember({"text", "json", "sarif"}))->default_str("text");
  cmd->add_flag("--fix", a.fix, "Fix the mechanical findings in place, then report what is left");
  cmd->add_flag("--diff", a.diff, "Print what --fix would change (unified diff); write nothing")->excludes("--fix");
  cmd->add_option("--fail-on", a.fail_on, "Exit 1 when a finding has this severity or higher (default warn)")
      ->check(CLI::IsMember({"info", "warn", "warning", "error"}));
  cmd->add_option("--config", a.config, "Config file (default: nearest .tokcount-lint.toml)")->type_name("FILE");
  cmd->add_flag("--no-config", a.no_config, "Ignore config files")->excludes("--config");
  cmd->add_option("--enable", a.enable, "Enable rules (ids or names, comma-separated; repeatable)")
      ->type_name("RULES")
      ->allow_extra_args(false);
  cmd->add_option("--disable", a.disable, "Disable rules (ids or names, comma-separated; repeatable)")
      ->type_name("RULES")
      ->allow_extra_args(false);
  cmd->add_option("--color", a.color, "Colour the text report")->check(CLI::IsMember({"auto", "always", "never"}))->default_str("auto");
  cmd->add_flag("--brief", a.brief, "Text report without the why/fix lines");
  cmd->add_flag("--list-rules", a.list_rules, "List the rules, their severity and where they apply, then exit");
  cmd->add_option("--input", a.input, "What the inputs are (default: by extension, .json request, .jsonl log)")
      ->check(CLI::IsMember({"auto", "text", "request", "log"}))
      ->default_str("auto");
  cmd->footer(kLintFooter);
  return cmd;
}

int run_lint(const LintArgs& a) {
  lint::Config config;
  try {
    const std::string config_path = a.no_config ? std::string() : a.config.empty() ? find_config() : a.config;
    if (!config_path.empty()) config = lint::Config::load_file(config_path);
  } catch (const Error& e) {
    std::cerr << "tokcount: error: " << e.what() << '\n';
    return kExitUsage;
  }
  if (!a.model.empty()) config.model = a.model;
  if (!a.encoding.empty()) config.encoding = a.encoding;
  if (!a.fail_on.empty()) config.fail_on = *lint::parse_severity(a.fail_on);
  for (const std::string& r : split_list(a.disable)) {
    const lint::RuleInfo* rule = lint::find_rule(r);
    if (!rule) throw UsageError("--disable: unknown rule '" + r + "'");
    config.rules[std::string(rule->id)] = {false, std::nullopt};
  }
  for (const std::string& r : split_list(a.enable)) {
    const lint::RuleInfo* rule = lint::find_rule(r);
    if (!rule) throw UsageError("--enable: unknown rule '" + r + "'");
    lint::RuleSetting& s = config.rules[std::string(rule->id)];
    s.enabled = true;
  }
  if (a.list_rules) {
    print_rules(config);
    return kExitOk;
  }

  std::vector<std::pair<std::string, std::string>> listing_errors;
  const std::vector<std::string> paths = expand(a.paths, listing_errors);
  std::vector<lint::FileReport> reports;
  for (const auto& [path, message] : listing_errors) reports.push_back({path, {}, message});
  bool any_change = false;
  std::size_t fixed_files = 0, edits = 0;
  std::string diffs;
  Input input;
  for (const std::string& path : paths) {
    lint::FileReport report{path, {}, {}};
    try {
      input.load(path);
      const lint::Linter linter(config.for_path(path));
      std::string text(input.view());
      const lint::InputKind kind = input_kind(a.input, path, text);
      if (kind != lint::InputKind::kText) {
        // A JSON string's bytes in the file are its escaped form: its findings are reported,
        // and the file is left as it is.
        if (a.fix && path == "-") {
          Output out;
          out.write(text);
          out.flush();
        }
        report.result = linter.lint_input(text, kind);
        reports.push_back(std::move(report));
        continue;
      }
      if (a.fix || a.diff) {
        const lint::Segment seg{text, "file", "", true};
        const lint::FixResult fixed = linter.fix(std::span<const lint::Segment>(&seg, 1));
        if (fixed.changed) {
          any_change = true;
          if (a.diff) diffs += unified_diff(path == "-" ? "<stdin>" : path, text, fixed.texts[0]);
          if (a.fix && path != "-") {
            write_atomically(path, fixed.texts[0]);
            ++fixed_files;
            edits += fixed.edits_applied;
          }
        }
        if (a.fix && path == "-") {
          Output out;
          out.write(fixed.texts[0]);
          out.flush();
        }
        if (a.fix) text = fixed.texts[0];
      }
      report.result = linter.lint_text(text);
    } catch (const Error& e) {
      report.error = describe_error(e, false);
    } catch (const InputError& e) {
      report.error = e.what();
    }
    reports.push_back(std::move(report));
  }

  const bool input_errors =
      std::any_of(reports.begin(), reports.end(), [](const lint::FileReport& r) { return !r.error.empty(); });
  if (a.diff) {
    for (const lint::FileReport& r : reports)
      if (!r.error.empty()) std::cerr << "tokcount: error: " << (r.path == "-" ? "<stdin>" : r.path) << ": " << r.error << '\n';
    Output out;
    out.write(diffs);
    out.flush();
    return input_errors ? kExitUsage : any_change ? kExitError : kExitOk;
  }

  std::string report;
  if (a.format == "json") {
    report = lint::format_json(reports, config);
  } else if (a.format == "sarif") {
    report = lint::format_sarif(reports, config);
  } else {
    lint::TextStyle style;
    style.color = want_color(a.color);
    style.show_why = !a.brief;
    report = lint::format_text(reports, style);
  }
  // With stdin fixed to stdout, the report goes to stderr so the two do not mix.
  const bool stdout_taken = a.fix && std::find(paths.begin(), paths.end(), "-") != paths.end();
  if (stdout_taken) {
    std::cerr << report;
  } else {
    Output out;
    out.write(report);
    out.flush();
  }
  if (a.fix && fixed_files) std::cerr << "tokcount lint: applied " << edits << " edit(s) to " << fixed_files << " file(s)\n";
  if (input_errors) {
    if (a.format != "text")
      for (const lint::FileReport& r : reports)
        if (!r.error.empty()) std::cerr << "tokcount: error: " << (r.path == "-" ? "<stdin>" : r.path) << ": " << r.error << '\n';
    return kExitUsage;
  }
  const std::optional<lint::Severity> worst = lint::max_severity(reports);
  return worst && *worst >= config.fail_on ? kExitError : kExitOk;
}

}  // namespace tokcount::cli
