// Model prices and limits: the table compiled into the library, user tables in the same
// format, exact cost arithmetic, and the cost / context report of a rendered request.
#include <cmath>
#include <fstream>
#include <sstream>

#include "chat/json_util.hpp"
#include "tokcount/chat.hpp"

extern "C" {
extern const char tokcount_models_json[], tokcount_models_json_end[];
}

namespace tokcount::chat {
namespace {

__extension__ typedef unsigned __int128 u128;  // exact money arithmetic (GCC / Clang)

using detail::as_array;
using detail::as_object;
using detail::as_string;
using detail::index_path;
using detail::Json;
using detail::member_path;
using detail::shape_error;

Price parse_price(const Json& v, const std::string& path) {
  double x = 0;
  if (v.is_number()) {
    x = v.get<double>();
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    x = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) shape_error(path, "expected a price, got '" + s + "'");
  } else {
    shape_error(path, "expected a price (a number per million tokens)");
  }
  if (!(x >= 0) || x > 1e9) shape_error(path, "price out of range");
  // Prices have at most 6 decimals; rounding the double to micro-units is exact for them.
  return Price{static_cast<std::int64_t>(std::llround(x * 1e6))};
}

std::optional<std::uint64_t> opt_count(const Json& obj, std::string_view key, const std::string& path) {
  const Json* v = detail::find(obj, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_unsigned()) return v->get<std::uint64_t>();
  if (v->is_number_integer() && v->get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(v->get<std::int64_t>());
  shape_error(member_path(path, key), "expected a non-negative integer");
}

std::string opt_str(const Json& obj, std::string_view key, const std::string& path) {
  const Json* v = detail::find(obj, key);
  return v == nullptr ? std::string() : as_string(*v, member_path(path, key));
}

// "-2024-08-06" or "-0613": a dated snapshot of the entry's model.
bool snapshot_suffix(std::string_view s) {
  auto digits = [](std::string_view d) {
    for (char c : d)
      if (c < '0' || c > '9') return false;
    return !d.empty();
  };
  if (s.size() == 11 && s[0] == '-' && s[5] == '-' && s[8] == '-')
    return digits(s.substr(1, 4)) && digits(s.substr(6, 2)) && digits(s.substr(9, 2));
  return s.size() == 5 && s[0] == '-' && digits(s.substr(1));
}

std::string decimal_of_pico(u128 pico) {
  const u128 scale = 1000000000000ULL;
  u128 whole = pico / scale;
  std::uint64_t frac = static_cast<std::uint64_t>(pico % scale);
  std::string w;
  do {
    w.insert(w.begin(), static_cast<char>('0' + static_cast<int>(whole % 10)));
    whole /= 10;
  } while (whole > 0);
  if (frac == 0) return w;
  std::string f = std::to_string(frac);
  f.insert(f.begin(), 12 - f.size(), '0');
  while (!f.empty() && f.back() == '0') f.pop_back();
  return w + "." + f;
}

}  // namespace

PriceTable PriceTable::parse(std::string_view text) {
  const Json doc = detail::parse_json(text, "price table");
  as_object(doc, "$");
  const Json* models = detail::find(doc, "models");
  if (models == nullptr) shape_error("$", "missing \"models\"");
  PriceTable t;
  std::size_t i = 0;
  for (const Json& e : as_array(*models, "$.models")) {
    const std::string path = index_path("$.models", i++);
    as_object(e, path);
    ModelInfo m;
    m.provider = opt_str(e, "provider", path);
    if (m.provider.empty()) m.provider = "openai";
    m.model = opt_str(e, "model", path);
    if (m.model.empty()) shape_error(path, "missing \"model\"");
    m.currency = opt_str(e, "currency", path);
    if (m.currency.empty()) shape_error(path, "missing \"currency\"");
    if (const Json* v = detail::find(e, "input")) m.input = parse_price(*v, member_path(path, "input"));
    if (const Json* v = detail::find(e, "cached_input")) m.cached_input = parse_price(*v, member_path(path, "cached_input"));
    if (const Json* v = detail::find(e, "output")) m.output = parse_price(*v, member_path(path, "output"));
    m.context_window = opt_count(e, "context_window", path);
    m.max_output_tokens = opt_count(e, "max_output_tokens", path);
    m.source = opt_str(e, "source", path);
    m.as_of = opt_str(e, "as_of", path);
    m.note = opt_str(e, "note", path);
    t.entries_.push_back(std::move(m));
  }
  return t;
}

const PriceTable& PriceTable::builtin() {
  static const PriceTable table = parse(std::string_view(
      tokcount_models_json, static_cast<std::size_t>(tokcount_models_json_end - tokcount_models_json)));
  return table;
}

PriceTable PriceTable::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIoError, "cannot open price table '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(ErrorCode::kIoError, "cannot read price table '" + path + "'");
  try {
    return parse(ss.str());
  } catch (const Error& e) {
    throw Error(e.code(), path + ": " + e.what(), e.byte_offset());
  }
}

PriceTable PriceTable::overlaid_on(const PriceTable& base) const {
  PriceTable out;
  out.entries_ = entries_;
  for (const ModelInfo& b : base.entries_) {
    bool shadowed = false;
    for (const ModelInfo& mine : entries_) shadowed |= mine.provider == b.provider && mine.model == b.model;
    if (!shadowed) out.entries_.push_back(b);
  }
  return out;
}

const ModelInfo* PriceTable::find(std::string_view model, std::string_view provider, bool* snapshot_match) const {
  const ModelInfo* best = nullptr;
  for (const ModelInfo& m : entries_) {
    if (m.provider != provider) continue;
    if (m.model == model) {
      if (snapshot_match) *snapshot_match = false;
      return &m;
    }
    if (model.size() > m.model.size() && model.substr(0, m.model.size()) == m.model &&
        snapshot_suffix(model.substr(m.model.size())) && (best == nullptr || m.model.size() > best->model.size()))
      best = &m;
  }
  if (snapshot_match) *snapshot_match = best != nullptr;
  return best;
}

std::vector<std::string> PriceTable::providers() const {
  std::vector<std::string> out;
  for (const ModelInfo& m : entries_) {
    bool seen = false;
    for (const std::string& p : out) seen |= p == m.provider;
    if (!seen) out.push_back(m.provider);
  }
  return out;
}

Money cost_of(std::uint64_t tokens, const Price& per_million, const std::string& currency) {
  // tokens / 1e6 x micros / 1e6 = tokens x micros in 1e-12 units: exact in 128 bits.
  const u128 pico = static_cast<u128>(tokens) * static_cast<std::uint64_t>(per_million.micros);
  Money m;
  m.currency = currency;
  m.decimal = decimal_of_pico(pico);
  m.amount = std::strtod(m.decimal.c_str(), nullptr);  // the double nearest the exact value
  return m;
}

CostReport estimate_cost(const Result& result, const PriceTable& table, std::string_view provider) {
  CostReport c;
  c.info = table.find(result.model, provider, &c.snapshot_match);
  const std::uint64_t prompt = result.prompt_tokens;
  if (c.info == nullptr) {
    c.warnings.push_back("no price entry for model '" + result.model + "' (provider " + std::string(provider) +
                         "): no cost or context check");
    return c;
  }
  const ModelInfo& info = *c.info;
  if (c.snapshot_match)
    c.warnings.push_back("prices of '" + info.model + "' used for the snapshot '" + result.model + "'");
  if (info.input) c.prompt = cost_of(prompt, *info.input, info.currency);
  if (info.cached_input) c.prompt_all_cached = cost_of(prompt, *info.cached_input, info.currency);
  std::optional<std::uint64_t> per_completion;
  if (result.max_output_tokens) {
    per_completion = result.max_output_tokens;
    c.worst_case_output_source = "request";
    if (info.max_output_tokens && *result.max_output_tokens > *info.max_output_tokens)
      c.warnings.push_back("the request's maximum output (" + std::to_string(*result.max_output_tokens) +
                           ") is above the model's limit (" + std::to_string(*info.max_output_tokens) + ")");
  } else if (info.max_output_tokens) {
    per_completion = info.max_output_tokens;
    c.worst_case_output_source = "model-limit";
  }
  if (per_completion) {
    c.worst_case_output_tokens = *per_completion * result.n;
    if (info.input && info.output) {
      // Sum exactly: both are multiples of 1e-12.
      const u128 pico = static_cast<u128>(prompt) * static_cast<std::uint64_t>(info.input->micros) +
                                     static_cast<u128>(c.worst_case_output_tokens) *
                                         static_cast<std::uint64_t>(info.output->micros);
      Money total;
      total.currency = info.currency;
      total.decimal = decimal_of_pico(pico);
      total.amount = std::strtod(total.decimal.c_str(), nullptr);
      c.worst_case = std::move(total);
    }
  }
  c.context_window = info.context_window;
  if (info.context_window) {
    const std::uint64_t window = *info.context_window;
    const std::uint64_t need = prompt + per_completion.value_or(0);
    if (prompt > window) {
      c.exceeds_context = true;
      c.warnings.push_back("the prompt (" + std::to_string(prompt) + " tokens) exceeds the context window (" +
                           std::to_string(window) + ")");
    } else if (need > window) {
      c.exceeds_context = true;
      c.warnings.push_back("prompt (" + std::to_string(prompt) + ") + maximum output (" +
                           std::to_string(*per_completion) + ") = " + std::to_string(need) +
                           " tokens exceeds the context window (" + std::to_string(window) + ")");
    }
  }
  return c;
}

}  // namespace tokcount::chat
