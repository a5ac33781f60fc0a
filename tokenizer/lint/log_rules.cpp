// Sequence rules over a request log [spec 7, 7.1]. Timing rules (PC027's rate, PC029, PC030)
// read the log's timestamps; the comparison rules (PC006-PC010, PC020, PC021, PC023) read the
// first divergence between consecutive requests from the cache module's diff
// (tokcount/cache.hpp), so lint and `tokcount cache diff` never disagree on why two requests
// differ.
#include <algorithm>
#include <map>
#include <set>

#include "lint/log_internal.hpp"

namespace tokcount::lint::detail {
namespace {

// How long an entry lives, in seconds, as the log's requests ask for it [spec 6.5, 7 PC029].
double lifetime(const RequestModel& m, std::string* name) {
  if (m.api == Api::kAnthropicMessages) {
    bool hour = m.automatic_caching && m.automatic_ttl == "1h";
    for (const Position& p : m.positions) hour = hour || (p.breakpoint && p.ttl == "1h");
    *name = hour ? "1 h" : "5 min";
    return hour ? 3600 : 300;
  }
  const auto retention = m.params.find("prompt_cache_retention");
  if (retention != m.params.end() && retention->second == "\"24h\"") {
    *name = "24 h";
    return 86400;
  }
  if (m.params.count("prompt_cache_options")) {
    *name = "30 min";
    return 1800;
  }
  // in_memory: 5-10 minutes of inactivity; beyond 10 the entry is most likely gone.
  *name = "~10 min (in_memory)";
  return 600;
}

std::string minutes(double s) {
  if (s < 120) return std::to_string(static_cast<long long>(s)) + " s";
  if (s < 7200) return std::to_string(static_cast<long long>(s / 60)) + " min";
  return std::to_string(static_cast<long long>(s / 3600)) + " h";
}

std::string at(std::string_view member) { return "$." + std::string(member); }

Finding record_finding(const Config& config, int rule, const LogRecord& rec, std::string path, std::string message,
                       std::size_t risk) {
  Finding f = request_finding(config, rule, std::move(path), std::move(message), "", risk);
  f.location.record = rec.line;
  return f;
}

// Requests per minute per prompt_cache_key above OpenAI's ~15 RPM per machine [spec 2.2].
constexpr std::size_t kKeyRpm = 15;
// Without a response time in the log, a request's entry is taken to exist one second after it
// started (a minimal prefill) [INF].
constexpr double kAssumedPrefill = 1.0;

}  // namespace

void comparison_rules(const Linter& linter, const std::vector<LogRecord>& records, std::vector<Finding>& out);

void timing_rules(const Linter& linter, const std::vector<LogRecord>& records, std::vector<Finding>& out) {
  const Config& config = linter.config();
  const RuleMask mask = enabled_rules(config, kScopeLog);
  std::map<std::string, std::vector<const LogRecord*>> groups;
  for (const LogRecord& r : records) groups[r.group].push_back(&r);

  for (const auto& [key, recs] : groups) {
    // PC029: gaps longer than the entry's lifetime between requests sharing the prefix.
    if (mask[kPC029]) {
      std::size_t gaps = 0;
      double longest = 0;
      const LogRecord* first = nullptr;
      std::string ttl_name;
      for (std::size_t i = 1; i < recs.size(); ++i) {
        const LogRecord& a = *recs[i - 1];
        const LogRecord& b = *recs[i];
        if (!a.ts || !b.ts || *b.ts < *a.ts || a.model.cacheable_tokens == 0) continue;
        std::string name;
        const double ttl = lifetime(a.model, &name);
        const double gap = *b.ts - *a.ts;
        if (gap <= ttl) continue;
        if (++gaps == 1) {
          first = &b;
          ttl_name = name;
        }
        longest = std::max(longest, gap);
      }
      if (first != nullptr)
        out.push_back(record_finding(config, kPC029, *first, at("ts"),
                                     std::to_string(gaps) + " gap(s) between requests sharing this prefix exceed the " +
                                         ttl_name + " cache lifetime (longest " + minutes(longest) +
                                         "): each return pays a new write",
                                     first->model.cacheable_tokens));
    }
    // PC030: requests of a group sent before any earlier one's response began.
    if (mask[kPC030]) {
      double available = 0;
      bool have = false;
      std::size_t burst = 0;
      const LogRecord* burst_at = nullptr;
      auto flush = [&] {
        if (burst_at != nullptr)
          out.push_back(record_finding(config, kPC030, *burst_at, at("ts"),
                                       std::to_string(burst + 1) +
                                           " requests with the same new prefix were sent before the first response began: "
                                           "none of them can read the others' entry",
                                       burst_at->model.cacheable_tokens * burst));
        burst = 0;
        burst_at = nullptr;
      };
      for (const LogRecord* r : recs) {
        if (!r->ts || r->model.cacheable_tokens == 0) continue;
        if (have && *r->ts < available) {
          if (burst++ == 0) burst_at = r;
        } else if (burst_at != nullptr && have && *r->ts >= available) {
          flush();
        }
        const double ready = r->response_ts ? *r->response_ts : *r->ts + kAssumedPrefill;
        available = have ? std::min(available, ready) : ready;
        have = true;
      }
      flush();
    }
  }

  if (mask[kPC027]) {
    // Per-request keys: the key changes between turns of one conversation.
    std::map<std::string, const LogRecord*> last_in_conversation;
    std::set<std::string> reported;
    for (const LogRecord& r : records) {
      auto it = last_in_conversation.find(r.conversation);
      if (it != last_in_conversation.end() && r.model.prompt_cache_key && it->second->model.prompt_cache_key &&
          *r.model.prompt_cache_key != *it->second->model.prompt_cache_key && reported.insert(r.conversation).second)
        out.push_back(record_finding(config, kPC027, r, at("request.prompt_cache_key"),
                                     "prompt_cache_key changes between turns of one conversation ('" +
                                         *it->second->model.prompt_cache_key + "' at line " + std::to_string(it->second->line) +
                                         ", '" + *r.model.prompt_cache_key +
                                         "' here): per-request keys route every turn to a different machine",
                                     r.model.cacheable_tokens));
      last_in_conversation[r.conversation] = &r;
    }
    // One key above ~15 requests per minute overflows to other machines.
    std::map<std::string, std::vector<const LogRecord*>> by_key;
    for (const LogRecord& r : records)
      if (r.model.prompt_cache_key && r.ts) by_key[*r.model.prompt_cache_key].push_back(&r);
    for (auto& [k, recs] : by_key) {
      std::stable_sort(recs.begin(), recs.end(), [](const LogRecord* a, const LogRecord* b) { return *a->ts < *b->ts; });
      std::size_t lo = 0;
      for (std::size_t hi = 0; hi < recs.size(); ++hi) {
        while (*recs[hi]->ts - *recs[lo]->ts >= 60.0) ++lo;
        if (hi - lo + 1 > kKeyRpm) {
          out.push_back(record_finding(config, kPC027, *recs[hi], at("request.prompt_cache_key"),
                                       "prompt_cache_key '" + k + "' has " + std::to_string(hi - lo + 1) +
                                           " requests within 60 s (above ~15 per minute the traffic overflows to "
                                           "machines with a cold cache)",
                                       recs[hi]->model.cacheable_tokens));
          break;
        }
      }
    }
  }
}

void sequence_rules(const Linter& linter, const std::vector<LogRecord>& records, std::vector<Finding>& out) {
  timing_rules(linter, records, out);
  comparison_rules(linter, records, out);
}

}  // namespace tokcount::lint::detail
