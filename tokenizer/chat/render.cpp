// render(): model rules, the ChatML layouts with the documented counts, images, and
// render_text(). The harmony path is in harmony_mapping.cpp.
#include <xxhash.h>

#include <algorithm>

#include "chat/builder.hpp"
#include "chat/harmony.hpp"
#include "chat/json_util.hpp"
#include "chat/typescript.hpp"
#include "tokcount/chat.hpp"

namespace tokcount::chat {

const char* chat_format_name(ChatFormat f) noexcept {
  switch (f) {
    case ChatFormat::kChatMl: return "chatml";
    case ChatFormat::kChatMl0301: return "chatml-0301";
    case ChatFormat::kHarmony: return "harmony";
  }
  return "?";
}

const char* segment_kind_name(SegmentKind k) noexcept {
  switch (k) {
    case SegmentKind::kFormat: return "format";
    case SegmentKind::kRole: return "role";
    case SegmentKind::kName: return "name";
    case SegmentKind::kText: return "text";
    case SegmentKind::kImage: return "image";
    case SegmentKind::kTools: return "tools";
    case SegmentKind::kToolChoice: return "tool_choice";
    case SegmentKind::kResponseFormat: return "response_format";
    case SegmentKind::kToolCall: return "tool_call";
    case SegmentKind::kPriming: return "priming";
    case SegmentKind::kHarmonyHeader: return "harmony_header";
    case SegmentKind::kHarmonySystem: return "harmony_generated";
  }
  return "?";
}

namespace {

using detail::Bucket;
using detail::Builder;
using detail::Source;
using detail::Synthetic;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

// A prefix that must end the name or be followed by '-' (so "gpt-5" matches "gpt-5-2025-08-07"
// and "gpt-5-chat-latest" but not "gpt-5.4").
bool family(std::string_view model, std::string_view prefix) {
  return starts_with(model, prefix) && (model.size() == prefix.size() || model[prefix.size()] == '-');
}

struct ImageRule {
  std::string_view prefix;
  bool exact_family;  // use family() instead of a plain prefix
  const char* method;
  std::uint32_t base, tile, short_side, multiplier_milli;
  bool uncertain;
};

// OpenAI's vision docs ("Calculating costs"), with the disputed / forum-only entries marked
// (research notes chat-format.md section 6). First match wins: specific names first.
constexpr ImageRule kImageRules[] = {
    {"gpt-4o-mini", false, "tile", 2833, 5667, 768, 0, false},
    {"gpt-4o", false, "tile", 85, 170, 768, 0, false},
    {"chatgpt-4o", false, "tile", 85, 170, 768, 0, false},
    {"gpt-4.1-mini", false, "patch", 0, 0, 0, 1620, false},
    {"gpt-4.1-nano", false, "patch", 0, 0, 0, 2460, false},
    {"gpt-4.1", false, "tile", 85, 170, 768, 0, false},
    {"gpt-4.5", false, "tile", 85, 170, 768, 0, false},
    // Docs say 1.62 / 2.46; API usage and OpenAI's own pricing calculator show 1.2 / 1.5.
    {"gpt-5-mini", true, "patch", 0, 0, 0, 1200, true},
    {"gpt-5-nano", true, "patch", 0, 0, 0, 1500, true},
    {"gpt-5-chat", false, "tile", 70, 140, 768, 0, false},
    {"gpt-5.1", false, "tile", 70, 140, 768, 0, true},  // not in the docs' table
    {"gpt-5.", false, "patch", 0, 0, 0, 1200, true},    // 5.2 / 5.3-codex / 5.4*: forum-measured 1.2
    {"gpt-5", true, "tile", 70, 140, 768, 0, false},
    {"o1-pro", true, "tile", 75, 150, 768, 0, false},
    {"o1", true, "tile", 75, 150, 768, 0, true},  // a forum table disagrees
    {"o3", true, "tile", 75, 150, 768, 0, false},
    {"o4-mini", true, "patch", 0, 0, 0, 1720, false},
    {"computer-use-preview", true, "tile", 65, 129, 768, 0, false},
    {"gpt-image-1", true, "tile", 65, 129, 512, 0, false},
    {"gpt-4-turbo", false, "tile", 85, 170, 768, 0, true},  // GPT-4V era; not in the current table
    {"gpt-4-vision", false, "tile", 85, 170, 768, 0, true},
    {"gpt-4-1106-vision", false, "tile", 85, 170, 768, 0, true},
};

std::string_view strip_ft(std::string_view model) { return starts_with(model, "ft:") ? model.substr(3) : model; }

void apply_image_rule(std::string_view model, ChatRules& rules) {
  const std::string_view m = strip_ft(model);
  for (const ImageRule& r : kImageRules) {
    // o3-mini / o1-mini / o1-preview have no image input.
    if ((r.prefix == "o3" || r.prefix == "o1") && (starts_with(m, std::string(r.prefix) + "-mini") ||
                                                   starts_with(m, std::string(r.prefix) + "-preview")))
      continue;
    if (r.exact_family ? family(m, r.prefix) : starts_with(m, r.prefix)) {
      rules.image_method = r.method;
      rules.image_base = r.base;
      rules.image_tile = r.tile;
      rules.image_short_side = r.short_side;
      rules.patch_multiplier_milli = r.multiplier_milli;
      rules.image_uncertain = r.uncertain;
      return;
    }
  }
}

// Format token ids of the ChatML layouts (see chat.hpp): real ids where a public source
// names them, synthetic otherwise.
struct FormatIds {
  Rank start, sep, end;
};

FormatIds format_ids(const std::string& encoding) {
  if (encoding == "cl100k_base") return {100264, 100266, 100265};  // <|im_start|> <|im_sep|> <|im_end|>
  if (encoding == "o200k_base" || encoding == "o200k_harmony") return {200006, 200008, 200007};
  const Rank f = kSyntheticTokenBase | (static_cast<Rank>(Synthetic::kFormat) << 16);
  return {f | 1, f | 2, f | 3};
}

std::string content_path(int message, const Message& m, std::size_t part) {
  const std::string base = "$.messages[" + std::to_string(message) + "].content";
  if (m.content_is_string) return base;
  const ContentPart& p = m.content[part];
  const std::string item = base + "[" + std::to_string(part) + "]";
  switch (p.type) {
    case ContentPart::Type::kText: return item + ".text";
    case ContentPart::Type::kRefusal: return item + ".refusal";
    case ContentPart::Type::kImageUrl: return item + ".image_url";
  }
  return item;
}

// Counts (and measures) one image; throws for what cannot be counted.
ImageInfo count_image(const ImageUrl& img, const ChatRules& rules, const Options& opts, const std::string& model,
                      const std::string& path) {
  if (rules.image_method.empty())
    throw Error(ErrorCode::kInvalidArgument, path + ": no image token rule for model '" + model + "'");
  ImageInfo info;
  info.path = path;
  info.uncertain = rules.image_uncertain || img.detail == ImageDetail::kOriginal;
  const bool tile = rules.image_method == "tile";
  if (tile && img.detail == ImageDetail::kLow) {
    info.detail = "low";
    info.method = "low";
    info.tokens = rules.image_base;
    return info;
  }
  info.detail = img.detail == ImageDetail::kLow ? "low" : "high";
  if (!tile && img.detail == ImageDetail::kLow) info.uncertain = true;  // reportedly ignored by patch models
  std::optional<ImageSize> size;
  if (img.width && img.height) {
    size = ImageSize{*img.width, *img.height};
    info.size_source = "caller";
  } else if (starts_with(img.url, "data:")) {
    std::string fmt;
    try {
      size = image_size_from_data_url(img.url, &fmt);
    } catch (const Error& e) {
      throw Error(ErrorCode::kInvalidArgument, path + ": " + e.what());
    }
    if (size) info.size_source = fmt;
    else if (opts.unknown_image_size == UnknownImageSize::kError)
      throw Error(ErrorCode::kInvalidArgument, path + ": the data URL is not a PNG, JPEG, GIF or WebP image whose size can be read");
  } else if (opts.image_size) {
    size = opts.image_size(img.url);
    if (size) info.size_source = "caller";
  }
  info.method = rules.image_method;
  if (!size) {
    if (opts.unknown_image_size == UnknownImageSize::kError)
      throw Error(ErrorCode::kInvalidArgument,
                  path + ": the size of a remote image is needed for detail '" + info.detail +
                      "'; give it (image sizes option / --image-size URL=WxH) or count the worst case");
    info.size_source = "worst-case";
    info.uncertain = true;
    if (tile) {
      const ImageTokens t = tile_image_tokens(rules.image_short_side, 2048, rules.image_base, rules.image_tile,
                                              rules.image_short_side);
      info.tiles_or_patches = t.tiles_or_patches;
      info.tokens = t.tokens;
    } else {
      info.tiles_or_patches = 1536;
      info.tokens = (1536u * rules.patch_multiplier_milli + 500) / 1000;
    }
    return info;
  }
  info.width = size->width;
  info.height = size->height;
  const ImageTokens t = tile ? tile_image_tokens(size->width, size->height, rules.image_base, rules.image_tile,
                                                 rules.image_short_side)
                             : patch_image_tokens(size->width, size->height, rules.patch_multiplier_milli);
  info.tiles_or_patches = t.tiles_or_patches;
  info.tokens = t.tokens;
  return info;
}

std::uint64_t image_hash(const ImageUrl& img) {
  XXH3_state_t* st = XXH3_createState();
  if (st == nullptr) throw std::bad_alloc();
  XXH3_64bits_reset(st);
  const char d = static_cast<char>('0' + static_cast<int>(img.detail));
  XXH3_64bits_update(st, &d, 1);
  XXH3_64bits_update(st, img.url.data(), img.url.size());
  const std::uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

std::vector<detail::ParsedFunction> parse_functions(const std::vector<FunctionDef>& tools, bool legacy) {
  std::vector<detail::ParsedFunction> out;
  for (std::size_t i = 0; i < tools.size(); ++i) {
    detail::ParsedFunction f{tools[i].name, tools[i].description, nullptr};
    if (tools[i].parameters_json) {
      const std::string path = legacy ? "$.functions[" + std::to_string(i) + "].parameters"
                                      : "$.tools[" + std::to_string(i) + "].function.parameters";
      f.parameters = detail::parse_json(*tools[i].parameters_json, path);
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string response_format_text(const ResponseFormat& rf) {
  std::string s = "# Response Formats\n\n## " + rf.name + "\n\n";
  if (rf.description) s += "// " + *rf.description + "\n";
  if (rf.schema_json) s += detail::serde_json_compact(detail::parse_json(*rf.schema_json, "$.response_format.json_schema.schema"));
  return s;
}

// ---- ChatML layouts -------------------------------------------------------------------------

Result render_chatml(const Request& req, const Options& opts, const ChatRules& rules, const std::string& model) {
  const EncodingPtr enc = Encoding::get(rules.encoding);
  Builder b(*enc);
  b.set_piece_hook(&opts.piece_tokens);
  const FormatIds fmt = format_ids(rules.encoding);
  const bool v0 = rules.format == ChatFormat::kChatMl0301;
  const bool mu = rules.message_rules_uncertain;
  const bool has_tools = !req.tools.empty();
  const bool has_schema = req.response_format.type == ResponseFormat::Type::kJsonSchema;
  const bool prelude = has_tools || has_schema;
  int first_system = -1;
  for (std::size_t i = 0; i < req.messages.size(); ++i)
    if (req.messages[i].role == "system" || req.messages[i].role == "developer") {
      first_system = static_cast<int>(i);
      break;
    }
  const std::string tools_path = req.legacy_functions ? "$.functions" : "$.tools";
  const char* per_message_rule = v0 ? "cookbook-0301:tokens_per_message" : "cookbook:tokens_per_message";

  // Message header and footer: ChatML v0 "<|im_start|>{role|name}\n ... <|im_end|>\n", else
  // "<|im_start|>{role}[:{name}]<|im_sep|> ... <|im_end|>".
  auto open = [&](const std::string& role, const std::optional<std::string>& name, Bucket fmt_bucket,
                  Bucket name_bucket, const Source& src, bool u) {
    b.special(fmt.start, SegmentKind::kFormat, fmt_bucket, src, per_message_rule, u);
    if (v0) {
      if (name) b.text(*name, SegmentKind::kName, name_bucket, src, "cookbook-0301:name_replaces_role", u);
      else b.text(role, SegmentKind::kRole, fmt_bucket, src, "cookbook:role", u);
      b.text("\n", SegmentKind::kFormat, fmt_bucket, src, per_message_rule, u);
    } else {
      b.text(role, SegmentKind::kRole, fmt_bucket, src, "cookbook:role", u);
      if (name) b.text(":" + *name, SegmentKind::kName, name_bucket, src, "cookbook:tokens_per_name", u);
      b.special(fmt.sep, SegmentKind::kFormat, fmt_bucket, src, per_message_rule, u);
    }
  };
  auto close = [&](Bucket fmt_bucket, const Source& src, bool u) {
    b.special(fmt.end, SegmentKind::kFormat, fmt_bucket, src, per_message_rule, u);
    if (v0) b.text("\n", SegmentKind::kFormat, fmt_bucket, src, per_message_rule, u);
  };
  const std::size_t wrapper_tokens = v0 ? 5 : 4;  // a whole "system" message around no text

  // Tool definitions (hmarr's formula: block + 9, or + 5 merged into a system message) and
  // the response-format schema, in the provider's order: tools, then schema.
  auto emit_prelude = [&](bool merged) {
    if (has_tools) {
      Source src;
      src.path = tools_path;
      const std::size_t overhead = merged ? 5 : 9 - wrapper_tokens;
      b.synthetic(Synthetic::kToolsOverhead, overhead, SegmentKind::kTools, Bucket::kToolsFormat, src,
                  "hmarr:functions_overhead", true);
      b.text(detail::functions_namespace(parse_functions(req.tools, req.legacy_functions)), SegmentKind::kTools,
             Bucket::kToolsText, src, "hmarr:typescript", true);
      Source tc;
      tc.path = req.legacy_functions ? "$.function_call" : "$.tool_choice";
      switch (req.tool_choice.kind) {
        case ToolChoice::Kind::kNone:
          b.synthetic(Synthetic::kToolChoiceOverhead, 1, SegmentKind::kToolChoice, Bucket::kToolChoice, tc,
                      "hmarr:tool_choice_none", true);
          break;
        case ToolChoice::Kind::kFunction:
          // Measured +7 + name for tool_choice (openai-messages-token-helper); +4 + name for
          // the legacy function_call (openai-chat-tokens).
          b.synthetic(Synthetic::kToolChoiceOverhead, req.legacy_functions ? 4 : 7, SegmentKind::kToolChoice,
                      Bucket::kToolChoice, tc, req.legacy_functions ? "hmarr:function_call_named" : "s9:tool_choice_named",
                      true);
          b.text(req.tool_choice.name, SegmentKind::kToolChoice, Bucket::kToolChoice, tc, "tool_choice:name", true);
          break;
        case ToolChoice::Kind::kRequired:
          b.result().breakdown.tool_choice_uncertain = true;  // no data: counted as 0
          break;
        default: break;
      }
    }
    if (has_schema) {
      Source src;
      src.path = "$.response_format.json_schema";
      b.text(response_format_text(req.response_format), SegmentKind::kResponseFormat, Bucket::kResponseFormat, src,
             "tokcount:response_format", true);
    }
  };

  if (prelude && first_system < 0) {
    Source src;
    src.path = has_tools ? tools_path : "$.response_format";
    const Bucket wrap = has_tools ? Bucket::kToolsFormat : Bucket::kResponseFormat;
    open("system", std::nullopt, wrap, wrap, src, true);
    emit_prelude(false);
    close(wrap, src, true);
  }
  if (!has_tools && req.tool_choice.kind != ToolChoice::Kind::kAbsent)
    b.result().warnings.push_back("tool_choice / function_call without tools: ignored");

  for (std::size_t i = 0; i < req.messages.size(); ++i) {
    const Message& m = req.messages[i];
    const int mi = static_cast<int>(i);
    b.begin_message(mi, m.role);
    Source head;
    head.message = mi;
    head.path = "$.messages[" + std::to_string(i) + "]";
    const bool result_role = m.role == "function" || m.role == "tool";
    // Function results and calls were measured on gpt-3.5-turbo (cl100k) only.
    const bool measured_functions = rules.encoding == "cl100k_base" && !mu && !v0;
    const bool u = mu || m.role == "developer" || m.role == "tool" || (result_role && !measured_functions);
    std::size_t text_parts = 0;
    for (const ContentPart& p : m.content) text_parts += p.type != ContentPart::Type::kImageUrl;
    const bool pad = has_tools && mi == first_system;  // hmarr: "\n" after the first system message

    if (result_role) {
      // Function results: openai-chat-tokens measured 3 + role + content (+ name + 1) - 2;
      // laid out as "<|im_start|>{role}[:{name}]" then the content. tool messages: the same
      // rule (assumed), with tool_call_id not counted.
      const char* rule = m.role == "function" ? "hmarr:function_message" : "tokcount:tool_message_as_function";
      b.special(fmt.start, SegmentKind::kFormat, Bucket::kMessageFormat, head, rule, u);
      b.text(m.role, SegmentKind::kRole, Bucket::kMessageFormat, head, rule, u);
      if (m.name) b.text(":" + *m.name, SegmentKind::kName, Bucket::kMessageName, head, rule, u);
    } else {
      open(m.role, m.name, Bucket::kMessageFormat, Bucket::kMessageName, head, u);
      if (prelude && mi == first_system) emit_prelude(true);
    }
    bool padded = false;
    std::size_t text_seen = 0;
    for (std::size_t j = 0; j < m.content.size(); ++j) {
      const ContentPart& p = m.content[j];
      Source src;
      src.message = mi;
      src.part = m.content_is_string ? -1 : static_cast<int>(j);
      src.path = content_path(mi, m, j);
      if (p.type == ContentPart::Type::kImageUrl) {
        ImageInfo info = count_image(p.image, rules, opts, model, src.path);
        info.message = mi;
        info.part = src.part;
        b.image(info.tokens, image_hash(p.image), src, "image:" + info.method, info.uncertain);
        b.result().breakdown.images.push_back(std::move(info));
        continue;
      }
      ++text_seen;
      const bool last_text = text_seen == text_parts;
      const bool part_u = u || text_parts > 1 || p.type == ContentPart::Type::kRefusal;
      if (pad && last_text) {
        b.text(p.text + "\n", SegmentKind::kText, Bucket::kMessageText, src, "hmarr:system_newline_pad", true);
        padded = true;
      } else {
        b.text(p.text, SegmentKind::kText, Bucket::kMessageText, src, "message:content", part_u);
      }
    }
    if (pad && !padded) b.text("\n", SegmentKind::kText, Bucket::kMessageText, head, "hmarr:system_newline_pad", true);
    if (!result_role) close(Bucket::kMessageFormat, head, u);

    // Calls: openai-chat-tokens measured + name + arguments + 3 for a function_call; the
    // same per tool call (assumed). Laid out as "<|im_start|>{name}<|im_sep|>{arguments}<|im_end|>".
    auto emit_call = [&](const ToolCall& c, int index, const std::string& path, bool call_u, const char* rule) {
      Source src;
      src.message = mi;
      src.tool_call = index;
      src.path = path;
      b.special(fmt.start, SegmentKind::kFormat, Bucket::kMessageFormat, src, rule, call_u);
      b.text(c.name, SegmentKind::kToolCall, Bucket::kMessageText, src, rule, call_u);
      b.special(fmt.sep, SegmentKind::kFormat, Bucket::kMessageFormat, src, rule, call_u);
      b.text(c.arguments, SegmentKind::kToolCall, Bucket::kMessageText, src, rule, call_u);
      b.special(fmt.end, SegmentKind::kFormat, Bucket::kMessageFormat, src, rule, call_u);
    };
    if (m.function_call)
      emit_call(*m.function_call, -1, head.path + ".function_call", !measured_functions, "hmarr:function_call");
    for (std::size_t k = 0; k < m.tool_calls.size(); ++k)
      emit_call(m.tool_calls[k], static_cast<int>(k), head.path + ".tool_calls[" + std::to_string(k) + "].function",
                true, "tokcount:tool_call_as_function_call");
  }
  Source none;
  b.special(fmt.start, SegmentKind::kPriming, Bucket::kPriming, none, "cookbook:reply_priming", mu);
  b.text("assistant", SegmentKind::kPriming, Bucket::kPriming, none, "cookbook:reply_priming", mu);
  if (v0) b.text("\n", SegmentKind::kPriming, Bucket::kPriming, none, "cookbook:reply_priming", mu);
  else b.special(fmt.sep, SegmentKind::kPriming, Bucket::kPriming, none, "cookbook:reply_priming", mu);
  return b.take();
}

}  // namespace

ChatRules model_chat_rules(std::string_view model, std::string_view fallback_encoding) {
  ChatRules rules;
  std::string enc_name;
  try {
    enc_name = Encoding::encoding_name_for_model(model);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kUnknownModel) throw;
  }
  const std::string_view m = strip_ft(model);
  const bool documented = contains(m, "gpt-3.5-turbo") || contains(m, "gpt-35-turbo") || contains(m, "gpt-4o") ||
                          contains(m, "chatgpt-4o") || family(m, "gpt-4") || starts_with(m, "gpt-4-");
  const bool assumed = starts_with(m, "gpt-4.1") || starts_with(m, "gpt-4.5") || starts_with(m, "gpt-5") ||
                       family(m, "o1") || family(m, "o3") || family(m, "o4-mini") || starts_with(m, "gpt-oss");
  if (enc_name.empty() || (!documented && !assumed)) {
    if (fallback_encoding.empty()) {
      throw Error(ErrorCode::kUnknownModel,
                  enc_name.empty()
                      ? "model '" + std::string(model) +
                            "' has no tiktoken encoding and no chat rules; give an explicit fallback encoding (--encoding)"
                      : "model '" + std::string(model) + "' is not a chat model with known rules; give an explicit "
                                                         "fallback encoding (--encoding) to count it anyway");
    }
    Encoding::get(fallback_encoding);  // kUnknownEncoding for a bad name
    rules.encoding = std::string(fallback_encoding);
    rules.fallback = true;
    rules.message_rules_uncertain = true;
  } else {
    rules.encoding = enc_name;
    rules.message_rules_uncertain = !documented;
  }
  if (rules.encoding == "o200k_harmony") {
    rules.format = ChatFormat::kHarmony;
    rules.message_rules_uncertain = false;
  } else if (contains(m, "gpt-3.5-turbo-0301") || contains(m, "gpt-35-turbo-0301")) {
    rules.format = ChatFormat::kChatMl0301;
  }
  apply_image_rule(model, rules);
  return rules;
}

Result render(const Request& request, const Options& options) {
  const std::string model = options.model.empty() ? request.model : options.model;
  if (model.empty()) throw Error(ErrorCode::kInvalidArgument, "the request has no \"model\" and none was given");
  const ChatRules rules = model_chat_rules(model, options.encoding);
  Result r = rules.format == ChatFormat::kHarmony ? detail::render_chat_as_harmony(request, options, rules)
                                                  : render_chatml(request, options, rules, model);
  r.model = model;
  r.format = rules.format;
  r.max_output_tokens = request.max_output_tokens;
  r.n = request.n;
  if (rules.fallback)
    r.warnings.insert(r.warnings.begin(), "model '" + model + "' is unknown: counted with the fallback encoding " +
                                              rules.encoding + " and the default chat rules (uncertain)");
  else if (!options.encoding.empty() && options.encoding != rules.encoding)
    r.warnings.push_back("fallback encoding " + options.encoding + " not used: tiktoken maps '" + model + "' to " +
                         rules.encoding);
  return r;
}

Result render_json(std::string_view body, const Options& options) { return render(parse_request(body), options); }

std::string render_text(const Result& result) {
  const EncodingPtr enc = Encoding::get(result.encoding);
  EncodingPtr harmony;
  std::string out;
  std::vector<Rank> run;
  auto flush = [&] {
    if (!run.empty()) out += enc->decode(run);
    run.clear();
  };
  for (const Segment& s : result.segments) {
    if (s.end > s.begin && is_synthetic(result.tokens[s.begin])) {
      flush();
      out += std::string(s.kind == SegmentKind::kImage ? "<|image:" : "<|overhead:") + std::to_string(s.end - s.begin) + "|>";
      continue;
    }
    for (std::size_t i = s.begin; i < s.end; ++i) {
      const Rank t = result.tokens[i];
      bool known = !is_synthetic(t);
      if (known) {
        try {
          (void)enc->token_bytes(t);
        } catch (const Error&) {
          known = false;  // a format token of the layout that this encoding does not define
        }
      }
      if (known) {
        run.push_back(t);
        continue;
      }
      flush();
      if (t == 100264) out += "<|im_start|>";
      else if (t == 100265) out += "<|im_end|>";
      else if (t == 100266) out += "<|im_sep|>";
      else {
        if (!harmony) harmony = Encoding::get("o200k_harmony");
        if (harmony->is_special_token(t)) out += harmony->token_bytes(t);
        else out += "<|" + std::to_string(t) + "|>";
      }
    }
  }
  flush();
  return out;
}

}  // namespace tokcount::chat
