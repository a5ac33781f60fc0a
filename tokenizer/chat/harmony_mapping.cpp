// A Chat Completions request for gpt-oss, mapped onto harmony messages and rendered with the
// exact harmony renderer. The mapping follows the harmony format guide (docs/format.md of
// openai/harmony): the system message carries identity, knowledge cutoff, date, reasoning
// effort and channels; the request's system/developer text becomes the developer message's
// "# Instructions" and the tools its "functions" namespace; assistant text is the `final`
// channel (`commentary` when it precedes tool calls), tool calls are commentary messages to
// functions.NAME with <|constrain|>json, tool results come from functions.NAME to the
// assistant on commentary.
#include <unordered_map>

#include "chat/harmony.hpp"
#include "chat/json_util.hpp"

namespace tokcount::chat::detail {
namespace {

std::string effort(const std::string& e) {
  if (e == "low" || e == "medium" || e == "high") return e;
  throw Error(ErrorCode::kInvalidArgument, "$.reasoning_effort: gpt-oss takes low, medium or high, got '" + e + "'");
}

std::string message_text(const Message& m, int index) {
  std::string out;
  for (std::size_t j = 0; j < m.content.size(); ++j) {
    const ContentPart& p = m.content[j];
    if (p.type == ContentPart::Type::kImageUrl)
      throw Error(ErrorCode::kInvalidArgument, "$.messages[" + std::to_string(index) + "].content[" +
                                                   std::to_string(j) + "]: gpt-oss models take no image input");
    out += p.text;
  }
  return out;
}

std::string part_path(int message, const Message& m, std::size_t part) {
  const std::string base = "$.messages[" + std::to_string(message) + "].content";
  if (m.content_is_string) return base;
  return base + "[" + std::to_string(part) + "]" +
         (m.content[part].type == ContentPart::Type::kRefusal ? ".refusal" : ".text");
}

}  // namespace

Result render_chat_as_harmony(const Request& req, const Options& opts, const ChatRules& rules) {
  (void)rules;
  Builder b(*Encoding::get("o200k_harmony"));
  HarmonyConversation conv;
  std::vector<HarmonyOrigin> origins;

  // 1. The system message, generated.
  {
    HarmonySystemContent sys = HarmonySystemContent::defaults();
    sys.model_identity = opts.harmony.model_identity;
    sys.knowledge_cutoff = opts.harmony.knowledge_cutoff;
    sys.conversation_start_date = opts.harmony.conversation_start_date;
    sys.reasoning_effort = effort(req.reasoning_effort ? *req.reasoning_effort : opts.harmony.reasoning_effort);
    HarmonyMessage m;
    m.role = "system";
    HarmonyContent c;
    c.type = HarmonyContent::Type::kSystem;
    c.system = std::move(sys);
    m.content.push_back(std::move(c));
    conv.messages.push_back(std::move(m));
    HarmonyOrigin o;
    o.role_label = "system";
    o.rule = "harmony:system_message";
    Source src;
    src.path = req.reasoning_effort ? "$.reasoning_effort" : "";
    o.content.push_back(src);
    origins.push_back(std::move(o));
  }

  // 2. The developer message: instructions from every system / developer message (in order,
  // joined by a blank line), the functions namespace, and the response format.
  std::string instructions;
  bool any_instructions = false, moved = false;
  int first_instruction = -1;
  for (std::size_t i = 0; i < req.messages.size(); ++i) {
    const Message& m = req.messages[i];
    if (m.role != "system" && m.role != "developer") continue;
    if (any_instructions) instructions += "\n\n";
    instructions += message_text(m, static_cast<int>(i));
    if (first_instruction < 0) first_instruction = static_cast<int>(i);
    // A system message after the conversation started moves to the top: a mapping choice.
    for (std::size_t k = 0; k < i; ++k)
      if (req.messages[k].role != "system" && req.messages[k].role != "developer") moved = true;
    any_instructions = true;
  }
  const bool has_schema = req.response_format.type == ResponseFormat::Type::kJsonSchema;
  std::size_t tools_share_from = 0;  // for the breakdown: tokens of the developer text without tools
  bool tools_in_developer = false;
  if (any_instructions || !req.tools.empty() || has_schema) {
    HarmonyMessage m;
    m.role = "developer";
    HarmonyContent c;
    c.type = HarmonyContent::Type::kDeveloper;
    if (any_instructions) c.developer.instructions = instructions;
    if (!req.tools.empty()) {
      HarmonyNamespace ns;
      ns.name = "functions";
      for (const FunctionDef& f : req.tools) ns.tools.push_back({f.name, f.description.value_or(""), f.parameters_json});
      c.developer.tools = std::map<std::string, HarmonyNamespace>{{"functions", std::move(ns)}};
      tools_in_developer = true;
      HarmonyDeveloperContent without_tools;
      without_tools.instructions = c.developer.instructions;
      if (without_tools.instructions)
        tools_share_from = b.encoding().count_ordinary("# Instructions\n\n" + *without_tools.instructions);
    }
    HarmonyOrigin o;
    o.message = first_instruction;
    o.role_label = "developer";
    o.rule = "harmony:developer_message";
    o.uncertain = moved;
    Source src;
    src.message = first_instruction;
    src.path = any_instructions ? "$.messages[" + std::to_string(first_instruction) + "].content" : "$.tools";
    o.content.push_back(src);
    m.content.push_back(std::move(c));
    if (has_schema) {
      // Not part of harmony's renderer: the format guide's "# Response Formats" section.
      HarmonyContent rf;
      std::string text = (any_instructions || tools_in_developer) ? "\n\n" : "";
      text += "# Response Formats\n\n## " + req.response_format.name + "\n\n";
      if (req.response_format.description) text += "// " + *req.response_format.description + "\n";
      if (req.response_format.schema_json)
        text += serde_json_compact(parse_json(*req.response_format.schema_json, "$.response_format.json_schema.schema"));
      rf.text = std::move(text);
      m.content.push_back(std::move(rf));
      Source rs;
      rs.path = "$.response_format.json_schema";
      o.content.push_back(rs);
      o.uncertain = true;
    }
    conv.messages.push_back(std::move(m));
    origins.push_back(std::move(o));
  }

  // 3. The conversation.
  std::unordered_map<std::string, std::string> call_names;  // tool_call_id -> function name
  for (std::size_t i = 0; i < req.messages.size(); ++i) {
    const Message& cm = req.messages[i];
    const int mi = static_cast<int>(i);
    const std::string base = "$.messages[" + std::to_string(i) + "]";
    if (cm.role == "system" || cm.role == "developer") continue;
    auto origin = [&](std::string rule) {
      HarmonyOrigin o;
      o.message = mi;
      o.role_label = cm.role;
      o.rule = std::move(rule);
      return o;
    };
    if (cm.role == "user") {
      HarmonyMessage m;
      m.role = "user";
      m.name = cm.name;
      HarmonyOrigin o = origin("harmony:user");
      message_text(cm, mi);  // rejects images
      for (std::size_t j = 0; j < cm.content.size(); ++j) {
        HarmonyContent c;
        c.text = cm.content[j].text;
        m.content.push_back(std::move(c));
        Source s;
        s.message = mi;
        s.part = cm.content_is_string ? -1 : static_cast<int>(j);
        s.path = part_path(mi, cm, j);
        o.content.push_back(std::move(s));
      }
      conv.messages.push_back(std::move(m));
      origins.push_back(std::move(o));
    } else if (cm.role == "assistant") {
      if (cm.reasoning) {
        HarmonyMessage m;
        m.role = "assistant";
        m.channel = "analysis";
        HarmonyContent c;
        c.text = *cm.reasoning;
        m.content.push_back(std::move(c));
        HarmonyOrigin o = origin("harmony:assistant_analysis");
        Source s;
        s.message = mi;
        s.path = base + ".reasoning_content";
        o.content.push_back(std::move(s));
        conv.messages.push_back(std::move(m));
        origins.push_back(std::move(o));
      }
      const std::string text = message_text(cm, mi);
      std::vector<ToolCall> calls = cm.tool_calls;
      if (cm.function_call) calls.insert(calls.begin(), *cm.function_call);
      if (!text.empty() || calls.empty()) {
        HarmonyMessage m;
        m.role = "assistant";
        m.channel = calls.empty() ? "final" : "commentary";
        HarmonyOrigin o = origin(calls.empty() ? "harmony:assistant_final" : "harmony:assistant_preamble");
        for (std::size_t j = 0; j < cm.content.size(); ++j) {
          HarmonyContent c;
          c.text = cm.content[j].text;
          m.content.push_back(std::move(c));
          Source s;
          s.message = mi;
          s.part = cm.content_is_string ? -1 : static_cast<int>(j);
          s.path = part_path(mi, cm, j);
          o.content.push_back(std::move(s));
        }
        if (m.content.empty()) m.content.push_back({});
        conv.messages.push_back(std::move(m));
        origins.push_back(std::move(o));
      }
      for (std::size_t k = 0; k < calls.size(); ++k) {
        const ToolCall& call = calls[k];
        if (!call.id.empty()) call_names[call.id] = call.name;
        HarmonyMessage m;
        m.role = "assistant";
        m.channel = "commentary";
        m.recipient = "functions." + call.name;
        m.content_type = "<|constrain|>json";
        HarmonyContent c;
        c.text = call.arguments;
        m.content.push_back(std::move(c));
        const bool legacy = cm.function_call && k == 0;
        const int call_index = cm.function_call ? static_cast<int>(k) - 1 : static_cast<int>(k);
        HarmonyOrigin o = origin("harmony:tool_call");
        o.tool_call = legacy ? -1 : call_index;
        Source s;
        s.message = mi;
        s.tool_call = o.tool_call;
        s.path = legacy ? base + ".function_call.arguments"
                        : base + ".tool_calls[" + std::to_string(call_index) + "].function.arguments";
        o.content.push_back(std::move(s));
        conv.messages.push_back(std::move(m));
        origins.push_back(std::move(o));
      }
    } else if (cm.role == "tool" || cm.role == "function") {
      std::string name;
      if (cm.tool_call_id) {
        const auto it = call_names.find(*cm.tool_call_id);
        if (it != call_names.end()) name = it->second;
      }
      if (name.empty() && cm.name) name = *cm.name;
      if (name.empty())
        throw Error(ErrorCode::kInvalidArgument,
                    base + ": a tool result needs the function name (a tool_call_id of an earlier tool call, or \"name\")");
      HarmonyMessage m;
      m.role = "tool";
      m.name = "functions." + name;
      m.recipient = "assistant";
      m.channel = "commentary";
      HarmonyContent c;
      c.text = message_text(cm, mi);
      m.content.push_back(std::move(c));
      HarmonyOrigin o = origin("harmony:tool_result");
      Source s;
      s.message = mi;
      s.path = base + ".content";
      o.content.push_back(std::move(s));
      conv.messages.push_back(std::move(m));
      origins.push_back(std::move(o));
    } else {
      throw Error(ErrorCode::kInvalidArgument, base + ".role: unknown role '" + cm.role + "'");
    }
  }
  if (req.tool_choice.kind != ToolChoice::Kind::kAbsent && req.tool_choice.kind != ToolChoice::Kind::kAuto)
    b.result().warnings.push_back("tool_choice has no rendering in harmony: not counted");

  HarmonyRenderOptions ro;
  render_harmony_into(b, conv, origins, ro);
  Result r = b.take();
  if (tools_in_developer) {
    // Attribute the developer text's tokens beyond its instructions to the tools (the
    // tokens themselves are one piece, as harmony encodes them).
    for (MessageBreakdown& row : r.breakdown.messages)
      if (row.role == "developer" && row.text_tokens >= tools_share_from) {
        std::size_t dev_text = 0;
        for (const Segment& s : r.segments)
          if (s.kind == SegmentKind::kHarmonySystem && s.rule == "harmony:developer_message") dev_text += s.end - s.begin;
        const std::size_t tools = dev_text >= tools_share_from ? dev_text - tools_share_from : 0;
        row.text_tokens -= tools;
        row.total -= tools;
        r.breakdown.tools_text_tokens += tools;
        break;
      }
  }
  return r;
}

}  // namespace tokcount::chat::detail
