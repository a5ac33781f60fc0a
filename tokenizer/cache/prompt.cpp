// prepare(): a request body -> Prompt (rendered tokens + cacheable blocks + parameters).
// OpenAI Chat Completions bodies go to chat::parse_request as they are; Anthropic Messages
// bodies are mapped onto the chat structures (system blocks -> a system message, tool_use ->
// tool calls, tool_result -> tool messages) so that the one renderer counts them.
#include <xxhash.h>

#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "cache/cache_internal.hpp"
#include "chat/json_util.hpp"
#include "tokcount/cache.hpp"

namespace tokcount::cache {

using chat::detail::Json;

const char* provider_name(Provider p) noexcept {
  switch (p) {
    case Provider::kOpenAI: return "openai";
    case Provider::kAnthropic: return "anthropic";
    case Provider::kVllm: return "vllm";
    case Provider::kSglang: return "sglang";
  }
  return "?";
}

std::optional<Provider> parse_provider(std::string_view n) noexcept {
  if (n == "openai") return Provider::kOpenAI;
  if (n == "anthropic") return Provider::kAnthropic;
  if (n == "vllm") return Provider::kVllm;
  if (n == "sglang") return Provider::kSglang;
  return std::nullopt;
}

const char* level_name(Level l) noexcept {
  switch (l) {
    case Level::kRoot: return "root";
    case Level::kTools: return "tools";
    case Level::kSchema: return "schema";
    case Level::kSystem: return "system";
    case Level::kMessages: return "messages";
    case Level::kEnd: return "end";
  }
  return "?";
}

// ---- token cache --------------------------------------------------------------------------

struct TokenCache::Impl {
  struct Key {
    std::string encoding;
    std::string text;  // kept so a hash collision can never return another text's tokens
    bool operator==(const Key& o) const { return encoding == o.encoding && text == o.text; }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), XXH3_64bits(k.text.data(), k.text.size()), k.encoding);
    }
  };
  std::mutex mu;
  absl::flat_hash_map<Key, std::vector<Rank>> map;
  std::size_t bytes = 0, max_bytes;
  std::size_t hits = 0, misses = 0;
  explicit Impl(std::size_t m) : max_bytes(m) {}
};

TokenCache::TokenCache(std::size_t max_bytes) : impl_(std::make_unique<Impl>(max_bytes)) {}
TokenCache::~TokenCache() = default;
std::size_t TokenCache::hits() const noexcept { return impl_->hits; }
std::size_t TokenCache::misses() const noexcept { return impl_->misses; }

chat::PieceTokens TokenCache::hook() {
  Impl* impl = impl_.get();
  return [impl](const Encoding& enc, std::string_view text, std::vector<Rank>& out) {
    // Short pieces (format text, roles) are cheaper to encode than to look up and store.
    if (text.size() < 64) {
      EncodeOptions o;
      o.disallowed_special = TokenSet::none();
      enc.encode_into(text, o, out);
      return;
    }
    Impl::Key key{enc.name(), std::string(text)};
    {
      std::lock_guard<std::mutex> lock(impl->mu);
      auto it = impl->map.find(key);
      if (it != impl->map.end()) {
        ++impl->hits;
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
      ++impl->misses;
    }
    std::vector<Rank> toks;
    EncodeOptions o;
    o.disallowed_special = TokenSet::none();
    enc.encode_into(text, o, toks);
    out.insert(out.end(), toks.begin(), toks.end());
    std::lock_guard<std::mutex> lock(impl->mu);
    const std::size_t cost = key.text.size() + toks.size() * sizeof(Rank) + 64;
    if (impl->bytes + cost > impl->max_bytes) {  // bounded: start over rather than track LRU
      impl->map.clear();
      impl->bytes = 0;
    }
    impl->bytes += cost;
    impl->map.emplace(std::move(key), std::move(toks));
  };
}

namespace {

using chat::detail::find;

std::string str_or(const Json& obj, std::string_view key) {
  const Json* v = find(obj, key);
  if (v == nullptr) return {};
  return v->is_string() ? v->get<std::string>() : v->dump();
}

std::string ttl_of(const Json& block) {
  const Json* cc = block.is_object() ? find(block, "cache_control") : nullptr;
  if (cc == nullptr || !cc->is_object()) return {};
  const Json* ttl = find(*cc, "ttl");
  return ttl != nullptr && ttl->is_string() ? ttl->get<std::string>() : "5m";
}

bool looks_anthropic(const Json& root) {
  if (find(root, "system") != nullptr) return true;
  const std::string model = str_or(root, "model");
  if (model.rfind("claude", 0) == 0 || model.find("anthropic") != std::string::npos) return true;
  if (const Json* tools = find(root, "tools"); tools != nullptr && tools->is_array())
    for (const Json& t : *tools)
      if (t.is_object() && find(t, "input_schema") != nullptr) return true;
  if (const Json* msgs = find(root, "messages"); msgs != nullptr && msgs->is_array())
    for (const Json& m : *msgs) {
      const Json* c = m.is_object() ? find(m, "content") : nullptr;
      if (c == nullptr || !c->is_array()) continue;
      for (const Json& b : *c) {
        const std::string type = b.is_object() ? str_or(b, "type") : "";
        if (type == "tool_use" || type == "tool_result" || (type == "image" && find(b, "source") != nullptr))
          return true;
      }
    }
  return false;
}

// Where an Anthropic block landed in the chat request.
struct AnthropicBlock {
  std::string path, kind, ttl;
  Level level;
  int chat_message, chat_part, chat_tool_call;
  int message;  // index in the Anthropic messages array (-1: system / tools)
};

std::string text_of_tool_result(const Json& b, const std::string& path) {
  const Json* c = find(b, "content");
  if (c == nullptr) return {};
  if (c->is_string()) return c->get<std::string>();
  std::string out;
  for (const Json& x : chat::detail::as_array(*c, path + ".content"))
    if (x.is_object() && str_or(x, "type") == "text") out += str_or(x, "text");
    else out += x.dump();
  return out;
}

chat::ContentPart image_part(const Json& b) {
  chat::ContentPart p;
  p.type = chat::ContentPart::Type::kImageUrl;
  const Json* src = find(b, "source");
  if (src != nullptr && src->is_object()) {
    if (str_or(*src, "type") == "base64")
      p.image.url = "data:" + str_or(*src, "media_type") + ";base64," + str_or(*src, "data");
    else
      p.image.url = str_or(*src, "url");
  }
  return p;
}

chat::Request map_anthropic(const Json& root, std::vector<AnthropicBlock>& blocks, Params& params) {
  using chat::detail::as_array;
  using chat::detail::as_object;
  chat::Request r;
  r.model = str_or(root, "model");
  if (const Json* tools = find(root, "tools")) {
    std::size_t i = 0;
    std::string ttl;
    for (const Json& t : as_array(*tools, "$.tools")) {
      const std::string path = chat::detail::index_path("$.tools", i++);
      as_object(t, path);
      chat::FunctionDef f;
      f.name = str_or(t, "name");
      if (const Json* d = find(t, "description"); d != nullptr && d->is_string()) f.description = d->get<std::string>();
      if (const Json* s = find(t, "input_schema"); s != nullptr && s->is_object()) f.parameters_json = s->dump();
      else if (const Json* ty = find(t, "type"); ty != nullptr) f.parameters_json = Json{{"type", *ty}}.dump();  // server tool
      if (std::string x = ttl_of(t); !x.empty()) ttl = x;
      r.tools.push_back(std::move(f));
    }
    if (!r.tools.empty()) blocks.push_back({"$.tools", "tools", ttl, Level::kTools, -2, -1, -1, -1});
  }
  if (const Json* sys = find(root, "system")) {
    chat::Message m;
    m.role = "system";
    const int mi = static_cast<int>(r.messages.size());
    if (sys->is_string()) {
      m.content.push_back({chat::ContentPart::Type::kText, sys->get<std::string>(), {}});
      blocks.push_back({"$.system", "text", "", Level::kSystem, mi, 0, -1, -1});
    } else {
      std::size_t j = 0;
      for (const Json& b : as_array(*sys, "$.system")) {
        const std::string path = chat::detail::index_path("$.system", j++);
        as_object(b, path);
        m.content.push_back({chat::ContentPart::Type::kText, str_or(b, "text"), {}});
        blocks.push_back({path, "text", ttl_of(b), Level::kSystem, mi, static_cast<int>(m.content.size()) - 1, -1, -1});
      }
    }
    r.messages.push_back(std::move(m));
  }
  const Json* msgs = find(root, "messages");
  if (msgs == nullptr) chat::detail::shape_error("$", "missing \"messages\"");
  std::size_t i = 0;
  for (const Json& mv : as_array(*msgs, "$.messages")) {
    const std::string mpath = chat::detail::index_path("$.messages", i);
    const int ai = static_cast<int>(i++);
    as_object(mv, mpath);
    const std::string role = str_or(mv, "role");
    const Json* c = find(mv, "content");
    chat::Message cur;
    cur.role = role;
    auto flush = [&] {
      if (!cur.content.empty() || !cur.tool_calls.empty()) r.messages.push_back(std::move(cur));
      cur = chat::Message();
      cur.role = role;
    };
    if (c != nullptr && c->is_string()) {
      cur.content.push_back({chat::ContentPart::Type::kText, c->get<std::string>(), {}});
      blocks.push_back({mpath + ".content", "text", "", Level::kMessages, static_cast<int>(r.messages.size()), 0, -1, ai});
      flush();
      continue;
    }
    std::size_t j = 0;
    for (const Json& b : c == nullptr ? Json::array() : as_array(*c, mpath + ".content")) {
      const std::string bpath = chat::detail::index_path(mpath + ".content", j++);
      as_object(b, bpath);
      const std::string type = str_or(b, "type");
      const std::string ttl = ttl_of(b);
      if (type == "tool_result") {
        flush();
        chat::Message t;
        t.role = "tool";
        t.tool_call_id = str_or(b, "tool_use_id");
        t.content.push_back({chat::ContentPart::Type::kText, text_of_tool_result(b, bpath), {}});
        blocks.push_back({bpath, "tool_result", ttl, Level::kMessages, static_cast<int>(r.messages.size()), 0, -1, ai});
        r.messages.push_back(std::move(t));
      } else if (type == "tool_use") {
        chat::ToolCall call;
        call.id = str_or(b, "id");
        call.name = str_or(b, "name");
        const Json* in = find(b, "input");
        call.arguments = in != nullptr ? in->dump() : "{}";
        cur.tool_calls.push_back(std::move(call));
        blocks.push_back({bpath, "tool_use", ttl, Level::kMessages, static_cast<int>(r.messages.size()), -1,
                          static_cast<int>(cur.tool_calls.size()) - 1, ai});
      } else if (type == "image" || type == "document") {
        cur.content.push_back(image_part(b));
        blocks.push_back({bpath, "image", ttl, Level::kMessages, static_cast<int>(r.messages.size()),
                          static_cast<int>(cur.content.size()) - 1, -1, ai});
      } else if (type == "thinking" || type == "redacted_thinking") {
        // Not markable; counted as input only when read back (research §3.4): kept as text.
        cur.content.push_back({chat::ContentPart::Type::kText, str_or(b, "thinking") + str_or(b, "data"), {}});
        blocks.push_back({bpath, "thinking", "", Level::kMessages, static_cast<int>(r.messages.size()),
                          static_cast<int>(cur.content.size()) - 1, -1, ai});
      } else {
        cur.content.push_back({chat::ContentPart::Type::kText, str_or(b, "text"), {}});
        blocks.push_back({bpath, "text", ttl, Level::kMessages, static_cast<int>(r.messages.size()),
                          static_cast<int>(cur.content.size()) - 1, -1, ai});
      }
    }
    flush();
  }
  params.tool_choice = find(root, "tool_choice") ? find(root, "tool_choice")->dump() : "";
  params.thinking = find(root, "thinking") ? find(root, "thinking")->dump() : "";
  params.speed = str_or(root, "speed");
  if (const Json* oc = find(root, "output_config"); oc != nullptr && oc->is_object()) params.reasoning_effort = str_or(*oc, "effort");
  if (const Json* cc = find(root, "cache_control"); cc != nullptr && cc->is_object()) {
    const Json* ttl = find(*cc, "ttl");
    params.auto_cache_ttl = ttl != nullptr && ttl->is_string() ? ttl->get<std::string>() : "5m";
  }
  return r;
}

Level level_of_message(const chat::Request& r, int message) {
  if (message < 0 || static_cast<std::size_t>(message) >= r.messages.size()) return Level::kMessages;
  const std::string& role = r.messages[static_cast<std::size_t>(message)].role;
  return role == "system" || role == "developer" ? Level::kSystem : Level::kMessages;
}

}  // namespace

namespace detail {

Level segment_level(const chat::Request& r, const chat::Segment& s) {
  switch (s.kind) {
    case chat::SegmentKind::kTools:
    case chat::SegmentKind::kToolChoice: return Level::kTools;
    case chat::SegmentKind::kResponseFormat: return Level::kSchema;
    case chat::SegmentKind::kPriming: return Level::kEnd;
    default: break;
  }
  if (s.message < 0) {
    if (s.path.rfind("$.tools", 0) == 0 || s.path.rfind("$.functions", 0) == 0) return Level::kTools;
    if (s.path.rfind("$.response_format", 0) == 0) return Level::kSchema;
    return Level::kSystem;  // harmony's generated system / developer messages
  }
  return level_of_message(r, s.message);
}

}  // namespace detail

Prompt prepare(std::string_view body, const PrepareOptions& options) {
  const Json doc = chat::detail::parse_json(body, "request");
  const Json& root = chat::detail::as_object(doc, "$");
  Prompt p;
  p.provider = options.provider ? *options.provider : (looks_anthropic(root) ? Provider::kAnthropic : Provider::kOpenAI);
  const bool anthropic = p.provider == Provider::kAnthropic && looks_anthropic(root);
  chat::Options copts = options.chat;
  if (options.token_cache != nullptr && !copts.piece_tokens) copts.piece_tokens = options.token_cache->hook();
  std::vector<AnthropicBlock> ablocks;
  if (anthropic) {
    p.api = "messages";
    p.request = map_anthropic(root, ablocks, p.params);
    p.params.model = p.request.model;
    // Anthropic's tokenizer is not public: count with an OpenAI model's rules (estimate).
    if (copts.model.empty()) copts.model = options.anthropic_estimate_model;
    copts.unknown_image_size = chat::UnknownImageSize::kWorstCase;
    p.tokens_estimated = true;
  } else {
    p.api = "chat";
    p.request = chat::detail::parse_request_doc(doc);
    p.params.model = copts.model.empty() ? p.request.model : copts.model;
    p.params.tool_choice = find(root, "tool_choice") ? find(root, "tool_choice")->dump()
                                                      : (find(root, "function_call") ? find(root, "function_call")->dump() : "");
    p.params.reasoning_effort = str_or(root, "reasoning_effort");
    if (const Json* re = find(root, "reasoning"); re != nullptr && re->is_object()) p.params.reasoning_effort = str_or(*re, "effort");
    if (const Json* pco = find(root, "prompt_cache_options"); pco != nullptr && pco->is_object()) p.params.cache_mode = str_or(*pco, "mode");
  }
  p.params.prompt_cache_key = str_or(root, "prompt_cache_key");
  p.params.retention = str_or(root, "prompt_cache_retention");
  p.params.service_tier = str_or(root, "service_tier");
  p.rendered = chat::render(p.request, copts);

  // Group segments into blocks.
  struct Key {
    int message, part, call;
    bool operator<(const Key& o) const {
      return std::tie(message, part, call) < std::tie(o.message, o.part, o.call);
    }
  };
  std::map<Key, std::size_t> index;
  for (const chat::Segment& s : p.rendered.segments) {
    Key k{0, 0, 0};
    std::string kind;
    Level level = detail::segment_level(p.request, s);
    switch (s.kind) {
      case chat::SegmentKind::kTools:
      case chat::SegmentKind::kToolChoice: k = {-2, -1, -1}; kind = "tools"; break;
      case chat::SegmentKind::kResponseFormat: k = {-3, -1, -1}; kind = "schema"; break;
      case chat::SegmentKind::kText:
      case chat::SegmentKind::kImage:
        if (s.message < 0) continue;
        k = {s.message, s.part < 0 ? 0 : s.part, -1};
        kind = s.kind == chat::SegmentKind::kImage ? "image" : "text";
        break;
      case chat::SegmentKind::kToolCall: k = {s.message, -1, s.tool_call}; kind = "tool_use"; break;
      default: continue;  // wrappers and priming belong to no block (they are counted before the next one)
    }
    auto it = index.find(k);
    if (it == index.end()) {
      Block b;
      b.kind = kind;
      b.level = level;
      b.message = k.message;
      b.token_begin = s.begin;
      b.token_end = s.end;
      if (k.message == -2) b.path = p.request.legacy_functions ? "$.functions" : "$.tools";
      else if (k.message == -3) b.path = "$.response_format";
      else if (k.call >= 0) b.path = "$.messages[" + std::to_string(k.message) + "].tool_calls[" + std::to_string(k.call) + "]";
      else if (s.part < 0) b.path = "$.messages[" + std::to_string(k.message) + "].content";
      else b.path = "$.messages[" + std::to_string(k.message) + "].content[" + std::to_string(k.part) + "]";
      if (!anthropic && k.message >= 0 && p.request.messages[static_cast<std::size_t>(k.message)].role == "tool")
        b.kind = "tool_result";
      index.emplace(k, p.blocks.size());
      p.blocks.push_back(std::move(b));
    } else {
      Block& b = p.blocks[it->second];
      b.token_begin = std::min(b.token_begin, s.begin);
      b.token_end = std::max(b.token_end, s.end);
    }
  }
  if (anthropic) {
    // Paths, TTLs and message indexes of the request as sent.
    for (const AnthropicBlock& ab : ablocks) {
      const Key k = ab.chat_message == -2 ? Key{-2, -1, -1}
                    : ab.chat_tool_call >= 0 ? Key{ab.chat_message, -1, ab.chat_tool_call}
                                             : Key{ab.chat_message, ab.chat_part, -1};
      auto it = index.find(k);
      if (it == index.end()) continue;  // an empty block renders no tokens
      Block& b = p.blocks[it->second];
      b.path = ab.path;
      b.kind = ab.kind;
      b.level = ab.level;
      b.message = ab.message;
      b.ttl = ab.ttl;
      b.breakpoint = !ab.ttl.empty();
    }
  } else {
    // OpenAI GPT-5.6+ explicit breakpoints on content parts.
    const Json* msgs = find(root, "messages");
    for (Block& b : p.blocks) {
      if (b.message < 0 || msgs == nullptr) continue;
      const Json& m = (*msgs)[static_cast<std::size_t>(b.message)];
      const Json* c = find(m, "content");
      if (c == nullptr || !c->is_array()) continue;
      const std::size_t open = b.path.rfind('[');
      if (b.path.find(".content[") == std::string::npos) continue;
      const std::size_t part = std::stoul(b.path.substr(open + 1));
      if (part >= c->size()) continue;
      const Json& pv = (*c)[part];
      if (const Json* bp = find(pv, "prompt_cache_breakpoint"); bp != nullptr) {
        b.breakpoint = true;
        b.ttl = bp->is_object() ? str_or(*bp, "ttl") : "";
      }
    }
  }
  std::stable_sort(p.blocks.begin(), p.blocks.end(),
                   [](const Block& a, const Block& b) { return a.token_end < b.token_end; });
  return p;
}

}  // namespace tokcount::cache
