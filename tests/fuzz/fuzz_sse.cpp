// The SSE parser and Chat Completions stitching (tokcount sse, the proxy's stream relay) on
// hostile streams, fed in chunks chosen by the input. Oracles: rejection is a tokcount::Error
// (kParseError / kInputTooLarge); the chunking never changes the outcome: the same events, the
// same error, the same result JSON as feeding the whole stream at once.
#include "fuzz_common.hpp"
#include "tokcount/sse.hpp"

using namespace tokcount;

namespace {

struct Outcome {
  std::vector<std::string> events;
  ErrorCode code = ErrorCode::kOk;
  std::size_t offset = kNoOffset;
  std::string json;
};

Outcome run(std::string_view stream, std::string_view cuts, std::size_t max_event) {
  Outcome o;
  sse::EventParser parser(max_event);
  sse::ChatStreamOptions copts;
  copts.max_event_bytes = max_event;
  sse::ChatStream chat(copts);
  bool parser_ok = true, chat_ok = true;
  std::size_t i = 0, c = 0;
  while (i < stream.size()) {
    const std::size_t n = cuts.empty() ? stream.size() : 1 + static_cast<std::uint8_t>(cuts[c++ % cuts.size()]) % 64;
    const std::string_view part = stream.substr(i, n);
    i += part.size();
    if (parser_ok) {
      try {
        parser.feed(part, [&](const sse::Event& e) {
          FUZZ_CHECK(e.offset <= stream.size());
          o.events.push_back(e.type + '\x01' + e.data + '\x01' + e.id);
        });
      } catch (const Error& e) {
        // Only an event past the size limit stops the parser; it then stays where it was.
        FUZZ_CHECK(e.code() == ErrorCode::kInputTooLarge);
        o.events.push_back("parser: input too large");
        parser_ok = false;
      }
    }
    if (chat_ok) {
      try {
        chat.feed(part);
      } catch (const Error& e) {
        FUZZ_CHECK(e.code() == ErrorCode::kParseError || e.code() == ErrorCode::kInputTooLarge);
        FUZZ_CHECK(chat.failed());
        o.code = e.code();
        o.offset = e.byte_offset();
        chat_ok = false;
      }
    }
  }
  if (parser_ok) FUZZ_CHECK(parser.finish() <= stream.size());
  if (chat_ok) {
    try {
      chat.finish();
      // Counts are final after finish(); before it (a failed stream) they may lag.
      o.json = chat.result_json(-1);
    } catch (const Error& e) {
      o.code = e.code();
      o.offset = e.byte_offset();
    }
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  const std::string_view cuts = in.take(in.byte() % 8);
  const std::string_view stream = in.rest();
  // A small event limit now and then, so the kInputTooLarge path runs too.
  const std::size_t max_event = cuts.size() == 7 ? 256 : std::size_t{64} << 20;
  const Outcome whole = run(stream, {}, max_event);
  const Outcome parts = run(stream, cuts.empty() ? std::string_view("\x05") : cuts, max_event);
  FUZZ_CHECK(whole.events == parts.events);
  FUZZ_CHECK(whole.code == parts.code);
  FUZZ_CHECK(whole.offset == parts.offset);
  FUZZ_CHECK(whole.json == parts.json);
  return 0;
}
