// JSON helpers shared by the chat module (and the SSE frame parser): parsing with typed errors, shape checks that name
// the JSON path, and the two number formats the hidden tool renderings use.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "tokcount/tokcount.hpp"

namespace tokcount::chat::detail {

// Source key order matters (tool schemas render in it), so every document is ordered_json.
using Json = nlohmann::ordered_json;

// Deepest nesting accepted. nlohmann parses iteratively, but dumping and the schema
// renderers recurse; a request this deep is not a real request.
inline constexpr std::size_t kMaxJsonDepth = 256;

// Why a document did not parse: the byte offset in the text and what was wrong there.
struct JsonError {
  std::size_t byte_offset = 0;
  std::string message;
};

// Parses `text` into `out` without throwing: nullopt on success, else the error (malformed
// JSON, invalid UTF-8 in a string, a number overflowing a double, nesting deeper than
// kMaxJsonDepth) with `out` left null.
std::optional<JsonError> try_parse_json(std::string_view text, Json& out);

// Parses `text` (`what` names it in messages). kParseError with the byte offset of the
// problem for anything try_parse_json rejects.
Json parse_json(std::string_view text, std::string_view what);

// kInvalidArgument "<path>: <message>".
[[noreturn]] void shape_error(const std::string& path, std::string_view message);

// Typed accessors: the value at `path` must have the JSON type named, else shape_error.
const std::string& as_string(const Json& v, const std::string& path);
const Json& as_object(const Json& v, const std::string& path);
const Json& as_array(const Json& v, const std::string& path);
// nullptr when `key` is absent or null.
const Json* find(const Json& object, std::string_view key);

std::string member_path(const std::string& path, std::string_view key);
std::string index_path(const std::string& path, std::size_t index);

// Compact JSON as Rust's serde_json prints a Value (harmony's "// default: {value}"):
// floats in ryu's shortest form ("1e20", "0.5", "1.0"), integers verbatim, strings escaped
// like serde_json (\" \\ \b \f \n \r \t, other controls as \u00xx), no spaces.
std::string serde_json_compact(const Json& v);
// String(v) in JavaScript for a JSON value (hmarr's `${v}` in enums): strings raw, numbers
// as Number.prototype.toString ("1.5", "1e+21"), arrays joined with ",", objects
// "[object Object]".
std::string js_to_string(const Json& v);

}  // namespace tokcount::chat::detail
namespace tokcount::chat {
struct Request;
namespace detail {
// parse_request on a document already parsed (the cache module parses a body once).
Request parse_request_doc(const Json& doc);
}  // namespace detail
}  // namespace tokcount::chat
