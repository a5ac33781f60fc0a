// Request bodies for lint: an OpenAI Chat Completions body (counted through tokcount::chat,
// the same render `tokcount chat` reports) or an Anthropic Messages body (blocks estimated with
// the linter's encoding: Anthropic's tokenizer is not public [spec 6.3]) becomes positions in
// provider order, the static strings to lint, and the end of the cacheable region [spec 7]:
//  - OpenAI: everything before the final turn (the trailing user / tool messages after the last
//    assistant message), or through the last explicit prompt_cache_breakpoint if later;
//  - Anthropic: through the last cache_control breakpoint; with the top-level (automatic)
//    cache_control, the whole request; with neither, nothing is cached.
// Only static strings are linted with the text rules: tool and schema descriptions, and
// system / developer text. History messages are what the conversation said; they are stable
// once sent, so a date in an old user message costs no cache hits.
#include <algorithm>
#include <set>

#include "chat/json_util.hpp"
#include "lint/request_model.hpp"
#include "tokcount/chat.hpp"

namespace tokcount::lint::detail {
namespace {

using chat::detail::find;
using chat::detail::index_path;
using chat::detail::member_path;
using chat::detail::shape_error;

Json without_cache_control(const Json& v) {
  if (!v.is_object() || !v.contains("cache_control")) return v;
  Json copy = v;
  copy.erase("cache_control");
  return copy;
}

const Json& object_at(const Json& v, const std::string& path) {
  if (!v.is_object()) shape_error(path, "expected an object");
  return v;
}

const Json& array_at(const Json& v, const std::string& path) {
  if (!v.is_array()) shape_error(path, "expected an array");
  return v;
}

// Every "description" string of a JSON Schema (they are rendered into the prompt as comments or
// text), depth first in source order.
void schema_descriptions(const Json& schema, const std::string& path, std::vector<std::pair<std::string, std::string>>& out,
                         int depth = 0) {
  if (depth > 64) return;
  if (schema.is_object()) {
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      const std::string p = member_path(path, it.key());
      if (it.key() == "description" && it.value().is_string()) out.emplace_back(p, it.value().get<std::string>());
      else schema_descriptions(it.value(), p, out, depth + 1);
    }
  } else if (schema.is_array()) {
    for (std::size_t i = 0; i < schema.size(); ++i) schema_descriptions(schema[i], index_path(path, i), out, depth + 1);
  }
}

struct Builder {
  const Linter& linter;
  RequestModel& m;
  std::vector<std::pair<std::size_t, std::pair<std::string, std::string>>> texts;  // position, (path, text)

  std::size_t add(Position p) {
    m.positions.push_back(std::move(p));
    return m.positions.size() - 1;
  }
  void text(std::size_t position, std::string path, std::string value) {
    texts.push_back({position, {std::move(path), std::move(value)}});
  }
  // `obj`'s "description" and every description inside its schema member `schema_key`: the
  // static strings a tool definition or a response schema puts into the prompt.
  void descriptions(std::size_t position, const Json& obj, const std::string& path, const char* schema_key) {
    if (const Json* d = find(obj, "description"); d && d->is_string())
      text(position, member_path(path, "description"), d->get<std::string>());
    if (const Json* schema = find(obj, schema_key)) {
      std::vector<std::pair<std::string, std::string>> found;
      schema_descriptions(*schema, member_path(path, schema_key), found);
      for (auto& [dp, dt] : found) text(position, std::move(dp), std::move(dt));
    }
  }
  std::size_t estimate(std::string_view s) const { return linter.encoding().count_ordinary(s); }
};

void parse_breakpoint(const Json& block, Position& p, const std::string& path) {
  const Json* cc = find(block, "cache_control");
  if (cc == nullptr) return;
  object_at(*cc, member_path(path, "cache_control"));
  p.breakpoint = true;
  p.ttl = "5m";
  if (const Json* ttl = find(*cc, "ttl"); ttl != nullptr && ttl->is_string()) p.ttl = ttl->get<std::string>();
}

// Trailing messages after the last assistant message that are not system/developer: the turn
// this request adds.
std::size_t final_turn_message(const Json& messages) {
  std::size_t first = messages.size();
  for (std::size_t i = messages.size(); i-- > 0;) {
    const Json& mv = messages[i];
    const Json* role = mv.is_object() ? find(mv, "role") : nullptr;
    const std::string r = role != nullptr && role->is_string() ? role->get<std::string>() : "";
    if (r == "assistant" || r == "system" || r == "developer") break;
    first = i;
  }
  return first;
}

// The request's "messages" array (both layouts require it): its path goes to `path`, and the
// model learns how many there are.
const Json& messages_of(const Json& body, const std::string& root, RequestModel& m, std::string& path) {
  const Json* msgs = find(body, "messages");
  if (msgs == nullptr) shape_error(root, "missing \"messages\"");
  path = member_path(root, "messages");
  array_at(*msgs, path);
  m.messages = msgs->size();
  return *msgs;
}

bool is_reasoning_model(std::string_view model) {
  auto starts = [&](std::string_view p) { return model.substr(0, p.size()) == p; };
  if (starts("gpt-5") && model.find("-chat") == std::string_view::npos) return true;
  return starts("o1") || starts("o3") || starts("o4") || starts("codex");
}

// ---- OpenAI Chat Completions ------------------------------------------------------------------

void build_openai(const Json& body, Builder& b) {
  RequestModel& m = b.m;
  const std::string& root = m.root;
  const std::string tools_key = find(body, "tools") != nullptr ? "tools" : "functions";
  if (const Json* tools = find(body, tools_key)) {
    const std::string tpath = member_path(root, tools_key);
    array_at(*tools, tpath);
    for (std::size_t i = 0; i < tools->size(); ++i) {
      const Json& tv = (*tools)[i];
      const std::string path = index_path(tpath, i);
      object_at(tv, path);
      const Json* fn = tools_key == "tools" ? find(tv, "function") : &tv;
      const std::string fpath = tools_key == "tools" ? member_path(path, "function") : path;
      Position p{path, Level::kTools, -1, "tool", compact(tv), 0, false, "", "", ""};
      const std::size_t pos = b.add(std::move(p));
      m.tool_positions.push_back(pos);
      std::string name;
      if (fn != nullptr && fn->is_object()) {
        if (const Json* n = find(*fn, "name"); n && n->is_string()) name = n->get<std::string>();
        b.descriptions(pos, *fn, fpath, "parameters");
      } else if (const Json* n = find(tv, "name"); n && n->is_string()) {
        name = n->get<std::string>();  // a non-function tool type (custom, web search ...)
      } else if (const Json* t = find(tv, "type"); t && t->is_string()) {
        name = t->get<std::string>();
      }
      m.tool_names.push_back(name);
    }
  }
  if (const Json* rf = find(body, "response_format"); rf && rf->is_object()) {
    const std::string path = member_path(root, "response_format");
    const std::size_t pos = b.add({path, Level::kSchema, -1, "schema", compact(*rf), 0, false, "", "", ""});
    m.schema_position = pos;
    if (const Json* js = find(*rf, "json_schema"); js && js->is_object()) {
      const std::string jpath = member_path(path, "json_schema");
      b.descriptions(pos, *js, jpath, "schema");
    }
  }
  std::string mpath;
  const Json* msgs = &messages_of(body, root, m, mpath);
  const std::size_t final_msg = final_turn_message(*msgs);
  std::optional<std::size_t> last_explicit;  // GPT-5.6+ prompt_cache_breakpoint on a part
  m.final_turn = m.positions.size() + final_msg;
  for (std::size_t i = 0; i < msgs->size(); ++i) {
    const Json& mv = (*msgs)[i];
    const std::string path = index_path(mpath, i);
    object_at(mv, path);
    const Json* role = find(mv, "role");
    const std::string r = role != nullptr && role->is_string() ? role->get<std::string>() : "";
    const bool instructions = r == "system" || r == "developer";
    const std::size_t pos = b.add({path, instructions ? Level::kSystem : Level::kMessages, static_cast<int>(i),
                                   "message", compact(mv), 0, false, "", "", ""});
    const Json* content = find(mv, "content");
    if (content != nullptr && content->is_array())
      for (std::size_t j = 0; j < content->size(); ++j)
        if ((*content)[j].is_object() && find((*content)[j], "prompt_cache_breakpoint") != nullptr) last_explicit = pos;
    if (!instructions || i >= final_msg || content == nullptr) continue;
    const std::string cpath = member_path(path, "content");
    if (content->is_string()) {
      b.text(pos, cpath, content->get<std::string>());
    } else if (content->is_array()) {
      for (std::size_t j = 0; j < content->size(); ++j) {
        const Json& part = (*content)[j];
        if (!part.is_object()) continue;
        if (const Json* t = find(part, "text"); t && t->is_string())
          b.text(pos, member_path(index_path(cpath, j), "text"), t->get<std::string>());
      }
    }
  }
  m.cacheable_positions = m.final_turn;
  if (last_explicit && *last_explicit + 1 > m.cacheable_positions) m.cacheable_positions = *last_explicit + 1;

  // Tokens: the chat module's render, attributed to positions by the JSON path / message of
  // each rendered segment. Tool definitions render as one block; its tokens are shared among
  // the tools in proportion to their JSON size.
  bool rendered = false;
  try {
    chat::Options opts;
    opts.model = m.model.empty() ? b.linter.config().model : m.model;
    opts.encoding = b.linter.encoding().name();
    opts.unknown_image_size = chat::UnknownImageSize::kWorstCase;
    const std::string text = compact(body);
    const chat::Result r = chat::render_json(text, opts);
    std::size_t tools_tokens = 0, pending = 0;
    const std::size_t first_message = m.positions.size() - msgs->size();
    for (const chat::Segment& s : r.segments) {
      const std::size_t n = s.end - s.begin;
      if (s.message >= 0 && static_cast<std::size_t>(s.message) < msgs->size()) {
        m.positions[first_message + static_cast<std::size_t>(s.message)].tokens += n + pending;
        pending = 0;
      } else if (s.kind == chat::SegmentKind::kTools || s.kind == chat::SegmentKind::kToolChoice) {
        tools_tokens += n + pending;
        pending = 0;
      } else if (s.kind == chat::SegmentKind::kResponseFormat && m.schema_position) {
        m.positions[*m.schema_position].tokens += n + pending;
        pending = 0;
      } else if (s.kind != chat::SegmentKind::kPriming) {
        pending += n;  // renderer-added text (harmony system message): belongs to what follows
      }
    }
    if (!m.tool_positions.empty()) {
      std::size_t weight = 0;
      for (std::size_t p : m.tool_positions) weight += m.positions[p].bytes.size();
      std::size_t given = 0;
      for (std::size_t k = 0; k < m.tool_positions.size(); ++k) {
        Position& p = m.positions[m.tool_positions[k]];
        p.tokens = k + 1 == m.tool_positions.size() ? tools_tokens - given
                                                    : tools_tokens * p.bytes.size() / std::max<std::size_t>(weight, 1);
        given += p.tokens;
      }
    } else if (m.schema_position) {
      m.positions[*m.schema_position].tokens += tools_tokens;
    }
    rendered = true;
  } catch (const Error&) {
    // A body the chat module cannot render (content types it does not model): estimate each
    // block from its JSON, and say the counts are estimates.
  }
  if (!rendered) {
    for (Position& p : m.positions) p.tokens = b.estimate(p.bytes);
    m.tokens_estimated = true;
  }

  if (const Json* k = find(body, "prompt_cache_key"); k && k->is_string()) m.prompt_cache_key = k->get<std::string>();
  for (const char* key : {"model", "tool_choice", "reasoning_effort", "reasoning", "service_tier", "parallel_tool_calls",
                          "prompt_cache_retention", "prompt_cache_options", "verbosity", "web_search_options"})
    if (const Json* v = find(body, key)) m.params[key] = compact(*v);
  // Image detail changes the image tokens: collected per image in message order.
  std::string details;
  for (std::size_t i = 0; i < msgs->size(); ++i)
    if (const Json* c = find((*msgs)[i], "content"); c && c->is_array())
      for (const Json& part : *c)
        if (part.is_object())
          if (const Json* iu = find(part, "image_url"); iu && iu->is_object())
            if (const Json* d = find(*iu, "detail"); d && d->is_string()) details += d->get<std::string>() + ",";
  if (!details.empty()) m.params["image detail"] = details;
  m.reasoning_model = is_reasoning_model(m.model) || find(body, "reasoning_effort") != nullptr;
}

// ---- Anthropic Messages -----------------------------------------------------------------------

std::size_t block_tokens(const Builder& b, const Json& block) {
  const Json* type = find(block, "type");
  const std::string t = type != nullptr && type->is_string() ? type->get<std::string>() : "";
  if (t == "text")
    if (const Json* x = find(block, "text"); x && x->is_string()) return b.estimate(x->get_ref<const std::string&>());
  // An image's tokens depend on its pixels (about w*h/750, capped near 1,600); the size is not
  // read here, so the cap stands in [INF].
  if (t == "image") return 1600;
  return b.estimate(compact(without_cache_control(block)));
}

void build_anthropic(const Json& body, Builder& b) {
  RequestModel& m = b.m;
  const std::string& root = m.root;
  if (const Json* tools = find(body, "tools")) {
    const std::string tpath = member_path(root, "tools");
    array_at(*tools, tpath);
    for (std::size_t i = 0; i < tools->size(); ++i) {
      const Json& tv = (*tools)[i];
      const std::string path = index_path(tpath, i);
      object_at(tv, path);
      Position p{path, Level::kTools, -1, "tool", compact(without_cache_control(tv)), 0, false, "", "", ""};
      parse_breakpoint(tv, p, path);
      p.tokens = b.estimate(p.bytes);
      const std::size_t pos = b.add(std::move(p));
      m.tool_positions.push_back(pos);
      const Json* n = find(tv, "name");
      m.tool_names.push_back(n != nullptr && n->is_string() ? n->get<std::string>() : "");
      b.descriptions(pos, tv, path, "input_schema");
    }
  }
  if (const Json* sys = find(body, "system")) {
    const std::string spath = member_path(root, "system");
    if (sys->is_string()) {
      const std::size_t pos =
          b.add({spath, Level::kSystem, -1, "system", compact(*sys), b.estimate(sys->get_ref<const std::string&>()), false, "",
                 sys->get<std::string>(), spath});
      b.text(pos, spath, sys->get<std::string>());
    } else {
      array_at(*sys, spath);
      for (std::size_t i = 0; i < sys->size(); ++i) {
        const Json& block = (*sys)[i];
        const std::string path = index_path(spath, i);
        object_at(block, path);
        Position p{path, Level::kSystem, -1, "system", compact(without_cache_control(block)), block_tokens(b, block), false, "", "", ""};
        parse_breakpoint(block, p, path);
        const Json* t = find(block, "text");
        if (t != nullptr && t->is_string()) {
          p.text = t->get<std::string>();
          p.text_path = member_path(path, "text");
        }
        const std::size_t pos = b.add(std::move(p));
        if (t != nullptr && t->is_string()) b.text(pos, member_path(path, "text"), t->get<std::string>());
      }
    }
  }
  std::string mpath;
  const Json* msgs = &messages_of(body, root, m, mpath);
  const std::size_t final_msg = final_turn_message(*msgs);
  m.final_turn = std::string::npos;
  for (std::size_t i = 0; i < msgs->size(); ++i) {
    const Json& mv = (*msgs)[i];
    const std::string path = index_path(mpath, i);
    object_at(mv, path);
    if (i == final_msg) m.final_turn = m.positions.size();
    const Json* content = find(mv, "content");
    const std::string cpath = member_path(path, "content");
    if (content == nullptr) continue;
    if (content->is_string()) {
      b.add({cpath, Level::kMessages, static_cast<int>(i), "text", compact(*content),
             b.estimate(content->get_ref<const std::string&>()), false, "", content->get<std::string>(), cpath});
      continue;
    }
    array_at(*content, cpath);
    for (std::size_t j = 0; j < content->size(); ++j) {
      const Json& block = (*content)[j];
      const std::string bpath = index_path(cpath, j);
      object_at(block, bpath);
      const Json* type = find(block, "type");
      Position p{bpath, Level::kMessages, static_cast<int>(i),
                 type != nullptr && type->is_string() ? type->get<std::string>() : "block",
                 compact(without_cache_control(block)), block_tokens(b, block), false, "", "", ""};
      parse_breakpoint(block, p, bpath);
      if (const Json* t = find(block, "text"); t && t->is_string() && p.kind == "text") {
        p.text = t->get<std::string>();
        p.text_path = member_path(bpath, "text");
      }
      b.add(std::move(p));
    }
  }
  if (m.final_turn == std::string::npos) m.final_turn = m.positions.size();
  if (const Json* cc = find(body, "cache_control"); cc && cc->is_object()) {
    m.automatic_caching = true;
    m.automatic_ttl = "5m";
    if (const Json* ttl = find(*cc, "ttl"); ttl && ttl->is_string()) m.automatic_ttl = ttl->get<std::string>();
  }
  std::size_t end = 0;
  for (std::size_t p = 0; p < m.positions.size(); ++p)
    if (m.positions[p].breakpoint) end = p + 1;
  if (m.automatic_caching) end = m.positions.size();
  m.cacheable_positions = end;
  m.tokens_estimated = true;

  for (const char* key : {"model", "tool_choice", "thinking", "output_config", "speed", "service_tier"})
    if (const Json* v = find(body, key)) m.params[key] = compact(*v);
  // Server tools that toggle web search / citations invalidate the system level [spec 3.4].
  std::string server_tools;
  for (const std::string& n : m.tool_names)
    if (n == "web_search" || n == "web_fetch" || n == "code_execution") server_tools += n + ",";
  if (!server_tools.empty()) m.params["server tools"] = server_tools;
  std::size_t images = 0;
  for (const Position& p : m.positions) images += p.kind == "image" ? 1 : 0;
  (void)images;
}

}  // namespace

std::string path_label(const std::string& path) {
  // "$.request.messages[0].content" -> "request.messages[0].content"
  return path.size() > 2 && path.compare(0, 2, "$.") == 0 ? path.substr(2) : path;
}

const char* api_name(Api api) noexcept { return api == Api::kOpenAiChat ? "openai-chat" : "anthropic-messages"; }

const char* level_name(Level l) noexcept {
  switch (l) {
    case Level::kTools: return "tools";
    case Level::kSchema: return "schema";
    case Level::kSystem: return "system";
    case Level::kMessages: return "messages";
  }
  return "?";
}

std::string compact(const Json& v) { return v.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string canonical(const Json& v) {
  if (v.is_object()) {
    std::vector<std::pair<std::string, const Json*>> items;
    for (auto it = v.begin(); it != v.end(); ++it) items.emplace_back(it.key(), &it.value());
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += ',';
      out += Json(items[i].first).dump();
      out += ':';
      out += canonical(*items[i].second);
    }
    return out + "}";
  }
  if (v.is_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i) out += ',';
      out += canonical(v[i]);
    }
    return out + "]";
  }
  return compact(v);
}

Api detect_api(const Json& body) noexcept {
  if (!body.is_object()) return Api::kOpenAiChat;
  if (const Json* model = find(body, "model"); model && model->is_string() &&
                                               model->get_ref<const std::string&>().rfind("claude", 0) == 0)
    return Api::kAnthropicMessages;
  if (body.contains("system") || body.contains("anthropic_version") || body.contains("cache_control"))
    return Api::kAnthropicMessages;
  if (const Json* tools = find(body, "tools"); tools && tools->is_array())
    for (const Json& t : *tools)
      if (t.is_object() && (t.contains("input_schema") || t.contains("cache_control"))) return Api::kAnthropicMessages;
  if (const Json* msgs = find(body, "messages"); msgs && msgs->is_array())
    for (const Json& mv : *msgs)
      if (const Json* c = mv.is_object() ? find(mv, "content") : nullptr; c && c->is_array())
        for (const Json& block : *c)
          if (block.is_object()) {
            if (block.contains("cache_control")) return Api::kAnthropicMessages;
            if (const Json* t = find(block, "type"); t && t->is_string()) {
              const std::string& s = t->get_ref<const std::string&>();
              if (s == "tool_use" || s == "tool_result" || s == "thinking" || s == "document") return Api::kAnthropicMessages;
            }
          }
  return Api::kOpenAiChat;
}

RequestModel build_request_model(const Json& body, const std::string& root, const Linter& linter) {
  object_at(body, root);
  RequestModel m;
  m.root = root;
  m.api = detect_api(body);
  if (const Json* model = find(body, "model"); model && model->is_string()) m.model = model->get<std::string>();
  Builder b{linter, m, {}};
  if (m.api == Api::kOpenAiChat) build_openai(body, b);
  else build_anthropic(body, b);

  m.cumulative.resize(m.positions.size());
  std::size_t sum = 0;
  for (std::size_t p = 0; p < m.positions.size(); ++p) {
    sum += m.positions[p].tokens;
    m.cumulative[p] = sum;
    if (p + 1 == m.cacheable_positions) m.cacheable_tokens = sum;
  }
  for (auto& [pos, pt] : b.texts) {
    if (pos >= m.cacheable_positions) continue;
    m.segments.push_back({std::move(pt.second), path_label(pt.first), pt.first, true});
    m.segment_position.push_back(pos);
  }
  return m;
}

Finding request_finding(const Config& config, int rule, std::string json_path, std::string message, std::string excerpt,
                        std::size_t tokens_at_risk) {
  const RuleInfo& info = rules()[static_cast<std::size_t>(rule)];
  Finding f;
  f.rule = &info;
  f.severity = config.severity(info);
  f.location.segment = kNoSegment;
  f.location.label = path_label(json_path);
  f.location.json_path = std::move(json_path);
  f.message = std::move(message);
  f.excerpt = std::move(excerpt);
  // The whole excerpt is the finding (a summary of the value at json_path).
  std::size_t cps = 0;
  for (unsigned char c : f.excerpt) cps += (c & 0xC0) != 0x80;
  f.excerpt_mark_end = cps;
  f.tokens_at_risk = tokens_at_risk;
  return f;
}

}  // namespace tokcount::lint::detail
