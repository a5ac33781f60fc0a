// Internal: a request body seen the way lint needs it (request.cpp builds it, log.cpp compares
// consecutive ones). The request becomes *positions* in provider order (tools -> response
// schema -> system/developer -> messages; for Anthropic each content block is one position, as
// the cache counts them), each with the bytes the provider hashes and its token count, plus the
// static strings the text rules judge (lint Segments with JSON paths) and where the cacheable
// region ends.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lint/lint_internal.hpp"

namespace tokcount::lint::detail {

using Json = nlohmann::ordered_json;

enum class Api { kOpenAiChat, kAnthropicMessages };
const char* api_name(Api api) noexcept;  // "openai-chat" | "anthropic-messages"

enum class Level { kTools = 0, kSchema = 1, kSystem = 2, kMessages = 3 };
const char* level_name(Level l) noexcept;

struct Position {
  std::string path;          // JSON path of the block: "$.tools[0]", "$.messages[2].content[1]"
  Level level = Level::kMessages;
  int message = -1;          // index in messages, -1 for tools / schema / top-level system
  std::string kind;          // "tool", "schema", "system", "message", "text", "image", "tool_use", ...
  std::string bytes;         // the block as sent (compact JSON, source key order, no cache_control)
  std::size_t tokens = 0;    // rendered (OpenAI) or estimated (Anthropic) tokens of the block
  bool breakpoint = false;   // Anthropic cache_control on the block
  std::string ttl;           // "5m" | "1h" for a breakpoint
  std::string text;          // a text block's text (what PC020 scans), else empty
  std::string text_path;     // its JSON path
};

struct RequestModel {
  Api api = Api::kOpenAiChat;
  std::string root;          // JSON path of the body: "$", or "$.request" inside a log line
  std::string model;
  std::vector<Position> positions;
  std::size_t cacheable_positions = 0;  // positions [0, n) form the cacheable region
  std::size_t final_turn = 0;           // first position of the final (new) turn
  std::vector<std::size_t> cumulative;  // tokens of positions [0, i]
  std::size_t cacheable_tokens = 0;
  bool tokens_estimated = false;

  std::vector<Segment> segments;             // static strings inside the cacheable region
  std::vector<std::size_t> segment_position; // position of each segment

  // Anthropic caching: explicit breakpoints are Position::breakpoint; automatic caching is the
  // top-level cache_control.
  bool automatic_caching = false;
  std::string automatic_ttl;

  // What the sequence rules compare.
  std::vector<std::string> tool_names;  // in request order
  std::vector<std::size_t> tool_positions;
  std::optional<std::size_t> schema_position;
  std::optional<std::string> prompt_cache_key;
  // Parameters that invalidate a cache level when they change (PC010), value as compact JSON;
  // absent parameters are absent.
  std::map<std::string, std::string> params;
  std::size_t messages = 0;  // messages in the body
  bool reasoning_model = false;

  // Tokens from position p to the end of the cacheable region.
  std::size_t tokens_from(std::size_t p) const noexcept {
    if (p >= cacheable_positions) return 0;
    return cacheable_tokens - (p == 0 ? 0 : cumulative[p - 1]);
  }
  std::size_t tokens_through(std::size_t p) const noexcept {
    return p < cumulative.size() ? cumulative[p] : cacheable_tokens;
  }
};

Api detect_api(const Json& body) noexcept;
// kInvalidArgument naming the JSON path for a body of the wrong shape.
RequestModel build_request_model(const Json& body, const std::string& root, const Linter& linter);

// A JSON path as a segment label: "$.system[0].text" -> "system[0].text".
std::string path_label(const std::string& json_path);

// Compact JSON with the key order kept (what the provider hashes).
std::string compact(const Json& v);
// The same with every object's keys sorted, recursively (PC007's "equal after key sort").
std::string canonical(const Json& v);

// A finding about the request itself (no text position): located by JSON path.
Finding request_finding(const Config& config, int rule, std::string json_path, std::string message,
                        std::string excerpt, std::size_t tokens_at_risk);

// The per-request rules (PC007, PC019, PC020, PC022, PC027, PC028) and the text rules over the
// model's segments.
Result lint_request_model(const Linter& linter, const RequestModel& model, const Json& body);

}  // namespace tokcount::lint::detail
