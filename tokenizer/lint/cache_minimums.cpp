// Minimum cacheable prefix per model family, for PC019 BELOW_MINIMUM. The numbers are the
// spec's (prompt-cache.md 1 and 3.2, latest snapshot where snapshots disagree). They are data,
// kept in this one table; the prompt-cache simulator (issue 5) will own the canonical,
// loadable per-provider table and this lookup should then read from it.
#include <string_view>

#include "tokcount/lint.hpp"

namespace tokcount::lint {
namespace {

struct MinimumRow {
  std::string_view prefix;  // model id prefix; the first matching row wins
  std::string_view provider;
  std::size_t tokens;
};

// Specific prefixes before general ones.
constexpr MinimumRow kMinimums[] = {
    // Anthropic, later-2026 snapshot [DOC-2 S20, S27, S28]; 2026-04 [DOC S7] for Mythos Preview.
    {"claude-mythos-preview", "anthropic", 4096},
    {"claude-opus-5", "anthropic", 512},
    {"claude-fable-5", "anthropic", 512},
    {"claude-mythos-5", "anthropic", 512},
    {"claude-sonnet-5", "anthropic", 1024},
    {"claude-opus-4-8", "anthropic", 1024},
    {"claude-opus-4-7", "anthropic", 2048},
    {"claude-opus-4-6", "anthropic", 4096},
    {"claude-opus-4-5", "anthropic", 4096},
    {"claude-haiku-4-5", "anthropic", 4096},
    {"claude-sonnet-4-6", "anthropic", 1024},
    {"claude-sonnet-4-5", "anthropic", 1024},
    {"claude-opus-4-1", "anthropic", 1024},
    {"claude-opus-4", "anthropic", 1024},
    {"claude-sonnet-4", "anthropic", 1024},
    {"claude-3-7-sonnet", "anthropic", 1024},
    {"claude-3-5-sonnet", "anthropic", 1024},
    {"claude-3-opus", "anthropic", 1024},
    {"claude-3-5-haiku", "anthropic", 2048},
    {"claude-3-haiku", "anthropic", 2048},
    // Gemini implicit caching, 2026 snapshot [DOC S11].
    {"gemini-3", "gemini", 4096},
    {"gemini-2.5", "gemini", 2048},
    // OpenAI: automatic caching from 1024 tokens on gpt-4o and newer [DOC S1, S2].
    {"gpt-4o", "openai", 1024},
    {"gpt-4.1", "openai", 1024},
    {"gpt-4.5", "openai", 1024},
    {"gpt-5", "openai", 1024},
    {"gpt-realtime", "openai", 1024},
    {"chatgpt-4o", "openai", 1024},
    {"o1", "openai", 1024},
    {"o3", "openai", 1024},
    {"o4", "openai", 1024},
    {"ft:gpt-4o", "openai", 1024},
    {"ft:gpt-4.1", "openai", 1024},
};

}  // namespace

CacheMinimum cache_minimum_for_model(std::string_view model) noexcept {
  for (const MinimumRow& row : kMinimums)
    if (model.substr(0, row.prefix.size()) == row.prefix) return {row.tokens, true, row.provider};
  return {};
}

}  // namespace tokcount::lint
