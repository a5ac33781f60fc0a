// Minimum cacheable prefix per model family, for PC019 BELOW_MINIMUM. The numbers live in one
// place, cache/data/cache_rules.json (the spec's prompt-cache.md 1 and 3.2, sources named
// there), which the prompt-cache simulator reads too: a provider change is one edit.
#include <exception>
#include <string>
#include <string_view>

#include "cache/cache_internal.hpp"
#include "tokcount/lint.hpp"

namespace tokcount::lint {

CacheMinimum cache_minimum_for_model(std::string_view model) noexcept {
  try {
    const nlohmann::json& rules = cache::detail::cache_rules();
    // Anthropic and Gemini: [prefix, tokens] rows, specific prefixes first, the first match wins.
    for (const std::string_view provider : {"anthropic", "gemini"}) {
      for (const nlohmann::json& row : rules.at(std::string(provider)).at("minimums")) {
        const std::string& prefix = row.at(0).get_ref<const std::string&>();
        // The simulator's catch-all row (""): a model the table does not know stays unknown here.
        if (!prefix.empty() && model.starts_with(prefix)) return {row.at(1).get<std::size_t>(), true, provider};
      }
    }
    const nlohmann::json& openai = rules.at("openai");
    for (const nlohmann::json& prefix : openai.at("cached_model_prefixes"))
      if (model.starts_with(prefix.get_ref<const std::string&>()))
        return {openai.at("minimum_tokens").get<std::size_t>(), true, "openai"};
  } catch (const std::exception&) {
    // A malformed embedded table (its tests would fail first) or no memory to parse it:
    // reported as an unknown model rather than thrown from a noexcept lookup.
  }
  return {};
}

}  // namespace tokcount::lint
