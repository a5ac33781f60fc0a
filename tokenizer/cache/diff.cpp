// diff(): the first divergence between two prepared requests and why (research §6.4, §6.7,
// §7.1). The divergence is found on the rendered tokens (what the provider's cache compares);
// the reasons come from comparing the request structures at that level, first exactly, then
// under one normalization at a time (tool order, JSON key order, formatting, volatile spans).
#include "cache/diff.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "cache/cache_internal.hpp"

namespace tokcount::cache {

const char* reason_name(Reason r) noexcept {
  switch (r) {
    case Reason::kIdentical: return "IDENTICAL";
    case Reason::kAppended: return "APPENDED";
    case Reason::kModelChanged: return "MODEL_CHANGED";
    case Reason::kToolsChanged: return "TOOLS_CHANGED";
    case Reason::kSystemChanged: return "SYSTEM_CHANGED";
    case Reason::kMessagesChanged: return "MESSAGES_CHANGED";
    case Reason::kParamsChanged: return "PARAMS_CHANGED";
    case Reason::kToolOrder: return "TOOL_ORDER";
    case Reason::kToolSetChanged: return "TOOLSET_CHANGED";
    case Reason::kJsonKeyOrder: return "JSON_KEY_ORDER";
    case Reason::kSchemaChanged: return "SCHEMA_CHANGED";
    case Reason::kFormatDrift: return "FORMAT_DRIFT";
    case Reason::kVolatileContent: return "VOLATILE_CONTENT";
    case Reason::kHistoryMutation: return "HISTORY_MUTATION";
    case Reason::kBelowMinimum: return "BELOW_MINIMUM";
    case Reason::kExpired: return "EXPIRED";
    case Reason::kLookbackExceeded: return "LOOKBACK_EXCEEDED";
    case Reason::kNotYetAvailable: return "NOT_YET_AVAILABLE";
    case Reason::kRoutingSplit: return "ROUTING_SPLIT";
    case Reason::kRateOverflow: return "RATE_OVERFLOW";
    case Reason::kNoPriorEntry: return "NO_PRIOR_ENTRY";
    case Reason::kEvicted: return "EVICTED";
    case Reason::kNoBreakpoint: return "NO_BREAKPOINT";
    case Reason::kBreakpointRules: return "BREAKPOINT_RULES";
  }
  return "?";
}

namespace detail {

namespace {

std::string quoted(const std::string& s) { return s.empty() ? "(absent)" : s; }

void add(std::vector<ReasonInfo>& out, Reason code, std::vector<std::string> rules, std::string path,
         std::string detail) {
  out.push_back({code, std::move(rules), std::move(path), std::move(detail)});
}

// Explains two texts that differ: formatting drift, volatile content, or a plain change.
// Returns true when a normalization explains it.
bool explain_text(const std::string& a, const std::string& b, const std::string& path, std::vector<ReasonInfo>& out) {
  if (normalize_text(a) == normalize_text(b)) {
    std::vector<std::string> rules = format_rules_touching(a);
    for (const std::string& r : format_rules_touching(b))
      if (std::find(rules.begin(), rules.end(), r) == rules.end()) rules.push_back(r);
    std::sort(rules.begin(), rules.end());
    add(out, Reason::kFormatDrift, rules, path, "equal after whitespace / line-ending / Unicode normalization");
    return true;
  }
  std::vector<std::string> rules;
  const std::string ma = mask_volatile(normalize_text(a), &rules);
  const std::string mb = mask_volatile(normalize_text(b), &rules);
  if (ma == mb) {
    std::sort(rules.begin(), rules.end());
    add(out, Reason::kVolatileContent, rules, path, "equal after masking timestamps / dates / ids");
    return true;
  }
  return false;
}

bool same_tool(const chat::FunctionDef& a, const chat::FunctionDef& b) {
  return a.name == b.name && a.description == b.description && a.parameters_json == b.parameters_json;
}

void explain_tools(const Prompt& a, const Prompt& b, std::vector<ReasonInfo>& out) {
  const auto& ta = a.request.tools;
  const auto& tb = b.request.tools;
  const std::string base = b.request.legacy_functions ? "$.functions" : "$.tools";
  std::multiset<std::string> na, nb;
  for (const auto& t : ta) na.insert(t.name);
  for (const auto& t : tb) nb.insert(t.name);
  if (na != nb) {
    std::string d;
    for (const auto& n : nb)
      if (!na.count(n)) d += (d.empty() ? "" : ", ") + ("+" + n);
    for (const auto& n : na)
      if (!nb.count(n)) d += (d.empty() ? "" : ", ") + ("-" + n);
    add(out, Reason::kToolSetChanged, {"PC008"}, base, "tools added / removed: " + d);
    add(out, Reason::kToolsChanged, {}, base, "the tool list changed");
    return;
  }
  bool order_differs = false;
  for (std::size_t i = 0; i < ta.size(); ++i) order_differs |= ta[i].name != tb[i].name;
  if (order_differs) {
    // Compare tool by tool under the sorted order.
    auto by_name = [](std::vector<chat::FunctionDef> v) {
      std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
      return v;
    };
    const auto sa = by_name(ta), sb = by_name(tb);
    bool all_same = true;
    for (std::size_t i = 0; i < sa.size(); ++i) all_same &= same_tool(sa[i], sb[i]);
    add(out, Reason::kToolOrder, {"PC006"}, base,
        all_same ? "same tools in a different order" : "tools reordered (and some changed)");
    if (all_same) {
      add(out, Reason::kToolsChanged, {}, base, "tool order changed");
      return;
    }
  }
  // Same names, same (or sorted) order: find the first tool that differs.
  std::vector<std::size_t> idx_b(tb.size());
  for (std::size_t i = 0; i < tb.size(); ++i) idx_b[i] = i;
  for (std::size_t i = 0; i < ta.size(); ++i) {
    std::size_t j = i;
    if (order_differs)
      for (std::size_t k = 0; k < tb.size(); ++k)
        if (tb[k].name == ta[i].name) j = k;
    const auto& x = ta[i];
    const auto& y = tb[j];
    if (same_tool(x, y)) continue;
    const std::string path = base + "[" + std::to_string(j) + "]";
    if (x.description != y.description && !explain_text(x.description.value_or(""), y.description.value_or(""),
                                                         path + ".description", out))
      add(out, Reason::kToolsChanged, {}, path + ".description", "tool '" + y.name + "' description changed");
    if (x.parameters_json != y.parameters_json) {
      const std::string px = x.parameters_json.value_or(""), py = y.parameters_json.value_or("");
      const std::string ppath = path + (b.request.legacy_functions ? ".parameters" : ".function.parameters");
      if (canonical_json(px) == canonical_json(py))
        add(out, Reason::kJsonKeyOrder, {"PC007"}, ppath, "tool '" + y.name + "' schema: same content, key order differs");
      else if (canonical_json_normalized(px) == canonical_json_normalized(py))
        add(out, Reason::kFormatDrift, format_rules_touching(px + py), ppath,
            "tool '" + y.name + "' schema: equal after normalizing strings");
      else
        add(out, Reason::kToolsChanged, {}, ppath, "tool '" + y.name + "' parameters changed");
    }
    if (!order_differs) add(out, Reason::kToolsChanged, {}, path, "tool '" + y.name + "' changed");
    return;
  }
  if (a.params.tool_choice != b.params.tool_choice)
    add(out, Reason::kParamsChanged, {"PC010"}, "$.tool_choice",
        "tool_choice: " + quoted(a.params.tool_choice) + " -> " + quoted(b.params.tool_choice));
}

void explain_schema(const Prompt& a, const Prompt& b, std::vector<ReasonInfo>& out) {
  const auto& ra = a.request.response_format;
  const auto& rb = b.request.response_format;
  const std::string sa = ra.schema_json.value_or(""), sb = rb.schema_json.value_or("");
  if (ra.type == rb.type && ra.name == rb.name && ra.description == rb.description && sa != sb &&
      canonical_json(sa) == canonical_json(sb)) {
    add(out, Reason::kJsonKeyOrder, {"PC007"}, "$.response_format.json_schema.schema", "same schema, key order differs");
    return;
  }
  add(out, Reason::kSchemaChanged, {"PC009"}, "$.response_format", "the response-format schema changed");
}

bool same_part(const chat::ContentPart& x, const chat::ContentPart& y) {
  return x.type == y.type && x.text == y.text && x.image.url == y.image.url && x.image.detail == y.image.detail;
}

bool same_message(const chat::Message& x, const chat::Message& y) {
  if (x.role != y.role || x.name != y.name || x.content.size() != y.content.size() ||
      x.tool_calls.size() != y.tool_calls.size() || x.tool_call_id != y.tool_call_id || x.reasoning != y.reasoning)
    return false;
  for (std::size_t i = 0; i < x.content.size(); ++i)
    if (!same_part(x.content[i], y.content[i])) return false;
  for (std::size_t i = 0; i < x.tool_calls.size(); ++i)
    if (x.tool_calls[i].name != y.tool_calls[i].name || x.tool_calls[i].arguments != y.tool_calls[i].arguments)
      return false;
  if (x.function_call.has_value() != y.function_call.has_value()) return false;
  if (x.function_call && (x.function_call->name != y.function_call->name ||
                          x.function_call->arguments != y.function_call->arguments))
    return false;
  return true;
}

// The path of chat message `m` of `p` (part `part`) as sent: Anthropic bodies were mapped onto
// chat messages, so their path comes from the block that holds the message's first token.
std::string message_path(const Prompt& p, std::size_t m, int part) {
  std::string s = "$.messages[" + std::to_string(m) + "]";
  if (p.api == "messages") {
    for (const chat::Segment& seg : p.rendered.segments) {
      if (seg.message != static_cast<int>(m)) continue;
      for (const Block& b : p.blocks)
        if (b.token_begin <= seg.begin && seg.begin < b.token_end) return b.path;
    }
    s = "$.messages[?]";
  }
  if (part >= 0) s += ".content[" + std::to_string(part) + "]";
  return s;
}

void explain_message(const Prompt& a, const Prompt& b, std::size_t k, std::vector<ReasonInfo>& out) {
  const chat::Message& x = a.request.messages[k];
  const chat::Message& y = b.request.messages[k];
  const bool system = (y.role == "system" || y.role == "developer");
  const Reason level_code = system ? Reason::kSystemChanged : Reason::kMessagesChanged;
  const std::string mpath = message_path(b, k, -1);
  if (x.role != y.role) {
    add(out, level_code, {}, mpath + ".role", "role " + x.role + " -> " + y.role);
    return;
  }
  bool explained = false;
  if (x.content.size() == y.content.size()) {
    for (std::size_t j = 0; j < x.content.size(); ++j) {
      const auto& px = x.content[j];
      const auto& py = y.content[j];
      if (same_part(px, py)) continue;
      const std::string ppath = y.content_is_string ? mpath + ".content" : message_path(b, k, static_cast<int>(j));
      if (px.type == chat::ContentPart::Type::kImageUrl && py.type == px.type && px.image.url == py.image.url) {
        add(out, Reason::kParamsChanged, {"PC010"}, ppath + ".image_url.detail", "image detail changed");
        explained = true;
      } else if (px.type == py.type && px.type != chat::ContentPart::Type::kImageUrl) {
        explained = explain_text(px.text, py.text, ppath, out);
      }
      break;
    }
  }
  if (!explained && x.tool_calls.size() == y.tool_calls.size()) {
    for (std::size_t j = 0; j < x.tool_calls.size(); ++j) {
      const auto& cx = x.tool_calls[j];
      const auto& cy = y.tool_calls[j];
      if (cx.name == cy.name && cx.arguments != cy.arguments &&
          canonical_json(cx.arguments) == canonical_json(cy.arguments)) {
        add(out, Reason::kJsonKeyOrder, {"PC007"}, mpath + ".tool_calls[" + std::to_string(j) + "].function.arguments",
            "tool-call arguments: same content, key order differs");
        explained = true;
        break;
      }
    }
  }
  add(out, level_code, {}, mpath, std::string(system ? "system" : "message") + " " + std::to_string(k) + " changed");
}

void explain_messages(const Prompt& a, const Prompt& b, std::vector<ReasonInfo>& out) {
  const auto& ma = a.request.messages;
  const auto& mb = b.request.messages;
  std::size_t k = 0;
  while (k < ma.size() && k < mb.size() && same_message(ma[k], mb[k])) ++k;
  if (k == ma.size() && k == mb.size()) return;
  if (k == ma.size()) {
    add(out, Reason::kAppended, {}, message_path(b, k, -1),
        std::to_string(mb.size() - ma.size()) + " message(s) appended to the earlier request");
    return;
  }
  if (k == mb.size()) {
    add(out, Reason::kHistoryMutation, {"PC023"}, message_path(b, k, -1),
        "the later request drops the earlier request's message " + std::to_string(k) + " onward (truncation / compaction)");
    return;
  }
  explain_message(a, b, k, out);
  const bool system = mb[k].role == "system" || mb[k].role == "developer";
  // An edit anywhere but the earlier request's final turn (which a follow-up may replace) is
  // history mutation; so is an edit to the final turn when the later request continues past it.
  const bool earlier_turn = k + 1 < ma.size() || mb.size() > ma.size();
  if (!system && earlier_turn)
    add(out, Reason::kHistoryMutation, {"PC023"}, message_path(b, k, -1),
        "message " + std::to_string(k) + " of the conversation was edited, not appended to");
}

// The rendered text of segment s (synthetic / unknown ids as placeholders).
std::string segment_text(const chat::Result& r, const chat::Segment& s) {
  const EncodingPtr enc = Encoding::get(r.encoding);
  std::string out;
  for (std::size_t i = s.begin; i < s.end; ++i) {
    const Rank t = r.tokens[i];
    std::string piece;
    if (!chat::is_synthetic(t)) {
      try {
        piece = enc->token_bytes(t);
      } catch (const Error&) {
        piece.clear();
      }
    }
    if (piece.empty()) piece = "<|" + std::to_string(t) + "|>";
    out += piece;
  }
  return out;
}

const chat::Segment* segment_at(const chat::Result& r, std::size_t token) {
  for (const chat::Segment& s : r.segments)
    if (s.begin <= token && token < s.end) return &s;
  return nullptr;
}

}  // namespace

void explain_params(const Prompt& a, const Prompt& b, std::vector<ReasonInfo>& out) {
  auto cmp = [&](const std::string& x, const std::string& y, const char* name, const char* path) {
    if (x != y) add(out, Reason::kParamsChanged, {"PC010"}, path, std::string(name) + ": " + quoted(x) + " -> " + quoted(y));
  };
  cmp(a.params.reasoning_effort, b.params.reasoning_effort, "reasoning effort", "$.reasoning_effort");
  cmp(a.params.service_tier, b.params.service_tier, "service_tier", "$.service_tier");
  cmp(a.params.prompt_cache_key, b.params.prompt_cache_key, "prompt_cache_key", "$.prompt_cache_key");
  cmp(a.params.thinking, b.params.thinking, "thinking", "$.thinking");
  cmp(a.params.speed, b.params.speed, "speed", "$.speed");
  cmp(a.params.tool_choice, b.params.tool_choice, "tool_choice", "$.tool_choice");
}

DiffResult diff_prompts(const Prompt& a, const Prompt& b) {
  DiffResult d;
  d.tokens_a = a.prompt_tokens();
  d.tokens_b = b.prompt_tokens();
  const auto& ta = a.rendered.tokens;
  const auto& tb = b.rendered.tokens;
  std::size_t i = 0;
  const std::size_t n = std::min(ta.size(), tb.size());
  while (i < n && ta[i] == tb[i]) ++i;
  Divergence& v = d.divergence;
  v.token_index = v.common_tokens = i;

  if (a.provider != b.provider || a.params.model != b.params.model || a.params.scope != b.params.scope) {
    v.level = Level::kRoot;
    v.segment_path = "$.model";
    v.token_index = v.common_tokens = 0;
    add(d.reasons, Reason::kModelChanged, {"PC010"}, "$.model",
        std::string(provider_name(a.provider)) + "/" + a.params.model + " -> " + provider_name(b.provider) + "/" +
            b.params.model);
    return d;
  }

  std::vector<ReasonInfo> params;
  explain_params(a, b, params);
  if (i == ta.size() && i == tb.size()) {
    v.identical = params.empty();
    v.level = Level::kEnd;
    if (params.empty()) add(d.reasons, Reason::kIdentical, {}, "", "same tokens and parameters");
  }
  if (!params.empty()) {
    // OpenAI: parameters are folded into the root (research §6.2); Anthropic: tool_choice /
    // thinking at the messages level, speed at the system level.
    if (a.provider == Provider::kAnthropic) {
      bool messages_level = true;
      for (const auto& p : params) messages_level &= p.path != "$.speed";
      const std::size_t limit = [&] {
        for (const Block& blk : b.blocks)
          if (blk.level == (messages_level ? Level::kMessages : Level::kSystem)) return blk.token_begin;
        return tb.size();
      }();
      if (limit < i) {
        v.token_index = v.common_tokens = limit;
        v.level = messages_level ? Level::kMessages : Level::kSystem;
        v.segment_path = params.front().path;
        v.byte_offset = 0;
        d.reasons = params;
        return d;
      }
    } else if (std::any_of(params.begin(), params.end(), [](const ReasonInfo& r) {
                 // Folded into the root: everything but routing (cache key) and tool_choice,
                 // which renders into the tools block.
                 return r.path != "$.prompt_cache_key" && r.path != "$.tool_choice";
               })) {
      v.token_index = v.common_tokens = 0;
      v.level = Level::kRoot;
      v.segment_path = params.front().path;
      d.reasons = params;
      return d;
    }
  }
  if (v.identical || (i == ta.size() && i == tb.size())) {
    for (auto& p : params) d.reasons.push_back(p);
    return d;
  }

  // The segment holding the first differing token, in the later request (else the earlier).
  const chat::Segment* sb = segment_at(b.rendered, i);
  const chat::Segment* sa = segment_at(a.rendered, i);
  const chat::Segment* s = sb != nullptr ? sb : sa;
  const Prompt& owner = sb != nullptr ? b : a;
  v.level = s != nullptr ? segment_level(owner.request, *s) : Level::kEnd;
  v.segment_path = s != nullptr ? s->path : "";
  if (sa != nullptr && sb != nullptr && sa->path == sb->path && sa->begin == sb->begin) {
    const std::string xa = segment_text(a.rendered, *sa), xb = segment_text(b.rendered, *sb);
    std::size_t off = 0;
    while (off < xa.size() && off < xb.size() && xa[off] == xb[off]) ++off;
    v.byte_offset = off;
  }
  // Anthropic bodies: report the path as sent.
  if (b.api == "messages" && s != nullptr)
    for (const Block& blk : owner.blocks)
      if (blk.token_begin <= i && i < blk.token_end) v.segment_path = blk.path;

  switch (v.level) {
    case Level::kTools: explain_tools(a, b, d.reasons); break;
    case Level::kSchema: explain_schema(a, b, d.reasons); break;
    case Level::kSystem:
    case Level::kMessages:
    case Level::kEnd: explain_messages(a, b, d.reasons); break;
    case Level::kRoot: break;
  }
  // A change at an earlier level can surface later in the tokens (e.g. the schema sits after
  // the tools inside the first system message): check the structures in provider order too.
  if (d.reasons.empty()) {
    bool tools_same = a.request.tools.size() == b.request.tools.size();
    for (std::size_t t = 0; tools_same && t < a.request.tools.size(); ++t)
      tools_same = same_tool(a.request.tools[t], b.request.tools[t]);
    if (!tools_same || a.params.tool_choice != b.params.tool_choice) explain_tools(a, b, d.reasons);
    else explain_messages(a, b, d.reasons);
  }
  if (d.reasons.empty()) add(d.reasons, Reason::kMessagesChanged, {}, v.segment_path, "rendered tokens differ");
  for (auto& p : params) {  // prompt_cache_key (routing), tool_choice when not already named
    bool dup = false;
    for (const ReasonInfo& r : d.reasons) dup |= r.code == p.code && r.path == p.path;
    if (!dup) d.reasons.push_back(p);
  }
  return d;
}

}  // namespace detail

DiffResult diff(const Prompt& a, const Prompt& b) { return detail::diff_prompts(a, b); }

DiffResult diff_json(std::string_view a, std::string_view b, const PrepareOptions& options) {
  return diff(prepare(a, options), prepare(b, options));
}

std::string diff_report_json(const DiffResult& d) {
  nlohmann::ordered_json j;
  j["identical"] = d.divergence.identical;
  j["tokens_a"] = d.tokens_a;
  j["tokens_b"] = d.tokens_b;
  j["common_tokens"] = d.divergence.common_tokens;
  nlohmann::ordered_json fd;
  fd["segment_path"] = d.divergence.segment_path;
  fd["level"] = level_name(d.divergence.level);
  fd["byte_offset"] = d.divergence.byte_offset;
  fd["token_index"] = d.divergence.token_index;
  j["first_divergence"] = fd;
  j["reasons"] = detail::reasons_json(d.reasons);
  return j.dump();
}

}  // namespace tokcount::cache

namespace tokcount::cache::detail {

nlohmann::ordered_json reasons_json(const std::vector<ReasonInfo>& reasons) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const ReasonInfo& r : reasons) {
    nlohmann::ordered_json x;
    x["code"] = reason_name(r.code);
    x["rules"] = r.rules;
    x["path"] = r.path;
    x["detail"] = r.detail;
    arr.push_back(std::move(x));
  }
  return arr;
}

}  // namespace tokcount::cache::detail
