// Comparison rules over a request log: each request against the previous request of its
// conversation (or, opening a conversation, of its prefix group). Why two requests differ is the
// cache module's diff (tokcount/cache.hpp: first divergence + reasons, each naming the lint rules
// it stands for); this file only decides which reasons are findings and where they point:
//  PC006 TOOL_ORDER_UNSTABLE, PC007 JSON_KEY_ORDER, PC008 TOOLSET_CHURN, PC009 SCHEMA_CHURN
//    (also across conversations: tools and schema are the prefix every conversation shares);
//  PC010 PARAM_DRIFT, PC023 HISTORY_MUTATION (within a conversation only);
//  PC021 LOOKBACK_EXCEEDED (Anthropic: the newest entry the previous turn wrote lies more than
//    19 positions behind every breakpoint of this turn) and PC020 BREAKPOINT_ON_VOLATILE (a
//    breakpoint at the same position as the previous request's, on a block that changed, with
//    no earlier breakpoint: the prefix before it is written every time and never read).
// Each rule is reported once per prefix group, at its first occurrence, with the count of the
// others.
#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "lint/log_internal.hpp"
#include "tokcount/cache.hpp"

namespace tokcount::lint::detail {
namespace {

// Anthropic's backward walk covers 20 positions, the breakpoint's own included [spec 3.1].
constexpr std::size_t kLookback = 20;

int rule_index(std::string_view id) {
  const RuleInfo* r = find_rule(id);
  return r == nullptr ? -1 : static_cast<int>(r - rules().data());
}

// The diff's paths are into the request; a log line holds it under "request".
std::string in_record(const std::string& path) {
  if (path.empty() || path == "$") return "$.request";
  return "$.request" + (path[0] == '$' ? path.substr(1) : "." + path);
}

// Positions between block `from` (exclusive) and `to` (inclusive): a run of consecutive
// tool_use blocks counts as one, so does a run of tool_result blocks [spec 3.1].
std::size_t positions_between(const std::vector<cache::Block>& blocks, std::size_t from, std::size_t to) {
  std::size_t n = 0;
  for (std::size_t j = from + 1; j <= to && j < blocks.size(); ++j) {
    const std::string& k = blocks[j].kind;
    const bool run = (k == "tool_use" || k == "tool_result") && blocks[j - 1].kind == k && j - 1 > from;
    if (!run) ++n;
  }
  return n;
}

// Blocks of `a` entirely inside the common token prefix.
std::size_t common_blocks(const cache::Prompt& a, std::size_t common_tokens) {
  std::size_t n = 0;
  while (n < a.blocks.size() && a.blocks[n].token_end <= common_tokens) ++n;
  return n;
}

struct Pending {
  Finding first;
  std::size_t more = 0;
};

}  // namespace

void comparison_rules(const Linter& linter, const std::vector<LogRecord>& records, std::vector<Finding>& out) {
  const Config& config = linter.config();
  const RuleMask mask = enabled_rules(config, kScopeLog);
  const std::set<std::string> sequence_ids = {"PC006", "PC007", "PC008", "PC009", "PC010", "PC023"};
  const std::set<std::string> shared_ids = {"PC006", "PC007", "PC008", "PC009"};

  // Prepared once per record; a request the cache module cannot prepare is left out of the
  // comparisons (its own findings were reported by the request rules).
  cache::TokenCache token_cache;
  cache::PrepareOptions opts;
  opts.token_cache = &token_cache;
  opts.chat.unknown_image_size = chat::UnknownImageSize::kWorstCase;
  opts.chat.encoding = linter.encoding().name();
  std::vector<std::unique_ptr<cache::Prompt>> prompts(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    try {
      prompts[i] = std::make_unique<cache::Prompt>(cache::prepare(compact(records[i].body), opts));
    } catch (const Error&) {
    }
  }

  std::map<std::pair<std::string, int>, Pending> pending;  // (group, rule) -> first finding
  std::vector<std::pair<std::string, int>> order;
  auto report = [&](const LogRecord& rec, int rule, std::string path, std::string message, std::size_t risk) {
    const auto key = std::make_pair(rec.group, rule);
    auto it = pending.find(key);
    if (it != pending.end()) {
      ++it->second.more;
      return;
    }
    Finding f = request_finding(config, rule, std::move(path), std::move(message), "", risk);
    f.location.record = rec.line;
    pending.emplace(key, Pending{std::move(f), 0});
    order.push_back(key);
  };

  std::map<std::string, std::size_t> last_in_conversation, last_in_group;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const LogRecord& cur = records[i];
    std::optional<std::size_t> prev;
    bool cross = false;
    if (auto it = last_in_conversation.find(cur.conversation); it != last_in_conversation.end()) {
      prev = it->second;
    } else if (auto g = last_in_group.find(cur.group); g != last_in_group.end()) {
      prev = g->second;
      cross = true;
    }
    last_in_conversation[cur.conversation] = i;
    last_in_group[cur.group] = i;
    if (!prev || !prompts[*prev] || !prompts[i]) continue;
    const cache::Prompt& a = *prompts[*prev];
    const cache::Prompt& b = *prompts[i];
    const cache::DiffResult d = cache::diff(a, b);
    if (d.divergence.identical) continue;
    const std::size_t cacheable = cur.model.cacheable_tokens;
    const std::size_t common = d.divergence.common_tokens;
    const std::size_t risk = cacheable > common ? cacheable - common : cacheable;
    const std::string against = " (line " + std::to_string(records[*prev].line) + (cross ? ", another conversation" : "") + ")";

    std::set<int> seen;
    for (const cache::ReasonInfo& reason : d.reasons)
      for (const std::string& id : reason.rules) {
        if (!sequence_ids.count(id) || (cross && !shared_ids.count(id))) continue;
        // A changed prompt_cache_key is PC027's (timing rules), not parameter drift.
        if (id == "PC010" && reason.path.find("prompt_cache_key") != std::string::npos) continue;
        const int rule = rule_index(id);
        if (rule < 0 || !mask[static_cast<std::size_t>(rule)] || !seen.insert(rule).second) continue;
        report(cur, rule, in_record(reason.path), reason.detail + ", compared with the previous request" + against, risk);
      }

    if (b.provider != cache::Provider::kAnthropic || a.provider != cache::Provider::kAnthropic) continue;
    const std::size_t same = common_blocks(a, common);
    std::vector<std::size_t> bps_b;
    for (std::size_t j = 0; j < b.blocks.size(); ++j)
      if (b.blocks[j].breakpoint) bps_b.push_back(j);
    // The newest entry the previous request wrote that this one still shares.
    std::optional<std::size_t> entry;
    for (std::size_t j = 0; j < std::min(same, a.blocks.size()); ++j)
      if (a.blocks[j].breakpoint) entry = j;

    if (mask[kPC021] && !cross && entry && !bps_b.empty()) {
      bool reachable = false;
      std::optional<std::size_t> beyond;
      for (std::size_t bp : bps_b) {
        if (bp < *entry) continue;
        if (positions_between(b.blocks, *entry, bp) < kLookback) reachable = true;
        else if (!beyond) beyond = bp;
      }
      if (!reachable && beyond)
        report(cur, kPC021, in_record(b.blocks[*beyond].path),
               "the breakpoint here is " + std::to_string(positions_between(b.blocks, *entry, *beyond)) +
                   " positions after the entry the previous request wrote at " + in_record(a.blocks[*entry].path) +
                   "; the lookback stops after 20" + against,
               b.blocks[*beyond].token_end);  // the whole prefix up to it is processed uncached
    }

    if (mask[kPC020] && !bps_b.empty()) {
      const std::size_t bp = bps_b.front();  // no earlier breakpoint by construction
      const bool same_place = bp < a.blocks.size() && a.blocks[bp].breakpoint && a.blocks[bp].path == b.blocks[bp].path;
      if (same_place && same == bp)
        report(cur, kPC020, in_record(b.blocks[bp].path),
               "the only breakpoint up to here sits on a block that changed since the previous request" + against +
                   " while everything before it is the same: its entry is written every time and never read; put a "
                   "breakpoint on the last stable block",
               b.blocks[bp].token_begin);
    }
  }

  for (const auto& key : order) {
    Pending& p = pending.at(key);
    if (p.more > 0) p.first.message += " (and " + std::to_string(p.more) + " more time(s) in this prefix group)";
    out.push_back(std::move(p.first));
  }
}

}  // namespace tokcount::lint::detail
