// The two TypeScript-like renderings of tool definitions.
//
//  - functions_namespace(): the `namespace functions { ... }` block hosted OpenAI models are
//    counted with (reverse-engineered; hmarr/openai-chat-tokens' formatter reproduces API
//    usage on gpt-3.5-turbo and the cookbook's gpt-4 / gpt-4o tool measurements).
//  - harmony_tools_section(): openai-harmony's `# Tools` section (encoding.rs
//    template_tools_section / json_schema_to_typescript), exact, for gpt-oss.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "chat/json_util.hpp"
#include "tokcount/chat.hpp"

namespace tokcount::chat::detail {

struct ParsedFunction {
  std::string name;
  std::optional<std::string> description;
  Json parameters;  // null when absent
};

std::string functions_namespace(const std::vector<ParsedFunction>& functions);

// The parsed form of a harmony namespace (parameters as JSON trees).
struct ParsedHarmonyTool {
  std::string name;
  std::string description;
  std::optional<Json> parameters;
};
struct ParsedHarmonyNamespace {
  std::string name;
  std::optional<std::string> description;
  std::vector<ParsedHarmonyTool> tools;
};

std::string harmony_tools_section(const std::map<std::string, ParsedHarmonyNamespace>& namespaces);
std::string harmony_schema_to_typescript(const Json& schema, const std::string& indent);

// Rust's str::lines(): split on "\n" (a preceding "\r" is dropped), no final empty line.
std::vector<std::string> rust_lines(const std::string& s);

}  // namespace tokcount::chat::detail
