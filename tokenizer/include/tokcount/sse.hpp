// tokcount SSE: parsing OpenAI Chat Completions streams and counting their output exactly.
//
// EventParser implements the event-stream format of the WHATWG HTML standard (§9.2 "Server-sent
// events", "Interpreting an event stream"): lines end in CRLF, LF or CR (a CRLF split across
// reads is one line end); ':' lines are comments; "data" lines are joined with "\n"; "event",
// "id" and "retry" fields; an empty line dispatches the event; a leading BOM is dropped; an
// event not terminated by an empty line when the stream ends is discarded, as the standard says.
//
// ChatStream feeds those events, as network reads arrive, into the Chat Completions stream
// format (`chat.completion.chunk` objects, then `data: [DONE]`): it stitches each choice's
// delta.content, delta.refusal and delta.tool_calls (arguments joined per tool-call index, id,
// type and name kept), records finish_reason and the final usage chunk
// (stream_options.include_usage), and counts the visible output's tokens with the model's
// encoding while it flows (StreamEncoder per text field, so the count is exact at any time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokcount/stream.hpp"
#include "tokcount/tokcount.hpp"

namespace tokcount::sse {

struct Event {
  std::string type = "message";  // the "event" field, "message" when absent
  std::string data;              // "data" lines joined with "\n"
  std::string id;                // last event ID (it persists across events, per the standard)
  std::size_t offset = 0;        // byte offset of the event's first line in the stream
  // Stream offset of each data line's value, so a position in `data` maps back to the stream.
  std::vector<std::pair<std::size_t, std::size_t>> line_starts;  // (offset in data, in stream)
  std::size_t stream_offset(std::size_t data_pos) const noexcept;
};

class EventParser {
 public:
  // An event larger than this is kInputTooLarge (a stream with no line end must not grow
  // memory without bound).
  explicit EventParser(std::size_t max_event_bytes = std::size_t{64} << 20);

  // Parses `bytes`, calling on_event for every event completed by them. An exception from
  // on_event propagates; the parser then stands after that event.
  void feed(std::string_view bytes, const std::function<void(const Event&)>& on_event);
  // End of stream. Returns the number of bytes of an unterminated event that is discarded.
  std::size_t finish();

  std::size_t bytes_fed() const noexcept { return offset_; }
  std::optional<std::uint64_t> retry_ms() const noexcept { return retry_; }

 private:
  void line(std::string_view text, std::size_t line_offset, const std::function<void(const Event&)>& on_event);

  std::size_t max_event_bytes_;
  std::size_t offset_ = 0;      // bytes fed
  std::string partial_;         // an unfinished line
  std::size_t partial_offset_ = 0;
  bool after_cr_ = false;       // the last byte was CR: a following LF belongs to it
  bool bom_checked_ = false;
  Event event_;
  bool event_started_ = false;
  std::size_t event_bytes_ = 0;
  std::string last_id_;
  std::optional<std::uint64_t> retry_;
};

struct ToolCall {
  std::size_t index = 0;
  std::string id;
  std::string type;
  std::string name;
  std::string arguments;
  std::size_t name_tokens = 0;
  std::size_t arguments_tokens = 0;
};

struct Choice {
  std::size_t index = 0;
  std::string role;
  std::string content;
  bool has_content = false;
  std::string refusal;
  bool has_refusal = false;
  std::vector<ToolCall> tool_calls;  // in index order
  std::optional<std::string> finish_reason;
  std::size_t content_tokens = 0;
  std::size_t refusal_tokens = 0;
  std::size_t tool_call_tokens = 0;  // names + arguments
  std::size_t visible_tokens() const noexcept { return content_tokens + refusal_tokens + tool_call_tokens; }
};

struct Usage {
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  std::uint64_t total_tokens = 0;
  std::optional<std::uint64_t> reasoning_tokens;  // completion_tokens_details
  std::optional<std::uint64_t> audio_tokens;
  std::optional<std::uint64_t> accepted_prediction_tokens;
  std::optional<std::uint64_t> rejected_prediction_tokens;
  std::optional<std::uint64_t> cached_tokens;  // prompt_tokens_details
  std::string json;                            // the usage object as sent
};

// An error object the server sent inside the stream ({"error": {...}}).
struct ApiError {
  std::string message;  // error.message (kept as JSON text when it is not a string), or the error string
  std::string type;
  std::string code;
  std::string json;
};

struct ChatStreamOptions {
  // The encoding to count with. Default: Encoding::for_model(model), where model is `model`
  // if set, else the "model" field of the first chunk; an unknown model falls back to
  // `fallback_encoding`, and the result says so.
  EncodingPtr encoding;
  std::string model;
  std::string fallback_encoding = "o200k_base";
  // Keep the stitched text (the CLI); a proxy that only counts sets false to hold no text.
  bool keep_text = true;
  std::size_t max_event_bytes = std::size_t{64} << 20;
};

struct ChatStreamResult {
  std::string id;
  std::string model;
  std::string system_fingerprint;
  std::string encoding;          // the encoding used to count
  bool encoding_from_fallback = false;
  std::vector<Choice> choices;   // in index order
  std::optional<Usage> usage;
  std::optional<ApiError> error;
  bool done = false;             // "data: [DONE]" seen
  std::size_t events = 0;
  std::size_t chunks = 0;
  std::size_t discarded_bytes = 0;  // an unterminated event at the end of the stream
  std::size_t visible_completion_tokens() const noexcept;
};

class ChatStream {
 public:
  explicit ChatStream(ChatStreamOptions options = {});
  ~ChatStream();
  ChatStream(ChatStream&&) noexcept;
  ChatStream& operator=(ChatStream&&) noexcept;

  // Feeds network bytes as they arrive. A malformed frame (not JSON, not a JSON object, a
  // field of the wrong type) is Error(kParseError) with the byte offset in the stream of the
  // problem; everything parsed before it stays in result(), and the stream is then failed
  // (further feeds rethrow the error).
  void feed(std::string_view bytes);
  // End of the stream: flushes the token counts.
  void finish();
  bool failed() const noexcept;

  // What has been parsed and counted so far (token counts are final after finish()).
  const ChatStreamResult& result() const noexcept;
  // Exact tokens of the visible output so far: content, refusal, tool-call names and arguments
  // of every choice, each counted on its own as the whole text so far (StreamEncoder::count).
  std::size_t completion_tokens() const;
  // The result as JSON (what `tokcount sse` prints): "content" (choice 0), "completion_tokens",
  // "choices", "usage" and "usage_comparison" with the difference explained.
  std::string result_json(int indent = 2) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokcount::sse
