// Prompt-token count of a Chat Completions request, done before the request is forwarded.
//
// ISOLATED ON PURPOSE: the chat-format module (branch `chat`) will own this computation; when
// it lands on main, replace the body of count_prompt_tokens() with a call to it. Until then
// this implements the published rule only (OpenAI cookbook "How to count tokens with
// tiktoken", as summarized in the project's chat-format research: 3 tokens per message, 1 per
// name, 3 to prime the reply; every string value encoded as ordinary text). Tool definitions,
// images and audio are not counted here: the result is then a lower bound, and `exact` says so.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

#include "tokcount/tokcount.hpp"

namespace tokcount::proxy {

struct PromptCount {
  std::size_t tokens = 0;
  bool exact = true;     // false: the request has parts this rule does not count (tools, images)
  std::string problem;   // non-empty: the request is malformed (names the field)
};

PromptCount count_prompt_tokens(const nlohmann::json& request, const Encoding& encoding);

}  // namespace tokcount::proxy
