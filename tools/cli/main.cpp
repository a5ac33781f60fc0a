// tokcount: count, encode and decode tokens exactly like OpenAI's tiktoken; count chat requests.
//
// Exit codes: 0 ok, 1 input / encoding / I/O error ("tokcount: error: ..." on stderr),
// 2 usage error. Every error path returns one of these; nothing escapes main, and SIGPIPE is
// ignored so a closed stdout is an error code rather than death by signal.
#include <csignal>
#include <iostream>
#include <new>

#include "commands.hpp"

namespace tokcount::cli {
namespace {

std::string version_line() {
  return std::string("tokcount ") + tokcount::version() + " (Unicode " + tokcount::unicode_version() + ")";
}

void print_encodings(bool details) {
  Output out;
  for (const std::string& name : Encoding::list_encoding_names()) {
    std::string line = name;
    if (details) {
      const EncodingPtr enc = Encoding::get(name);
      line.resize(std::max<std::size_t>(line.size() + 2, 16), ' ');
      line += "n_vocab=" + std::to_string(enc->n_vocab()) +
              "  mergeable=" + std::to_string(enc->mergeable_count()) +
              "  specials=" + std::to_string(enc->special_tokens().size()) +
              "  pretokenizer=" + enc->pretokenizer_kind();
    }
    out.write(line);
    out.put('\n');
  }
  out.flush();
}

int run(int argc, char** argv) {
  CLI::App app("tokcount: count, encode and decode tokens exactly like OpenAI's tiktoken", "tokcount");
  app.set_version_flag("-V,--version", version_line(), "Print the version and Unicode version");
  app.require_subcommand(1);
  app.footer(
      "Run 'tokcount COMMAND --help' for a command's options.\n"
      "Exit status: 0 ok, 1 input or encoding error, 2 usage error.\n"
      "(lint: 0 clean, 1 findings at or above --fail-on, 2 usage or input error.)\n");
  // CLI11's messages, with our prefix so every error line looks alike.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("tokcount: error: ") + e.what() + "\nRun with --help for more information.\n";
  });

  CountArgs count_args;
  EncodeArgs encode_args;
  DecodeArgs decode_args;
  LintArgs lint_args;
  SseArgs sse_args;
  ChatArgs chat_args;
  CacheArgs cache_args;
  bool long_list = false;
  CLI::App* count = add_count_command(app, count_args);
  CLI::App* encode = add_encode_command(app, encode_args);
  CLI::App* decode = add_decode_command(app, decode_args);
  CLI::App* lint = add_lint_command(app, lint_args);
  CLI::App* sse = add_sse_command(app, sse_args);
  CLI::App* chat = add_chat_command(app, chat_args);
  CLI::App* cache_cmd = add_cache_command(app, cache_args);
  CLI::App* encodings = app.add_subcommand("encodings", "List the built-in encodings");
  encodings->add_flag("-l,--long", long_list, "Also show vocabulary size, special tokens and pre-tokenizer");
  CLI::App* version = app.add_subcommand("version", "Print the version and Unicode version");

  if (argc <= 1) {
    std::cerr << app.help();
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help / --version are "errors" with exit code 0; everything else is a usage error.
    const int code = app.exit(e);
    return code == static_cast<int>(CLI::ExitCodes::Success) ? kExitOk : kExitUsage;
  }

  if (count->parsed()) return run_count(count_args);
  if (encode->parsed()) return run_encode(encode_args);
  if (decode->parsed()) return run_decode(decode_args);
  if (lint->parsed()) return run_lint(lint_args);
  if (sse->parsed()) return run_sse(sse_args);
  if (chat->parsed()) return run_chat(chat_args);
  if (cache_cmd->parsed()) return run_cache(cache_args);
  if (encodings->parsed()) {
    print_encodings(long_list);
    return kExitOk;
  }
  if (version->parsed()) {
    Output out;
    out.write(version_line());
    out.put('\n');
    out.flush();
    return kExitOk;
  }
  return kExitUsage;  // unreachable: require_subcommand(1)
}

}  // namespace
}  // namespace tokcount::cli

int main(int argc, char** argv) {
  using namespace tokcount::cli;
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (const BrokenPipe&) {
    return kExitError;
  } catch (const UsageError& e) {
    std::cerr << "tokcount: error: " << e.what() << "\nRun with --help for more information.\n";
    return kExitUsage;
  } catch (const tokcount::Error& e) {
    std::cerr << "tokcount: error: " << describe_error(e, true) << '\n';
    return kExitError;
  } catch (const InputError& e) {
    std::cerr << "tokcount: error: " << e.what() << '\n';
    return kExitError;
  } catch (const std::bad_alloc&) {
    std::cerr << "tokcount: error: out of memory\n";
    return kExitError;
  } catch (const std::exception& e) {
    std::cerr << "tokcount: error: " << e.what() << '\n';
    return kExitError;
  } catch (...) {
    std::cerr << "tokcount: error: unexpected internal error\n";
    return kExitError;
  }
}
