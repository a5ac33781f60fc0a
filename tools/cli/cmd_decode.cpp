// tokcount decode: token ids in, text (bytes) out.
#include <simdjson.h>

#include <charconv>
#include <limits>

#include "commands.hpp"
#include "io.hpp"

namespace tokcount::cli {
namespace {

constexpr const char* kDecodeFooter = R"(Input: token ids separated by whitespace and/or commas (what `tokcount encode` prints), or
a JSON array of ids (what `tokcount encode --json` prints).
Output: the tokens' bytes exactly (tiktoken's decode_bytes), which need not be valid UTF-8
when the ids split a character; --lossy replaces invalid UTF-8 with U+FFFD (tiktoken's
decode(), errors="replace").
Exit status: 0 ok; 1 unknown token id or malformed input; 2 usage error.
)";

Rank checked_rank(std::uint64_t id) {
  // Every id above 32 bits is unknown to any encoding; say so the way the library does.
  if (id > std::numeric_limits<Rank>::max()) throw InputError("unknown token id " + std::to_string(id));
  return static_cast<Rank>(id);
}

std::vector<Rank> parse_json_ids(std::string_view text) {
  std::vector<Rank> ids;
  try {
    const simdjson::padded_string json(text);
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc = parser.iterate(json);
    for (simdjson::ondemand::value v : doc.get_array()) {
      const simdjson::ondemand::json_type t = v.type();
      if (t != simdjson::ondemand::json_type::number)
        throw InputError("the JSON array must hold token ids (non-negative integers)");
      std::uint64_t id = 0;
      const auto err = v.get_uint64().get(id);
      if (err) throw InputError("the JSON array must hold token ids (non-negative integers)");
      ids.push_back(checked_rank(id));
    }
    const char* where = nullptr;  // simdjson 3.0: OUT_OF_BOUNDS = nothing after the array
    if (doc.current_location().get(where) != simdjson::OUT_OF_BOUNDS) throw InputError("unexpected content after the JSON array");
  } catch (const simdjson::simdjson_error& e) {
    throw InputError(std::string("invalid JSON: ") + simdjson::error_message(e.error()));
  }
  return ids;
}

std::vector<Rank> parse_plain_ids(std::string_view text) {
  std::vector<Rank> ids;
  ids.reserve(text.size() / 6);
  const char* p = text.data();
  const char* const end = p + text.size();
  auto is_sep = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '\f' || c == '\v'; };
  while (p < end) {
    if (is_sep(*p)) {
      ++p;
      continue;
    }
    const char* word_end = p;
    while (word_end < end && !is_sep(*word_end)) ++word_end;
    std::uint64_t id = 0;
    const auto [stop, ec] = std::from_chars(p, word_end, id);
    if (stop != word_end || ec == std::errc::invalid_argument) {
      const std::string word(p, std::min<std::size_t>(static_cast<std::size_t>(word_end - p), 40));
      throw InputError("invalid token id '" + word + "' (expected non-negative integers)");
    }
    if (ec == std::errc::result_out_of_range) throw InputError("unknown token id " + std::string(p, word_end));
    ids.push_back(checked_rank(id));
    p = word_end;
  }
  return ids;
}

}  // namespace

CLI::App* add_decode_command(CLI::App& app, DecodeArgs& a) {
  CLI::App* cmd = app.add_subcommand("decode", "Turn token ids back into text");
  cmd->add_option("file", a.path, "Input file; '-' or nothing reads stdin")->type_name("FILE");
  auto* lossy = cmd->add_flag("--lossy", a.lossy, "Replace invalid UTF-8 in the output with U+FFFD (tiktoken's decode)");
  cmd->add_flag("--bytes", a.bytes, "Write the raw token bytes (the default; tiktoken's decode_bytes)")->excludes(lossy);
  add_encoding_options(*cmd, a.enc);
  cmd->footer(kDecodeFooter);
  return cmd;
}

int run_decode(const DecodeArgs& a) {
  const EncodingPtr enc = resolve_encoding(a.enc);
  Input in;
  in.load(a.path);
  const std::string_view text = in.view();
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  const std::vector<Rank> ids = first != std::string_view::npos && text[first] == '['
                                    ? parse_json_ids(text)
                                    : parse_plain_ids(text);
  const std::string bytes = a.lossy ? enc->decode(ids) : enc->decode_bytes(ids);
  Output out;
  out.write(bytes);
  out.flush();
  return kExitOk;
}

}  // namespace tokcount::cli
