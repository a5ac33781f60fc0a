// tokcount cache API: prompt-prefix fingerprints, request diffs and cache-hit prediction.
//
// A request body (OpenAI Chat Completions, or an Anthropic Messages body) is *prepared*: the
// chat module renders it into tokens + segments (tokcount/chat.hpp), and the cache module
// groups the segments into cacheable *blocks* (tools, schema, each system / message content
// part, each tool call) in provider order: tools -> schema -> system/developer -> messages.
// Anthropic bodies are mapped onto the chat structures for rendering; their token counts are
// estimates (Anthropic's tokenizer is not public) but hit / miss decisions are made on block
// hashes, which are exact.
//
// On top of a Prompt:
//   diff()          the first divergence between two requests and the reasons for it
//                   (research spec prompt-cache.md §6.4, §6.7, §7.1);
//   fingerprint()   chained block hashes over the tokens (XXH3-128, or SGLang's / vLLM's
//                   sha256_cbor block hashes byte for byte) and a normalized fingerprint;
//   Simulator       replays requests against a model of the provider's cache (§6.5, §6.6).
//
// Errors are tokcount::Error (kParseError, kInvalidArgument with a JSON path, kUnknownModel).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokcount/chat.hpp"

namespace tokcount::cache {

// ---- prompts ------------------------------------------------------------------------------

enum class Provider { kOpenAI, kAnthropic, kVllm, kSglang };
const char* provider_name(Provider p) noexcept;  // "openai", "anthropic", "vllm", "sglang"
std::optional<Provider> parse_provider(std::string_view name) noexcept;

// The prefix level a block belongs to (Anthropic's invalidation levels; OpenAI's order).
enum class Level { kRoot, kTools, kSchema, kSystem, kMessages, kEnd };
const char* level_name(Level l) noexcept;  // "root", "tools", "schema", "system", "messages", "end"

// A cacheable position: what Anthropic calls a content block and OpenAI a content part.
struct Block {
  std::string path;          // JSON path in the request as sent: "$.system[0]", "$.messages[2].content[1]"
  Level level = Level::kMessages;
  std::string kind;          // "tools", "schema", "text", "image", "tool_use", "tool_result"
  std::size_t token_begin = 0, token_end = 0;  // in Prompt::rendered.tokens; end = cumulative tokens
  int message = -1;          // index in the request's messages (Anthropic: its own messages array)
  bool breakpoint = false;   // Anthropic cache_control / OpenAI prompt_cache_breakpoint on this block
  std::string ttl;           // Anthropic breakpoint TTL: "5m" or "1h"
};

// Request parameters that change what is cached but may not change the rendered tokens.
struct Params {
  std::string model;
  std::string prompt_cache_key;
  std::string retention;         // OpenAI prompt_cache_retention: "in_memory" | "24h" | ""
  std::string cache_mode;        // OpenAI prompt_cache_options.mode: "implicit" | "explicit" | ""
  std::string reasoning_effort;  // reasoning_effort / reasoning.effort / output_config.effort
  std::string tool_choice;       // compact JSON as sent, "" when absent
  std::string service_tier;
  std::string thinking;          // Anthropic thinking config, compact JSON
  std::string speed;             // Anthropic speed
  std::string auto_cache_ttl;    // Anthropic top-level cache_control ("5m" / "1h"), "" when absent
  std::string scope;             // org / workspace / project namespace (log field "scope")
};

struct Prompt {
  Provider provider = Provider::kOpenAI;
  std::string api;  // "chat" | "messages"
  Params params;
  chat::Request request;  // Anthropic bodies mapped onto the chat structures
  chat::Result rendered;
  std::vector<Block> blocks;  // in token order
  bool tokens_estimated = false;  // Anthropic: counted with an OpenAI encoding
  std::size_t prompt_tokens() const noexcept { return rendered.tokens.size(); }
};

// Tokens of text pieces keyed by their content hash, shared by every prepare() that is given
// it: an unchanged message in a growing conversation is not tokenized again. Thread-safe.
class TokenCache {
 public:
  explicit TokenCache(std::size_t max_bytes = 256u << 20);
  ~TokenCache();
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;
  std::size_t hits() const noexcept;
  std::size_t misses() const noexcept;
  // The chat module's piece hook (chat::Options::piece_tokens) bound to this cache.
  chat::PieceTokens hook();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct PrepareOptions {
  std::optional<Provider> provider;  // default: detected (Anthropic shape -> anthropic, else openai)
  chat::Options chat;                // passed to chat::render (model override, image sizes, ...)
  // Encoding / model whose rules estimate Anthropic token counts.
  std::string anthropic_estimate_model = "gpt-4o";
  TokenCache* token_cache = nullptr;
};

// Parses and renders a request body. Anthropic is detected by a top-level "system", content
// blocks of type tool_use / tool_result / image-with-source, tools with "input_schema", or a
// "claude" model name.
Prompt prepare(std::string_view body, const PrepareOptions& options = {});

// ---- diff (§6.7 reason codes) -------------------------------------------------------------

enum class Reason {
  kIdentical,        // same tokens and parameters
  kAppended,         // the later request extends the earlier one (append-only history): not a miss
  kModelChanged,     // provider / model / scope differ (the cache namespace)
  kToolsChanged,     // a tool's definition changed (name, description, parameters)
  kSystemChanged,    // system / developer content changed
  kMessagesChanged,  // a user / assistant / tool message changed
  kParamsChanged,    // tool_choice, reasoning effort, image detail, cache key, thinking ... (PC010)
  kToolOrder,        // equal after sorting tools by name (PC006)
  kToolSetChanged,   // tools added or removed (PC008)
  kJsonKeyOrder,     // equal after recursive JSON key sort (PC007)
  kSchemaChanged,    // response-format schema changed (PC009)
  kFormatDrift,      // equal after CRLF->LF / whitespace / Unicode normalization (PC011-PC017)
  kVolatileContent,  // equal after masking timestamps, dates, ids (PC001-PC003)
  kHistoryMutation,  // an earlier turn was edited, dropped or truncated (PC023)
  // Simulator-only causes:
  kBelowMinimum, kExpired, kLookbackExceeded, kNotYetAvailable, kRoutingSplit, kRateOverflow,
  kNoPriorEntry, kEvicted,
  kNoBreakpoint,     // Anthropic / OpenAI explicit mode: nothing marked, nothing cached
  kBreakpointRules,  // Anthropic: > 4 breakpoints or a 1h entry after a 5m one (a 400) (PC022)
};
const char* reason_name(Reason r) noexcept;  // "IDENTICAL", "APPENDED", "MODEL_CHANGED", ...

struct ReasonInfo {
  Reason code = Reason::kIdentical;
  std::vector<std::string> rules;  // lint rule ids that name it ("PC006"), may be empty
  std::string path;                // where (JSON path in the later request)
  std::string detail;              // human-readable: "tool_choice: \"auto\" -> \"required\""
};

struct Divergence {
  bool identical = false;     // tokens equal and no parameter differs
  Level level = Level::kEnd;
  std::string segment_path;   // JSON path of the segment holding the first differing token
  std::size_t byte_offset = 0;   // first differing byte inside that segment's rendered text
  std::size_t token_index = 0;   // first differing token == common prefix in tokens
  std::size_t common_tokens = 0; // == token_index (tokens shared by both requests)
};

struct DiffResult {
  Divergence divergence;
  std::vector<ReasonInfo> reasons;  // most specific first
  std::size_t tokens_a = 0, tokens_b = 0;
};

// Compares an earlier request `a` with a later request `b`.
DiffResult diff(const Prompt& a, const Prompt& b);
DiffResult diff_json(std::string_view a, std::string_view b, const PrepareOptions& options = {});
// {"identical":..., "first_divergence":{...}, "reasons":[{"code":..., "rules":[...], ...}], ...}
std::string diff_report_json(const DiffResult& d);


// ---- fingerprints (§6.4) ------------------------------------------------------------------

using Hash128 = std::array<std::uint8_t, 16>;
using Hash256 = std::array<std::uint8_t, 32>;
std::string to_hex(const std::uint8_t* bytes, std::size_t n);
template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& h) { return to_hex(h.data(), N); }

enum class HashMode {
  kXxh3,            // XXH3-128(parent 16 bytes || u32le tokens) per block, root from the namespace
  kSglang,          // SGLang get_hash_str: SHA-256(bytes.fromhex(prior) || u32le tokens), hex, per page
  kVllmSha256Cbor,  // vLLM hash_block_tokens with sha256_cbor: SHA-256(CBOR([parent, [tokens], extra]))
};
const char* hash_mode_name(HashMode m) noexcept;  // "xxh3", "sglang", "vllm_sha256_cbor"
std::optional<HashMode> parse_hash_mode(std::string_view name) noexcept;

struct FingerprintOptions {
  HashMode mode = HashMode::kXxh3;
  std::size_t block_size = 0;  // 0: the mode's default (xxh3 128 = OpenAI's step, vLLM 16, SGLang 1)
  // vLLM: NONE_HASH = sha256_cbor(PYTHONHASHSEED) (vllm/v1/core/kv_cache_utils.py init_none_hash);
  // without a seed vLLM draws 32 random bytes and no one can reproduce its hashes.
  std::string vllm_seed = "0";
  std::optional<std::string> vllm_lora_name;   // extra key on every block
  std::optional<std::string> vllm_cache_salt;  // extra key on the first block only
  std::string sglang_prior_hash;               // hex digest the first page chains from ("" = none)
  bool normalized = true;                      // also compute the normalized fingerprint (FP-N)
};

struct Fingerprint {
  HashMode mode = HashMode::kXxh3;
  std::size_t block_size = 0;
  std::size_t tokens = 0;
  std::string root;                          // xxh3: namespace digest; vLLM: NONE_HASH; SGLang: prior
  std::vector<std::string> blocks;           // hex digest per full block 
  std::vector<std::string> normalized_blocks;  // FP-N: xxh3 chain over the normalized rendering
};

// Exact (FP-X) and normalized (FP-N) fingerprints of a prepared request.
Fingerprint fingerprint(const Prompt& prompt, const FingerprintOptions& options = {});
// The same over any token sequence (a self-hosted server's own template tokens); FP-N empty.
Fingerprint fingerprint_tokens(const std::vector<Rank>& tokens, const FingerprintOptions& options = {},
                               std::string_view namespace_key = {});
std::string fingerprint_json(const Fingerprint& f);

// Building blocks, exposed for routers and tests.
Hash128 namespace_root(std::string_view provider, std::string_view model, std::string_view scope,
                       std::string_view extra);
// h[i] = XXH3-128(h[i-1] || u32le t ...) over full blocks.
std::vector<Hash128> xxh3_block_hashes(const Rank* tokens, std::size_t n, std::size_t block_size, const Hash128& root);
std::string sglang_hash_str(const Rank* tokens, std::size_t n, std::string_view prior_hash_hex);
std::int64_t sglang_hash_to_int64(std::string_view hex);  // SGLang hash_str_to_int64
Hash256 vllm_none_hash(std::string_view seed);
// Canonical CBOR (RFC 8949 4.2.1 / cbor2 canonical=True) of [parent, [tokens...], extra] where
// extra is null or an array of text strings.
std::string vllm_block_cbor(const Hash256& parent, const Rank* tokens, std::size_t n,
                            const std::vector<std::string>* extra);
std::vector<Hash256> vllm_block_hashes(const Rank* tokens, std::size_t n, std::size_t block_size,
                                       std::string_view seed, const std::optional<std::string>& lora_name = {},
                                       const std::optional<std::string>& cache_salt = {});
// The normalized request behind FP-N: texts normalized (NFC, LF, no trailing blanks, invisible
// characters and exotic spaces mapped, volatile spans masked), schemas key-sorted, tools sorted.
chat::Request normalized_request(const chat::Request& request);

// ---- simulator (§6.5, §6.6) ----------------------------------------------------------------

enum class Confidence { kHigh, kMedium, kLow };
const char* confidence_name(Confidence c) noexcept;  // "high", "medium", "low"

// Usage reported by the provider (observed), normalized across APIs.
struct Observed {
  std::optional<std::size_t> prompt_tokens;       // prompt_tokens / input_tokens (+ Anthropic cache counters)
  std::optional<std::size_t> cached_tokens;       // cached_tokens / cache_read_input_tokens
  std::optional<std::size_t> cache_write_tokens;  // cache_write_tokens / cache_creation_input_tokens
};
// Chat Completions, Responses or Anthropic usage objects. kParseError / kInvalidArgument.
Observed parse_usage(std::string_view usage_json);

struct Prediction {
  std::size_t index = 0;  // 0-based position in the replay
  Provider provider = Provider::kOpenAI;
  std::string model;
  std::string policy;  // "openai", "openai-breakpoints", "anthropic", "vllm", "sglang"
  std::size_t prompt_tokens = 0;
  std::size_t predicted_cached_tokens = 0;
  std::size_t predicted_cache_write_tokens = 0;  // billed writes (Anthropic; OpenAI GPT-5.6+)
  std::size_t write_5m_tokens = 0, write_1h_tokens = 0;  // Anthropic split
  Confidence confidence = Confidence::kHigh;
  std::optional<std::size_t> matched_request;  // index of the request that wrote / last used the entry hit
  double matched_age_s = 0;
  std::string matched_ttl;                     // "in_memory", "24h", "5m", "1h", "30m", "lru"
  // Against the most similar earlier request (deepest shared block), when there is one.
  std::optional<std::size_t> compared_with;
  std::optional<Divergence> first_divergence;
  std::vector<ReasonInfo> reasons;
  std::optional<Observed> observed;
  bool priced = false;
  std::string currency;
  double cost_uncached = 0, cost_predicted = 0;  // input side only
  std::string error;  // the provider would reject the request (e.g. 5 Anthropic breakpoints)
};

struct SimulatorOptions {
  std::optional<Provider> provider;  // default: each request's own (detected)
  std::size_t capacity_tokens = 0;   // vLLM / SGLang LRU capacity; 0 = the rules table's
  std::size_t block_size = 0;        // vLLM block / SGLang page; 0 = the rules table's
  const chat::PriceTable* prices = nullptr;  // default: the built-in table
  bool explain = true;                       // diff each request against its closest predecessor
  std::size_t history = 4096;                // earlier requests kept for those diffs
  PrepareOptions prepare;                    // used by add_log_line
};

struct Calibration {
  std::size_t observed = 0, exact = 0, over = 0, under = 0;
  double mean_abs_error = 0;
  std::size_t predicted_tokens = 0, observed_tokens = 0;
};

struct Summary {
  std::size_t requests = 0, errors = 0, hits = 0;
  double hit_rate = 0;        // requests with cached tokens / requests
  double token_hit_rate = 0;  // cached tokens / prompt tokens
  std::size_t prompt_tokens = 0, cached_tokens = 0, cache_write_tokens = 0;
  std::size_t priced_requests = 0;
  std::string currency;
  double cost_uncached = 0, cost_predicted = 0, saved = 0;
  std::vector<std::pair<std::string, std::size_t>> top_miss_causes;  // reason name -> requests, most first
  Calibration calibration;
};

class Simulator {
 public:
  explicit Simulator(SimulatorOptions options = {});
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Requests must come in non-decreasing `ts` (seconds). response_start: when the response
  // began (entries become readable then); default ts + an estimated prefill time.
  Prediction add(double ts, const Prompt& prompt, const std::optional<Observed>& observed = std::nullopt,
                 std::optional<double> response_start = std::nullopt);
  // One log line {"ts":..., "request":{...}, "usage":{...}?, "response_start":...?, "scope":...?}.
  Prediction add_log_line(std::string_view line);
  // Counts a line that could not be read (in the summary's errors).
  void count_error();
  Summary summary() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string prediction_json(const Prediction& p);
std::string summary_json(const Summary& s);

}  // namespace tokcount::cache
