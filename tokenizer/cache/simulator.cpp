// The cache simulator (research prompt-cache.md §6.5, §6.6): replays requests against a model
// of each provider's cache. Every constant comes from data/cache_rules.json (embedded).
//
// Entries are keyed by chained hashes over the rendered tokens, so a lookup costs one hash per
// block and no comparison of earlier prompts. Policies:
//   openai             <= GPT-5.5: 128-token blocks, shard = H(first 256 tokens, prompt_cache_key),
//                      hit = deepest live block >= 1024 tokens, idle-based expiry with bands.
//   openai-breakpoints GPT-5.6+: entries at breakpoints (implicit: end of the latest user / tool
//                      message; explicit markers), exact lengths, reads over the latest 50.
//   anthropic          entries at cache_control breakpoints, 20-position lookback, 5m / 1h TTL
//                      refreshed on read, per-model minimum, writes billed 1.25x / 2x.
//   vllm / sglang      capacity-bounded LRU of blocks (vLLM evicts a chain's tail first).
#include <xxhash.h>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <set>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "cache/cache_internal.hpp"
#include "cache/diff.hpp"
#include "chat/json_util.hpp"

extern "C" {
extern const char tokcount_cache_rules_json[], tokcount_cache_rules_json_end[];
}

namespace tokcount::cache {

const nlohmann::json& detail::cache_rules() {
  static const nlohmann::json doc = nlohmann::json::parse(
      std::string_view(tokcount_cache_rules_json,
                       static_cast<std::size_t>(tokcount_cache_rules_json_end - tokcount_cache_rules_json)));
  return doc;
}

const char* confidence_name(Confidence c) noexcept {
  switch (c) {
    case Confidence::kHigh: return "high";
    case Confidence::kMedium: return "medium";
    case Confidence::kLow: return "low";
  }
  return "?";
}

namespace {

using Json = nlohmann::json;

const Json& rules() { return detail::cache_rules(); }

Confidence parse_conf(const std::string& s) {
  return s == "high" ? Confidence::kHigh : s == "medium" ? Confidence::kMedium : Confidence::kLow;
}
Confidence lower(Confidence c) { return c == Confidence::kHigh ? Confidence::kMedium : Confidence::kLow; }

// Confidence for an entry idle for `gap` seconds under `bands` ([[limit_s, "high"], ...]);
// nullopt beyond the last band (gone).
std::optional<Confidence> band(const Json& bands, double gap) {
  for (const Json& b : bands)
    if (gap <= b[0].get<double>()) return parse_conf(b[1].get<std::string>());
  return std::nullopt;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

struct H128 {
  std::uint64_t lo = 0, hi = 0;
  bool operator==(const H128& o) const { return lo == o.lo && hi == o.hi; }
  template <typename H>
  friend H AbslHashValue(H h, const H128& k) {
    return H::combine(std::move(h), k.lo, k.hi);
  }
};

H128 hash_bytes(const void* p, std::size_t n) {
  const XXH128_hash_t h = XXH3_128bits(p, n);
  return {h.low64, h.high64};
}

// Chains a parent with a run of tokens (and an optional salt) into the next hash.
H128 chain(const H128& parent, const Rank* tokens, std::size_t n, std::string_view salt = {}) {
  thread_local std::string buf;
  buf.assign(reinterpret_cast<const char*>(&parent), sizeof parent);
  buf.append(salt.data(), salt.size());
  buf.append(reinterpret_cast<const char*>(tokens), n * sizeof(Rank));  // host order: internal keys only
  return hash_bytes(buf.data(), buf.size());
}

H128 root_of(const Prompt& p, std::string_view extra) {
  std::string s = std::string("sim/v1") + '\0' + provider_name(p.provider) + '\0' + p.params.model + '\0' +
                  p.params.scope + '\0' + std::string(extra);
  return hash_bytes(s.data(), s.size());
}

bool breakpoints_model(const std::string& model) {
  for (const Json& pre : rules()["openai_breakpoints"]["model_prefixes"])
    if (starts_with(model, pre.get<std::string>())) return true;
  return false;
}

std::size_t anthropic_minimum(const std::string& model) {
  for (const Json& row : rules()["anthropic"]["minimums"])
    if (starts_with(model, row[0].get<std::string>())) return row[1].get<std::size_t>();
  return 1024;
}

void add_reason(Prediction& p, Reason code, std::string detail, std::vector<std::string> rule_ids = {}) {
  for (const ReasonInfo& r : p.reasons)
    if (r.code == code) return;
  p.reasons.push_back({code, std::move(rule_ids), "", std::move(detail)});
}

struct Entry {
  double last_use = 0;      // OpenAI: idle clock; Anthropic: start of the last write / read
  double expires = 0;       // Anthropic: last_use + ttl
  double available_at = 0;  // readable from the writing request's response start
  std::size_t request = 0;
  std::size_t cum_tokens = 0;
  std::string ttl;
};

struct LruNode {
  std::uint64_t tick = 0;
  std::size_t depth = 0;
  std::size_t request = 0;
};

struct History {
  std::shared_ptr<const Prompt> prompt;
  std::size_t index = 0;
};

}  // namespace

Observed parse_usage(std::string_view usage_json) {
  const chat::detail::Json u = chat::detail::parse_json(usage_json, "usage");
  chat::detail::as_object(u, "$.usage");
  auto num = [](const chat::detail::Json& o, const char* k) -> std::optional<std::size_t> {
    const chat::detail::Json* v = chat::detail::find(o, k);
    if (v == nullptr || !v->is_number()) return std::nullopt;
    const double d = v->get<double>();
    if (d < 0) return std::nullopt;
    return static_cast<std::size_t>(d);
  };
  Observed o;
  if (chat::detail::find(u, "cache_read_input_tokens") != nullptr ||
      chat::detail::find(u, "cache_creation_input_tokens") != nullptr) {
    // Anthropic: input_tokens counts only what follows the last breakpoint.
    const std::size_t in = num(u, "input_tokens").value_or(0);
    o.cached_tokens = num(u, "cache_read_input_tokens").value_or(0);
    o.cache_write_tokens = num(u, "cache_creation_input_tokens").value_or(0);
    o.prompt_tokens = in + *o.cached_tokens + *o.cache_write_tokens;
    return o;
  }
  o.prompt_tokens = num(u, "prompt_tokens");
  if (!o.prompt_tokens) o.prompt_tokens = num(u, "input_tokens");
  for (const char* details : {"prompt_tokens_details", "input_tokens_details"})
    if (const chat::detail::Json* d = chat::detail::find(u, details); d != nullptr && d->is_object()) {
      if (auto c = num(*d, "cached_tokens")) o.cached_tokens = c;
      if (auto w = num(*d, "cache_write_tokens")) o.cache_write_tokens = w;
    }
  if (!o.cached_tokens && o.prompt_tokens) o.cached_tokens = 0;  // absent details: nothing cached
  return o;
}

struct Simulator::Impl {
  SimulatorOptions opt;
  std::size_t next_index = 0;
  std::size_t errors = 0;
  std::vector<Prediction> done;  // light copies for the summary (no reasons' detail needed)

  // OpenAI <= 5.5: key = chain hash mixed with the shard.
  absl::flat_hash_map<H128, Entry> openai;
  absl::flat_hash_map<H128, std::uint64_t> openai_any_shard;  // chain hash -> shard of its last write
  absl::flat_hash_map<std::uint64_t, std::deque<double>> rpm;  // (prefix, key) -> recent timestamps
  // Breakpoint policies (OpenAI 5.6+, Anthropic): prefix hash at a position -> entry.
  absl::flat_hash_map<H128, Entry> points;
  // vLLM / SGLang.
  absl::flat_hash_map<H128, LruNode> lru;
  std::set<std::tuple<std::uint64_t, std::int64_t, std::uint64_t, std::uint64_t>> lru_order;  // (tick, -depth, hash)
  absl::flat_hash_set<H128> evicted;
  std::uint64_t tick = 0;
  // Explanations: 16-token chain hash (model-independent) -> latest request holding it.
  absl::flat_hash_map<H128, std::size_t> similar;
  std::deque<History> history;
  double last_ts = -1e300;

  const chat::PriceTable& prices() const { return opt.prices ? *opt.prices : chat::PriceTable::builtin(); }

  std::shared_ptr<const Prompt> find_history(std::size_t index) const {
    for (auto it = history.rbegin(); it != history.rend(); ++it)
      if (it->index == index) return it->prompt;
    return nullptr;
  }

  void predict_openai(const Prompt& p, double ts, double available, Prediction& out);
  void predict_breakpoints(const Prompt& p, double ts, double available, Prediction& out);
  void predict_anthropic(const Prompt& p, double ts, double available, Prediction& out);
  void predict_lru(const Prompt& p, bool vllm, Prediction& out);
  void explain(const std::shared_ptr<const Prompt>& p, Prediction& out);
  void price(const Prompt& p, Prediction& out) const;
};

void Simulator::Impl::predict_openai(const Prompt& p, double ts, double available, Prediction& out) {
  const Json& r = rules()["openai"];
  const std::size_t block = r["step_tokens"].get<std::size_t>();
  const std::size_t minimum = r["minimum_tokens"].get<std::size_t>();
  const std::size_t route = r["routing_prefix_tokens"].get<std::size_t>();
  std::string retention = p.params.retention;
  if (retention.empty()) {
    retention = "in_memory";
    for (const Json& m : r["default_24h_models"])
      if (starts_with(p.params.model, m.get<std::string>())) retention = "24h";
  }
  if (!r["retention"].contains(retention)) retention = "in_memory";
  const Json& pol = r["retention"][retention];
  const double max_idle = pol["max_idle_s"].get<double>();
  out.matched_ttl = retention;

  const auto& toks = p.rendered.tokens;
  const std::size_t n = toks.size();
  // Routing: the first ~256 tokens and the cache key pick the machine (§6.5).
  const std::size_t rn = std::min(route, n);
  const std::uint64_t prefix = XXH3_64bits(toks.data(), rn * sizeof(Rank));
  const std::uint64_t shard = XXH3_64bits_withSeed(p.params.prompt_cache_key.data(), p.params.prompt_cache_key.size(), prefix);
  // Requests per minute on this (prefix, key): above ~15 traffic overflows to cold machines.
  auto& q = rpm[shard];
  while (!q.empty() && q.front() < ts - 60) q.pop_front();
  q.push_back(ts);
  const bool overflow = q.size() > r["overflow_rpm"].get<std::size_t>();

  const H128 root = root_of(p, p.params.reasoning_effort + '\0' + p.params.service_tier);
  const std::size_t nblocks = n / block;
  std::vector<H128> chainh(nblocks);
  H128 prev = root;
  for (std::size_t i = 0; i < nblocks; ++i) chainh[i] = prev = chain(prev, toks.data() + i * block, block);
  auto key = [&](const H128& h) { return H128{h.lo ^ shard, h.hi}; };

  std::size_t k = 0;
  bool expired = false, not_ready = false;
  double gap = 0;
  const Entry* deepest = nullptr;
  for (; k < nblocks; ++k) {
    auto it = openai.find(key(chainh[k]));
    if (it == openai.end()) break;
    if (ts - it->second.last_use > max_idle) {
      expired = true;
      break;
    }
    if (it->second.available_at > ts) {
      not_ready = true;
      break;
    }
    deepest = &it->second;
  }
  std::size_t cached = k * block;
  if (n < minimum) {
    add_reason(out, Reason::kBelowMinimum, std::to_string(n) + " prompt tokens < " + std::to_string(minimum), {"PC019"});
    cached = 0;
  } else if (cached < minimum) {
    cached = 0;
  }
  Confidence conf = Confidence::kHigh;
  if (cached > 0 && deepest != nullptr) {
    gap = ts - deepest->last_use;
    conf = band(pol["bands"], gap).value_or(Confidence::kLow);
    out.matched_request = deepest->request;
    out.matched_age_s = gap;
  }
  if (cached == 0 && n >= minimum) {
    if (expired) add_reason(out, Reason::kExpired, "entry idle beyond " + retention + " retention", {"PC029"});
    if (not_ready) add_reason(out, Reason::kNotYetAvailable, "the earlier request had not started responding", {"PC030"});
    // The same prefix on another machine (a different prompt_cache_key or prefix routing).
    if (k < nblocks && !expired && !not_ready) {
      auto it = openai_any_shard.find(chainh[k]);
      if (it != openai_any_shard.end() && it->second != shard) {
        add_reason(out, Reason::kRoutingSplit, "the prefix is cached under another prompt_cache_key / route", {"PC027"});
        conf = Confidence::kMedium;
      }
    }
  }
  if (overflow) {
    add_reason(out, Reason::kRateOverflow, "more than 15 requests per minute on this prefix + prompt_cache_key", {"PC027"});
    conf = lower(conf);
  }
  out.predicted_cached_tokens = cached;
  out.confidence = conf;
  // Write / refresh every full block of this prompt on this machine.
  for (std::size_t i = 0; i < nblocks; ++i) {
    Entry& e = openai[key(chainh[i])];
    const bool fresh = e.last_use == 0 || ts - e.last_use > max_idle;
    if (fresh) {
      e.available_at = available;
      e.request = out.index;
    } else if (i >= k) {
      e.request = out.index;
    }
    e.last_use = ts;
    e.cum_tokens = (i + 1) * block;
    openai_any_shard[chainh[i]] = shard;
  }
}

void Simulator::Impl::predict_breakpoints(const Prompt& p, double ts, double available, Prediction& out) {
  const Json& r = rules()["openai_breakpoints"];
  const std::size_t minimum = r["minimum_tokens"].get<std::size_t>();
  const double max_idle = r["max_idle_s"].get<double>();
  const double ttl = r["ttl_s"].get<double>();
  out.matched_ttl = "30m";
  const auto& toks = p.rendered.tokens;
  const H128 root = root_of(p, p.params.prompt_cache_key + '\0' + p.params.reasoning_effort);
  // Prefix hash at each block end.
  std::vector<H128> at(p.blocks.size());
  H128 prev = root;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < p.blocks.size(); ++i) {
    const std::size_t end = p.blocks[i].token_end;
    prev = chain(prev, toks.data() + pos, end - pos);
    pos = end;
    at[i] = prev;
  }
  // Read candidates: explicit markers and every user / tool message end (earlier turns' implicit
  // breakpoints sit there) [INF]; the latest `read_window` of them.
  auto message_role = [&](const Block& b) -> std::string {
    if (b.message < 0 || static_cast<std::size_t>(b.message) >= p.request.messages.size()) return "";
    return p.request.messages[static_cast<std::size_t>(b.message)].role;
  };
  std::vector<std::size_t> ends;  // last block of each message
  for (std::size_t i = 0; i < p.blocks.size(); ++i)
    if (i + 1 == p.blocks.size() || p.blocks[i + 1].message != p.blocks[i].message) ends.push_back(i);
  std::vector<std::size_t> candidates;
  std::optional<std::size_t> implicit;
  for (std::size_t i : ends) {
    const std::string role = message_role(p.blocks[i]);
    if (role == "user" || role == "tool") {
      candidates.push_back(i);
      implicit = i;
    }
  }
  std::vector<std::size_t> writes;
  for (std::size_t i = 0; i < p.blocks.size(); ++i)
    if (p.blocks[i].breakpoint) {
      candidates.push_back(i);
      writes.push_back(i);
    }
  if (p.params.cache_mode != "explicit" && implicit) writes.push_back(*implicit);
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  const std::size_t window = r["read_window"].get<std::size_t>();
  if (candidates.size() > window) candidates.erase(candidates.begin(), candidates.end() - static_cast<std::ptrdiff_t>(window));
  std::sort(writes.begin(), writes.end());
  writes.erase(std::unique(writes.begin(), writes.end()), writes.end());

  std::optional<std::size_t> best;
  bool expired = false, not_ready = false;
  for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
    if (p.blocks[*it].token_end < minimum) break;
    auto e = points.find(at[*it]);
    if (e == points.end()) continue;
    if (ts - e->second.last_use > max_idle) {
      expired = true;
      continue;
    }
    if (e->second.available_at > ts) {
      not_ready = true;
      continue;
    }
    best = *it;
    break;
  }
  std::size_t cached = 0;
  if (best) {
    Entry& e = points[at[*best]];
    cached = p.blocks[*best].token_end;
    out.matched_request = e.request;
    out.matched_age_s = ts - e.last_use;
    out.confidence = band(r["bands"], ts - e.last_use).value_or(Confidence::kLow);
    e.last_use = ts;
  } else {
    if (writes.empty()) add_reason(out, Reason::kNoBreakpoint, "prompt_cache_options.mode is explicit and no block is marked");
    if (toks.size() < minimum) add_reason(out, Reason::kBelowMinimum, std::to_string(toks.size()) + " tokens < 1024", {"PC019"});
    if (expired) add_reason(out, Reason::kExpired, "breakpoint entry idle beyond its lifetime", {"PC029"});
    if (not_ready) add_reason(out, Reason::kNotYetAvailable, "the writing request had not started responding", {"PC030"});
  }
  out.predicted_cached_tokens = cached;
  // Writes: up to four of the newest breakpoints not yet alive, from 1024 tokens.
  std::size_t written = 0, max_end = 0;
  for (auto it = writes.rbegin(); it != writes.rend() && written < r["max_new_writes"].get<std::size_t>(); ++it) {
    const std::size_t end = p.blocks[*it].token_end;
    if (end < minimum || end <= cached) continue;
    auto e = points.find(at[*it]);
    if (e != points.end() && ts - e->second.last_use <= max_idle) continue;
    Entry& ne = points[at[*it]];
    ne = Entry{ts, ts + ttl, available, out.index, end, "30m"};
    ++written;
    max_end = std::max(max_end, end);
  }
  out.predicted_cache_write_tokens = max_end > cached ? max_end - cached : 0;
}

void Simulator::Impl::predict_anthropic(const Prompt& p, double ts, double available, Prediction& out) {
  const Json& r = rules()["anthropic"];
  const std::size_t minimum = anthropic_minimum(p.params.model);
  const std::size_t lookback = r["lookback_positions"].get<std::size_t>();
  const auto& toks = p.rendered.tokens;
  // Prefix hash per block, with the parameters mixed in at the level they invalidate (§6.2):
  // speed at the first system block; tool_choice, thinking, effort, image presence at the first
  // message block.
  bool images = false;
  for (const Block& b : p.blocks) images |= b.kind == "image";
  const std::string system_salt = "speed=" + p.params.speed;
  const std::string message_salt = "tc=" + p.params.tool_choice + "|th=" + p.params.thinking + "|ef=" +
                                   p.params.reasoning_effort + (images ? "|img" : "");
  std::vector<H128> at(p.blocks.size());
  std::vector<std::size_t> position(p.blocks.size());  // lookback position (runs collapsed)
  H128 prev = root_of(p, "");
  std::size_t pos = 0, pid = 0;
  bool system_salted = false, message_salted = false;
  for (std::size_t i = 0; i < p.blocks.size(); ++i) {
    const Block& b = p.blocks[i];
    std::string salt;
    if ((b.level == Level::kSystem || b.level == Level::kMessages) && !system_salted) {
      salt += system_salt;
      system_salted = true;
    }
    if (b.level == Level::kMessages && !message_salted) {
      salt += message_salt;
      message_salted = true;
    }
    prev = chain(prev, toks.data() + pos, b.token_end - pos, salt);
    pos = b.token_end;
    at[i] = prev;
    const bool run = i > 0 && (b.kind == "tool_use" || b.kind == "tool_result") && p.blocks[i - 1].kind == b.kind;
    if (i > 0 && !run) ++pid;
    position[i] = pid;
  }
  // Breakpoints: explicit markers, then the automatic one on the last eligible block.
  std::vector<std::size_t> bps;
  for (std::size_t i = 0; i < p.blocks.size(); ++i)
    if (p.blocks[i].breakpoint) bps.push_back(i);
  if (!p.params.auto_cache_ttl.empty()) {
    for (std::size_t i = p.blocks.size(); i-- > 0;) {
      const Block& b = p.blocks[i];
      if (b.kind == "thinking" || b.token_end == b.token_begin) continue;  // not markable: walk back
      if (std::find(bps.begin(), bps.end(), i) == bps.end()) bps.push_back(i);
      break;
    }
    std::sort(bps.begin(), bps.end());
  }
  auto ttl_of = [&](std::size_t i) {
    const std::string& t = p.blocks[i].ttl;
    return t.empty() ? (p.params.auto_cache_ttl.empty() ? std::string("5m") : p.params.auto_cache_ttl) : t;
  };
  out.matched_ttl = "";
  if (bps.empty()) {
    add_reason(out, Reason::kNoBreakpoint, "no cache_control block and no top-level cache_control");
    out.confidence = Confidence::kHigh;
    return;
  }
  if (bps.size() > r["max_breakpoints"].get<std::size_t>()) {
    out.error = "more than 4 cache_control breakpoints (the API rejects the request)";
    add_reason(out, Reason::kBreakpointRules, out.error, {"PC022"});
    return;
  }
  // A TTL the rules do not list ("2h", a number) is a request the API rejects; checked before
  // any cache state changes (found by fuzz_cache: it reached the TTL table unchecked).
  for (std::size_t bp : bps) {
    const std::string ttl = ttl_of(bp);
    if (!r["ttl_s"].contains(ttl)) {
      out.error = "cache_control ttl \"" + ttl + "\" at " + p.blocks[bp].path +
                  " is not one the API accepts (\"5m\", \"1h\"): it rejects the request";
      add_reason(out, Reason::kBreakpointRules, out.error, {"PC022"});
      return;
    }
  }
  for (std::size_t j = 1; j < bps.size(); ++j)
    if (ttl_of(bps[j]) == "1h" && ttl_of(bps[j - 1]) == "5m") {
      out.error = "a 1h cache_control after a 5m one (1h entries must come first)";
      add_reason(out, Reason::kBreakpointRules, out.error, {"PC022"});
      return;
    }
  // Reads: from each breakpoint, walk back up to 20 positions for a live entry.
  std::optional<std::size_t> hit;
  bool expired = false, not_ready = false, beyond = false;
  auto alive = [&](std::size_t i, bool note) {
    auto e = points.find(at[i]);
    if (e == points.end()) return false;
    if (e->second.expires < ts) {
      if (note) expired = true;
      return false;
    }
    if (e->second.available_at > ts) {
      if (note) not_ready = true;
      return false;
    }
    return true;
  };
  for (auto it = bps.rbegin(); it != bps.rend(); ++it) {
    const std::size_t bp = *it;
    std::optional<std::size_t> found;
    for (std::size_t j = bp + 1; j-- > 0;) {
      if (position[bp] - position[j] >= lookback) {
        // Past the window: is there an entry the walk would have needed?
        for (std::size_t x = j + 1; x-- > 0;)
          if (alive(x, false)) {
            beyond = true;
            break;
          }
        break;
      }
      if (alive(j, true)) {
        found = j;
        break;
      }
    }
    if (found && (!hit || *found > *hit)) hit = found;
  }
  const std::size_t read = hit ? p.blocks[*hit].token_end : 0;
  if (hit) {
    Entry& e = points[at[*hit]];
    out.matched_request = e.request;
    out.matched_age_s = ts - e.last_use;
    out.matched_ttl = e.ttl;
    e.last_use = ts;
    e.expires = ts + r["ttl_s"][e.ttl].get<double>();  // a read refreshes at no cost
  } else {
    if (expired) add_reason(out, Reason::kExpired, "entry older than its TTL", {"PC029"});
    if (not_ready) add_reason(out, Reason::kNotYetAvailable, "the writing request had not started responding", {"PC030"});
    if (beyond) add_reason(out, Reason::kLookbackExceeded, "an entry exists more than 20 positions back", {"PC021"});
  }
  // Writes at the breakpoints beyond the hit that reach the minimum.
  std::optional<std::size_t> last_bp, last_1h;
  bool below = false;
  for (std::size_t bp : bps) {
    const std::size_t end = p.blocks[bp].token_end;
    if (end < minimum) {
      below = true;
      continue;
    }
    if (hit && bp <= *hit) continue;
    const std::string ttl = ttl_of(bp);
    Entry& e = points[at[bp]];
    const bool live = e.expires >= ts && e.cum_tokens > 0;
    if (!live) e = Entry{ts, ts + r["ttl_s"][ttl].get<double>(), available, out.index, end, ttl};
    last_bp = bp;
    if (ttl == "1h") last_1h = bp;
  }
  if (below && !last_bp && !hit)
    add_reason(out, Reason::kBelowMinimum,
               "breakpoint prefix below " + std::to_string(minimum) + " tokens for " + p.params.model, {"PC019"});
  out.predicted_cached_tokens = read;
  if (last_bp) {
    const std::size_t c = p.blocks[*last_bp].token_end;
    const std::size_t b = last_1h ? p.blocks[*last_1h].token_end : read;
    out.write_1h_tokens = b > read ? b - read : 0;
    out.write_5m_tokens = c > std::max(b, read) ? c - std::max(b, read) : 0;
    out.predicted_cache_write_tokens = out.write_1h_tokens + out.write_5m_tokens;
  }
  // Deterministic inside the TTL; token counts are estimates, hit / miss is not.
  out.confidence = Confidence::kHigh;
}

void Simulator::Impl::predict_lru(const Prompt& p, bool vllm, Prediction& out) {
  const Json& r = rules()[vllm ? "vllm" : "sglang"];
  // SGLang pages of 1 token are simulated as 16-token blocks refined by an exact comparison
  // with the request that wrote the deepest matched block.
  std::size_t block = opt.block_size ? opt.block_size : (vllm ? r["block_size"].get<std::size_t>() : 16);
  if (block == 0) block = 16;
  const std::size_t capacity = (opt.capacity_tokens ? opt.capacity_tokens : r["capacity_tokens"].get<std::size_t>()) / block;
  out.matched_ttl = "lru";
  const auto& toks = p.rendered.tokens;
  const std::size_t n = toks.size(), nblocks = n / block;
  std::vector<H128> h(nblocks);
  H128 prev = root_of(p, "");
  for (std::size_t i = 0; i < nblocks; ++i) h[i] = prev = chain(prev, toks.data() + i * block, block);
  std::size_t k = 0;
  std::optional<std::size_t> owner;
  for (; k < nblocks; ++k) {
    auto it = lru.find(h[k]);
    if (it == lru.end()) break;
    owner = it->second.request;
  }
  std::size_t cached = k * block;
  if (!vllm && owner && k < nblocks + 1) {
    if (auto prior = find_history(*owner)) {
      const auto& pt = prior->rendered.tokens;
      std::size_t extra = 0;
      while (cached + extra < n && cached + extra < pt.size() && extra < block && pt[cached + extra] == toks[cached + extra]) ++extra;
      if (extra < block) cached += extra;
    }
  }
  if (cached >= n && n > 0) cached = vllm ? ((n - 1) / block) * block : n - 1;  // the last token is always recomputed
  if (k < nblocks && evicted.count(h[k])) add_reason(out, Reason::kEvicted, "the next block was evicted (LRU capacity)");
  if (owner) out.matched_request = owner;
  out.predicted_cached_tokens = cached;
  out.confidence = Confidence::kMedium;  // depends on the configured capacity and concurrency
  // Insert / touch; the deeper a block, the earlier it is evicted (vLLM frees a chain tail first).
  ++tick;
  for (std::size_t i = 0; i < nblocks; ++i) {
    auto [it, inserted] = lru.try_emplace(h[i]);
    if (!inserted) lru_order.erase({it->second.tick, -static_cast<std::int64_t>(it->second.depth), h[i].lo, h[i].hi});
    it->second.tick = tick;
    it->second.depth = i;
    if (inserted || i >= k) it->second.request = out.index;
    lru_order.insert({tick, -static_cast<std::int64_t>(i), h[i].lo, h[i].hi});
    evicted.erase(h[i]);
  }
  while (lru.size() > capacity && !lru_order.empty()) {
    const auto victim = *lru_order.begin();
    lru_order.erase(lru_order.begin());
    const H128 vh{std::get<2>(victim), std::get<3>(victim)};
    lru.erase(vh);
    if (evicted.size() > 1'000'000) evicted.clear();
    evicted.insert(vh);
  }
}

void Simulator::Impl::explain(const std::shared_ptr<const Prompt>& p, Prediction& out) {
  const auto& toks = p->rendered.tokens;
  const std::size_t b = 16, nb = toks.size() / b;
  std::vector<H128> h(nb);
  H128 prev{0, 0};
  for (std::size_t i = 0; i < nb; ++i) h[i] = prev = chain(prev, toks.data() + i * b, b);
  // The deepest shared 16-token block names the closest earlier request; else the latest one.
  std::optional<std::size_t> closest;
  for (std::size_t i = nb; i-- > 0;) {
    auto it = similar.find(h[i]);
    if (it != similar.end()) {
      closest = it->second;
      break;
    }
  }
  std::shared_ptr<const Prompt> other = closest ? find_history(*closest) : nullptr;
  if (!other && !history.empty()) {
    other = history.back().prompt;
    closest = history.back().index;
  }
  for (std::size_t i = 0; i < nb; ++i) similar[h[i]] = out.index;
  if (!other) {
    if (out.predicted_cached_tokens == 0) add_reason(out, Reason::kNoPriorEntry, "first request with this prefix");
    return;
  }
  const DiffResult d = detail::diff_prompts(*other, *p);
  out.compared_with = closest;
  out.first_divergence = d.divergence;
  for (const ReasonInfo& r : d.reasons) {
    if (r.code == Reason::kIdentical || r.code == Reason::kAppended) {
      if (out.predicted_cached_tokens > 0) continue;  // a hit: nothing to explain
    }
    bool dup = false;
    for (const ReasonInfo& x : out.reasons) dup |= x.code == r.code && x.path == r.path;
    if (!dup) out.reasons.push_back(r);
  }
  if (out.predicted_cached_tokens == 0 && d.divergence.common_tokens == 0 && out.reasons.empty())
    add_reason(out, Reason::kNoPriorEntry, "no earlier request shares a prefix");
}

void Simulator::Impl::price(const Prompt& p, Prediction& out) const {
  if (p.provider == Provider::kVllm || p.provider == Provider::kSglang) return;
  const chat::ModelInfo* info = prices().find(p.params.model, provider_name(p.provider));
  if (info == nullptr || !info->input) return;
  const double in = info->input->per_million() / 1e6;
  const Json& r = rules();
  double read_mult = p.provider == Provider::kAnthropic ? r["anthropic"]["read_multiplier"].get<double>()
                                                        : r["openai_breakpoints"]["read_multiplier"].get<double>();
  const double cached_price = info->cached_input ? info->cached_input->per_million() / 1e6 : in * read_mult;
  out.priced = true;
  out.currency = info->currency;
  out.cost_uncached = static_cast<double>(out.prompt_tokens) * in;
  const std::size_t uncached = out.prompt_tokens - std::min(out.prompt_tokens, out.predicted_cached_tokens + out.predicted_cache_write_tokens);
  double writes = 0;
  if (p.provider == Provider::kAnthropic) {
    writes = static_cast<double>(out.write_5m_tokens) * in * r["anthropic"]["write_multiplier"]["5m"].get<double>() +
             static_cast<double>(out.write_1h_tokens) * in * r["anthropic"]["write_multiplier"]["1h"].get<double>();
  } else {
    writes = static_cast<double>(out.predicted_cache_write_tokens) * in * r["openai_breakpoints"]["write_multiplier"].get<double>();
  }
  out.cost_predicted = static_cast<double>(uncached) * in + writes + static_cast<double>(out.predicted_cached_tokens) * cached_price;
}

Simulator::Simulator(SimulatorOptions options) : impl_(std::make_unique<Impl>()) { impl_->opt = std::move(options); }
Simulator::~Simulator() = default;
void Simulator::count_error() {
  ++impl_->errors;
  ++impl_->next_index;
}

Prediction Simulator::add(double ts, const Prompt& prompt_in, const std::optional<Observed>& observed,
                          std::optional<double> response_start) {
  Impl& m = *impl_;
  if (!std::isfinite(ts)) throw Error(ErrorCode::kInvalidArgument, "ts must be a finite number of seconds");
  auto prompt = std::make_shared<Prompt>(prompt_in);
  if (m.opt.provider) prompt->provider = *m.opt.provider;
  const Prompt& p = *prompt;
  Prediction out;
  out.index = m.next_index++;
  out.provider = p.provider;
  out.model = p.params.model;
  out.prompt_tokens = p.prompt_tokens();
  out.observed = observed;
  const double prefill = static_cast<double>(p.prompt_tokens()) / rules()["prefill_tokens_per_s"].get<double>();
  const double available = response_start ? *response_start : ts + prefill;
  switch (p.provider) {
    case Provider::kOpenAI:
      if (breakpoints_model(p.params.model)) {
        out.policy = "openai-breakpoints";
        m.predict_breakpoints(p, ts, available, out);
      } else {
        out.policy = "openai";
        m.predict_openai(p, ts, available, out);
      }
      break;
    case Provider::kAnthropic:
      out.policy = "anthropic";
      m.predict_anthropic(p, ts, available, out);
      break;
    case Provider::kVllm:
      out.policy = "vllm";
      m.predict_lru(p, true, out);
      break;
    case Provider::kSglang:
      out.policy = "sglang";
      m.predict_lru(p, false, out);
      break;
  }
  if (m.opt.explain) m.explain(prompt, out);
  m.price(p, out);
  m.history.push_back({prompt, out.index});
  while (m.history.size() > m.opt.history) m.history.pop_front();
  m.last_ts = ts;
  // Bounded memory on long logs: drop entries no policy can still read (idle > 24 h), and
  // start the similarity index over when it gets large (it only picks whom to diff against).
  if (out.index % 4096 == 4095) {
    absl::erase_if(m.openai, [ts](const auto& kv) { return ts - kv.second.last_use > 86400; });
    absl::erase_if(m.points, [ts](const auto& kv) { return kv.second.expires < ts && ts - kv.second.last_use > 86400; });
    absl::erase_if(m.rpm, [ts](const auto& kv) { return kv.second.empty() || kv.second.back() < ts - 60; });
    if (m.similar.size() > (4u << 20)) m.similar.clear();
    if (m.openai_any_shard.size() > (4u << 20)) m.openai_any_shard.clear();
  }
  Prediction light = out;
  light.first_divergence.reset();
  for (ReasonInfo& r : light.reasons) r.detail.clear();
  m.done.push_back(std::move(light));
  return out;
}

Prediction Simulator::add_log_line(std::string_view line) {
  // simdjson finds the fields and hands back the request's raw bytes, so the body is parsed
  // once (by prepare) instead of parsed, re-serialized and parsed again.
  thread_local simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(line);
  double ts = 0;
  bool have_ts = false;
  std::string_view request, usage, scope;
  std::optional<double> start;
  try {
    simdjson::ondemand::document doc = parser.iterate(padded);
    simdjson::ondemand::object obj = doc.get_object();
    for (auto field : obj) {
      const std::string_view key = field.unescaped_key();
      simdjson::ondemand::value v = field.value();
      if (key == "ts") {
        double d = 0;
        if (v.get_double().get(d) != simdjson::SUCCESS)
          chat::detail::shape_error("$.ts", "expected a number (unix seconds)");
        ts = d;
        have_ts = true;
      } else if (key == "request") {
        if (v.type() != simdjson::ondemand::json_type::object)
          chat::detail::shape_error("$.request", "expected the request body object");
        simdjson::ondemand::object o = v.get_object();
        request = o.raw_json();
      } else if (key == "usage") {
        if (v.type() == simdjson::ondemand::json_type::object) {
          simdjson::ondemand::object o = v.get_object();
          usage = o.raw_json();
        }
      } else if (key == "response_start") {
        double d = 0;
        if (v.get_double().get(d) == simdjson::SUCCESS) start = d;
      } else if (key == "scope") {
        std::string_view sv;
        if (v.get_string().get(sv) == simdjson::SUCCESS) scope = sv;
      }
    }
  } catch (const simdjson::simdjson_error& e) {
    throw Error(ErrorCode::kParseError, std::string("log line: malformed JSON: ") + e.what());
  }
  if (!have_ts) chat::detail::shape_error("$.ts", "expected a number (unix seconds)");
  if (request.empty()) chat::detail::shape_error("$.request", "expected the request body object");
  Prompt p = prepare(request, impl_->opt.prepare);
  p.params.scope = std::string(scope);
  std::optional<Observed> obs;
  if (!usage.empty()) obs = parse_usage(usage);
  return add(ts, p, obs, start);
}

Summary Simulator::summary() const {
  const Impl& m = *impl_;
  Summary s;
  s.requests = m.done.size();
  s.errors = m.errors;
  std::map<std::string, std::size_t> causes;
  double abs_err = 0;
  for (const Prediction& p : m.done) {
    s.prompt_tokens += p.prompt_tokens;
    s.cached_tokens += p.predicted_cached_tokens;
    s.cache_write_tokens += p.predicted_cache_write_tokens;
    if (!p.error.empty()) ++s.errors;
    if (p.predicted_cached_tokens > 0) {
      ++s.hits;
    } else {
      std::set<std::string> seen;
      for (const ReasonInfo& r : p.reasons)
        if (r.code != Reason::kIdentical && r.code != Reason::kAppended) seen.insert(reason_name(r.code));
      if (seen.empty()) seen.insert("UNEXPLAINED");
      for (const std::string& c : seen) ++causes[c];
    }
    if (p.priced) {
      ++s.priced_requests;
      if (s.currency.empty()) s.currency = p.currency;
      if (p.currency == s.currency) {
        s.cost_uncached += p.cost_uncached;
        s.cost_predicted += p.cost_predicted;
      }
    }
    if (p.observed && p.observed->cached_tokens) {
      Calibration& c = s.calibration;
      const std::size_t o = *p.observed->cached_tokens;
      ++c.observed;
      c.predicted_tokens += p.predicted_cached_tokens;
      c.observed_tokens += o;
      if (o == p.predicted_cached_tokens) ++c.exact;
      else if (p.predicted_cached_tokens > o) ++c.over;
      else ++c.under;
      abs_err += std::fabs(static_cast<double>(o) - static_cast<double>(p.predicted_cached_tokens));
    }
  }
  if (s.calibration.observed) s.calibration.mean_abs_error = abs_err / static_cast<double>(s.calibration.observed);
  s.hit_rate = s.requests ? static_cast<double>(s.hits) / static_cast<double>(s.requests) : 0;
  s.token_hit_rate = s.prompt_tokens ? static_cast<double>(s.cached_tokens) / static_cast<double>(s.prompt_tokens) : 0;
  s.saved = s.cost_uncached - s.cost_predicted;
  for (const auto& [k, v] : causes) s.top_miss_causes.emplace_back(k, v);
  std::stable_sort(s.top_miss_causes.begin(), s.top_miss_causes.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return s;
}

namespace {

nlohmann::ordered_json divergence_json(const Divergence& d) {
  nlohmann::ordered_json j;
  j["segment_path"] = d.segment_path;
  j["level"] = level_name(d.level);
  j["byte_offset"] = d.byte_offset;
  j["token_index"] = d.token_index;
  return j;
}

double round6(double x) { return std::round(x * 1e6) / 1e6; }

}  // namespace

std::string prediction_json(const Prediction& p) {
  nlohmann::ordered_json j;
  j["index"] = p.index;
  j["provider"] = provider_name(p.provider);
  j["model"] = p.model;
  j["policy"] = p.policy;
  j["prompt_tokens"] = p.prompt_tokens;
  j["predicted_cached_tokens"] = p.predicted_cached_tokens;
  j["predicted_cache_write_tokens"] = p.predicted_cache_write_tokens;
  if (p.provider == Provider::kAnthropic) {
    j["cache_write_5m_tokens"] = p.write_5m_tokens;
    j["cache_write_1h_tokens"] = p.write_1h_tokens;
  }
  j["confidence"] = confidence_name(p.confidence);
  if (p.matched_request) {
    nlohmann::ordered_json m;
    m["request_index"] = *p.matched_request;
    m["age_s"] = round6(p.matched_age_s);
    m["ttl_class"] = p.matched_ttl;
    j["matched_entry"] = m;
  } else {
    j["matched_entry"] = nullptr;
  }
  if (p.compared_with) j["compared_with"] = *p.compared_with;
  j["first_divergence"] = p.first_divergence ? divergence_json(*p.first_divergence) : nlohmann::ordered_json(nullptr);
  j["reasons"] = detail::reasons_json(p.reasons);
  if (p.priced) {
    j["cost"] = {{"currency", p.currency}, {"uncached", round6(p.cost_uncached)}, {"predicted", round6(p.cost_predicted)}};
  }
  if (p.observed) {
    nlohmann::ordered_json o;
    if (p.observed->prompt_tokens) o["prompt_tokens"] = *p.observed->prompt_tokens;
    if (p.observed->cached_tokens) o["cached_tokens"] = *p.observed->cached_tokens;
    if (p.observed->cache_write_tokens) o["cache_write_tokens"] = *p.observed->cache_write_tokens;
    j["observed"] = o;
  }
  if (!p.error.empty()) j["error"] = p.error;
  return j.dump();
}

std::string summary_json(const Summary& s) {
  nlohmann::ordered_json j;
  j["summary"] = true;
  j["requests"] = s.requests;
  j["errors"] = s.errors;
  j["hits"] = s.hits;
  j["hit_rate"] = round6(s.hit_rate);
  j["prompt_tokens"] = s.prompt_tokens;
  j["cached_tokens"] = s.cached_tokens;
  j["token_hit_rate"] = round6(s.token_hit_rate);
  j["cache_write_tokens"] = s.cache_write_tokens;
  j["tokens_saved"] = s.cached_tokens;
  nlohmann::ordered_json money;
  money["priced_requests"] = s.priced_requests;
  money["currency"] = s.currency;
  money["cost_without_cache"] = round6(s.cost_uncached);
  money["cost_with_cache"] = round6(s.cost_predicted);
  money["saved"] = round6(s.saved);
  j["money"] = money;
  nlohmann::ordered_json causes = nlohmann::ordered_json::array();
  for (const auto& [k, v] : s.top_miss_causes) causes.push_back({{"reason", k}, {"requests", v}});
  j["top_miss_causes"] = causes;
  if (s.calibration.observed) {
    const Calibration& c = s.calibration;
    j["calibration"] = {{"observed_requests", c.observed}, {"exact", c.exact}, {"over_predicted", c.over},
                        {"under_predicted", c.under}, {"mean_abs_error_tokens", round6(c.mean_abs_error)},
                        {"predicted_cached_tokens", c.predicted_tokens}, {"observed_cached_tokens", c.observed_tokens}};
  }
  return j.dump();
}

}  // namespace tokcount::cache
