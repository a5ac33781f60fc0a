// The chat part of the C API (tokcount.h, "Chat-format counting"): a skin over
// tokcount::chat. It checks arguments, builds the C++ options, keeps the result alive for the
// accessors and copies out; counting happens in tokenizer/chat/.
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>

#include "capi/capi_internal.hpp"
#include "tokcount/chat.hpp"
#include "tokcount/tokcount.h"

// A result owns everything its accessors point into.
struct tokcount_chat_result {
  tokcount::chat::Result result;
  tokcount::chat::PriceTable prices;  // the table the cost report points into
  tokcount::chat::CostReport cost;
};

namespace {

using namespace tokcount::capi;
namespace chat = tokcount::chat;

const chat::Result& result_arg(const tokcount_chat_result* r) {
  if (r == nullptr) invalid("chat result handle is NULL");
  return r->result;
}

}  // namespace

extern "C" {

tokcount_status tokcount_chat_render(const char* body, size_t len, const tokcount_chat_options* options,
                                     tokcount_chat_result** out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    tokcount_chat_result** dest = &out_arg(out, "output pointer is NULL");
    const std::string_view text = text_arg(body, len, "request body");
    chat::Options opts;
    std::string provider = "openai";
    std::optional<chat::PriceTable> user_prices;
    std::unordered_map<std::string, chat::ImageSize> sizes;
    if (options != nullptr) {
      if (options->flags & ~TOKCOUNT_CHAT_IMAGES_WORST_CASE) invalid("unknown chat flags");
      opts.model = std::string(text_arg(options->model, options->model_len, "model"));
      opts.encoding = std::string(text_arg(options->encoding, options->encoding_len, "encoding"));
      if (options->provider_len) provider = std::string(text_arg(options->provider, options->provider_len, "provider"));
      if (options->prices_json_len)
        user_prices = chat::PriceTable::parse(text_arg(options->prices_json, options->prices_json_len, "prices_json"));
      if (options->image_size_count) {
        if (options->image_sizes == nullptr) invalid("image_sizes is NULL but image_size_count is not 0");
        for (size_t i = 0; i < options->image_size_count; ++i) {
          const tokcount_chat_image_size& s = options->image_sizes[i];
          sizes[std::string(text_arg(s.url, s.url_len, "image size URL"))] = {s.width, s.height};
        }
      }
      if (options->harmony_date_len)
        opts.harmony.conversation_start_date =
            std::string(text_arg(options->harmony_date, options->harmony_date_len, "harmony_date"));
      if (options->flags & TOKCOUNT_CHAT_IMAGES_WORST_CASE) opts.unknown_image_size = chat::UnknownImageSize::kWorstCase;
    }
    if (!sizes.empty())
      opts.image_size = [&sizes](std::string_view url) -> std::optional<chat::ImageSize> {
        const auto it = sizes.find(std::string(url));
        if (it == sizes.end()) return std::nullopt;
        return it->second;
      };
    auto handle = std::make_unique<tokcount_chat_result>();
    handle->result = chat::render_json(text, opts);
    handle->prices = user_prices ? user_prices->overlaid_on(chat::PriceTable::builtin()) : chat::PriceTable::builtin();
    handle->cost = chat::estimate_cost(handle->result, handle->prices, provider);
    *dest = handle.release();
    return TOKCOUNT_OK;
  });
}

void tokcount_chat_result_free(tokcount_chat_result* result) { delete result; }

tokcount_status tokcount_chat_prompt_tokens(const tokcount_chat_result* result, size_t* out_tokens, int* out_uncertain) {
  return guarded([&] {
    const chat::Result& r = result_arg(result);
    size_t& tokens = out_arg(out_tokens, "output pointer is NULL");
    if (out_uncertain != nullptr) *out_uncertain = r.uncertain ? 1 : 0;
    tokens = r.prompt_tokens;
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_chat_tokens(const tokcount_chat_result* result, uint32_t* out, size_t capacity, size_t* out_len) {
  return guarded([&] {
    const chat::Result& r = result_arg(result);
    check_buffer(out, capacity, out_len);
    return copy_out(std::span<const uint32_t>(r.tokens), out, capacity, out_len);
  });
}

tokcount_status tokcount_chat_report_json(const tokcount_chat_result* result, int include_tokens, char* out,
                                          size_t capacity, size_t* out_len) {
  return guarded([&] {
    const chat::Result& r = result_arg(result);
    check_buffer(out, capacity, out_len);
    const std::string json = chat::report_json(r, result->cost, include_tokens != 0);
    return copy_out(std::span<const char>(json), out, capacity, out_len);
  });
}

tokcount_status tokcount_chat_segment_count(const tokcount_chat_result* result, size_t* out_count) {
  return guarded([&] {
    const chat::Result& r = result_arg(result);
    out_arg(out_count, "output pointer is NULL") = r.segments.size();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_chat_segment_at(const tokcount_chat_result* result, size_t index, tokcount_chat_segment* out) {
  return guarded([&] {
    const chat::Result& r = result_arg(result);
    tokcount_chat_segment& seg = out_arg(out, "output pointer is NULL");
    if (index >= r.segments.size()) invalid("segment index out of range");
    const chat::Segment& s = r.segments[index];
    seg.kind = chat::segment_kind_name(s.kind);
    seg.begin = s.begin;
    seg.end = s.end;
    seg.message = s.message;
    seg.part = s.part;
    seg.tool_call = s.tool_call;
    seg.path = s.path.c_str();
    seg.path_len = s.path.size();
    seg.rule = s.rule.c_str();
    seg.rule_len = s.rule.size();
    seg.uncertain = s.uncertain ? 1 : 0;
    seg.content_hash = s.content_hash;
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_chat_cost(const tokcount_chat_result* result, const char** out_currency, double* out_prompt,
                                   double* out_worst_case, int* out_exceeds) {
  return guarded([&] {
    result_arg(result);
    const chat::CostReport& c = result->cost;
    if (c.info == nullptr)
      throw tokcount::Error(tokcount::ErrorCode::kUnknownModel,
                            "no price entry for model '" + result->result.model + "'");
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (out_currency != nullptr) *out_currency = c.info->currency.c_str();
    if (out_prompt != nullptr) *out_prompt = c.prompt ? c.prompt->amount : nan;
    if (out_worst_case != nullptr) *out_worst_case = c.worst_case ? c.worst_case->amount : nan;
    if (out_exceeds != nullptr) *out_exceeds = c.exceeds_context ? 1 : 0;
    return TOKCOUNT_OK;
  });
}

}  // extern "C"
