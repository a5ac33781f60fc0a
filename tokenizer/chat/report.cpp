// report_json: the one JSON form of a result, shared by the CLI, the C API and Python.
#include "chat/json_util.hpp"
#include "tokcount/chat.hpp"

namespace tokcount::chat {
namespace {

using detail::Json;

Json money(const std::optional<Money>& m) { return m ? Json(m->amount) : Json(nullptr); }
Json price(const std::optional<Price>& p) { return p ? Json(p->per_million()) : Json(nullptr); }
template <class T>
Json opt(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

}  // namespace

std::string report_json(const Result& r, const CostReport& c, bool include_tokens) {
  Json doc = Json::object();
  doc["model"] = r.model;
  doc["encoding"] = r.encoding;
  doc["format"] = chat_format_name(r.format);
  doc["prompt_tokens"] = r.prompt_tokens;
  doc["uncertain"] = r.uncertain;

  const Breakdown& b = r.breakdown;
  Json messages = Json::array();
  for (const MessageBreakdown& m : b.messages) {
    Json row = Json::object();
    row["index"] = m.index < 0 ? Json(nullptr) : Json(m.index);
    row["role"] = m.role;
    row["text_tokens"] = m.text_tokens;
    row["name_tokens"] = m.name_tokens;
    row["image_tokens"] = m.image_tokens;
    row["format_tokens"] = m.format_tokens;
    row["total"] = m.total;
    row["uncertain"] = m.uncertain;
    messages.push_back(std::move(row));
  }
  Json images = Json::array();
  for (const ImageInfo& i : b.images) {
    Json row = Json::object();
    row["message"] = i.message;
    row["part"] = i.part < 0 ? Json(nullptr) : Json(i.part);
    row["path"] = i.path;
    row["detail"] = i.detail;
    row["method"] = i.method;
    row["width"] = i.width ? Json(i.width) : Json(nullptr);
    row["height"] = i.height ? Json(i.height) : Json(nullptr);
    row["size_source"] = i.size_source.empty() ? Json(nullptr) : Json(i.size_source);
    row["tiles_or_patches"] = i.tiles_or_patches;
    row["tokens"] = i.tokens;
    row["uncertain"] = i.uncertain;
    images.push_back(std::move(row));
  }
  Json breakdown = Json::object();
  breakdown["messages"] = std::move(messages);
  breakdown["tools"] = {{"text_tokens", b.tools_text_tokens},
                        {"format_tokens", b.tools_format_tokens},
                        {"total", b.tools_text_tokens + b.tools_format_tokens},
                        {"uncertain", b.tools_uncertain}};
  breakdown["tool_choice"] = {{"tokens", b.tool_choice_tokens}, {"uncertain", b.tool_choice_uncertain}};
  breakdown["response_format"] = {{"tokens", b.response_format_tokens}, {"uncertain", b.response_format_uncertain}};
  breakdown["reply_priming"] = {{"tokens", b.priming_tokens}, {"uncertain", b.priming_uncertain}};
  breakdown["images"] = std::move(images);
  doc["breakdown"] = std::move(breakdown);

  if (c.info != nullptr) {
    const ModelInfo& i = *c.info;
    Json cost = Json::object();
    cost["provider"] = i.provider;
    cost["price_model"] = i.model;
    cost["currency"] = i.currency;
    cost["input_per_million"] = price(i.input);
    cost["cached_input_per_million"] = price(i.cached_input);
    cost["output_per_million"] = price(i.output);
    cost["prompt"] = money(c.prompt);
    cost["prompt_all_cached"] = money(c.prompt_all_cached);
    cost["max_output_tokens"] = c.worst_case_output_source.empty() ? Json(nullptr) : Json(c.worst_case_output_tokens);
    cost["max_output_source"] = c.worst_case_output_source.empty() ? Json(nullptr) : Json(c.worst_case_output_source);
    cost["worst_case"] = money(c.worst_case);
    cost["source"] = i.source;
    cost["as_of"] = i.as_of;
    doc["cost"] = std::move(cost);
    Json ctx = Json::object();
    ctx["window"] = opt(i.context_window);
    ctx["model_max_output_tokens"] = opt(i.max_output_tokens);
    ctx["requested_max_output_tokens"] = opt(r.max_output_tokens);
    ctx["n"] = r.n;
    ctx["exceeds"] = c.exceeds_context;
    doc["context"] = std::move(ctx);
  } else {
    doc["cost"] = nullptr;
    doc["context"] = nullptr;
  }
  Json warnings = Json::array();
  for (const std::string& w : r.warnings) warnings.push_back(w);
  for (const std::string& w : c.warnings) warnings.push_back(w);
  doc["warnings"] = std::move(warnings);

  if (include_tokens) {
    doc["tokens"] = r.tokens;
    Json segs = Json::array();
    for (const Segment& s : r.segments) {
      Json row = Json::object();
      row["kind"] = segment_kind_name(s.kind);
      row["begin"] = s.begin;
      row["end"] = s.end;
      row["message"] = s.message < 0 ? Json(nullptr) : Json(s.message);
      row["part"] = s.part < 0 ? Json(nullptr) : Json(s.part);
      row["tool_call"] = s.tool_call < 0 ? Json(nullptr) : Json(s.tool_call);
      row["path"] = s.path.empty() ? Json(nullptr) : Json(s.path);
      row["rule"] = s.rule;
      row["uncertain"] = s.uncertain;
      if (s.content_hash) row["content_hash"] = s.content_hash;
      segs.push_back(std::move(row));
    }
    doc["segments"] = std::move(segs);
  }
  // Text from the request is valid UTF-8 (parsed or encoded strictly), so strict dumping holds.
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace tokcount::chat
