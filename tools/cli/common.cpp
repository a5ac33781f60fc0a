#include "common.hpp"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

namespace tokcount::cli {
namespace {

constexpr const char* kEncodingGroup = "Encoding (default: -e o200k_base)";

// NAME=ID, split at the last '=' so a name may itself contain '='.
bool parse_special(std::string_view arg, SpecialToken& out) {
  const std::size_t eq = arg.rfind('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == arg.size()) return false;
  const std::string_view id = arg.substr(eq + 1);
  Rank rank = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), rank);
  if (ec != std::errc() || end != id.data() + id.size()) return false;
  out.text = std::string(arg.substr(0, eq));
  out.rank = rank;
  return true;
}

}  // namespace

void add_encoding_options(CLI::App& cmd, EncodingArgs& a) {
  const std::vector<std::string> names = Encoding::list_encoding_names();
  auto* encoding = cmd.add_option("-e,--encoding", a.encoding, "Built-in encoding (list: tokcount encodings)")
                       ->check(CLI::IsMember(names))
                       ->group(kEncodingGroup);
  auto* model = cmd.add_option("-m,--model", a.model,
                               "Use the encoding tiktoken picks for this model (e.g. gpt-4o, gpt-3.5-turbo)")
                    ->group(kEncodingGroup);
  auto* vocab = cmd.add_option("--vocab", a.vocab,
                               "Custom encoding: mergeable ranks in tiktoken's .tiktoken format "
                               "(base64 token, space, rank per line)")
                    ->type_name("FILE")
                    ->group(kEncodingGroup);
  auto* pattern = cmd.add_option("--pattern", a.pattern, "Custom encoding: pre-tokenizer regex (tiktoken's pat_str)")
                      ->type_name("REGEX")
                      ->group(kEncodingGroup);
  auto* pattern_from = cmd.add_option("--pattern-from", a.pattern_from,
                                      "Custom encoding: reuse this built-in encoding's regex")
                           ->check(CLI::IsMember(names))
                           ->type_name("ENCODING")
                           ->group(kEncodingGroup);
  // One NAME=ID per occurrence: a vector option would otherwise swallow the positional FILE.
  auto* special = cmd.add_option("--special", a.specials, "Custom encoding: a special token (repeatable)")
                      ->type_name("NAME=ID")
                      ->allow_extra_args(false)
                      ->check(
                          [](const std::string& s) {
                            SpecialToken t;
                            return parse_special(s, t) ? std::string() : "expected NAME=ID, got '" + s + "'";
                          },
                          "")
                      ->group(kEncodingGroup);
  auto* name = cmd.add_option("--name", a.name, "Custom encoding: its name (default: the vocab file's stem)")
                   ->group(kEncodingGroup);
  encoding->excludes(model)->excludes(vocab);
  model->excludes(vocab);
  pattern->needs(vocab)->excludes(pattern_from);
  pattern_from->needs(vocab);
  special->needs(vocab);
  name->needs(vocab);
}

EncodingPtr resolve_encoding(const EncodingArgs& a) {
  if (!a.vocab.empty()) {
    if (a.pattern.empty() && a.pattern_from.empty())
      throw UsageError("--vocab needs --pattern REGEX or --pattern-from ENCODING");
    std::vector<SpecialToken> specials;
    for (const std::string& s : a.specials) {
      SpecialToken t;
      if (!parse_special(s, t)) throw UsageError("--special: expected NAME=ID, got '" + s + "'");
      specials.push_back(std::move(t));
    }
    std::string pattern = a.pattern_from.empty() ? a.pattern : Encoding::get(a.pattern_from)->pat_str();
    std::string name = a.name.empty() ? std::filesystem::path(a.vocab).stem().string() : a.name;
    return Encoding::create(std::move(name), std::move(pattern), Encoding::load_tiktoken_bpe_file(a.vocab),
                            std::move(specials));
  }
  if (!a.model.empty()) {
    try {
      return Encoding::for_model(a.model);
    } catch (const Error& e) {
      // A model name is a command-line value like --encoding, so an unknown one is a usage error.
      if (e.code() == ErrorCode::kUnknownModel) throw UsageError(std::string("--model: ") + e.what());
      throw;
    }
  }
  return Encoding::get(a.encoding.empty() ? "o200k_base" : a.encoding);
}

void add_threads_option(CLI::App& cmd, unsigned& threads, const std::string& description) {
  cmd.add_option("-j,--threads", threads, description + " (default 0 = one per available CPU)")
      ->type_name("N")
      ->check(CLI::Range(0u, 4096u).description(""));
}

unsigned effective_threads(unsigned requested) {
  if (requested != 0) return requested;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string describe_error(const Error& e, bool hints) {
  std::string msg;
  switch (e.code()) {
    case ErrorCode::kDisallowedSpecial:
      msg = "disallowed special token '" + e.token() + "'";
      if (e.byte_offset() != kNoOffset) msg += " at byte offset " + std::to_string(e.byte_offset());
      if (hints)
        msg += " (--allow-special encodes special tokens as such, --ordinary encodes their text as plain text)";
      return msg;
    case ErrorCode::kInvalidUtf8:
      msg = e.what();
      if (hints) msg += " (--lossy replaces invalid bytes with U+FFFD)";
      return msg;
    default:
      return e.what();
  }
}

Output::~Output() {
  try {
    flush();
  } catch (...) {
    // Destructors run during unwinding too; the original error is the one worth reporting.
  }
}

void Output::flush() {
  if (buf_.empty()) return;
  // Clear first so a failed write is not retried by the destructor.
  std::string pending;
  pending.swap(buf_);
  buf_.reserve(kCapacity);
  write_all(pending);
}

void Output::write_all(std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) throw BrokenPipe();
      throw InputError(std::string("cannot write to stdout: ") + std::strerror(errno));
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

void append_uint(std::string& out, std::uint64_t v) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), v);
  (void)ec;  // 24 bytes always hold a 64-bit value
  out.append(digits, end);
}

}  // namespace tokcount::cli
