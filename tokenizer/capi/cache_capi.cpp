// The prompt-cache part of the C API (tokcount.h, "Prompt cache"): a skin over
// tokcount::cache. Arguments are checked, the C++ API does the work, JSON is copied out.
#include <optional>
#include <string>

#include "capi/capi_internal.hpp"
#include "tokcount/cache.hpp"
#include "tokcount/tokcount.h"

struct tokcount_cache_sim {
  explicit tokcount_cache_sim(tokcount::cache::SimulatorOptions o) : sim(std::move(o)) {}
  tokcount::cache::TokenCache token_cache;
  tokcount::cache::Simulator sim;
  std::string last;  // the latest prediction's JSON
};

namespace {

using namespace tokcount::capi;
namespace cache = tokcount::cache;

std::optional<cache::Provider> provider_arg(const char* p, size_t len) {
  const std::string_view name = text_arg(p, len, "provider");
  if (name.empty()) return std::nullopt;
  const auto v = cache::parse_provider(name);
  if (!v) invalid("provider must be openai, anthropic, vllm or sglang");
  return v;
}

cache::FingerprintOptions fp_options(const char* mode, size_t mode_len, size_t block_size, const char* seed,
                                     size_t seed_len) {
  cache::FingerprintOptions o;
  const std::string_view m = text_arg(mode, mode_len, "mode");
  if (!m.empty()) {
    const auto v = cache::parse_hash_mode(m);
    if (!v) invalid("mode must be xxh3, sglang or vllm_sha256_cbor");
    o.mode = *v;
  }
  o.block_size = block_size;
  const std::string_view s = text_arg(seed, seed_len, "vllm_seed");
  if (!s.empty()) o.vllm_seed = std::string(s);
  return o;
}

tokcount_status json_out(const std::string& json, char* out, size_t capacity, size_t* out_len) {
  return copy_out(std::span<const char>(json), out, capacity, out_len);
}

}  // namespace

extern "C" {

tokcount_status tokcount_cache_diff(const char* a, size_t a_len, const char* b, size_t b_len, const char* provider,
                                    size_t provider_len, char* out, size_t capacity, size_t* out_len) {
  return guarded([&] {
    check_buffer(out, capacity, out_len);
    cache::PrepareOptions o;
    o.provider = provider_arg(provider, provider_len);
    const auto d = cache::diff_json(text_arg(a, a_len, "request a"), text_arg(b, b_len, "request b"), o);
    return json_out(cache::diff_report_json(d), out, capacity, out_len);
  });
}

tokcount_status tokcount_cache_fingerprint(const char* body, size_t len, const char* mode, size_t mode_len,
                                           size_t block_size, const char* vllm_seed, size_t vllm_seed_len, char* out,
                                           size_t capacity, size_t* out_len) {
  return guarded([&] {
    check_buffer(out, capacity, out_len);
    const cache::FingerprintOptions o = fp_options(mode, mode_len, block_size, vllm_seed, vllm_seed_len);
    const cache::Prompt p = cache::prepare(text_arg(body, len, "request body"));
    return json_out(cache::fingerprint_json(cache::fingerprint(p, o)), out, capacity, out_len);
  });
}

tokcount_status tokcount_cache_fingerprint_tokens(const uint32_t* tokens, size_t count, const char* mode,
                                                  size_t mode_len, size_t block_size, const char* vllm_seed,
                                                  size_t vllm_seed_len, char* out, size_t capacity, size_t* out_len) {
  return guarded([&] {
    check_buffer(out, capacity, out_len);
    const auto t = tokens_arg(tokens, count);
    const cache::FingerprintOptions o = fp_options(mode, mode_len, block_size, vllm_seed, vllm_seed_len);
    const std::vector<tokcount::Rank> v(t.begin(), t.end());
    return json_out(cache::fingerprint_json(cache::fingerprint_tokens(v, o)), out, capacity, out_len);
  });
}

tokcount_status tokcount_cache_sim_new(const char* provider, size_t provider_len, size_t capacity_tokens,
                                       size_t block_size, tokcount_cache_sim** out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    tokcount_cache_sim** dest = &out_arg(out, "output pointer is NULL");
    cache::SimulatorOptions o;
    o.provider = provider_arg(provider, provider_len);
    o.prepare.provider = o.provider;
    o.capacity_tokens = capacity_tokens;
    o.block_size = block_size;
    auto handle = std::make_unique<tokcount_cache_sim>(o);
    *dest = handle.release();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_cache_sim_add(tokcount_cache_sim* sim, const char* line, size_t len, char* out,
                                       size_t capacity, size_t* out_len) {
  return guarded([&] {
    if (sim == nullptr) invalid("simulator handle is NULL");
    check_buffer(out, capacity, out_len);
    const std::string_view text = text_arg(line, len, "log line");
    try {
      sim->last = cache::prediction_json(sim->sim.add_log_line(text));
    } catch (const tokcount::Error&) {
      sim->sim.count_error();
      throw;
    }
    return json_out(sim->last, out, capacity, out_len);
  });
}

tokcount_status tokcount_cache_sim_last(const tokcount_cache_sim* sim, char* out, size_t capacity, size_t* out_len) {
  return guarded([&] {
    if (sim == nullptr) invalid("simulator handle is NULL");
    check_buffer(out, capacity, out_len);
    return json_out(sim->last, out, capacity, out_len);
  });
}

tokcount_status tokcount_cache_sim_summary(const tokcount_cache_sim* sim, char* out, size_t capacity,
                                           size_t* out_len) {
  return guarded([&] {
    if (sim == nullptr) invalid("simulator handle is NULL");
    check_buffer(out, capacity, out_len);
    return json_out(cache::summary_json(sim->sim.summary()), out, capacity, out_len);
  });
}

void tokcount_cache_sim_free(tokcount_cache_sim* sim) { delete sim; }

}  // extern "C"
