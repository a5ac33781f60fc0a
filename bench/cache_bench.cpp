// Google Benchmarks of the prompt-cache module: what fingerprinting a request whose prefix was
// seen before costs with and without the per-piece token cache (README, Prompt-cache
// prediction: cost). The conversation: a ~6,000-token system prompt, then 40 turns of ~150
// tokens; each iteration prepares (renders + tokenizes) and fingerprints the next turn.
#include <benchmark/benchmark.h>

#include <string>

#include "tokcount/cache.hpp"

namespace {

namespace cache = tokcount::cache;

std::string conversation(int turns, int extra) {
  std::string sys;
  for (int i = 0; i < 1500; ++i) sys += "Rule " + std::to_string(i) + ": be precise. ";
  std::string body = R"({"model":"gpt-4o","messages":[{"role":"system","content":")" + sys + "\"}";
  for (int t = 0; t < turns + extra; ++t) {
    std::string text;
    for (int w = 0; w < 60; ++w) text += "turn" + std::to_string(t) + " word" + std::to_string(w) + " ";
    body += std::string(R"(,{"role":")") + (t % 2 ? "assistant" : "user") + R"(","content":")" + text + "\"}";
  }
  return body + "]}";
}

void BM_PrepareFingerprint(benchmark::State& state, bool token_cache) {
  const std::string seen = conversation(40, 0);
  const std::string next = conversation(40, 1);
  cache::TokenCache tc;
  cache::PrepareOptions o;
  if (token_cache) {
    o.token_cache = &tc;
    (void)cache::prepare(seen, o);  // the earlier turn: its pieces are now cached
  }
  cache::FingerprintOptions fo;
  fo.normalized = false;
  std::size_t tokens = 0;
  for (auto _ : state) {
    const cache::Prompt p = cache::prepare(next, o);
    benchmark::DoNotOptimize(cache::fingerprint(p, fo));
    tokens = p.prompt_tokens();
  }
  state.counters["prompt_tokens"] = static_cast<double>(tokens);
  if (token_cache) state.counters["piece_hits"] = static_cast<double>(tc.hits());
}

BENCHMARK_CAPTURE(BM_PrepareFingerprint, no_token_cache, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_PrepareFingerprint, warm_token_cache, true)->Unit(benchmark::kMicrosecond);

void BM_SimulatorAdd(benchmark::State& state) {
  const cache::Prompt p = cache::prepare(conversation(40, 0));
  cache::SimulatorOptions so;
  so.explain = state.range(0) != 0;
  cache::Simulator sim(so);
  double ts = 0;
  for (auto _ : state) benchmark::DoNotOptimize(sim.add(ts += 1, p));
  state.counters["prompt_tokens"] = static_cast<double>(p.prompt_tokens());
}
BENCHMARK(BM_SimulatorAdd)->ArgName("explain")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
