// tokcount cache: replay a request log against a model of the provider's prompt cache, or
// diff two requests (the first divergence and why).
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "io.hpp"
#include "tokcount/cache.hpp"

namespace tokcount::cli {
namespace {

constexpr const char* kCacheFooter = R"(Input: JSON lines {"ts": <unix seconds>, "request": {<request body>}, "usage": {...}?,
"response_start": <unix seconds>?, "scope": "<org/workspace>"?}, in time order. Request
bodies are OpenAI Chat Completions or Anthropic Messages (detected; --provider forces one).
Output: one JSON line per request ("predicted_cached_tokens", "predicted_cache_write_tokens",
"confidence", "matched_entry", "first_divergence" against the closest earlier request,
"reasons", "cost"), then one summary line ("summary": true: hit rate, tokens and money
saved, top miss causes, and a "calibration" block when lines carry observed usage).
A line that cannot be read prints {"index":N,"line":L,"error":...} and the replay goes on.
'tokcount cache diff A.json B.json': the first divergence between two requests (segment
path, byte offset, token index) and the reason codes (see README, Prompt-cache prediction).
'tokcount cache fingerprint [--mode xxh3|sglang|vllm_sha256_cbor] REQUEST.json': block hashes.
Exit status: 0 ok; 1 unreadable input (diff / fingerprint) or no line readable; 2 usage error.
)";

std::string error_line(std::size_t index, std::size_t line, const std::string& what) {
  nlohmann::ordered_json j;
  j["index"] = index;
  j["line"] = line;
  j["error"] = what;
  return j.dump();
}

}  // namespace

CLI::App* add_cache_command(CLI::App& app, CacheArgs& a) {
  CLI::App* cmd = app.add_subcommand("cache", "Predict prompt-cache hits over a request log; diff two requests");
  cmd->add_option("log", a.path, "The JSON-lines log; '-' or nothing reads stdin")->type_name("LOG.jsonl");
  cmd->add_option("--provider", a.provider, "Cache model: openai, anthropic, vllm or sglang (default: detected)")
      ->check(CLI::IsMember({"openai", "anthropic", "vllm", "sglang"}));
  cmd->add_option("--capacity", a.capacity, "vLLM / SGLang: cache capacity in tokens");
  cmd->add_option("--block-size", a.block_size, "vLLM block / SGLang page size");
  cmd->add_option("--prices", a.prices, "A price table (models.json format) over the built-in one")->type_name("FILE");
  cmd->add_flag("--summary-only", a.summary_only, "Print only the summary line");
  cmd->add_flag("--no-explain", a.no_explain, "Do not diff each request against its closest predecessor (faster)");
  cmd->footer(kCacheFooter);
  CLI::App* diff = cmd->add_subcommand("diff", "First divergence between two requests and its cause");
  diff->add_option("a", a.diff_a, "The earlier request body")->required()->type_name("A.json");
  diff->add_option("b", a.diff_b, "The later request body")->required()->type_name("B.json");
  CLI::App* fp = cmd->add_subcommand("fingerprint", "Chained block hashes of a request's rendered tokens");
  fp->add_option("request", a.fp_path, "The request body; '-' reads stdin")->type_name("REQUEST.json");
  fp->add_option("--mode", a.fp_mode, "xxh3 (default), sglang or vllm_sha256_cbor")
      ->check(CLI::IsMember({"xxh3", "sglang", "vllm_sha256_cbor"}));
  fp->add_option("--block-size", a.fp_block_size, "Block / page size (default: the mode's)");
  fp->add_option("--vllm-seed", a.vllm_seed, "vLLM: the server's PYTHONHASHSEED (default 0)");
  a.diff_cmd = diff;
  a.fp_cmd = fp;
  return cmd;
}

int run_cache(const CacheArgs& a) {
  cache::PrepareOptions popts;
  if (!a.provider.empty()) popts.provider = cache::parse_provider(a.provider);
  if (a.diff_cmd != nullptr && a.diff_cmd->parsed()) {
    Input ia, ib;
    ia.load(a.diff_a);
    ib.load(a.diff_b);
    const cache::DiffResult d = cache::diff(cache::prepare(ia.view(), popts), cache::prepare(ib.view(), popts));
    Output out;
    out.write(cache::diff_report_json(d) + "\n");
    out.flush();
    return kExitOk;
  }
  if (a.fp_cmd != nullptr && a.fp_cmd->parsed()) {
    Input in;
    in.load(a.fp_path);
    cache::FingerprintOptions fo;
    fo.mode = *cache::parse_hash_mode(a.fp_mode);
    fo.block_size = a.fp_block_size;
    fo.vllm_seed = a.vllm_seed;
    Output out;
    out.write(cache::fingerprint_json(cache::fingerprint(cache::prepare(in.view(), popts), fo)) + "\n");
    out.flush();
    return kExitOk;
  }
  std::optional<chat::PriceTable> prices;
  if (!a.prices.empty()) prices = chat::PriceTable::load_file(a.prices).overlaid_on(chat::PriceTable::builtin());
  cache::TokenCache token_cache;
  cache::SimulatorOptions so;
  so.provider = popts.provider;
  so.capacity_tokens = a.capacity;
  so.block_size = a.block_size;
  so.explain = !a.no_explain;
  if (prices) so.prices = &*prices;
  so.prepare = popts;
  so.prepare.token_cache = &token_cache;
  cache::Simulator sim(so);
  Input in;
  in.load(a.path);
  const std::string_view text = in.view();
  Output out;
  std::size_t line_no = 0, index = 0, ok = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    try {
      const cache::Prediction p = sim.add_log_line(line);
      ++ok;
      if (!a.summary_only) out.write(cache::prediction_json(p) + "\n");
    } catch (const Error& e) {
      sim.count_error();
      if (!a.summary_only) out.write(error_line(index, line_no, e.what()) + "\n");
    }
    ++index;
  }
  out.write(cache::summary_json(sim.summary()) + "\n");
  out.flush();
  return ok > 0 || index == 0 ? kExitOk : kExitError;
}

}  // namespace tokcount::cli
