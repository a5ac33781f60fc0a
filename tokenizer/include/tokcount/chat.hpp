// tokcount chat API: the prompt tokens of an OpenAI Chat Completions request, rendered.
//
// A request (parsed from the JSON body exactly as sent, or built with the structs below) is
// rendered into the token sequence the model is billed for: message wrappers, names, reply
// priming, the hidden TypeScript rendering of tool definitions, image tokens. The result is
// the sequence itself plus segments that say where every token range came from (which
// message / part / tool / image, the JSON path of its source, the rule that produced it, and
// whether that rule is one the research marks uncertain), a per-message breakdown, and a
// cost / context-window report from a price table compiled into the library.
//
// Formats (chosen per model, see model_chat_rules()):
//   kChatMl       gpt-3.5-turbo (0613+), gpt-4*, gpt-4o*, and by assumption gpt-4.1 / 4.5 / 5*
//                 and o-series: 3 tokens per message, +1 per name, 3 tokens of reply priming.
//   kChatMl0301   gpt-3.5-turbo-0301: ChatML v0, 4 per message, a name replaces the role.
//   kHarmony      gpt-oss-*: OpenAI's harmony format on o200k_harmony, token-exact with the
//                 openai-harmony renderer (render_harmony()).
//
// Where the wire tokens of hosted models are unpublished, the render uses a layout with the
// documented counts (see README "Chat-format counting"): cl100k models get ChatML's
// <|im_start|>/<|im_sep|>/<|im_end|> ids, o200k models harmony's <|start|>/<|message|>/<|end|>
// ids, and constant overheads / image tokens become *synthetic* tokens (ids with the top bit
// set, never valid vocabulary ids). Images' synthetic ids are derived from a hash of the
// image URL and detail, so two different images never render identically.
//
// Errors are tokcount::Error: kParseError (malformed JSON; byte_offset() is where), kInvalidArgument
// (a field of the wrong shape; the message names its JSON path), kUnknownModel, kInvalidUtf8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokcount/tokcount.hpp"

namespace tokcount::chat {

// ---- request ------------------------------------------------------------------------------

enum class ImageDetail { kAuto, kLow, kHigh, kOriginal };

struct ImageUrl {
  std::string url;                      // https://... or data:image/...;base64,...
  ImageDetail detail = ImageDetail::kAuto;
  bool detail_given = false;            // false: "detail" was omitted (same as auto)
  // Pixel size when known to the caller (remote URLs). Data URLs are measured from their
  // header; these, when set, take precedence.
  std::optional<std::uint32_t> width, height;
};

struct ContentPart {
  enum class Type { kText, kImageUrl, kRefusal };
  Type type = Type::kText;
  std::string text;  // kText, kRefusal
  ImageUrl image;    // kImageUrl
};

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // the JSON text as sent (a string in the API)
};

struct Message {
  std::string role;  // system, developer, user, assistant, tool, function
  // Content: a string (content_is_string) or an array of parts; null/absent = no parts.
  std::vector<ContentPart> content;
  bool content_is_string = false;
  std::optional<std::string> name;
  std::vector<ToolCall> tool_calls;          // assistant tool_calls
  std::optional<ToolCall> function_call;     // legacy assistant function_call (no id)
  std::optional<std::string> tool_call_id;   // tool messages
  // Non-standard reasoning text some gpt-oss servers accept on assistant messages
  // ("reasoning_content" or "reasoning"): rendered as a harmony analysis message.
  std::optional<std::string> reasoning;

  static Message text(std::string role, std::string content) {
    Message m;
    m.role = std::move(role);
    m.content.push_back({ContentPart::Type::kText, std::move(content), {}});
    m.content_is_string = true;
    return m;
  }
};

struct FunctionDef {
  std::string name;
  std::optional<std::string> description;
  std::optional<std::string> parameters_json;  // a JSON Schema object, as JSON text
};

struct ToolChoice {
  enum class Kind { kAbsent, kNone, kAuto, kRequired, kFunction };
  Kind kind = Kind::kAbsent;
  std::string name;  // kFunction
};

struct ResponseFormat {
  enum class Type { kAbsent, kText, kJsonObject, kJsonSchema };
  Type type = Type::kAbsent;
  std::string name;
  std::optional<std::string> description;
  std::optional<std::string> schema_json;
};

struct Request {
  std::string model;
  std::vector<Message> messages;
  std::vector<FunctionDef> tools;  // from "tools" (type function) or legacy "functions"
  bool legacy_functions = false;   // true when they came from "functions"
  ToolChoice tool_choice;          // "tool_choice", or legacy "function_call"
  ResponseFormat response_format;
  std::optional<std::uint64_t> max_output_tokens;  // max_completion_tokens, else max_tokens
  std::uint32_t n = 1;                             // completions per request
  std::optional<std::string> reasoning_effort;     // gpt-oss: "low" | "medium" | "high"
};

// Parses a Chat Completions request body. Unknown fields are ignored (the API has many that
// do not change the prompt); fields that change it must have the documented shape.
Request parse_request(std::string_view json);

// ---- options ------------------------------------------------------------------------------

struct ImageSize {
  std::uint32_t width = 0, height = 0;
};

enum class UnknownImageSize {
  kError,      // an image whose size is needed but unknown is an error (default)
  kWorstCase,  // count the most tokens any image can cost on that model (marked uncertain)
};

// Harmony system-message fields a gpt-oss server fills in (defaults: openai-harmony's).
struct HarmonyDefaults {
  std::string model_identity = "You are ChatGPT, a large language model trained by OpenAI.";
  std::string knowledge_cutoff = "2024-06";
  std::optional<std::string> conversation_start_date;  // "Current date: ..." line
  std::string reasoning_effort = "medium";             // when the request gives none
};

// Tokens of one text piece appended to `out` (encode_ordinary semantics: special-token text is
// plain text). A hook lets a caller memoize pieces across renders (cache::TokenCache); it must
// return exactly what `encoding` would.
using PieceTokens = std::function<void(const Encoding& encoding, std::string_view text, std::vector<Rank>& out)>;

struct Options {
  std::string model;     // overrides Request::model when not empty
  std::string encoding;  // explicit fallback encoding for a model tiktoken does not know
  UnknownImageSize unknown_image_size = UnknownImageSize::kError;
  // Sizes of remote images (data URLs are measured). Returning nullopt = unknown.
  std::function<std::optional<ImageSize>(std::string_view url)> image_size;
  HarmonyDefaults harmony;
  PieceTokens piece_tokens;  // optional memo for the ChatML layouts' text pieces
};

// ---- result -------------------------------------------------------------------------------

enum class ChatFormat { kChatMl, kChatMl0301, kHarmony };
const char* chat_format_name(ChatFormat f) noexcept;  // "chatml", "chatml-0301", "harmony"

// Ids at or above this never occur in a vocabulary: they stand for tokens whose ids are not
// published (image tokens, fixed overheads of the hidden tool rendering).
inline constexpr Rank kSyntheticTokenBase = 0x80000000u;
inline constexpr bool is_synthetic(Rank t) noexcept { return t >= kSyntheticTokenBase; }

enum class SegmentKind {
  kFormat,          // message wrapper / separator tokens (start, role separator, end)
  kRole,            // the role text
  kName,            // ":" + name (or the name replacing the role, 0301)
  kText,            // user-visible text of a content part
  kImage,           // image tokens (synthetic)
  kTools,           // the rendered tool definitions (text + overhead)
  kToolChoice,      // tool_choice / function_call overhead
  kResponseFormat,  // the rendered response_format schema
  kToolCall,        // an assistant tool call (name + arguments)
  kPriming,         // reply priming at the end
  kHarmonyHeader,   // harmony header pieces (channel, recipient, content type)
  kHarmonySystem,   // harmony system/developer message text generated from the request
};
const char* segment_kind_name(SegmentKind k) noexcept;

// Tokens [begin, end) of Result::tokens and where they came from. Order follows the
// render, which follows the provider's order: tools, schema, system/developer, messages.
struct Segment {
  SegmentKind kind = SegmentKind::kFormat;
  std::size_t begin = 0, end = 0;
  int message = -1;    // index in Request::messages
  int part = -1;       // index in that message's content
  int tool_call = -1;  // index in that message's tool_calls
  std::string path;    // JSON path of the source value, e.g. "$.messages[1].content[0].text"
  std::string rule;    // the rule that produced these tokens, e.g. "cookbook:tokens_per_message"
  bool uncertain = false;
  std::uint64_t content_hash = 0;  // images: XXH3-64 of detail and URL; else 0
};

struct ImageInfo {
  int message = -1, part = -1;
  std::string path;
  std::string detail;  // as applied: "low" | "high" (auto is high, measured)
  std::uint32_t width = 0, height = 0;  // 0 when not needed (low detail) or worst case
  std::string size_source;              // "png", "jpeg", "gif", "webp", "caller", "worst-case", ""
  std::string method;                   // "tile" | "patch" | "low"
  std::uint32_t tiles_or_patches = 0;
  std::size_t tokens = 0;
  bool uncertain = false;
};

struct MessageBreakdown {
  int index = -1;        // -1: a message the renderer added (harmony system / developer)
  std::string role;
  std::size_t text_tokens = 0;    // content text, tool-call names and arguments, reasoning
  std::size_t name_tokens = 0;    // the name itself
  std::size_t image_tokens = 0;
  std::size_t format_tokens = 0;  // everything else in this message
  std::size_t total = 0;
  bool uncertain = false;
};

struct Breakdown {
  std::vector<MessageBreakdown> messages;
  std::size_t tools_text_tokens = 0;    // tokens of the rendered TypeScript block
  std::size_t tools_format_tokens = 0;  // fixed overheads of the tool rendering
  bool tools_uncertain = false;
  std::size_t tool_choice_tokens = 0;
  bool tool_choice_uncertain = false;
  std::size_t response_format_tokens = 0;
  bool response_format_uncertain = false;
  std::size_t priming_tokens = 0;
  bool priming_uncertain = false;
  std::vector<ImageInfo> images;
};

struct Result {
  std::string model;
  std::string encoding;
  ChatFormat format = ChatFormat::kChatMl;
  std::size_t prompt_tokens = 0;  // == tokens.size()
  bool uncertain = false;         // any figure rests on a rule marked uncertain
  std::vector<Rank> tokens;
  std::vector<Segment> segments;
  Breakdown breakdown;
  std::vector<std::string> warnings;
  std::optional<std::uint64_t> max_output_tokens;  // from the request
  std::uint32_t n = 1;
};

// Renders a request. kUnknownModel when the model has no chat rules and no fallback
// encoding was given; kInvalidArgument for content the model cannot take (e.g. an image for a
// model without an image rule, an image of unknown size under UnknownImageSize::kError).
Result render(const Request& request, const Options& options = {});
// parse_request + render.
Result render_json(std::string_view body, const Options& options = {});

// The per-model rules render() applies, for inspection (and the CLI's --explain).
struct ChatRules {
  ChatFormat format = ChatFormat::kChatMl;
  std::string encoding;
  bool message_rules_uncertain = false;  // tokens per message / name / priming not documented
  bool fallback = false;                 // the model is unknown; encoding chosen by the caller
  std::string image_method;              // "tile", "patch" or "" (no image input rule)
  std::uint32_t image_base = 0, image_tile = 0;  // tile method
  std::uint32_t image_short_side = 768;          // tile method: target of the shortest side
  std::uint32_t patch_multiplier_milli = 0;      // patch method, x1000 (1.62 -> 1620)
  bool image_uncertain = false;
};
ChatRules model_chat_rules(std::string_view model, std::string_view fallback_encoding = {});

// Image tokens by the documented methods, in integer arithmetic (see README).
struct ImageTokens {
  std::uint32_t tiles_or_patches = 0;
  std::size_t tokens = 0;
};
ImageTokens tile_image_tokens(std::uint32_t width, std::uint32_t height, std::uint32_t base,
                              std::uint32_t tile, std::uint32_t short_side = 768);
ImageTokens patch_image_tokens(std::uint32_t width, std::uint32_t height,
                               std::uint32_t multiplier_milli);
// Pixel size from the header of a PNG, JPEG, GIF or WebP (no pixel decoding); nullopt if the
// bytes are none of these or are cut before the size. `format` receives "png", "jpeg", ...
std::optional<ImageSize> image_size_from_bytes(std::string_view bytes, std::string* format = nullptr);
// The same for a data URL ("data:image/png;base64,..."): decodes only as much base64 as the
// header needs. kInvalidArgument for a data URL that is not base64 or not valid base64.
std::optional<ImageSize> image_size_from_data_url(std::string_view url, std::string* format = nullptr);

// A readable form of the rendered prompt: text decoded, special tokens by name, synthetic
// tokens as <|image:N tokens|> / <|overhead:N|> runs. For inspection, not for sending.
std::string render_text(const Result& result);

// ---- harmony (gpt-oss) --------------------------------------------------------------------
// The structures of openai-harmony (chat.rs), rendered exactly as its renderer does
// (encoding.rs): each piece encoded separately with encode_ordinary, formatting tokens as
// specials of o200k_harmony.

struct HarmonyTool {
  std::string name;
  std::string description;
  std::optional<std::string> parameters_json;  // JSON Schema, as JSON text
};

struct HarmonyNamespace {
  std::string name;
  std::optional<std::string> description;
  std::vector<HarmonyTool> tools;
};

struct HarmonyChannelConfig {
  std::vector<std::string> valid_channels;
  bool channel_required = false;
};

struct HarmonySystemContent {
  std::optional<std::string> model_identity;
  std::optional<std::string> reasoning_effort;  // "low" | "medium" | "high"
  std::optional<std::map<std::string, HarmonyNamespace>> tools;  // ordered by name, as harmony
  std::optional<std::string> conversation_start_date;
  std::optional<std::string> knowledge_cutoff;
  std::optional<HarmonyChannelConfig> channel_config;
  // openai-harmony's SystemContent::default().
  static HarmonySystemContent defaults();
};

struct HarmonyDeveloperContent {
  std::optional<std::string> instructions;
  std::optional<std::map<std::string, HarmonyNamespace>> tools;
};

struct HarmonyContent {
  enum class Type { kText, kSystem, kDeveloper };
  Type type = Type::kText;
  std::string text;
  HarmonySystemContent system;
  HarmonyDeveloperContent developer;
};

struct HarmonyMessage {
  std::string role;  // system, developer, user, assistant, tool
  std::optional<std::string> name;
  std::optional<std::string> recipient;
  std::optional<std::string> channel;
  std::optional<std::string> content_type;
  std::vector<HarmonyContent> content;
};

struct HarmonyConversation {
  std::vector<HarmonyMessage> messages;
};

// The JSON openai-harmony's Conversation.to_json() produces (Rust serde shape).
HarmonyConversation parse_harmony_conversation(std::string_view json);

struct HarmonyRenderOptions {
  bool auto_drop_analysis = true;  // openai-harmony's Python default
  std::optional<std::string> next_turn_role = "assistant";  // nullopt: render_conversation()
};
// render_conversation_for_completion (or render_conversation with next_turn_role = nullopt).
std::vector<Rank> render_harmony(const HarmonyConversation& conversation,
                                 const HarmonyRenderOptions& options = {});

// ---- prices and limits ----------------------------------------------------------------------

// A price per million tokens, exact to 1e-6 of the currency unit.
struct Price {
  std::int64_t micros = 0;  // 14.40 -> 14400000
  double per_million() const noexcept { return static_cast<double>(micros) / 1e6; }
};

struct ModelInfo {
  std::string provider;  // "openai", or any name a price list uses
  std::string model;
  std::string currency;  // "USD", "CNY", ...
  std::optional<Price> input, cached_input, output;
  std::optional<std::uint64_t> context_window, max_output_tokens;
  std::string source;  // where the figures come from
  std::string as_of;
  std::string note;
};

class PriceTable {
 public:
  // The table compiled into the library (tokenizer/chat/data/models.json).
  static const PriceTable& builtin();
  // A table in the same JSON format. kParseError / kInvalidArgument with the JSON path.
  static PriceTable parse(std::string_view json);
  static PriceTable load_file(const std::string& path);  // kIoError
  // This table's entries take precedence over `base`'s (same provider and model).
  PriceTable overlaid_on(const PriceTable& base) const;

  // Exact model name, else the longest entry that the name extends by a dated snapshot
  // suffix ("-2024-08-06", "-0613"); nullptr if none. `snapshot_match` tells which.
  const ModelInfo* find(std::string_view model, std::string_view provider = "openai",
                        bool* snapshot_match = nullptr) const;
  const std::vector<ModelInfo>& entries() const noexcept { return entries_; }
  std::vector<std::string> providers() const;

 private:
  std::vector<ModelInfo> entries_;
};

// An amount of money, exact (1e-12 of the currency unit) and as a double.
struct Money {
  std::string currency;
  double amount = 0;
  std::string decimal;  // exact, trailing zeros trimmed: "0.0018576"
};
// tokens x price per million, exact.
Money cost_of(std::uint64_t tokens, const Price& per_million, const std::string& currency);

// What a request costs and whether it fits: the part of the report the later prompt-cache
// feature reuses through ModelInfo / cost_of.
struct CostReport {
  const ModelInfo* info = nullptr;  // nullptr: no price entry for the model
  bool snapshot_match = false;
  std::optional<Money> prompt;             // prompt_tokens at the input price
  std::optional<Money> prompt_all_cached;  // the same at the cached-input price
  std::uint64_t worst_case_output_tokens = 0;  // n x (max_output_tokens or the model's limit)
  std::string worst_case_output_source;        // "request" | "model-limit" | ""
  std::optional<Money> worst_case;             // prompt + worst-case output
  std::optional<std::uint64_t> context_window;
  bool exceeds_context = false;  // prompt + max output > context window
  std::vector<std::string> warnings;
};
CostReport estimate_cost(const Result& result, const PriceTable& table = PriceTable::builtin(),
                         std::string_view provider = "openai");

// The whole report as one JSON object (what `tokcount chat` prints, the C API returns and the
// Python package parses): prompt_tokens, encoding, format, uncertain, breakdown, cost, context,
// warnings; with include_tokens the token ids and segments too.
std::string report_json(const Result& result, const CostReport& cost, bool include_tokens = false);

}  // namespace tokcount::chat
