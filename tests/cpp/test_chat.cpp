// Chat-format counting: every measured example (tests/fixtures/chat/measured.json), the rules
// one by one, images, harmony, prices, errors, and the invariants of a render.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "chat/json_util.hpp"
#include "chat/typescript.hpp"
#include "tokcount/chat.hpp"

namespace chat = tokcount::chat;
using chat::detail::Json;
using tokcount::ErrorCode;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Json& measured() {
  static const Json doc = Json::parse(read_file(std::string(TOKCOUNT_SOURCE_DIR) + "/tests/fixtures/chat/measured.json"));
  return doc;
}

chat::Result render(const std::string& body, const chat::Options& o = {}) { return chat::render_json(body, o); }

// Segments tile the tokens in order; the breakdown adds up to prompt_tokens.
void expect_consistent(const chat::Result& r) {
  EXPECT_EQ(r.prompt_tokens, r.tokens.size());
  std::size_t at = 0;
  for (const chat::Segment& s : r.segments) {
    EXPECT_EQ(s.begin, at);
    EXPECT_LT(s.begin, s.end);
    at = s.end;
  }
  EXPECT_EQ(at, r.tokens.size());
  const chat::Breakdown& b = r.breakdown;
  std::size_t sum = b.tools_text_tokens + b.tools_format_tokens + b.tool_choice_tokens + b.response_format_tokens +
                    b.priming_tokens;
  for (const chat::MessageBreakdown& m : b.messages) {
    EXPECT_EQ(m.total, m.text_tokens + m.name_tokens + m.image_tokens + m.format_tokens);
    sum += m.total;
  }
  EXPECT_EQ(sum, r.prompt_tokens);
}

std::string user(const std::string& model, const std::string& text) {
  return Json{{"model", model}, {"messages", {{{"role", "user"}, {"content", text}}}}}.dump();
}

std::string data_url_of(const std::string& bytes, const std::string& mime) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return "data:" + mime + ";base64," + out;
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string png_header(std::uint32_t w, std::uint32_t h) {
  return std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(w) + be32(h) + std::string("\x08\x02\0\0\0", 5);
}

}  // namespace

// ---- every measured example ------------------------------------------------------------------

TEST(ChatMeasured, EveryCaseReproduces) {
  const Json& cases = measured()["cases"];
  ASSERT_GE(cases.size(), 40u);
  for (const Json& c : cases) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const chat::Result r = render(c["request"].dump());
    EXPECT_EQ(r.prompt_tokens, c["prompt_tokens"].get<std::size_t>()) << c["source"].get<std::string>();
    expect_consistent(r);
  }
}

TEST(ChatMeasured, CookbookConstantsByModel) {
  // The rules behind 129 / 127 / 124: cl100k 3/1/3, cl100k 0301 4/-1/3, o200k 3/1/3.
  EXPECT_EQ(chat::model_chat_rules("gpt-3.5-turbo-0301").format, chat::ChatFormat::kChatMl0301);
  EXPECT_EQ(chat::model_chat_rules("gpt-3.5-turbo-0613").format, chat::ChatFormat::kChatMl);
  EXPECT_EQ(chat::model_chat_rules("gpt-4o").encoding, "o200k_base");
  EXPECT_EQ(chat::model_chat_rules("gpt-4").encoding, "cl100k_base");
  EXPECT_FALSE(chat::model_chat_rules("gpt-4o-mini-2024-07-18").message_rules_uncertain);
  EXPECT_TRUE(chat::model_chat_rules("gpt-4.1").message_rules_uncertain);
  EXPECT_TRUE(chat::model_chat_rules("gpt-5.4").message_rules_uncertain);
  EXPECT_TRUE(chat::model_chat_rules("o3").message_rules_uncertain);
  EXPECT_EQ(chat::model_chat_rules("gpt-oss-20b").format, chat::ChatFormat::kHarmony);
}

// ---- message rules ---------------------------------------------------------------------------

TEST(ChatRules, MessageConstantsAndPriming) {
  // user "hello" on gpt-4o: <|start|> user <|message|> hello <|end|> + <|start|> assistant <|message|>
  const chat::Result r = render(user("gpt-4o", "hello"));
  EXPECT_EQ(r.prompt_tokens, 8u);
  const std::vector<tokcount::Rank> expected = {200006, 1428, 200008, 24912, 200007, 200006, 173781, 200008};
  EXPECT_EQ(r.tokens, expected);
  ASSERT_EQ(r.breakdown.messages.size(), 1u);
  EXPECT_EQ(r.breakdown.messages[0].text_tokens, 1u);
  EXPECT_EQ(r.breakdown.messages[0].format_tokens, 4u);  // start, role, separator, end
  EXPECT_EQ(r.breakdown.priming_tokens, 3u);
  EXPECT_FALSE(r.uncertain);
  EXPECT_EQ(chat::render_text(r), "<|start|>user<|message|>hello<|end|><|start|>assistant<|message|>");
  expect_consistent(r);
}

TEST(ChatRules, Cl100kUsesChatMlIds) {
  const chat::Result r = render(user("gpt-4", "hello"));
  EXPECT_EQ(r.tokens.front(), 100264u);  // <|im_start|>
  EXPECT_EQ(r.tokens[2], 100266u);       // <|im_sep|>
  EXPECT_EQ(r.tokens[4], 100265u);       // <|im_end|>
  EXPECT_EQ(chat::render_text(r), "<|im_start|>user<|im_sep|>hello<|im_end|><|im_start|>assistant<|im_sep|>");
}

TEST(ChatRules, NameAddsOnePlusItsTokens) {
  const std::string with_name =
      R"({"model":"gpt-4o","messages":[{"role":"user","name":"example_user","content":"hello"}]})";
  const chat::Result a = render(user("gpt-4o", "hello"));
  const chat::Result b = render(with_name);
  const auto enc = tokcount::Encoding::get("o200k_base");
  EXPECT_EQ(b.prompt_tokens, a.prompt_tokens + 1 + enc->count_ordinary("example_user"));
  EXPECT_EQ(b.breakdown.messages[0].name_tokens, 1 + enc->count_ordinary("example_user"));
}

TEST(ChatRules, V0301NameReplacesRole) {
  const auto enc = tokcount::Encoding::get("cl100k_base");
  const chat::Result r =
      render(R"({"model":"gpt-3.5-turbo-0301","messages":[{"role":"system","name":"example_user","content":"hi"}]})");
  // 4 + name + content (the role is omitted), + 3 priming
  EXPECT_EQ(r.prompt_tokens, 4 + enc->count_ordinary("example_user") + 1 + 3);
  EXPECT_EQ(chat::render_text(r), "<|im_start|>example_user\nhi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatRules, SpecialTokenTextIsPlainText) {
  const chat::Result r = render(user("gpt-4o", "<|endoftext|>"));
  const auto enc = tokcount::Encoding::get("o200k_base");
  EXPECT_EQ(r.prompt_tokens, 7 + enc->count_ordinary("<|endoftext|>"));
}

TEST(ChatRules, MultipleTextPartsAreEncodedSeparatelyAndUncertain) {
  const chat::Result r = render(
      R"({"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"hello"},{"type":"text","text":" world"}]}]})");
  EXPECT_EQ(r.prompt_tokens, 7u + 1 + 1);
  EXPECT_TRUE(r.breakdown.messages[0].uncertain);
  ASSERT_GE(r.segments.size(), 4u);
  bool found = false;
  for (const chat::Segment& s : r.segments)
    if (s.path == "$.messages[0].content[1].text") {
      found = true;
      EXPECT_EQ(s.part, 1);
      EXPECT_EQ(s.kind, chat::SegmentKind::kText);
    }
  EXPECT_TRUE(found);
}

TEST(ChatRules, DeveloperRoleAndNewerModelsAreUncertain) {
  EXPECT_TRUE(render(R"({"model":"gpt-4o","messages":[{"role":"developer","content":"x"}]})").uncertain);
  const chat::Result r = render(user("gpt-4.1", "hello"));
  EXPECT_EQ(r.prompt_tokens, 8u);
  EXPECT_TRUE(r.uncertain);
  EXPECT_TRUE(r.breakdown.priming_uncertain);
}

// ---- tools -----------------------------------------------------------------------------------

TEST(ChatTools, NineOverheadWithoutSystemFiveMergedWithSystemPad) {
  const auto enc = tokcount::Encoding::get("o200k_base");
  const std::string fn = R"({"type":"function","function":{"name":"foo","parameters":{"type":"object","properties":{}}}})";
  const std::string block = "namespace functions {\n\ntype foo = () => any;\n\n} // namespace functions";
  const chat::Result no_sys = render(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hello"}],"tools":[)" + fn + "]}");
  EXPECT_EQ(no_sys.prompt_tokens, 8 + enc->count_ordinary(block) + 9);
  EXPECT_EQ(no_sys.breakdown.tools_text_tokens, enc->count_ordinary(block));
  EXPECT_EQ(no_sys.breakdown.tools_format_tokens, 9u);
  EXPECT_TRUE(no_sys.breakdown.tools_uncertain);
  const chat::Result sys = render(
      R"({"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hello"}],"tools":[)" + fn + "]}");
  const std::size_t plain = render(R"({"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hello"}]})").prompt_tokens;
  EXPECT_EQ(sys.prompt_tokens, plain + enc->count_ordinary(block) + 5 - enc->count_ordinary("Be brief.") +
                                   enc->count_ordinary("Be brief.\n"));
  // The tools come first: before the system text, as the provider orders its cache prefix.
  std::size_t tools_at = 0, system_text_at = 0;
  for (const chat::Segment& s : sys.segments) {
    if (s.kind == chat::SegmentKind::kTools && tools_at == 0) tools_at = s.begin;
    if (s.kind == chat::SegmentKind::kText && s.message == 0) system_text_at = s.begin;
  }
  EXPECT_LT(tools_at, system_text_at);
  expect_consistent(sys);
}

TEST(ChatTools, HmarrTypescriptDialect) {
  const chat::Result r = render(R"({"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"hello"}],
    "functions":[{"name":"bing_bong","description":"Do a bing bong","parameters":{"type":"object","properties":{
      "foo":{"type":"string"},"bar":{"type":"number","description":"A number"},
      "o":{"type":"object","properties":{"x":{"type":"string","enum":["a","b"],"description":"nested: not shown"},"n":{"type":"integer","enum":[1,2.5]}}},
      "arr":{"type":"array","items":{"type":"boolean"}},"any":{"type":"array"}},"required":["bar"]}}]})");
  const std::string text = chat::render_text(r);
  const std::string block =
      "namespace functions {\n\n// Do a bing bong\ntype bing_bong = (_: {\nfoo?: string,\n// A number\nbar: number,\n"
      "o?: {\n  x?: \"a\" | \"b\",\n  n?: 1 | 2.5,\n},\narr?: boolean[],\nany?: any[],\n}) => any;\n\n} // namespace functions";
  EXPECT_NE(text.find(block), std::string::npos) << text;
}

TEST(ChatTools, ToolChoiceOverheads) {
  const auto enc = tokcount::Encoding::get("o200k_base");
  const std::string base = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hello"}],"tools":[{"type":"function","function":{"name":"get_weather"}}])";
  const std::size_t plain = render(base + "}").prompt_tokens;
  EXPECT_EQ(render(base + R"(,"tool_choice":"auto"})").prompt_tokens, plain);
  EXPECT_EQ(render(base + R"(,"tool_choice":"none"})").prompt_tokens, plain + 1);
  const chat::Result named = render(base + R"(,"tool_choice":{"type":"function","function":{"name":"get_weather"}}})");
  EXPECT_EQ(named.prompt_tokens, plain + 7 + enc->count_ordinary("get_weather"));
  EXPECT_EQ(named.breakdown.tool_choice_tokens, 7 + enc->count_ordinary("get_weather"));
  const chat::Result required = render(base + R"(,"tool_choice":"required"})");
  EXPECT_EQ(required.prompt_tokens, plain);
  EXPECT_TRUE(required.breakdown.tool_choice_uncertain);
  // Legacy function_call {name}: + 4 + name (openai-chat-tokens).
  const std::string legacy = R"({"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"hello"}],"functions":[{"name":"foo"}])";
  EXPECT_EQ(render(legacy + R"(,"function_call":{"name":"foo"}})").prompt_tokens, render(legacy + "}").prompt_tokens + 5);
}

TEST(ChatTools, ToolCallsAndResults) {
  const auto enc = tokcount::Encoding::get("o200k_base");
  const chat::Result r = render(R"({"model":"gpt-4o","messages":[
    {"role":"user","content":"weather?"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
    {"role":"tool","tool_call_id":"c1","content":"sunny"}]})");
  const std::size_t user_msg = 3 + 1 + enc->count_ordinary("weather?");
  const std::size_t assistant = 3 + 1 + 3 + enc->count_ordinary("get_weather") + enc->count_ordinary(R"({"city":"Paris"})");
  const std::size_t tool = 1 + 1 + enc->count_ordinary("sunny");
  EXPECT_EQ(r.prompt_tokens, user_msg + assistant + tool + 3);
  EXPECT_TRUE(r.breakdown.messages[1].uncertain);
  EXPECT_TRUE(r.breakdown.messages[2].uncertain);
  bool call_seen = false;
  for (const chat::Segment& s : r.segments)
    if (s.kind == chat::SegmentKind::kToolCall) {
      call_seen = true;
      EXPECT_EQ(s.tool_call, 0);
      EXPECT_EQ(s.path, "$.messages[1].tool_calls[0].function");
    }
  EXPECT_TRUE(call_seen);
  expect_consistent(r);
}

TEST(ChatTools, FunctionMessagesAreMeasuredOnGpt35Only) {
  const std::string msgs = R"(,"messages":[{"role":"user","content":"hello world"},{"role":"function","name":"do_stuff","content":"{}"}]})";
  const chat::Result old = render(R"({"model":"gpt-3.5-turbo")" + msgs);
  EXPECT_EQ(old.prompt_tokens, 15u);  // openai-chat-tokens, API-validated
  EXPECT_FALSE(old.uncertain);
  EXPECT_TRUE(render(R"({"model":"gpt-4o")" + msgs).uncertain);
}

TEST(ChatTools, ResponseFormatSchemaIsRenderedAndUncertain) {
  const chat::Result r = render(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],
    "response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}})");
  EXPECT_GT(r.breakdown.response_format_tokens, 4u);
  EXPECT_TRUE(r.breakdown.response_format_uncertain);
  EXPECT_NE(chat::render_text(r).find(R"(# Response Formats

## answer

{"type":"object","properties":{"a":{"type":"string"}}})"),
            std::string::npos);
  EXPECT_EQ(render(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}})").prompt_tokens,
            render(user("gpt-4o", "hi")).prompt_tokens);
}

// ---- images ----------------------------------------------------------------------------------

TEST(ChatImages, TileMethodDocsAndMeasurements) {
  EXPECT_EQ(chat::tile_image_tokens(1024, 1024, 85, 170).tokens, 765u);   // docs
  EXPECT_EQ(chat::tile_image_tokens(2048, 4096, 85, 170).tokens, 1105u);  // docs
  EXPECT_EQ(chat::tile_image_tokens(1, 1, 85, 170).tokens, 255u);         // no upscaling (measured)
  EXPECT_EQ(chat::tile_image_tokens(1126, 488, 85, 170).tokens, 595u);    // measured
  EXPECT_EQ(chat::tile_image_tokens(1126, 488, 2833, 5667).tokens, 19834u);
  // Rounding after the 2048 fit is to nearest (gpt-4.1, forum-measured 1453 / 773 with 8 text tokens).
  EXPECT_EQ(chat::tile_image_tokens(2049, 513, 85, 170).tiles_or_patches, 8u);
  EXPECT_EQ(chat::tile_image_tokens(2049, 513, 85, 170).tokens, 1453u - 8);
  EXPECT_EQ(chat::tile_image_tokens(2050, 513, 85, 170).tiles_or_patches, 4u);
  EXPECT_EQ(chat::tile_image_tokens(2050, 513, 85, 170).tokens, 773u - 8);
  // A tie goes to even: gpt-image-1 1024x1025 -> 512x512.5 -> 512 -> 1 tile.
  EXPECT_EQ(chat::tile_image_tokens(1024, 1025, 65, 129, 512).tiles_or_patches, 1u);
  // Portrait images scale the long side (not LangChain's bug): 1000x2000 -> 768x1536 = 6 tiles.
  EXPECT_EQ(chat::tile_image_tokens(1000, 2000, 85, 170).tiles_or_patches, 6u);
  // Never upscaled (not LiteLLM's 1000x500 -> 1536x768): 2 tiles.
  EXPECT_EQ(chat::tile_image_tokens(1000, 500, 85, 170).tiles_or_patches, 2u);
}

TEST(ChatImages, PatchMethodInIntegers) {
  EXPECT_EQ(chat::patch_image_tokens(1024, 1024, 1000).tiles_or_patches, 1024u);  // docs
  EXPECT_EQ(chat::patch_image_tokens(1800, 2400, 1000).tiles_or_patches, 1452u);  // docs (1056x1408)
  EXPECT_EQ(chat::patch_image_tokens(4000, 1474, 1000).tiles_or_patches, 1449u);  // formula in the disputed case
  EXPECT_EQ(chat::patch_image_tokens(1024, 1024, 1620).tokens, 1659u);            // 1658.88 rounded
  EXPECT_EQ(chat::patch_image_tokens(1536, 1024, 1200).tokens, 1843u);            // 1536 x 1.2, billed 1843
  EXPECT_EQ(chat::patch_image_tokens(1536, 1024, 1620).tokens, 2488u);            // 1536 x 1.62, billed 2488
  EXPECT_EQ(chat::patch_image_tokens(8000, 8000, 1000).tiles_or_patches, 1521u);  // 39 x 39: the budget is a cap
}

TEST(ChatImages, HeadersWithoutDecoding) {
  std::string fmt;
  auto png = chat::image_size_from_bytes(png_header(1126, 488), &fmt);
  ASSERT_TRUE(png);
  EXPECT_EQ(png->width, 1126u);
  EXPECT_EQ(png->height, 488u);
  EXPECT_EQ(fmt, "png");
  auto gif = chat::image_size_from_bytes(std::string("GIF89a\x10\x02\x20\x01", 10), &fmt);
  ASSERT_TRUE(gif);
  EXPECT_EQ(gif->width, 0x210u);
  EXPECT_EQ(gif->height, 0x120u);
  EXPECT_EQ(fmt, "gif");
  // JPEG: SOI, an APP1 segment of 300 bytes, then SOF0 (height 600, width 800).
  std::string jpeg = "\xFF\xD8\xFF\xE1";
  jpeg += std::string("\x01\x2E", 2) + std::string(300, 'x');
  jpeg += std::string("\xFF\xC0\x00\x11\x08\x02\x58\x03\x20\x03", 10);
  auto j = chat::image_size_from_bytes(jpeg, &fmt);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->width, 800u);
  EXPECT_EQ(j->height, 600u);
  EXPECT_EQ(fmt, "jpeg");
  // WebP: lossy, lossless, extended.
  const std::string riff = std::string("RIFF\0\0\0\0WEBP", 12);
  auto vp8 = chat::image_size_from_bytes(riff + "VP8 " + std::string(4, '\0') + std::string("\x9d\x01\x2a", 3) +
                                             std::string("\x00\x00\x00", 3) + std::string("\x20\x03\x58\x02", 4),
                                         &fmt);
  // bytes 26..29: width 0x0320 = 800, height 0x0258 = 600
  ASSERT_TRUE(vp8);
  EXPECT_EQ(vp8->width, 800u);
  EXPECT_EQ(vp8->height, 600u);
  const std::uint32_t bits = (800 - 1) | ((600 - 1) << 14);
  std::string vp8l = riff + "VP8L" + std::string(4, '\0') + "\x2f";
  for (int k = 0; k < 4; ++k) vp8l += static_cast<char>((bits >> (8 * k)) & 0xFF);
  auto l = chat::image_size_from_bytes(vp8l, &fmt);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->width, 800u);
  EXPECT_EQ(l->height, 600u);
  std::string vp8x = riff + "VP8X" + std::string(4, '\0') + std::string(4, '\0');
  vp8x += std::string("\x1F\x03\x00\x57\x02\x00", 6);  // 799, 599
  auto x = chat::image_size_from_bytes(vp8x, &fmt);
  ASSERT_TRUE(x);
  EXPECT_EQ(x->width, 800u);
  EXPECT_EQ(x->height, 600u);
  EXPECT_FALSE(chat::image_size_from_bytes("BM not an image"));
  EXPECT_FALSE(chat::image_size_from_bytes(png_header(1, 1).substr(0, 20)));  // cut before the size
}

TEST(ChatImages, DataUrlsAndErrors) {
  auto s = chat::image_size_from_data_url(data_url_of(png_header(640, 480), "image/png"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->width, 640u);
  EXPECT_THROW(chat::image_size_from_data_url("data:image/png;base64,@@@@"), tokcount::Error);
  EXPECT_THROW(chat::image_size_from_data_url("data:image/png,rawbytes"), tokcount::Error);
  EXPECT_FALSE(chat::image_size_from_data_url("https://example.com/a.png"));
}

TEST(ChatImages, ModelRulesAndRemoteImages) {
  const std::string url_req = R"({"model":"gpt-4.1-mini","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/a.png"}}]}]})";
  try {
    render(url_req);
    FAIL() << "a remote image of unknown size must be an error";
  } catch (const tokcount::Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("$.messages[0].content[0].image_url"), std::string::npos);
  }
  chat::Options o;
  o.image_size = [](std::string_view) { return std::optional<chat::ImageSize>(chat::ImageSize{1800, 2400}); };
  const chat::Result r = render(url_req, o);
  ASSERT_EQ(r.breakdown.images.size(), 1u);
  EXPECT_EQ(r.breakdown.images[0].method, "patch");
  EXPECT_EQ(r.breakdown.images[0].tiles_or_patches, 1452u);
  EXPECT_EQ(r.breakdown.images[0].tokens, (1452u * 1620 + 500) / 1000);
  EXPECT_EQ(r.prompt_tokens, 7 + r.breakdown.images[0].tokens);
  chat::Options worst;
  worst.unknown_image_size = chat::UnknownImageSize::kWorstCase;
  const chat::Result w = render(url_req, worst);
  EXPECT_EQ(w.breakdown.images[0].tokens, (1536u * 1620 + 500) / 1000);
  EXPECT_TRUE(w.uncertain);
  // Low detail on a tile model needs no size; a model without an image rule is an error.
  EXPECT_EQ(render(R"({"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/a.png","detail":"low"}}]}]})").prompt_tokens,
            7u + 85);
  EXPECT_THROW(render(R"({"model":"gpt-3.5-turbo","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x","detail":"low"}}]}]})"),
               tokcount::Error);
  EXPECT_EQ(chat::model_chat_rules("gpt-5").image_base, 70u);
  EXPECT_EQ(chat::model_chat_rules("gpt-5-mini").image_method, "patch");
  EXPECT_EQ(chat::model_chat_rules("o4-mini").patch_multiplier_milli, 1720u);
  EXPECT_EQ(chat::model_chat_rules("o3-mini").image_method, "");
  // Different images never render to the same tokens.
  const chat::Result a = render(R"({"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/1","detail":"low"}}]}]})");
  const chat::Result b = render(R"({"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/2","detail":"low"}}]}]})");
  EXPECT_EQ(a.prompt_tokens, b.prompt_tokens);
  EXPECT_NE(a.tokens, b.tokens);
  for (std::size_t i = 3; i < 3 + 85; ++i) EXPECT_TRUE(chat::is_synthetic(a.tokens[i]));  // after start, role, sep
  EXPECT_FALSE(chat::is_synthetic(a.tokens[3 + 85]));
}

// ---- harmony ---------------------------------------------------------------------------------

TEST(ChatHarmony, SimpleConversationIs64TokensAndExact) {
  chat::HarmonyConversation conv;
  chat::HarmonyMessage sys;
  sys.role = "system";
  chat::HarmonyContent sc;
  sc.type = chat::HarmonyContent::Type::kSystem;
  sc.system = chat::HarmonySystemContent::defaults();
  sys.content.push_back(sc);
  chat::HarmonyMessage u;
  u.role = "user";
  u.content.push_back({chat::HarmonyContent::Type::kText, "What is 2 + 2?", {}, {}});
  conv.messages = {sys, u};
  const std::vector<tokcount::Rank> t = chat::render_harmony(conv);
  ASSERT_EQ(t.size(), 64u);
  const std::vector<tokcount::Rank> head = {200006, 17360, 200008, 3575, 553, 17554, 162016, 11, 261, 4410};
  EXPECT_EQ(std::vector<tokcount::Rank>(t.begin(), t.begin() + 10), head);
  const auto enc = tokcount::Encoding::get("o200k_harmony");
  EXPECT_EQ(enc->decode(t),
            "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
            "Knowledge cutoff: 2024-06\n\nReasoning: medium\n\n# Valid channels: analysis, commentary, final. "
            "Channel must be included for every message.<|end|><|start|>user<|message|>What is 2 + 2?<|end|>"
            "<|start|>assistant");
  // The same through a Chat Completions request for gpt-oss.
  const chat::Result r = render(user("gpt-oss-20b", "What is 2 + 2?"));
  EXPECT_EQ(r.tokens, t);
  EXPECT_FALSE(r.uncertain);
  expect_consistent(r);
}

TEST(ChatHarmony, DeveloperToolsCallsAndResults) {
  const chat::Result r = render(R"({"model":"gpt-oss-120b","reasoning_effort":"high","messages":[
    {"role":"system","content":"Use a friendly tone."},
    {"role":"user","content":"What is the weather like in SF?"},
    {"role":"assistant","reasoning_content":"Need to use function get_current_weather.","content":null,
     "tool_calls":[{"id":"c1","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\":\"San Francisco\"}"}}]},
    {"role":"tool","tool_call_id":"c1","content":"{\"sunny\": true, \"temperature\": 20}"}],
    "tools":[{"type":"function","function":{"name":"get_location","description":"Gets the location of the user."}},
      {"type":"function","function":{"name":"get_current_weather","description":"Gets the current weather in the provided location.",
       "parameters":{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},
       "format":{"type":"string","enum":["celsius","fahrenheit"],"default":"celsius"}},"required":["location"]}}}]})",
                                [] {
                                  chat::Options o;
                                  o.harmony.conversation_start_date = "2025-06-28";
                                  return o;
                                }());
  const auto enc = tokcount::Encoding::get("o200k_harmony");
  // The harmony format guide's example, token for token (its last assistant turn is absent:
  // the analysis message stays because the last assistant message is not on `final`).
  EXPECT_EQ(enc->decode(r.tokens),
            "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
            "Knowledge cutoff: 2024-06\nCurrent date: 2025-06-28\n\nReasoning: high\n\n# Valid channels: analysis, "
            "commentary, final. Channel must be included for every message.\nCalls to these tools must go to the "
            "commentary channel: 'functions'.<|end|><|start|>developer<|message|># Instructions\n\nUse a friendly "
            "tone.\n\n# Tools\n\n## functions\n\nnamespace functions {\n\n// Gets the location of the user.\ntype "
            "get_location = () => any;\n\n// Gets the current weather in the provided location.\ntype "
            "get_current_weather = (_: {\n// The city and state, e.g. San Francisco, CA\nlocation: string,\nformat?: "
            "\"celsius\" | \"fahrenheit\", // default: celsius\n}) => any;\n\n} // namespace functions<|end|>"
            "<|start|>user<|message|>What is the weather like in SF?<|end|><|start|>assistant<|channel|>analysis"
            "<|message|>Need to use function get_current_weather.<|end|><|start|>assistant to=functions."
            "get_current_weather<|channel|>commentary <|constrain|>json<|message|>{\"location\":\"San Francisco\"}"
            "<|call|><|start|>functions.get_current_weather to=assistant<|channel|>commentary<|message|>{\"sunny\": "
            "true, \"temperature\": 20}<|end|><|start|>assistant");
  EXPECT_GT(r.breakdown.tools_text_tokens, 50u);
  expect_consistent(r);
}

TEST(ChatHarmony, AnalysisBeforeTheFirstFinalIsDropped) {
  const std::string j = R"({"messages":[
    {"role":"user","content":"q"},
    {"role":"assistant","channel":"analysis","content":"thinking"},
    {"role":"assistant","channel":"final","content":"a1"},
    {"role":"assistant","channel":"analysis","content":"later thought"},
    {"role":"assistant","channel":"final","content":"a2"}]})";
  const auto enc = tokcount::Encoding::get("o200k_harmony");
  const std::string text = enc->decode(chat::render_harmony(chat::parse_harmony_conversation(j)));
  EXPECT_EQ(text.find("thinking"), std::string::npos);
  EXPECT_NE(text.find("later thought"), std::string::npos);
  chat::HarmonyRenderOptions keep;
  keep.auto_drop_analysis = false;
  EXPECT_NE(enc->decode(chat::render_harmony(chat::parse_harmony_conversation(j), keep)).find("thinking"),
            std::string::npos);
}

TEST(ChatHarmony, SchemaToTypescriptRules) {
  using chat::detail::Json;
  // Harmony drops the first oneOf variant's description when the property's own is printed above.
  const Json schema = Json::parse(R"({"type":"object","description":"Top.","properties":{
      "a":{"type":["integer","null"],"title":"A title","examples":["x","y"]},
      "b":{"type":"array","items":{"type":"object","properties":{"c":{"type":"boolean","default":false}}}},
      "d":{"oneOf":[{"type":"string","description":"as text"},{"type":"number","nullable":true,"default":1.0}],"description":"either"},
      "e":{"type":"number","default":1e20},"f":{"type":"string","enum":["p","q"],"default":"p"},"g":{"nullable":true,"type":"string"}},
      "required":["a"]})");
  EXPECT_EQ(chat::detail::harmony_schema_to_typescript(schema, ""),
            "// Top.\n{\n// A title\n//\n// Examples:\n// - \"x\"\n// - \"y\"\na: number | null,\nb?: {\n    c?: boolean, "
            "// default: false\n    }[],\n// either\nd?:\n | string\n | number | null // default: 1.0\n,\n"
            "e?: number, // default: 1e20\nf?: \"p\" | \"q\", // default: p\ng?: string | null,\n}");
}

TEST(ChatHarmony, ErrorsMirrorTheRenderer) {
  EXPECT_THROW(chat::render_harmony(chat::parse_harmony_conversation(R"({"messages":[{"role":"tool","content":"x"}]})")),
               tokcount::Error);
  EXPECT_THROW(chat::parse_harmony_conversation(R"({"messages":[{"role":"wizard","content":"x"}]})"), tokcount::Error);
  EXPECT_THROW(chat::render_harmony(chat::parse_harmony_conversation(
                   R"({"messages":[{"role":"user","content":[{"type":"system_content"}]}]})")),
               tokcount::Error);
  EXPECT_THROW(render(R"({"model":"gpt-oss-20b","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x"}}]}]})"),
               tokcount::Error);
}

// ---- numbers in rendered schemas -------------------------------------------------------------

TEST(ChatJson, SerdeAndJavascriptNumberForms) {
  using chat::detail::js_to_string;
  using chat::detail::serde_json_compact;
  EXPECT_EQ(serde_json_compact(Json::parse("1e20")), "1e20");
  EXPECT_EQ(serde_json_compact(Json::parse("1.0")), "1.0");
  EXPECT_EQ(serde_json_compact(Json::parse("0.5")), "0.5");
  EXPECT_EQ(serde_json_compact(Json::parse("1e16")), "1e16");
  EXPECT_EQ(serde_json_compact(Json::parse("1e15")), "1000000000000000.0");
  EXPECT_EQ(serde_json_compact(Json::parse("0.0001")), "0.0001");
  EXPECT_EQ(serde_json_compact(Json::parse("0.000001")), "1e-6");
  EXPECT_EQ(serde_json_compact(Json::parse("1.5e-7")), "1.5e-7");
  EXPECT_EQ(serde_json_compact(Json::parse(R"({"a":[1,"x\n\u0001"]})")), R"({"a":[1,"x\n\u0001"]})");
  EXPECT_EQ(js_to_string(Json::parse("1.5")), "1.5");
  EXPECT_EQ(js_to_string(Json::parse("1e21")), "1e+21");
  EXPECT_EQ(js_to_string(Json::parse("1e20")), "100000000000000000000");
  EXPECT_EQ(js_to_string(Json::parse("1.5e-7")), "1.5e-7");
  EXPECT_EQ(js_to_string(Json::parse("0.000001")), "0.000001");
  EXPECT_EQ(js_to_string(Json::parse("10")), "10");
}

// ---- errors ----------------------------------------------------------------------------------

TEST(ChatErrors, MalformedJsonIsAParseErrorWithTheOffset) {
  try {
    render(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"},]})");
    FAIL();
  } catch (const tokcount::Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParseError);
    EXPECT_EQ(e.byte_offset(), 61u);  // the ']' after the trailing comma
  }
  try {
    render(std::string(R"({"model":"gpt-4o","messages":[{"role":"user","content":")") + "\xff" + "\"}]}");
    FAIL();
  } catch (const tokcount::Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParseError);
    EXPECT_NE(e.byte_offset(), tokcount::kNoOffset);
  }
  // A number overflowing a double is nlohmann's out_of_range, not parse_error: still typed.
  const std::string overflow = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi","x":1e99999}]})";
  try {
    render(overflow);
    FAIL();
  } catch (const tokcount::Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParseError);
    EXPECT_NE(std::string(e.what()).find("number overflow"), std::string::npos) << e.what();
    const std::size_t number_at = overflow.find("1e99999");
    EXPECT_GE(e.byte_offset(), number_at);
    EXPECT_LE(e.byte_offset(), number_at + 7);
  }
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  try {
    render(deep);
    FAIL();
  } catch (const tokcount::Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParseError);
    EXPECT_EQ(e.byte_offset(), chat::detail::kMaxJsonDepth);
  }
}

TEST(ChatErrors, ShapesNameTheirPath) {
  auto message_of = [](const std::string& body) {
    try {
      render(body);
    } catch (const tokcount::Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message_of(R"({"model":"gpt-4o","messages":[{"content":"x"}]})").find("$.messages[0]"), std::string::npos);
  EXPECT_NE(message_of(R"({"model":"gpt-4o","messages":[{"role":"user","content":5}]})").find("$.messages[0].content"),
            std::string::npos);
  EXPECT_NE(message_of(R"({"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"input_audio"}]}]})")
                .find("$.messages[0].content[0].type"),
            std::string::npos);
  EXPECT_NE(message_of(R"({"model":"gpt-4o","messages":[],"tools":[{"type":"function","function":{"name":"f","parameters":[]}}]})")
                .find("$.tools[0].function.parameters"),
            std::string::npos);
  EXPECT_NE(message_of(R"({"model":"gpt-4o","messages":[],"max_tokens":-1})").find("$.max_tokens"), std::string::npos);
}

TEST(ChatErrors, UnknownModelNeedsAnExplicitFallback) {
  try {
    render(user("my-llama", "hi"));
    FAIL();
  } catch (const tokcount::Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnknownModel);
  }
  EXPECT_THROW(render(user("text-davinci-003", "hi")), tokcount::Error);  // not a chat model
  chat::Options o;
  o.encoding = "cl100k_base";
  const chat::Result r = render(user("my-llama", "hi"), o);
  EXPECT_EQ(r.encoding, "cl100k_base");
  EXPECT_EQ(r.prompt_tokens, 8u);
  EXPECT_TRUE(r.uncertain);
  ASSERT_FALSE(r.warnings.empty());
  chat::Options bad;
  bad.encoding = "nope";
  EXPECT_THROW(render(user("my-llama", "hi"), bad), tokcount::Error);
  chat::Options over;
  over.model = "gpt-4";
  EXPECT_EQ(render(user("gpt-4o", "hi"), over).encoding, "cl100k_base");  // --model overrides the body
}

TEST(ChatStructured, SameAsJson) {
  chat::Request req;
  req.model = "gpt-4o";
  req.messages.push_back(chat::Message::text("system", "You are terse."));
  chat::Message m = chat::Message::text("user", "hello");
  m.name = "bob";
  req.messages.push_back(m);
  chat::FunctionDef f;
  f.name = "lookup";
  f.description = "Look it up";
  f.parameters_json = R"({"type":"object","properties":{"q":{"type":"string"}},"required":["q"]})";
  req.tools.push_back(f);
  const chat::Result a = chat::render(req);
  const chat::Result b = render(R"({"model":"gpt-4o","messages":[{"role":"system","content":"You are terse."},
    {"role":"user","name":"bob","content":"hello"}],"tools":[{"type":"function","function":{"name":"lookup",
    "description":"Look it up","parameters":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}}}]})");
  EXPECT_EQ(a.tokens, b.tokens);
  chat::Request bad = req;
  bad.messages[1].content[0].text = "\xff";
  EXPECT_THROW(chat::render(bad), tokcount::Error);
}

// ---- prices ----------------------------------------------------------------------------------

TEST(ChatPrices, BuiltinTableAndTheIssueExample) {
  const chat::PriceTable& t = chat::PriceTable::builtin();
  const chat::ModelInfo* cny = t.find("gpt-5.4", "example-cny");
  ASSERT_NE(cny, nullptr);
  EXPECT_EQ(cny->currency, "CNY");
  EXPECT_EQ(cny->input->micros, 14400000);
  EXPECT_EQ(cny->output->micros, 115200000);
  EXPECT_EQ(*cny->context_window, 400000u);
  EXPECT_EQ(*cny->max_output_tokens, 64000u);
  for (const chat::ModelInfo& m : t.entries()) EXPECT_FALSE(m.source.empty()) << m.model;
  bool snapshot = false;
  const chat::ModelInfo* dated = t.find("gpt-4o-2024-08-06", "openai", &snapshot);
  ASSERT_NE(dated, nullptr);
  EXPECT_EQ(dated->model, "gpt-4o");
  EXPECT_TRUE(snapshot);
  EXPECT_EQ(t.find("gpt-4o-mini", "openai")->model, "gpt-4o-mini");
  EXPECT_EQ(t.find("gpt-4.1-nano-x", "openai"), nullptr);  // not a dated snapshot
  EXPECT_EQ(chat::cost_of(129, cny->input.value(), "CNY").decimal, "0.0018576");
  EXPECT_EQ(chat::cost_of(1000000, cny->output.value(), "CNY").decimal, "115.2");
}

TEST(ChatPrices, CostWorstCaseAndContext) {
  chat::Result r = render(R"({"model":"gpt-5.4","messages":[{"role":"user","content":"hello"}],"max_completion_tokens":1000,"n":2})");
  chat::CostReport c = chat::estimate_cost(r, chat::PriceTable::builtin(), "example-cny");
  ASSERT_TRUE(c.prompt && c.worst_case);
  EXPECT_EQ(c.prompt->decimal, "0.0001152");  // 8 x 14.40 / 1e6
  EXPECT_EQ(c.worst_case_output_tokens, 2000u);
  EXPECT_EQ(c.worst_case->decimal, "0.2305152");  // + 2000 x 115.20 / 1e6
  EXPECT_FALSE(c.exceeds_context);
  r.prompt_tokens = 340000;  // + 64,000 model maximum > 400,000
  r.max_output_tokens.reset();
  c = chat::estimate_cost(r, chat::PriceTable::builtin(), "example-cny");
  EXPECT_TRUE(c.exceeds_context);
  EXPECT_EQ(c.worst_case_output_source, "model-limit");
  ASSERT_FALSE(c.warnings.empty());
  EXPECT_NE(c.warnings.back().find("exceeds the context window"), std::string::npos);
  r.max_output_tokens = 100000;
  c = chat::estimate_cost(r, chat::PriceTable::builtin(), "example-cny");
  EXPECT_NE(c.warnings.front().find("above the model's limit"), std::string::npos);
}

TEST(ChatPrices, UserTableOverrides) {
  const chat::PriceTable mine = chat::PriceTable::parse(
      R"({"models":[{"model":"gpt-4o","currency":"EUR","input":"2.0","output":8},{"provider":"acme","model":"m1","currency":"USD","input":1}]})");
  const chat::PriceTable t = mine.overlaid_on(chat::PriceTable::builtin());
  EXPECT_EQ(t.find("gpt-4o", "openai")->currency, "EUR");
  EXPECT_EQ(t.find("gpt-4o-mini", "openai")->currency, "USD");
  EXPECT_NE(t.find("m1", "acme"), nullptr);
  EXPECT_THROW(chat::PriceTable::parse(R"({"models":[{"model":"x"}]})"), tokcount::Error);  // no currency
  EXPECT_THROW(chat::PriceTable::parse(R"({"models":[{"model":"x","currency":"USD","input":-1}]})"), tokcount::Error);
  EXPECT_THROW(chat::PriceTable::parse("{"), tokcount::Error);
  EXPECT_THROW(chat::PriceTable::load_file("/nonexistent/prices.json"), tokcount::Error);
}

TEST(ChatReport, JsonCarriesTheFigures) {
  const chat::Result r = render(user("gpt-4o", "hello"));
  const Json j = Json::parse(chat::report_json(r, chat::estimate_cost(r), true));
  EXPECT_EQ(j["prompt_tokens"], 8);
  EXPECT_EQ(j["encoding"], "o200k_base");
  EXPECT_EQ(j["breakdown"]["messages"][0]["total"], 5);
  EXPECT_EQ(j["breakdown"]["reply_priming"]["tokens"], 3);
  EXPECT_EQ(j["cost"]["currency"], "USD");
  EXPECT_DOUBLE_EQ(j["cost"]["prompt"].get<double>(), 8 * 2.5 / 1e6);
  EXPECT_EQ(j["tokens"].size(), 8u);
  EXPECT_EQ(j["segments"][0]["kind"], "format");
}
