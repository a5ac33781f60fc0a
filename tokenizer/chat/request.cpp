// parse_request: a Chat Completions request body -> Request. Fields that change the prompt
// must have the API's shape (kInvalidArgument naming the JSON path); others are ignored.
#include "chat/json_util.hpp"
#include "tokcount/chat.hpp"

namespace tokcount::chat {
namespace {

using detail::as_array;
using detail::as_object;
using detail::as_string;
using detail::find;
using detail::index_path;
using detail::Json;
using detail::member_path;
using detail::shape_error;

std::optional<std::string> opt_string(const Json& obj, std::string_view key, const std::string& path) {
  const Json* v = find(obj, key);
  if (v == nullptr) return std::nullopt;
  return as_string(*v, member_path(path, key));
}

const std::string& required_string(const Json& obj, std::string_view key, const std::string& path) {
  const Json* v = find(obj, key);
  if (v == nullptr) shape_error(path, "missing \"" + std::string(key) + "\"");
  return as_string(*v, member_path(path, key));
}

std::uint64_t non_negative(const Json& v, const std::string& path) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(v.get<std::int64_t>());
  shape_error(path, "expected a non-negative integer");
}

ImageDetail parse_detail(const std::string& s, const std::string& path) {
  if (s == "auto") return ImageDetail::kAuto;
  if (s == "low") return ImageDetail::kLow;
  if (s == "high") return ImageDetail::kHigh;
  if (s == "original") return ImageDetail::kOriginal;
  shape_error(path, "detail must be auto, low, high or original, got '" + s + "'");
}

ContentPart parse_part(const Json& pv, const std::string& path) {
  as_object(pv, path);
  const std::string& type = required_string(pv, "type", path);
  ContentPart part;
  if (type == "text") {
    part.text = required_string(pv, "text", path);
  } else if (type == "refusal") {
    part.type = ContentPart::Type::kRefusal;
    part.text = required_string(pv, "refusal", path);
  } else if (type == "image_url") {
    part.type = ContentPart::Type::kImageUrl;
    const Json* iu = find(pv, "image_url");
    const std::string ipath = member_path(path, "image_url");
    if (iu == nullptr) shape_error(path, "missing \"image_url\"");
    if (iu->is_string()) {
      part.image.url = iu->get<std::string>();
    } else {
      as_object(*iu, ipath);
      part.image.url = required_string(*iu, "url", ipath);
      if (auto d = opt_string(*iu, "detail", ipath)) {
        part.image.detail = parse_detail(*d, member_path(ipath, "detail"));
        part.image.detail_given = true;
      }
    }
  } else {
    shape_error(member_path(path, "type"), "content part type '" + type +
                                                "' is not supported (text, image_url and refusal are)");
  }
  return part;
}

ToolCall parse_function_call(const Json& fv, const std::string& path) {
  as_object(fv, path);
  ToolCall c;
  c.name = required_string(fv, "name", path);
  if (auto a = opt_string(fv, "arguments", path)) c.arguments = *a;
  return c;
}

Message parse_message(const Json& mv, const std::string& path) {
  as_object(mv, path);
  Message m;
  m.role = required_string(mv, "role", path);
  if (const Json* c = find(mv, "content")) {
    const std::string cpath = member_path(path, "content");
    if (c->is_string()) {
      m.content.push_back({ContentPart::Type::kText, c->get<std::string>(), {}});
      m.content_is_string = true;
    } else {
      std::size_t j = 0;
      for (const Json& pv : as_array(*c, cpath)) m.content.push_back(parse_part(pv, index_path(cpath, j++)));
    }
  }
  m.name = opt_string(mv, "name", path);
  if (const Json* tc = find(mv, "tool_calls")) {
    const std::string tpath = member_path(path, "tool_calls");
    std::size_t j = 0;
    for (const Json& cv : as_array(*tc, tpath)) {
      const std::string cpath = index_path(tpath, j++);
      as_object(cv, cpath);
      if (auto type = opt_string(cv, "type", cpath); type && *type != "function")
        shape_error(member_path(cpath, "type"), "tool call type '" + *type + "' is not supported (function is)");
      const Json* fv = find(cv, "function");
      if (fv == nullptr) shape_error(cpath, "missing \"function\"");
      ToolCall call = parse_function_call(*fv, member_path(cpath, "function"));
      if (auto id = opt_string(cv, "id", cpath)) call.id = *id;
      m.tool_calls.push_back(std::move(call));
    }
  }
  if (const Json* fc = find(mv, "function_call")) m.function_call = parse_function_call(*fc, member_path(path, "function_call"));
  m.tool_call_id = opt_string(mv, "tool_call_id", path);
  m.reasoning = opt_string(mv, "reasoning_content", path);
  if (!m.reasoning) m.reasoning = opt_string(mv, "reasoning", path);
  return m;
}

FunctionDef parse_function_def(const Json& fv, const std::string& path) {
  as_object(fv, path);
  FunctionDef f;
  f.name = required_string(fv, "name", path);
  f.description = opt_string(fv, "description", path);
  if (const Json* p = find(fv, "parameters")) {
    as_object(*p, member_path(path, "parameters"));
    f.parameters_json = p->dump();  // key order kept (ordered_json)
  }
  return f;
}

ToolChoice parse_tool_choice(const Json& v, const std::string& path, bool legacy) {
  ToolChoice tc;
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "none") tc.kind = ToolChoice::Kind::kNone;
    else if (s == "auto") tc.kind = ToolChoice::Kind::kAuto;
    else if (s == "required" && !legacy) tc.kind = ToolChoice::Kind::kRequired;
    else shape_error(path, "unknown value '" + s + "'");
    return tc;
  }
  as_object(v, path);
  tc.kind = ToolChoice::Kind::kFunction;
  if (legacy) {
    tc.name = required_string(v, "name", path);
    return tc;
  }
  const std::string& type = required_string(v, "type", path);
  if (type != "function") shape_error(member_path(path, "type"), "tool_choice type '" + type + "' is not supported");
  const Json* f = find(v, "function");
  if (f == nullptr) shape_error(path, "missing \"function\"");
  tc.name = required_string(as_object(*f, member_path(path, "function")), "name", member_path(path, "function"));
  return tc;
}

}  // namespace

Request parse_request(std::string_view body) { return detail::parse_request_doc(detail::parse_json(body, "request")); }

Request detail::parse_request_doc(const Json& doc) {
  const Json& root = as_object(doc, "$");
  Request r;
  if (auto model = opt_string(root, "model", "$")) r.model = *model;
  const Json* msgs = find(root, "messages");
  if (msgs == nullptr) shape_error("$", "missing \"messages\"");
  std::size_t i = 0;
  for (const Json& mv : as_array(*msgs, "$.messages")) r.messages.push_back(parse_message(mv, index_path("$.messages", i++)));

  const Json* tools = find(root, "tools");
  const Json* functions = find(root, "functions");
  if (tools != nullptr && functions != nullptr) shape_error("$", "both \"tools\" and the legacy \"functions\" are given");
  if (tools != nullptr) {
    std::size_t j = 0;
    for (const Json& tv : as_array(*tools, "$.tools")) {
      const std::string tpath = index_path("$.tools", j++);
      as_object(tv, tpath);
      const std::string& type = required_string(tv, "type", tpath);
      if (type != "function") shape_error(member_path(tpath, "type"), "tool type '" + type + "' is not supported (function is)");
      const Json* f = find(tv, "function");
      if (f == nullptr) shape_error(tpath, "missing \"function\"");
      r.tools.push_back(parse_function_def(*f, member_path(tpath, "function")));
    }
  } else if (functions != nullptr) {
    r.legacy_functions = true;
    std::size_t j = 0;
    for (const Json& fv : as_array(*functions, "$.functions")) r.tools.push_back(parse_function_def(fv, index_path("$.functions", j++)));
  }
  const Json* tool_choice = find(root, "tool_choice");
  const Json* function_call = find(root, "function_call");
  if (tool_choice != nullptr && function_call != nullptr)
    shape_error("$", "both \"tool_choice\" and the legacy \"function_call\" are given");
  if (tool_choice != nullptr) r.tool_choice = parse_tool_choice(*tool_choice, "$.tool_choice", false);
  if (function_call != nullptr) r.tool_choice = parse_tool_choice(*function_call, "$.function_call", true);

  if (const Json* rf = find(root, "response_format")) {
    as_object(*rf, "$.response_format");
    const std::string& type = required_string(*rf, "type", "$.response_format");
    if (type == "text") {
      r.response_format.type = ResponseFormat::Type::kText;
    } else if (type == "json_object") {
      r.response_format.type = ResponseFormat::Type::kJsonObject;
    } else if (type == "json_schema") {
      r.response_format.type = ResponseFormat::Type::kJsonSchema;
      const Json* js = find(*rf, "json_schema");
      if (js == nullptr) shape_error("$.response_format", "missing \"json_schema\"");
      const std::string jpath = "$.response_format.json_schema";
      as_object(*js, jpath);
      r.response_format.name = required_string(*js, "name", jpath);
      r.response_format.description = opt_string(*js, "description", jpath);
      if (const Json* s = find(*js, "schema")) r.response_format.schema_json = as_object(*s, jpath + ".schema").dump();
    } else {
      shape_error("$.response_format.type", "unknown response format '" + type + "'");
    }
  }
  if (const Json* v = find(root, "max_completion_tokens")) r.max_output_tokens = non_negative(*v, "$.max_completion_tokens");
  else if (const Json* w = find(root, "max_tokens")) r.max_output_tokens = non_negative(*w, "$.max_tokens");
  if (const Json* v = find(root, "n")) {
    const std::uint64_t n = non_negative(*v, "$.n");
    if (n == 0 || n > 128) shape_error("$.n", "must be between 1 and 128");
    r.n = static_cast<std::uint32_t>(n);
  }
  r.reasoning_effort = opt_string(root, "reasoning_effort", "$");
  return r;
}

}  // namespace tokcount::chat
