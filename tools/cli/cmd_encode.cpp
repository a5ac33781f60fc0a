// tokcount encode: token ids of one input (the --jsonl batch form is in cmd_jsonl.cpp).
#include "commands.hpp"
#include "io.hpp"

namespace tokcount::cli {
namespace {

constexpr const char* kEncodeFooter = R"(Special tokens follow tiktoken's encode(): text such as <|endoftext|> in the input is an
error (exit 1, naming the token and its byte offset) unless --allow-special (encode it as
the special token, allowed_special="all") or --ordinary (encode it as plain text,
encode_ordinary).
Invalid UTF-8 is an error naming the byte offset, unless --lossy (replace it with U+FFFD).

--jsonl reads JSON Lines, one object per line:
  {"text": "...", "allowed_special": "all" | ["<|endoftext|>", ...],
   "disallowed_special": "all" | [...]}
("allowed_special"/"disallowed_special" are optional and mean what they mean in tiktoken's
encode(); other fields are ignored) and writes exactly one line per input line, in order:
  {"tokens":[...]}
or, when that line fails,
  {"error":{"code":"DISALLOWED_SPECIAL","message":"...","offset":N}}
(codes: DISALLOWED_SPECIAL, PARSE_ERROR for malformed JSON or an empty line,
INVALID_ARGUMENT for a missing "text" or fields of the wrong type; offset is a UTF-8 byte
offset into the text, or null). --allow-special / --ordinary set the default for lines
without those fields. Lines are encoded in parallel (-j); output is written as each batch
of available input completes, so a co-process can stream lines through.
Exit status: 0 ok; 1 input error, or any JSONL line failed; 2 usage error.
)";

void append_ids(std::string& s, std::span<const Rank> tokens, char sep) {
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) s.push_back(sep);
    append_uint(s, tokens[i]);
  }
}

}  // namespace

CLI::App* add_encode_command(CLI::App& app, EncodeArgs& a) {
  CLI::App* cmd = app.add_subcommand("encode", "Print the token ids of a file or stdin");
  cmd->add_option("file", a.path, "Input file; '-' or nothing reads stdin")->type_name("FILE");
  auto* json = cmd->add_flag("--json", a.json, "Print a JSON array instead of space-separated ids");
  cmd->add_flag("--jsonl", a.jsonl, "Batch mode: JSON Lines in, one {\"tokens\":[...]} line out per line")
      ->excludes(json);
  auto* allow = cmd->add_flag("--allow-special", a.allow_special,
                              "Encode special-token text as special tokens (allowed_special=\"all\")");
  cmd->add_flag("--ordinary", a.ordinary, "Encode special-token text as plain text (encode_ordinary)")
      ->excludes(allow);
  cmd->add_flag("--lossy", a.lossy, "Replace invalid UTF-8 with U+FFFD instead of failing");
  add_threads_option(*cmd, a.threads, "Threads encoding --jsonl lines");
  add_encoding_options(*cmd, a.enc);
  cmd->footer(kEncodeFooter);
  return cmd;
}

int run_encode(const EncodeArgs& a) {
  const EncodingPtr enc = resolve_encoding(a.enc);
  if (a.jsonl) return run_encode_jsonl(a, *enc);

  Input in;
  in.load(a.path);
  EncodeOptions opts;
  opts.utf8 = a.lossy ? Utf8Mode::kReplace : Utf8Mode::kStrict;
  if (a.ordinary) opts.disallowed_special = TokenSet::none();
  if (a.allow_special) opts.allowed_special = TokenSet::all();
  std::vector<Rank> tokens;
  try {
    tokens = enc->encode(in.view(), opts);
  } catch (const Error& e) {
    // Name the input so the message stands on its own in a script's log.
    throw InputError((a.path == "-" ? std::string("<stdin>") : a.path) + ": " + describe_error(e, true));
  }

  Output out;
  std::string chunk;
  constexpr std::size_t kChunkIds = 8192;  // bounded memory however long the output is
  if (a.json) chunk.push_back('[');
  for (std::size_t i = 0; i < tokens.size(); i += kChunkIds) {
    if (i > 0) chunk.push_back(a.json ? ',' : ' ');
    append_ids(chunk, std::span<const Rank>(tokens).subspan(i, std::min(kChunkIds, tokens.size() - i)),
               a.json ? ',' : ' ');
    out.write(chunk);
    chunk.clear();
  }
  if (a.json) chunk.push_back(']');
  chunk.push_back('\n');
  out.write(chunk);
  out.flush();
  return kExitOk;
}

}  // namespace tokcount::cli
