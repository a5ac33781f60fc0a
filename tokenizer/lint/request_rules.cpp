// The rules one request body can be judged by [spec 7]: the text rules over its static strings
// (through the engine, with the request's own token counts), and PC007 JSON_KEY_ORDER (objects
// with the same keys in different orders inside one request: the mark of a map serializer),
// PC019 BELOW_MINIMUM (the rendered prefix), PC020 BREAKPOINT_ON_VOLATILE, PC022
// BREAKPOINT_RULES, PC027 CACHE_KEY_GRANULARITY (no prompt_cache_key), PC028 REASONING_VIA_CHAT.
#include <algorithm>
#include <map>

#include "chat/json_util.hpp"
#include "lint/request_model.hpp"

namespace tokcount::lint::detail {
namespace {

using chat::detail::find;
using chat::detail::index_path;
using chat::detail::member_path;

// PC007 inside one request: every object's key set is remembered with the order it was first
// seen in; the same set in another order is reported once per set. Only the JSON the provider
// renders in source order is walked (schemas, tool-call arguments, tool_use inputs).
struct KeyOrderWalk {
  struct Seen {
    std::string order;
    std::string path;
    bool reported = false;
  };
  std::map<std::string, Seen> seen;  // sorted key set -> first order
  struct Hit {
    std::string path, first_path, order, first_order;
  };
  std::vector<Hit> hits;

  void walk(const Json& v, const std::string& path, int depth = 0) {
    if (depth > 64) return;
    if (v.is_object()) {
      if (v.size() >= 2) {
        std::vector<std::string> keys;
        for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
        std::string order;
        for (const std::string& k : keys) order += (order.empty() ? "" : ", ") + k;
        std::sort(keys.begin(), keys.end());
        std::string set;
        for (const std::string& k : keys) set += k + '\x1f';
        auto [it, fresh] = seen.try_emplace(set, Seen{order, path, false});
        if (!fresh && it->second.order != order && !it->second.reported) {
          it->second.reported = true;
          hits.push_back({path, it->second.path, order, it->second.order});
        }
      }
      for (auto it = v.begin(); it != v.end(); ++it) walk(it.value(), member_path(path, it.key()), depth + 1);
    } else if (v.is_array()) {
      for (std::size_t i = 0; i < v.size(); ++i) walk(v[i], index_path(path, i), depth + 1);
    }
  }
};

// The JSON values of a request whose key order reaches the prompt, with their paths.
std::vector<std::pair<std::string, Json>> ordered_values(const RequestModel& m, const Json& body) {
  std::vector<std::pair<std::string, Json>> out;
  const std::string& root = m.root;
  for (const char* key : {"tools", "functions"})
    if (const Json* tools = find(body, key); tools && tools->is_array())
      for (std::size_t i = 0; i < tools->size(); ++i) out.emplace_back(index_path(member_path(root, key), i), (*tools)[i]);
  if (const Json* rf = find(body, "response_format")) out.emplace_back(member_path(root, "response_format"), *rf);
  if (const Json* msgs = find(body, "messages"); msgs && msgs->is_array())
    for (std::size_t i = 0; i < msgs->size(); ++i) {
      const Json& mv = (*msgs)[i];
      if (!mv.is_object()) continue;
      const std::string mpath = index_path(member_path(root, "messages"), i);
      if (const Json* calls = find(mv, "tool_calls"); calls && calls->is_array())
        for (std::size_t k = 0; k < calls->size(); ++k) {
          const Json* fn = (*calls)[k].is_object() ? find((*calls)[k], "function") : nullptr;
          const Json* args = fn != nullptr && fn->is_object() ? find(*fn, "arguments") : nullptr;
          if (args == nullptr || !args->is_string()) continue;
          Json parsed = Json::parse(args->get_ref<const std::string&>(), nullptr, false);
          if (!parsed.is_discarded())
            out.emplace_back(member_path(member_path(index_path(member_path(mpath, "tool_calls"), k), "function"), "arguments"),
                             std::move(parsed));
        }
      if (const Json* c = find(mv, "content"); c && c->is_array())
        for (std::size_t j = 0; j < c->size(); ++j) {
          const Json& block = (*c)[j];
          if (!block.is_object()) continue;
          const Json* t = find(block, "type");
          if (t != nullptr && t->is_string() && t->get_ref<const std::string&>() == "tool_use")
            if (const Json* input = find(block, "input"))
              out.emplace_back(member_path(index_path(member_path(mpath, "content"), j), "input"), *input);
        }
    }
  return out;
}

std::size_t position_of_path(const RequestModel& m, const std::string& path) {
  std::size_t best = 0;
  bool found = false;
  for (std::size_t p = 0; p < m.positions.size(); ++p) {
    const std::string& pp = m.positions[p].path;
    if (path.compare(0, pp.size(), pp) == 0 && (path.size() == pp.size() || path[pp.size()] == '.' || path[pp.size()] == '[')) {
      best = p;
      found = true;
    }
  }
  return found ? best : m.positions.size();
}

bool dynamic_rule(int rule) { return rule >= kPC001 && rule <= kPC005; }

}  // namespace

Result lint_request_model(const Linter& linter, const RequestModel& m, const Json& body) {
  const Config& config = linter.config();
  const std::string model = m.model.empty() ? config.model : m.model;
  TokenPlan plan;
  plan.total = m.cacheable_tokens;
  plan.model = model;
  plan.estimated = m.tokens_estimated;
  plan.skip_pc019 = true;
  for (std::size_t pos : m.segment_position) plan.after.push_back(m.tokens_from(pos + 1));
  Result r = lint_segments(linter, m.segments, &plan, kScopeText | kScopeRequest);
  r.kind = InputKind::kRequest;
  r.requests = 1;
  const RuleMask mask = enabled_rules(config, kScopeRequest);
  auto add = [&](int rule, const std::string& path, std::string message, std::string excerpt, std::size_t risk) {
    r.findings.push_back(request_finding(config, rule, path, std::move(message), std::move(excerpt), risk));
  };
  const bool openai = m.api == Api::kOpenAiChat;

  // PC007: one request serializing the same object shape in two key orders.
  if (mask[kPC007]) {
    KeyOrderWalk walk;
    for (const auto& [path, value] : ordered_values(m, body)) walk.walk(value, path);
    for (const auto& h : walk.hits) {
      const std::size_t pos = position_of_path(m, h.path);
      add(kPC007, h.path,
          "keys in the order " + h.order + " here but " + h.first_order + " at " + h.first_path +
              ": the serializer does not keep a canonical key order",
          "{" + h.order + "}", pos < m.positions.size() ? m.tokens_from(pos) : 0);
    }
  }

  // PC019 on the rendered prefix: what the provider would cache, wrappers and history included.
  if (mask[kPC019] && m.cacheable_positions > 0 && m.cacheable_tokens > 0) {
    const CacheMinimum min = cache_minimum_for_model(model);
    const std::size_t minimum = config.min_cacheable_tokens.value_or(min.tokens);
    if (m.cacheable_tokens < minimum)
      add(kPC019, m.positions.front().path,
          "the cacheable prefix (through " + m.positions[m.cacheable_positions - 1].path + ") is " +
              std::to_string(m.cacheable_tokens) + " tokens (" + (m.tokens_estimated || r.tokens_estimated ? "estimated" : r.encoding) +
              "); " + (config.min_cacheable_tokens ? std::string("the configured minimum is ")
                                                   : model + (min.known ? " caches" : " (assumed OpenAI) caches") + " only prefixes of ") +
              std::to_string(minimum) + " tokens or more",
          "", m.cacheable_tokens);
  }

  // PC020: a breakpoint on a block with volatile content writes an entry nobody reads.
  if (mask[kPC020] && !openai) {
    std::vector<std::size_t> bps;
    for (std::size_t p = 0; p < m.positions.size(); ++p)
      if (m.positions[p].breakpoint) bps.push_back(p);
    // Automatic caching marks the last block; a message block there moves forward with the
    // conversation, so only a static last block (tools, system) is judged.
    if (m.automatic_caching && !m.positions.empty() && m.positions.back().level != Level::kMessages &&
        std::find(bps.begin(), bps.end(), m.positions.size() - 1) == bps.end())
      bps.push_back(m.positions.size() - 1);
    std::vector<Finding> volatile_found;
    for (std::size_t bp : bps) {
      bool static_found = false;
      for (const Finding& f : r.findings)
        if (f.rule != nullptr && dynamic_rule(static_cast<int>(f.rule - rules().data())) && f.location.segment != kNoSegment &&
            m.segment_position[f.location.segment] == bp) {
          Finding g = f;
          g.rule = &rules()[kPC020];
          g.severity = config.severity(*g.rule);
          g.message = "cache_control breakpoint on a block with volatile content (" + std::string(f.rule->id) + ": " +
                      f.message + ")";
          g.tokens_at_risk = m.tokens_through(bp);
          g.edits.clear();
          volatile_found.push_back(std::move(g));
          static_found = true;
          break;
        }
      // A breakpoint on a message block: its text is not linted as static text, so look for
      // dynamic content in it here.
      const Position& p = m.positions[bp];
      if (static_found || p.level != Level::kMessages || p.text.empty()) continue;
      static const RuleMask only = [] {
        RuleMask k{};
        for (int i = kPC001; i <= kPC005; ++i) k[static_cast<std::size_t>(i)] = true;
        return k;
      }();
      TokenPlan block_plan;
      block_plan.total = m.tokens_through(bp);
      block_plan.after = {0};
      block_plan.skip_pc019 = true;
      block_plan.only = &only;
      const Segment seg{p.text, path_label(p.text_path), p.text_path, true};
      const Result br = lint_segments(linter, std::span<const Segment>(&seg, 1), &block_plan, kScopeText | kScopeRequest);
      if (!br.findings.empty()) {
        Finding g = br.findings.front();
        g.message = "cache_control breakpoint on a block with volatile content (" + std::string(g.rule->id) + ": " +
                    g.message + "): its entry is keyed on text the next request will not repeat";
        g.rule = &rules()[kPC020];
        g.severity = config.severity(*g.rule);
        g.location.segment = kNoSegment;
        g.tokens_at_risk = m.tokens_through(bp);
        volatile_found.push_back(std::move(g));
      }
    }
    for (Finding& f : volatile_found) r.findings.push_back(std::move(f));
  }

  // PC022: at most 4 breakpoints, 1 h entries before 5 min ones, automatic and explicit TTLs
  // agreeing on the last block [spec 3.1].
  if (mask[kPC022] && !openai) {
    std::vector<std::size_t> bps;
    for (std::size_t p = 0; p < m.positions.size(); ++p)
      if (m.positions[p].breakpoint) bps.push_back(p);
    const std::string auto_path = member_path(m.root, "cache_control");
    const bool last_explicit = !bps.empty() && !m.positions.empty() && bps.back() == m.positions.size() - 1;
    const std::size_t slots = bps.size() + (m.automatic_caching && !last_explicit ? 1 : 0);
    if (slots > 4)
      add(kPC022, bps.size() > 4 ? m.positions[bps[4]].path : auto_path,
          std::to_string(slots) + " cache breakpoints" + (m.automatic_caching ? " (automatic caching takes one)" : "") +
              "; the API allows 4 and answers 400",
          "", m.cacheable_tokens);
    if (m.automatic_caching && last_explicit && m.positions.back().ttl != m.automatic_ttl)
      add(kPC022, auto_path,
          "automatic caching (ttl " + m.automatic_ttl + ") and the explicit breakpoint on the last block (ttl " +
              m.positions.back().ttl + ") disagree; the API answers 400",
          "", m.cacheable_tokens);
    bool seen_5m = false, reported_order = false;
    std::vector<std::pair<std::string, std::string>> sequence;  // (ttl, path) in prefix order
    for (std::size_t bp : bps) sequence.emplace_back(m.positions[bp].ttl, m.positions[bp].path);
    if (m.automatic_caching && !last_explicit) sequence.emplace_back(m.automatic_ttl, auto_path);
    for (const auto& [ttl, path] : sequence) {
      if (ttl != "5m" && ttl != "1h") {
        add(kPC022, path + ".cache_control", "cache_control ttl '" + ttl + "' is neither \"5m\" nor \"1h\"", "",
            m.cacheable_tokens);
        continue;
      }
      if (ttl == "5m") seen_5m = true;
      else if (seen_5m && !reported_order) {
        reported_order = true;
        add(kPC022, path, "a 1h breakpoint after a 5m one; 1h entries must come first", "", m.cacheable_tokens);
      }
    }
  }

  // PC027: OpenAI traffic with a cacheable prefix but no prompt_cache_key is routed by its
  // first ~256 tokens alone [spec 2.2, 2.3].
  if (mask[kPC027] && openai && !m.prompt_cache_key) {
    const std::size_t minimum = config.min_cacheable_tokens.value_or(cache_minimum_for_model(model).tokens);
    if (m.cacheable_tokens >= minimum)
      add(kPC027, m.root,
          "no prompt_cache_key on a request with a " + std::to_string(m.cacheable_tokens) +
              "-token cacheable prefix: routing uses the first ~256 tokens only, so traffic sharing them spreads or "
              "overflows (~15 requests per minute per machine)",
          "", m.cacheable_tokens);
  }

  // PC028: a reasoning model through Chat Completions with history: its reasoning items are
  // dropped between turns.
  if (mask[kPC028] && openai && m.reasoning_model) {
    bool history = false;
    if (const Json* msgs = find(body, "messages"); msgs && msgs->is_array())
      for (const Json& mv : *msgs)
        if (const Json* role = mv.is_object() ? find(mv, "role") : nullptr; role && role->is_string() &&
                                                                           role->get_ref<const std::string&>() == "assistant")
          history = true;
    if (history)
      add(kPC028, member_path(m.root, "model"),
          "reasoning model '" + model + "' in a multi-turn Chat Completions conversation: reasoning is dropped between turns",
          "", m.cacheable_tokens);
  }

  // JSON inputs are reported, not rewritten: a string's bytes in the file are its escaped
  // form, so the text edits do not apply to the file as they stand.
  for (Finding& f : r.findings) f.edits.clear();
  sort_findings(r.findings);
  return r;
}

}  // namespace tokcount::lint::detail

namespace tokcount::lint {

Result Linter::lint_request(std::string_view json) const {
  const detail::Json body = chat::detail::parse_json(json, "request");
  const detail::RequestModel m = detail::build_request_model(body, "$", *this);
  return detail::lint_request_model(*this, m, body);
}

Result Linter::lint_input(std::string_view data, InputKind kind) const {
  if (kind == InputKind::kAuto) kind = detect_input_kind(data);
  switch (kind) {
    case InputKind::kRequest: return lint_request(data);
    case InputKind::kLog: return lint_log(data);
    default: return lint_text(data);
  }
}

const char* input_kind_name(InputKind k) noexcept {
  switch (k) {
    case InputKind::kAuto: return "auto";
    case InputKind::kText: return "text";
    case InputKind::kRequest: return "request";
    case InputKind::kLog: return "log";
  }
  return "?";
}

std::optional<InputKind> parse_input_kind(std::string_view s) noexcept {
  if (s == "auto") return InputKind::kAuto;
  if (s == "text") return InputKind::kText;
  if (s == "request" || s == "json") return InputKind::kRequest;
  if (s == "log" || s == "jsonl") return InputKind::kLog;
  return std::nullopt;
}

InputKind detect_input_kind(std::string_view data) noexcept {
  std::size_t p = 0;
  if (data.substr(0, 3) == "\xEF\xBB\xBF") p = 3;
  while (p < data.size() && (data[p] == ' ' || data[p] == '\t' || data[p] == '\r' || data[p] == '\n')) ++p;
  if (p >= data.size() || data[p] != '{') return InputKind::kText;
  // The first line alone a JSON object with "request": a log. The whole text one object with
  // "messages": a request. Anything else is text (a Markdown prompt may start with '{').
  const std::size_t eol = data.find('\n', p);
  const std::string_view first = data.substr(p, eol == std::string_view::npos ? std::string_view::npos : eol - p);
  const detail::Json line = detail::Json::parse(first, nullptr, false);
  if (!line.is_discarded() && line.is_object() && line.contains("request") && line["request"].is_object()) return InputKind::kLog;
  const detail::Json whole = detail::Json::parse(data.substr(p), nullptr, false);
  if (!whole.is_discarded() && whole.is_object() && whole.contains("messages")) return InputKind::kRequest;
  return InputKind::kText;
}

}  // namespace tokcount::lint
