// tokcount sse: stitch a captured Chat Completions stream (Server-Sent Events) and count its
// visible output exactly. The input is read and parsed in chunks as it arrives, so
// `curl -N ... | tokcount sse` works on a live stream too.
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "commands.hpp"
#include "tokcount/sse.hpp"

namespace tokcount::cli {
namespace {

constexpr const char* kSseFooter = R"(Input: the response body of POST /v1/chat/completions with "stream": true, as sent
(`data: {...}` events, then `data: [DONE]`). Output: one JSON object with "content" (choice 0's
text), "completion_tokens" (exact tokens of the visible output: content, refusal, tool-call
names and arguments of every choice), "choices" (stitched messages), "usage" (the usage chunk,
if the request set stream_options.include_usage) and "usage_comparison" (the difference
between the two, explained: reasoning tokens and tool-call framing are billed but never sent).
The encoding is the one tiktoken picks for --model, else for the stream's "model" field.
Exit status: 0 ok; 1 malformed stream (the JSON printed still holds everything before the
error, plus "parse_error" with its byte offset) or unreadable input; 2 usage error.
)";

}  // namespace

CLI::App* add_sse_command(CLI::App& app, SseArgs& a) {
  CLI::App* cmd = app.add_subcommand("sse", "Stitch a Chat Completions SSE stream and count its output tokens");
  cmd->add_option("path", a.path, "Captured stream; '-' or nothing reads stdin")->type_name("FILE");
  auto* model = cmd->add_option("-m,--model", a.model, "Count with this model's encoding (default: the stream's model)");
  cmd->add_option("-e,--encoding", a.encoding, "Count with this built-in encoding")
      ->check(CLI::IsMember(Encoding::list_encoding_names()))
      ->excludes(model);
  cmd->add_flag("--compact", a.compact, "Print the JSON on one line");
  cmd->footer(kSseFooter);
  return cmd;
}

int run_sse(const SseArgs& a) {
  sse::ChatStreamOptions options;
  if (!a.encoding.empty()) options.encoding = Encoding::get(a.encoding);
  if (!a.model.empty()) {
    try {
      options.encoding = Encoding::for_model(a.model);
      options.model = a.model;
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kUnknownModel) throw UsageError(std::string("--model: ") + e.what());
      throw;
    }
  }
  sse::ChatStream stream(std::move(options));

  int fd = 0;
  if (a.path != "-") {
    fd = ::open(a.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw InputError(a.path + ": " + std::strerror(errno));
  }
  std::optional<Error> error;
  std::string buf(1 << 16, '\0');
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string msg = (a.path == "-" ? std::string("<stdin>") : a.path) + ": " + std::strerror(errno);
      if (fd > 0) ::close(fd);
      throw InputError(msg);
    }
    if (n == 0) break;
    try {
      stream.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    } catch (const Error& e) {
      error = e;
      break;
    }
  }
  if (fd > 0) ::close(fd);
  if (!error) stream.finish();

  auto out = nlohmann::ordered_json::parse(stream.result_json(-1));
  if (error) {
    out["parse_error"] = {{"code", error_code_name(error->code())},
                          {"message", error->what()},
                          {"offset", error->byte_offset() == kNoOffset ? nlohmann::ordered_json(nullptr)
                                                                        : nlohmann::ordered_json(error->byte_offset())}};
  }
  Output o;
  o.write(out.dump(a.compact ? -1 : 2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  o.put('\n');
  o.flush();
  if (error) {
    std::fprintf(stderr, "tokcount: error: %s\n", error->what());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace tokcount::cli
