// openai-harmony's renderer (v0.0.8, src/encoding.rs), reproduced piece for piece: every
// piece is encoded on its own with encode_ordinary (BPE never merges across pieces), and
// formatting tokens are o200k_harmony specials.
#include "chat/harmony.hpp"

#include <unordered_map>

#include "chat/json_util.hpp"
#include "chat/typescript.hpp"

namespace tokcount::chat {

HarmonySystemContent HarmonySystemContent::defaults() {
  HarmonySystemContent s;
  s.model_identity = "You are ChatGPT, a large language model trained by OpenAI.";
  s.reasoning_effort = "medium";
  s.knowledge_cutoff = "2024-06";
  s.channel_config = HarmonyChannelConfig{{"analysis", "commentary", "final"}, true};
  return s;
}

namespace detail {
namespace {

constexpr Rank kStart = 200006, kEnd = 200007, kMessage = 200008, kChannel = 200005, kConstrain = 200003,
               kCall = 200012;
constexpr std::string_view kConstrainText = "<|constrain|>";

bool valid_role(const std::string& r) {
  return r == "system" || r == "developer" || r == "user" || r == "assistant" || r == "tool";
}

std::map<std::string, ParsedHarmonyNamespace> parse_namespaces(const std::map<std::string, HarmonyNamespace>& in) {
  std::map<std::string, ParsedHarmonyNamespace> out;
  for (const auto& [key, ns] : in) {
    ParsedHarmonyNamespace p;
    p.name = ns.name;
    p.description = ns.description;
    for (const HarmonyTool& t : ns.tools) {
      ParsedHarmonyTool pt{t.name, t.description, std::nullopt};
      if (t.parameters_json) {
        Json params = parse_json(*t.parameters_json, "parameters of tool " + t.name);
        if (!params.is_null()) pt.parameters = std::move(params);
      }
      p.tools.push_back(std::move(pt));
    }
    out.emplace(key, std::move(p));
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string system_text(const HarmonySystemContent& sys, bool conversation_has_function_tools) {
  std::vector<std::string> sections, top;
  if (sys.model_identity) top.push_back(*sys.model_identity);
  if (sys.knowledge_cutoff) top.push_back("Knowledge cutoff: " + *sys.knowledge_cutoff);
  if (sys.conversation_start_date) top.push_back("Current date: " + *sys.conversation_start_date);
  if (!top.empty()) sections.push_back(join(top, "\n"));
  if (sys.reasoning_effort) sections.push_back("Reasoning: " + *sys.reasoning_effort);
  if (sys.tools && !sys.tools->empty()) sections.push_back(harmony_tools_section(parse_namespaces(*sys.tools)));
  if (sys.channel_config && !sys.channel_config->valid_channels.empty()) {
    std::string header = "# Valid channels: " + join(sys.channel_config->valid_channels, ", ") + ".";
    if (sys.channel_config->channel_required) header += " Channel must be included for every message.";
    if (conversation_has_function_tools)
      header += "\nCalls to these tools must go to the commentary channel: 'functions'.";
    sections.push_back(header);
  }
  return join(sections, "\n\n");
}

std::string developer_text(const HarmonyDeveloperContent& dev) {
  std::vector<std::string> sections;
  if (dev.instructions) {
    sections.push_back("# Instructions");
    sections.push_back(*dev.instructions);
  }
  if (dev.tools && !dev.tools->empty()) sections.push_back(harmony_tools_section(parse_namespaces(*dev.tools)));
  return join(sections, "\n\n");
}

bool has_function_tools(const HarmonyConversation& conv) {
  for (const HarmonyMessage& m : conv.messages)
    for (const HarmonyContent& c : m.content)
      if (c.type == HarmonyContent::Type::kDeveloper && c.developer.tools) {
        const auto it = c.developer.tools->find("functions");
        if (it != c.developer.tools->end() && !it->second.tools.empty()) return true;
      }
  return false;
}

}  // namespace

void render_harmony_into(Builder& b, const HarmonyConversation& conv, const std::vector<HarmonyOrigin>& origins,
                         const HarmonyRenderOptions& options) {
  if (b.encoding().name() != "o200k_harmony")
    throw Error(ErrorCode::kInvalidArgument, "harmony renders with o200k_harmony only");
  const bool function_tools = has_function_tools(conv);
  const auto& msgs = conv.messages;
  // auto_drop_analysis: when the last assistant message is on `final`, analysis messages
  // before the first `final` message (of any role) are dropped.
  bool last_assistant_final = false;
  for (auto it = msgs.rbegin(); it != msgs.rend(); ++it)
    if (it->role == "assistant") {
      last_assistant_final = it->channel && *it->channel == "final";
      break;
    }
  std::size_t first_final = msgs.size();
  for (std::size_t i = 0; i < msgs.size(); ++i)
    if (msgs[i].channel && *msgs[i].channel == "final") {
      first_final = i;
      break;
    }
  const bool drop = options.auto_drop_analysis && last_assistant_final;

  for (std::size_t i = 0; i < msgs.size(); ++i) {
    const HarmonyMessage& m = msgs[i];
    if (drop && i < first_final && m.channel && *m.channel == "analysis") continue;
    HarmonyOrigin fallback;
    fallback.message = static_cast<int>(i);
    fallback.role_label = m.role;
    const HarmonyOrigin& o = origins.empty() ? fallback : origins[i];
    if (!valid_role(m.role)) throw Error(ErrorCode::kInvalidArgument, "harmony: unknown role '" + m.role + "'");
    b.begin_message(o.message, o.role_label.empty() ? m.role : o.role_label);
    Source head;
    head.message = o.message;
    head.tool_call = o.tool_call;
    const bool u = o.uncertain;
    const std::string& rule = o.rule;
    b.special(kStart, SegmentKind::kFormat, Bucket::kMessageFormat, head, rule, u);
    if (m.role == "tool") {
      if (!m.name) throw Error(ErrorCode::kInvalidArgument, "harmony: tool messages need an author name");
      b.text(*m.name, SegmentKind::kName, Bucket::kMessageName, head, rule, u);
    } else {
      b.text(m.role, SegmentKind::kRole, Bucket::kMessageFormat, head, rule, u);
      if (m.name) b.text(":" + *m.name, SegmentKind::kName, Bucket::kMessageName, head, rule, u);
    }
    if (m.recipient && *m.recipient != "all")
      b.text(" to=" + *m.recipient, SegmentKind::kHarmonyHeader, Bucket::kMessageFormat, head, rule, u);
    if (m.channel) {
      b.special(kChannel, SegmentKind::kHarmonyHeader, Bucket::kMessageFormat, head, rule, u);
      b.text(*m.channel, SegmentKind::kHarmonyHeader, Bucket::kMessageFormat, head, rule, u);
    }
    if (m.content_type) {
      const std::string& ct = *m.content_type;
      if (ct.compare(0, kConstrainText.size(), kConstrainText) == 0) {
        b.text(" ", SegmentKind::kHarmonyHeader, Bucket::kMessageFormat, head, rule, u);
        b.special(kConstrain, SegmentKind::kHarmonyHeader, Bucket::kMessageFormat, head, rule, u);
        const std::string rest = ct.substr(kConstrainText.size());
        if (!rest.empty()) b.text(rest, SegmentKind::kHarmonyHeader, Bucket::kMessageFormat, head, rule, u);
      } else {
        b.text(" " + ct, SegmentKind::kHarmonyHeader, Bucket::kMessageFormat, head, rule, u);
      }
    }
    b.special(kMessage, SegmentKind::kFormat, Bucket::kMessageFormat, head, rule, u);
    for (std::size_t c = 0; c < m.content.size(); ++c) {
      const HarmonyContent& content = m.content[c];
      Source src = c < o.content.size() ? o.content[c] : head;
      if (origins.empty()) {
        src.part = static_cast<int>(c);
        src.path = "$.messages[" + std::to_string(i) + "].content[" + std::to_string(c) + "]";
      }
      switch (content.type) {
        case HarmonyContent::Type::kText:
          b.text(content.text, SegmentKind::kText, Bucket::kMessageText, src, rule, u);
          break;
        case HarmonyContent::Type::kSystem:
          if (m.role != "system")
            throw Error(ErrorCode::kInvalidArgument, "harmony: SystemContent may only appear in system messages");
          b.text(system_text(content.system, function_tools), SegmentKind::kHarmonySystem, Bucket::kMessageText, src,
                 rule, u);
          break;
        case HarmonyContent::Type::kDeveloper:
          if (m.role != "developer")
            throw Error(ErrorCode::kInvalidArgument, "harmony: DeveloperContent may only appear in developer messages");
          b.text(developer_text(content.developer), SegmentKind::kHarmonySystem, Bucket::kMessageText, src, rule, u);
          break;
      }
    }
    b.special(m.role == "assistant" && m.recipient ? kCall : kEnd, SegmentKind::kFormat, Bucket::kMessageFormat,
              head, rule, u);
  }
  if (options.next_turn_role) {
    Source none;
    b.special(kStart, SegmentKind::kPriming, Bucket::kPriming, none, "harmony:next_turn", false);
    b.text(*options.next_turn_role, SegmentKind::kPriming, Bucket::kPriming, none, "harmony:next_turn", false);
  }
}

}  // namespace detail

// ---- parse_harmony_conversation --------------------------------------------------------------

namespace {

using detail::as_array;
using detail::as_object;
using detail::as_string;
using detail::find;
using detail::index_path;
using detail::Json;
using detail::member_path;

std::optional<std::string> opt_string(const Json& obj, std::string_view key, const std::string& path) {
  const Json* v = find(obj, key);
  if (v == nullptr) return std::nullopt;
  return as_string(*v, member_path(path, key));
}

std::string effort_name(const std::string& s, const std::string& path) {
  if (s == "Low" || s == "low") return "low";
  if (s == "Medium" || s == "medium") return "medium";
  if (s == "High" || s == "high") return "high";
  detail::shape_error(path, "reasoning effort must be Low, Medium or High, got '" + s + "'");
}

std::optional<std::map<std::string, HarmonyNamespace>> parse_tools(const Json& obj, const std::string& path) {
  const Json* tools = find(obj, "tools");
  if (tools == nullptr) return std::nullopt;
  const std::string tpath = member_path(path, "tools");
  std::map<std::string, HarmonyNamespace> out;
  for (const auto& [key, nsv] : as_object(*tools, tpath).items()) {
    const std::string nspath = member_path(tpath, key);
    as_object(nsv, nspath);
    HarmonyNamespace ns;
    const Json* name = find(nsv, "name");
    if (name == nullptr) detail::shape_error(nspath, "missing \"name\"");
    ns.name = as_string(*name, member_path(nspath, "name"));
    ns.description = opt_string(nsv, "description", nspath);
    if (const Json* list = find(nsv, "tools")) {
      const std::string lpath = member_path(nspath, "tools");
      std::size_t j = 0;
      for (const Json& tv : as_array(*list, lpath)) {
        const std::string toolpath = index_path(lpath, j++);
        as_object(tv, toolpath);
        HarmonyTool t;
        const Json* tn = find(tv, "name");
        const Json* td = find(tv, "description");
        if (tn == nullptr || td == nullptr) detail::shape_error(toolpath, "a tool needs \"name\" and \"description\"");
        t.name = as_string(*tn, member_path(toolpath, "name"));
        t.description = as_string(*td, member_path(toolpath, "description"));
        if (const Json* p = find(tv, "parameters")) t.parameters_json = p->dump();
        ns.tools.push_back(std::move(t));
      }
    } else {
      detail::shape_error(nspath, "missing \"tools\"");
    }
    out.emplace(key, std::move(ns));
  }
  return out;
}

}  // namespace

HarmonyConversation parse_harmony_conversation(std::string_view text) {
  const Json doc = detail::parse_json(text, "harmony conversation");
  const Json& root = as_object(doc, "$");
  HarmonyConversation conv;
  const Json* msgs = find(root, "messages");
  if (msgs == nullptr) detail::shape_error("$", "missing \"messages\"");
  std::size_t i = 0;
  for (const Json& mv : as_array(*msgs, "$.messages")) {
    const std::string path = index_path("$.messages", i++);
    as_object(mv, path);
    HarmonyMessage m;
    const Json* role = find(mv, "role");
    if (role == nullptr) detail::shape_error(path, "missing \"role\"");
    m.role = as_string(*role, member_path(path, "role"));
    if (!detail::valid_role(m.role)) detail::shape_error(member_path(path, "role"), "unknown role '" + m.role + "'");
    m.name = opt_string(mv, "name", path);
    m.recipient = opt_string(mv, "recipient", path);
    m.channel = opt_string(mv, "channel", path);
    m.content_type = opt_string(mv, "content_type", path);
    const std::string cpath = member_path(path, "content");
    const Json* content = find(mv, "content");
    if (content == nullptr) detail::shape_error(path, "missing \"content\"");
    if (content->is_string()) {
      HarmonyContent c;
      c.text = content->get<std::string>();
      m.content.push_back(std::move(c));
    } else {
      std::size_t j = 0;
      for (const Json& cv : as_array(*content, cpath)) {
        const std::string ipath = index_path(cpath, j++);
        as_object(cv, ipath);
        const Json* type = find(cv, "type");
        if (type == nullptr) detail::shape_error(ipath, "missing \"type\"");
        const std::string& t = as_string(*type, member_path(ipath, "type"));
        HarmonyContent c;
        if (t == "text") {
          const Json* tx = find(cv, "text");
          if (tx == nullptr) detail::shape_error(ipath, "missing \"text\"");
          c.text = as_string(*tx, member_path(ipath, "text"));
        } else if (t == "system_content") {
          c.type = HarmonyContent::Type::kSystem;
          HarmonySystemContent& s = c.system;
          s.model_identity = opt_string(cv, "model_identity", ipath);
          if (auto e = opt_string(cv, "reasoning_effort", ipath))
            s.reasoning_effort = effort_name(*e, member_path(ipath, "reasoning_effort"));
          s.tools = parse_tools(cv, ipath);
          s.conversation_start_date = opt_string(cv, "conversation_start_date", ipath);
          s.knowledge_cutoff = opt_string(cv, "knowledge_cutoff", ipath);
          if (const Json* cc = find(cv, "channel_config")) {
            const std::string ccpath = member_path(ipath, "channel_config");
            as_object(*cc, ccpath);
            HarmonyChannelConfig config;
            if (const Json* vc = find(*cc, "valid_channels")) {
              std::size_t k = 0;
              for (const Json& ch : as_array(*vc, member_path(ccpath, "valid_channels")))
                config.valid_channels.push_back(as_string(ch, index_path(member_path(ccpath, "valid_channels"), k++)));
            }
            if (const Json* req = find(*cc, "channel_required")) {
              if (!req->is_boolean()) detail::shape_error(member_path(ccpath, "channel_required"), "expected a boolean");
              config.channel_required = req->get<bool>();
            }
            s.channel_config = std::move(config);
          }
        } else if (t == "developer_content") {
          c.type = HarmonyContent::Type::kDeveloper;
          c.developer.instructions = opt_string(cv, "instructions", ipath);
          c.developer.tools = parse_tools(cv, ipath);
        } else {
          detail::shape_error(member_path(ipath, "type"), "unknown content type '" + t + "'");
        }
        m.content.push_back(std::move(c));
      }
    }
    conv.messages.push_back(std::move(m));
  }
  return conv;
}

std::vector<Rank> render_harmony(const HarmonyConversation& conversation, const HarmonyRenderOptions& options) {
  detail::Builder b(*Encoding::get("o200k_harmony"));
  detail::render_harmony_into(b, conversation, {}, options);
  return b.take().tokens;
}

}  // namespace tokcount::chat
