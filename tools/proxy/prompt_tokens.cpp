#include "prompt_tokens.hpp"

namespace tokcount::proxy {

PromptCount count_prompt_tokens(const nlohmann::json& request, const Encoding& enc) {
  constexpr std::size_t kPerMessage = 3, kPerName = 1, kReplyPriming = 3;
  PromptCount r;
  const auto messages = request.find("messages");
  if (messages == request.end() || !messages->is_array()) {
    r.problem = "'messages' must be an array";
    return r;
  }
  for (const auto& m : *messages) {
    if (!m.is_object()) {
      r.problem = "each message must be an object";
      return r;
    }
    r.tokens += kPerMessage;
    for (const auto& [key, value] : m.items()) {
      if (value.is_string()) {
        r.tokens += enc.count_ordinary(value.get_ref<const std::string&>());
        if (key == "name") r.tokens += kPerName;
      } else if (key == "content" && value.is_array()) {
        for (const auto& part : value) {
          if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string()) {
            r.tokens += enc.count_ordinary(part["text"].get_ref<const std::string&>());
          } else {
            r.exact = false;  // image / audio / file parts
          }
        }
      } else if (!value.is_null()) {
        r.exact = false;  // tool_calls and other structured fields
      }
    }
  }
  r.tokens += kReplyPriming;
  if (request.contains("tools") || request.contains("functions")) r.exact = false;
  return r;
}

}  // namespace tokcount::proxy
