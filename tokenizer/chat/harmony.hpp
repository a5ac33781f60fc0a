// Harmony rendering shared by render_harmony() (a harmony conversation given directly) and
// render() for gpt-oss models (a Chat Completions request mapped onto harmony messages).
#pragma once

#include <vector>

#include "chat/builder.hpp"
#include "tokcount/chat.hpp"

namespace tokcount::chat::detail {

// Where a harmony message's pieces come from, for segments and the breakdown.
struct HarmonyOrigin {
  int message = -1;             // breakdown row / Segment::message (-1: generated)
  std::string role_label;       // breakdown role
  std::vector<Source> content;  // one per content item
  int tool_call = -1;
  bool uncertain = false;       // the mapping of this message rests on an uncertain rule
  std::string rule = "harmony";
};

// Renders `conversation` into `b` exactly as openai-harmony's render_conversation(_for_completion).
// `origins` (same length as the messages, or empty) label the pieces.
void render_harmony_into(Builder& b, const HarmonyConversation& conversation, const std::vector<HarmonyOrigin>& origins,
                         const HarmonyRenderOptions& options);

// A Chat Completions request for a gpt-oss model, mapped onto harmony (see README).
Result render_chat_as_harmony(const Request& request, const Options& options, const ChatRules& rules);

}  // namespace tokcount::chat::detail
