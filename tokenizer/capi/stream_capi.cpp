// C API for streaming (tokcount.h, "Streaming"): a skin over tokcount::StreamEncoder and
// tokcount::StreamDecoder. The handles keep the last call's output so that callers can size
// their buffers with a query before copying.
#include <string>
#include <vector>

#include "capi/capi_internal.hpp"
#include "tokcount/sse.hpp"
#include "tokcount/stream.hpp"
#include "tokcount/tokcount.h"

struct tokcount_stream {
  tokcount::StreamEncoder stream;
  std::vector<tokcount::Rank> last;
};

struct tokcount_sse_stream {
  tokcount::sse::ChatStream stream;
  mutable std::string json;  // the last result_json: the bytes copied out live in the handle
};

struct tokcount_stream_decoder {
  tokcount::StreamDecoder decoder;
  std::string last;
};

namespace {

using namespace tokcount::capi;

tokcount_stream& stream_arg(tokcount_stream* s) {
  if (s == nullptr) invalid("stream handle is NULL");
  return *s;
}
const tokcount_stream& stream_arg(const tokcount_stream* s) {
  if (s == nullptr) invalid("stream handle is NULL");
  return *s;
}
tokcount_sse_stream& sse_arg(tokcount_sse_stream* s) {
  if (s == nullptr) invalid("SSE stream handle is NULL");
  return *s;
}
const tokcount_sse_stream& sse_arg(const tokcount_sse_stream* s) {
  if (s == nullptr) invalid("SSE stream handle is NULL");
  return *s;
}
tokcount_stream_decoder& decoder_arg(tokcount_stream_decoder* d) {
  if (d == nullptr) invalid("stream decoder handle is NULL");
  return *d;
}

}  // namespace

extern "C" {

tokcount_status tokcount_stream_new(const tokcount_encoding* enc, const tokcount_options* options,
                                    tokcount_stream** out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    tokcount_stream*& result = out_arg(out, "output pointer is NULL");
    handle_arg(enc);
    result = new tokcount_stream{tokcount::StreamEncoder(enc->enc, encode_options(options)), {}};
    return TOKCOUNT_OK;
  });
}

void tokcount_stream_free(tokcount_stream* stream) { delete stream; }

tokcount_status tokcount_stream_feed(tokcount_stream* stream, const char* data, size_t len) {
  return guarded([&] {
    tokcount_stream& s = stream_arg(stream);
    const std::string_view bytes = text_arg(data, len, "data is NULL");
    s.last.clear();
    const auto tokens = s.stream.feed(bytes);
    s.last.assign(tokens.begin(), tokens.end());
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_stream_finish(tokcount_stream* stream) {
  return guarded([&] {
    tokcount_stream& s = stream_arg(stream);
    s.last.clear();
    const auto tokens = s.stream.finish();
    s.last.assign(tokens.begin(), tokens.end());
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_stream_reset(tokcount_stream* stream) {
  return guarded([&] {
    tokcount_stream& s = stream_arg(stream);
    s.stream.reset();
    s.last.clear();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_stream_tokens(const tokcount_stream* stream, uint32_t* out, size_t capacity,
                                       size_t* out_len) {
  return guarded([&] {
    const tokcount_stream& s = stream_arg(stream);
    check_buffer(out, capacity, out_len);
    return copy_out<uint32_t>(s.last, out, capacity, out_len);
  });
}

tokcount_status tokcount_stream_count(const tokcount_stream* stream, size_t* out_stable, size_t* out_total) {
  return guarded([&] {
    const tokcount_stream& s = stream_arg(stream);
    if (out_stable != nullptr) *out_stable = s.stream.stable_count();
    if (out_total != nullptr) *out_total = s.stream.count();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_stream_pending_bytes(const tokcount_stream* stream, size_t* out) {
  return guarded([&] {
    const tokcount_stream& s = stream_arg(stream);
    out_arg(out, "output pointer is NULL") = s.stream.pending_bytes();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_stream_set_budget(tokcount_stream* stream, size_t limit) {
  return guarded([&] {
    tokcount_stream& s = stream_arg(stream);
    s.stream.set_budget(limit == TOKCOUNT_NO_OFFSET ? std::nullopt : std::optional<size_t>(limit));
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_stream_budget(const tokcount_stream* stream, int* out_over, size_t* out_crossed_at) {
  return guarded([&] {
    const tokcount_stream& s = stream_arg(stream);
    if (out_over != nullptr) *out_over = s.stream.over_budget() ? 1 : 0;
    if (out_crossed_at != nullptr) *out_crossed_at = s.stream.budget_crossed_at();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_stream_decoder_new(const tokcount_encoding* enc, tokcount_stream_decoder** out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    tokcount_stream_decoder*& result = out_arg(out, "output pointer is NULL");
    handle_arg(enc);
    result = new tokcount_stream_decoder{tokcount::StreamDecoder(enc->enc), {}};
    return TOKCOUNT_OK;
  });
}

void tokcount_stream_decoder_free(tokcount_stream_decoder* decoder) { delete decoder; }

tokcount_status tokcount_stream_decoder_feed(tokcount_stream_decoder* decoder, const uint32_t* tokens, size_t count) {
  return guarded([&] {
    tokcount_stream_decoder& d = decoder_arg(decoder);
    const auto ids = tokens_arg(tokens, count);
    d.last = d.decoder.feed(ids);
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_stream_decoder_finish(tokcount_stream_decoder* decoder) {
  return guarded([&] {
    tokcount_stream_decoder& d = decoder_arg(decoder);
    d.last = d.decoder.finish();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_stream_decoder_text(const tokcount_stream_decoder* decoder, char* out, size_t capacity,
                                             size_t* out_len) {
  return guarded([&] {
    if (decoder == nullptr) invalid("stream decoder handle is NULL");
    check_buffer(out, capacity, out_len);
    return copy_out<char>(decoder->last, out, capacity, out_len);
  });
}

tokcount_status tokcount_sse_stream_new(const tokcount_encoding* enc, const char* model, size_t model_len,
                                        int keep_text, tokcount_sse_stream** out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    tokcount_sse_stream*& result = out_arg(out, "output pointer is NULL");
    tokcount::sse::ChatStreamOptions options;
    if (enc != nullptr) {
      handle_arg(enc);
      options.encoding = enc->enc;
    }
    options.model = std::string(text_arg(model, model_len, "model is NULL"));
    options.keep_text = keep_text != 0;
    result = new tokcount_sse_stream{tokcount::sse::ChatStream(std::move(options)), {}};
    return TOKCOUNT_OK;
  });
}

void tokcount_sse_stream_free(tokcount_sse_stream* stream) { delete stream; }

tokcount_status tokcount_sse_stream_feed(tokcount_sse_stream* stream, const char* data, size_t len) {
  return guarded([&] {
    tokcount_sse_stream& s = sse_arg(stream);
    s.stream.feed(text_arg(data, len, "data is NULL"));
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_sse_stream_finish(tokcount_sse_stream* stream) {
  return guarded([&] {
    sse_arg(stream).stream.finish();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_sse_stream_completion_tokens(const tokcount_sse_stream* stream, size_t* out) {
  return guarded([&] {
    const tokcount_sse_stream& s = sse_arg(stream);
    out_arg(out, "output pointer is NULL") = s.stream.completion_tokens();
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_sse_stream_usage(const tokcount_sse_stream* stream, int* out_has_usage, uint64_t* out_prompt,
                                          uint64_t* out_completion, uint64_t* out_reasoning) {
  return guarded([&] {
    const tokcount_sse_stream& s = sse_arg(stream);
    int& has = out_arg(out_has_usage, "usage flag pointer is NULL");
    const auto& usage = s.stream.result().usage;
    has = usage ? 1 : 0;
    if (out_prompt != nullptr) *out_prompt = usage ? usage->prompt_tokens : 0;
    if (out_completion != nullptr) *out_completion = usage ? usage->completion_tokens : 0;
    if (out_reasoning != nullptr)
      *out_reasoning = usage && usage->reasoning_tokens ? *usage->reasoning_tokens : UINT64_MAX;
    return TOKCOUNT_OK;
  });
}

tokcount_status tokcount_sse_stream_result_json(const tokcount_sse_stream* stream, char* out, size_t capacity,
                                                size_t* out_len) {
  return guarded([&] {
    const tokcount_sse_stream& s = sse_arg(stream);
    check_buffer(out, capacity, out_len);
    // Rebuilt on every call: between a size query and the copy the result changes only if the
    // caller feeds in between, and then the query must be repeated anyway.
    s.json = s.stream.result_json(-1);
    return copy_out<char>(s.json, out, capacity, out_len);
  });
}

}  // extern "C"
