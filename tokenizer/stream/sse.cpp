// SSE event parsing (WHATWG HTML §9.2.6) and Chat Completions stream stitching / counting.
// The chunk format followed here is OpenAI's API reference, "The chat completion chunk object"
// (platform.openai.com/docs/api-reference/chat-streaming) and the streaming guide: every event
// is `data: {chat.completion.chunk}`, the stream ends with `data: [DONE]`, and with
// stream_options.include_usage the last chunk has "choices": [] and a "usage" object.
#include "tokcount/sse.hpp"

#include "chat/json_util.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <utility>

namespace tokcount::sse {

// Ordered, so a usage or error object is passed on with its fields in the order sent.
using json = chat::detail::Json;

std::size_t Event::stream_offset(std::size_t data_pos) const noexcept {
  std::size_t best = offset;
  for (const auto& [in_data, in_stream] : line_starts) {
    if (in_data > data_pos) break;
    best = in_stream + (data_pos - in_data);
  }
  return best;
}

// ---- EventParser -------------------------------------------------------------------------------

EventParser::EventParser(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

void EventParser::feed(std::string_view bytes, const std::function<void(const Event&)>& on_event) {
  std::size_t pos = 0;
  const std::size_t base = offset_;
  offset_ += bytes.size();
  if (after_cr_ && !bytes.empty()) {
    after_cr_ = false;
    if (bytes[0] == '\n') {  // the LF of a CRLF split across reads
      pos = 1;
      partial_offset_ = base + 1;
    }
  }
  while (pos < bytes.size()) {
    const std::size_t eol = bytes.find_first_of("\r\n", pos);
    if (eol == std::string_view::npos) {
      if (event_bytes_ + partial_.size() + (bytes.size() - pos) > max_event_bytes_) {
        throw Error(ErrorCode::kInputTooLarge,
                    "SSE event larger than " + std::to_string(max_event_bytes_) + " bytes", partial_offset_);
      }
      partial_.append(bytes.substr(pos));
      return;
    }
    std::string_view text = bytes.substr(pos, eol - pos);
    std::string joined;
    if (!partial_.empty()) {
      joined = std::move(partial_);
      joined.append(text);
      partial_.clear();
      text = joined;
    }
    std::size_t next = eol + 1;
    if (bytes[eol] == '\r') {
      if (next < bytes.size() && bytes[next] == '\n') {
        ++next;
      } else if (next == bytes.size()) {
        after_cr_ = true;
      }
    }
    const std::size_t line_offset = partial_offset_;
    partial_offset_ = base + next;
    pos = next;
    line(text, line_offset, on_event);
  }
}

void EventParser::line(std::string_view text, std::size_t line_offset,
                       const std::function<void(const Event&)>& on_event) {
  if (!bom_checked_) {
    bom_checked_ = true;
    if (text.starts_with("\xEF\xBB\xBF")) {
      text.remove_prefix(3);
      line_offset += 3;
    }
  }
  if (text.empty()) {  // dispatch
    const bool has_data = !event_.data.empty();
    if (has_data) {
      event_.data.pop_back();  // the "\n" after the last data line
      event_.id = last_id_;
      Event ev = std::move(event_);
      event_ = Event{};
      event_started_ = false;
      event_bytes_ = 0;
      on_event(ev);
      return;
    }
    event_ = Event{};
    event_started_ = false;
    event_bytes_ = 0;
    return;
  }
  event_bytes_ += text.size() + 1;
  if (event_bytes_ > max_event_bytes_) {
    throw Error(ErrorCode::kInputTooLarge, "SSE event larger than " + std::to_string(max_event_bytes_) + " bytes",
                line_offset);
  }
  if (!event_started_) {
    event_started_ = true;
    event_.offset = line_offset;
  }
  if (text[0] == ':') return;  // comment (keep-alives)
  const std::size_t colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value;
  std::size_t value_at = text.size();
  if (colon != std::string_view::npos) {
    value_at = colon + 1;
    if (value_at < text.size() && text[value_at] == ' ') ++value_at;
    value = text.substr(value_at);
  }
  if (field == "data") {
    event_.line_starts.emplace_back(event_.data.size(), line_offset + value_at);
    event_.data.append(value);
    event_.data.push_back('\n');
  } else if (field == "event") {
    event_.type = value.empty() ? "message" : std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = std::string(value);
  } else if (field == "retry") {
    if (!value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        value.size() < 19) {
      retry_ = std::stoull(std::string(value));
    }
  }  // any other field is ignored
}

std::size_t EventParser::finish() {
  // An event without its terminating empty line is not dispatched (the standard's rule).
  std::size_t discarded = partial_.size();
  if (event_started_) discarded += event_bytes_;
  partial_.clear();
  event_ = Event{};
  event_started_ = false;
  event_bytes_ = 0;
  return discarded;
}

// ---- ChatStream ------------------------------------------------------------------------------

std::size_t ChatStreamResult::visible_completion_tokens() const noexcept {
  std::size_t n = 0;
  for (const Choice& c : choices) n += c.visible_tokens();
  return n;
}

namespace {

EncodeOptions plain_text() {  // output text is text: special-token strings in it are ordinary
  EncodeOptions o;
  o.disallowed_special = TokenSet::none();
  return o;
}

bool looks_like_reasoning_model(std::string_view model) {
  for (std::string_view p : {"o1", "o3", "o4", "gpt-5", "gpt-oss"})
    if (model.starts_with(p)) return true;
  return false;
}

}  // namespace

struct ChatStream::Impl {
  struct ToolState {
    std::optional<StreamEncoder> name;
    std::optional<StreamEncoder> arguments;
  };
  struct ChoiceState {
    std::optional<StreamEncoder> content;
    std::optional<StreamEncoder> refusal;
    std::vector<ToolState> tools;  // parallel to Choice::tool_calls
  };

  ChatStreamOptions options;
  EventParser parser;
  ChatStreamResult result;
  std::vector<ChoiceState> states;  // parallel to result.choices
  EncodingPtr enc;
  std::optional<Error> failure;
  bool finished = false;
  std::vector<std::string> notes;

  explicit Impl(ChatStreamOptions o) : options(std::move(o)), parser(options.max_event_bytes) {
    if (options.encoding) {
      enc = options.encoding;
      result.encoding = enc->name();
    }
  }

  [[noreturn]] void malformed(const Event& ev, std::size_t data_pos, const std::string& what) {
    const std::size_t at = ev.stream_offset(data_pos);
    throw Error(ErrorCode::kParseError, "malformed stream frame at byte offset " + std::to_string(at) + ": " + what, at);
  }

  const Encoding& encoding() {
    if (!enc) {
      const std::string& model = !options.model.empty() ? options.model : result.model;
      try {
        if (model.empty()) throw Error(ErrorCode::kUnknownModel, "no model");
        enc = Encoding::for_model(model);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kUnknownModel) throw;
        enc = Encoding::get(options.fallback_encoding);
        result.encoding_from_fallback = true;
      }
      result.encoding = enc->name();
    }
    return *enc;
  }

  StreamEncoder& counter(std::optional<StreamEncoder>& slot) {
    if (!slot) {
      encoding();
      slot.emplace(enc, plain_text());
    }
    return *slot;
  }

  // Adds text to one field: keeps it (if asked) and counts it. Returns the exact count so far.
  std::size_t add(std::optional<StreamEncoder>& slot, std::string& keep, std::string_view text) {
    StreamEncoder& s = counter(slot);
    s.feed(text);
    if (options.keep_text) keep.append(text);
    return s.count();
  }

  std::size_t choice_slot(std::size_t index) {
    auto it = std::lower_bound(result.choices.begin(), result.choices.end(), index,
                               [](const Choice& c, std::size_t i) { return c.index < i; });
    const std::size_t at = static_cast<std::size_t>(it - result.choices.begin());
    if (it == result.choices.end() || it->index != index) {
      Choice c;
      c.index = index;
      result.choices.insert(it, std::move(c));
      states.insert(states.begin() + static_cast<std::ptrdiff_t>(at), ChoiceState{});
    }
    return at;
  }

  static std::size_t index_of(const json& j, const Event& ev, Impl& self, const char* what) {
    const auto it = j.find("index");
    if (it == j.end()) return 0;  // a single choice / tool call may omit it
    if (!it->is_number_unsigned()) self.malformed(ev, 0, std::string(what) + ".index is not a non-negative integer");
    return it->get<std::size_t>();
  }

  static const std::string* string_field(const json& j, const char* key, const Event& ev, Impl& self) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return nullptr;
    if (!it->is_string()) self.malformed(ev, 0, std::string("\"") + key + "\" is not a string");
    return it->get_ptr<const std::string*>();
  }

  void tool_call_delta(Choice& choice, ChoiceState& st, const json& tc, const Event& ev) {
    if (!tc.is_object()) malformed(ev, 0, "a tool_calls entry is not an object");
    const std::size_t index = index_of(tc, ev, *this, "tool_calls[]");
    auto it = std::lower_bound(choice.tool_calls.begin(), choice.tool_calls.end(), index,
                               [](const ToolCall& t, std::size_t i) { return t.index < i; });
    const std::size_t at = static_cast<std::size_t>(it - choice.tool_calls.begin());
    if (it == choice.tool_calls.end() || it->index != index) {
      ToolCall t;
      t.index = index;
      choice.tool_calls.insert(it, std::move(t));
      st.tools.insert(st.tools.begin() + static_cast<std::ptrdiff_t>(at), ToolState{});
    }
    ToolCall& call = choice.tool_calls[at];
    ToolState& ts = st.tools[at];
    if (const std::string* id = string_field(tc, "id", ev, *this); id && !id->empty()) call.id = *id;
    if (const std::string* type = string_field(tc, "type", ev, *this); type && !type->empty()) call.type = *type;
    const auto fn = tc.find("function");
    if (fn != tc.end() && !fn->is_null()) {
      if (!fn->is_object()) malformed(ev, 0, "tool_calls[].function is not an object");
      if (const std::string* name = string_field(*fn, "name", ev, *this)) {
        // The name is kept even without keep_text: it is short and identifies the call.
        StreamEncoder& s = counter(ts.name);
        s.feed(*name);
        call.name += *name;
        call.name_tokens = s.count();
      }
      if (const std::string* args = string_field(*fn, "arguments", ev, *this))
        call.arguments_tokens = add(ts.arguments, call.arguments, *args);
    }
    choice.tool_call_tokens = 0;
    for (const ToolCall& t : choice.tool_calls) choice.tool_call_tokens += t.name_tokens + t.arguments_tokens;
  }

  void chunk(const json& j, const Event& ev) {
    ++result.chunks;
    if (const std::string* v = string_field(j, "id", ev, *this); v && result.id.empty()) result.id = *v;
    if (const std::string* v = string_field(j, "model", ev, *this); v && result.model.empty()) result.model = *v;
    if (const std::string* v = string_field(j, "system_fingerprint", ev, *this); v && result.system_fingerprint.empty())
      result.system_fingerprint = *v;
    const auto choices = j.find("choices");
    if (choices != j.end() && !choices->is_null()) {
      if (!choices->is_array()) malformed(ev, 0, "\"choices\" is not an array");
      for (const json& c : *choices) {
        if (!c.is_object()) malformed(ev, 0, "a choice is not an object");
        const std::size_t slot = choice_slot(index_of(c, ev, *this, "choices[]"));
        Choice& choice = result.choices[slot];
        ChoiceState& st = states[slot];
        if (const std::string* fr = string_field(c, "finish_reason", ev, *this)) choice.finish_reason = *fr;
        const auto delta = c.find("delta");
        if (delta == c.end() || delta->is_null()) continue;
        if (!delta->is_object()) malformed(ev, 0, "\"delta\" is not an object");
        if (const std::string* role = string_field(*delta, "role", ev, *this)) choice.role = *role;
        if (const std::string* text = string_field(*delta, "content", ev, *this)) {
          choice.has_content = true;
          choice.content_tokens = add(st.content, choice.content, *text);
        }
        if (const std::string* text = string_field(*delta, "refusal", ev, *this)) {
          choice.has_refusal = true;
          choice.refusal_tokens = add(st.refusal, choice.refusal, *text);
        }
        const auto tcs = delta->find("tool_calls");
        if (tcs != delta->end() && !tcs->is_null()) {
          if (!tcs->is_array()) malformed(ev, 0, "\"tool_calls\" is not an array");
          for (const json& tc : *tcs) tool_call_delta(choice, st, tc, ev);
        }
      }
    }
    const auto usage = j.find("usage");
    if (usage != j.end() && !usage->is_null()) {
      if (!usage->is_object()) malformed(ev, 0, "\"usage\" is not an object");
      Usage u;
      auto number = [&](const json& obj, const char* key) -> std::optional<std::uint64_t> {
        const auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) return std::nullopt;
        if (!it->is_number_unsigned()) malformed(ev, 0, std::string("usage.") + key + " is not a non-negative integer");
        return it->get<std::uint64_t>();
      };
      u.prompt_tokens = number(*usage, "prompt_tokens").value_or(0);
      u.completion_tokens = number(*usage, "completion_tokens").value_or(0);
      u.total_tokens = number(*usage, "total_tokens").value_or(0);
      if (const auto d = usage->find("completion_tokens_details"); d != usage->end() && d->is_object()) {
        u.reasoning_tokens = number(*d, "reasoning_tokens");
        u.audio_tokens = number(*d, "audio_tokens");
        u.accepted_prediction_tokens = number(*d, "accepted_prediction_tokens");
        u.rejected_prediction_tokens = number(*d, "rejected_prediction_tokens");
      }
      if (const auto d = usage->find("prompt_tokens_details"); d != usage->end() && d->is_object())
        u.cached_tokens = number(*d, "cached_tokens");
      u.json = usage->dump();
      result.usage = std::move(u);
    }
  }

  void event(const Event& ev) {
    ++result.events;
    if (result.done) return;  // nothing follows [DONE] in this format; ignore it
    if (ev.data == "[DONE]") {
      result.done = true;
      return;
    }
    json j;
    if (auto err = chat::detail::try_parse_json(ev.data, j))
      malformed(ev, err->byte_offset, "not JSON (" + err->message + ")");
    if (!j.is_object()) malformed(ev, 0, "the frame is not a JSON object");
    if (const auto err = j.find("error"); err != j.end() && !err->is_null()) {
      ApiError a;
      if (err->is_object()) {
        // An upstream error is reported, never rejected: a non-string message is kept as JSON.
        if (const auto m = err->find("message"); m != err->end() && !m->is_null())
          a.message = m->is_string() ? m->get<std::string>() : m->dump();
        if (const auto t = err->find("type"); t != err->end() && t->is_string()) a.type = *t;
        if (const auto c = err->find("code"); c != err->end()) a.code = c->is_string() ? c->get<std::string>() : c->dump();
      } else if (err->is_string()) {
        a.message = *err;
      }
      a.json = err->dump();
      result.error = std::move(a);
      return;
    }
    if (ev.type != "message") return;  // other event types are not chat completion chunks
    chunk(j, ev);
  }

  void finish() {
    result.discarded_bytes = parser.finish();
    for (std::size_t i = 0; i < result.choices.size(); ++i) {
      Choice& c = result.choices[i];
      ChoiceState& st = states[i];
      auto close = [](std::optional<StreamEncoder>& s, std::size_t& n) {
        if (!s) return;
        s->finish();
        n = s->stable_count();
      };
      close(st.content, c.content_tokens);
      close(st.refusal, c.refusal_tokens);
      c.tool_call_tokens = 0;
      for (std::size_t t = 0; t < c.tool_calls.size(); ++t) {
        close(st.tools[t].name, c.tool_calls[t].name_tokens);
        close(st.tools[t].arguments, c.tool_calls[t].arguments_tokens);
        c.tool_call_tokens += c.tool_calls[t].name_tokens + c.tool_calls[t].arguments_tokens;
      }
    }
  }
};

ChatStream::ChatStream(ChatStreamOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
ChatStream::~ChatStream() = default;
ChatStream::ChatStream(ChatStream&&) noexcept = default;
ChatStream& ChatStream::operator=(ChatStream&&) noexcept = default;

void ChatStream::feed(std::string_view bytes) {
  Impl& m = *impl_;
  if (m.failure) throw *m.failure;
  if (m.finished) throw Error(ErrorCode::kInvalidArgument, "chat stream: feed() after finish()");
  try {
    m.parser.feed(bytes, [&](const Event& ev) { m.event(ev); });
  } catch (const Error& e) {
    m.failure = e;
    throw;
  }
}

void ChatStream::finish() {
  Impl& m = *impl_;
  if (m.failure) throw *m.failure;
  if (m.finished) return;
  m.finished = true;
  m.finish();
}

bool ChatStream::failed() const noexcept { return impl_->failure.has_value(); }

const ChatStreamResult& ChatStream::result() const noexcept { return impl_->result; }

std::size_t ChatStream::completion_tokens() const { return impl_->result.visible_completion_tokens(); }

std::string ChatStream::result_json(int indent) const {
  using ojson = nlohmann::ordered_json;  // fields in the order documented, not sorted
  const Impl& m = *impl_;
  const ChatStreamResult& r = m.result;
  const bool keep = m.options.keep_text;
  ojson out = ojson::object();
  out["id"] = r.id;
  out["model"] = r.model;
  out["encoding"] = r.encoding.empty() ? ojson(nullptr) : ojson(r.encoding);
  const Choice* first = nullptr;
  for (const Choice& c : r.choices)
    if (c.index == 0) first = &c;
  out["content"] = first && first->has_content && keep ? ojson(first->content) : ojson(nullptr);
  out["completion_tokens"] = r.visible_completion_tokens();
  ojson choices = ojson::array();
  bool any_tools = false;
  bool cut = false;
  std::vector<std::string> explain;
  for (const Choice& c : r.choices) {
    ojson jc;
    jc["index"] = c.index;
    jc["role"] = c.role.empty() ? ojson(nullptr) : ojson(c.role);
    jc["content"] = c.has_content && keep ? ojson(c.content) : ojson(nullptr);
    jc["refusal"] = c.has_refusal && keep ? ojson(c.refusal) : ojson(nullptr);
    ojson tools = ojson::array();
    for (const ToolCall& t : c.tool_calls) {
      any_tools = true;
      ojson jt;
      jt["index"] = t.index;
      jt["id"] = t.id;
      jt["type"] = t.type.empty() ? "function" : t.type;
      jt["function"] = {{"name", t.name}, {"arguments", keep ? ojson(t.arguments) : ojson(nullptr)}};
      jt["tokens"] = {{"name", t.name_tokens}, {"arguments", t.arguments_tokens}};
      if (keep) {
        const bool complete = ojson::accept(t.arguments);
        jt["arguments_complete_json"] = complete;
        if (!complete)
          explain.push_back("choice " + std::to_string(c.index) + " tool call " + std::to_string(t.index) +
                            ": the arguments are not complete JSON" +
                            (c.finish_reason == "length" ? " (cut by the token limit)." : "."));
      }
      tools.push_back(std::move(jt));
    }
    jc["tool_calls"] = std::move(tools);
    jc["finish_reason"] = c.finish_reason ? ojson(*c.finish_reason) : ojson(nullptr);
    jc["tokens"] = {{"content", c.content_tokens},
                    {"refusal", c.refusal_tokens},
                    {"tool_calls", c.tool_call_tokens},
                    {"total", c.visible_tokens()}};
    if (!c.finish_reason) cut = true;
    if (c.finish_reason == "length")
      explain.push_back("choice " + std::to_string(c.index) + " stopped at the token limit (finish_reason \"length\").");
    choices.push_back(std::move(jc));
  }
  out["choices"] = std::move(choices);
  out["usage"] = r.usage ? ojson::parse(r.usage->json) : ojson(nullptr);

  // The comparison, with every difference we can name and none we would have to guess.
  const std::size_t visible = r.visible_completion_tokens();
  ojson cmp;
  cmp["visible_completion_tokens"] = visible;
  std::vector<std::string> why;
  why.push_back("completion_tokens counts the visible output: each choice's content, refusal, and tool-call names "
                "and arguments, each encoded as text with " +
                (r.encoding.empty() ? std::string("the model's encoding") : r.encoding) +
                " (special-token text counts as plain text).");
  if (r.encoding_from_fallback)
    why.push_back("The model \"" + (m.options.model.empty() ? r.model : m.options.model) +
                  "\" is not in tiktoken's model table; counted with " + r.encoding + ".");
  if (!r.usage) {
    cmp["reported_completion_tokens"] = nullptr;
    cmp["difference"] = nullptr;
    why.push_back("The stream carried no usage chunk (request it with stream_options: {\"include_usage\": true}); "
                  "there is no reported count to compare with.");
    if (looks_like_reasoning_model(r.model))
      why.push_back("\"" + r.model + "\" is a reasoning model: its reasoning tokens are billed as completion tokens "
                    "but never sent to the client, so the bill can be larger than the visible count.");
  } else {
    const auto reported = static_cast<long long>(r.usage->completion_tokens);
    const long long diff = reported - static_cast<long long>(visible);
    cmp["reported_completion_tokens"] = reported;
    cmp["difference"] = diff;
    cmp["reasoning_tokens"] = r.usage->reasoning_tokens ? ojson(*r.usage->reasoning_tokens) : ojson(nullptr);
    long long unexplained = diff;
    if (r.usage->reasoning_tokens && *r.usage->reasoning_tokens > 0) {
      why.push_back(std::to_string(*r.usage->reasoning_tokens) +
                    " reasoning tokens (usage.completion_tokens_details) are billed as completion tokens but never "
                    "sent to the client.");
      unexplained -= static_cast<long long>(*r.usage->reasoning_tokens);
    } else if (looks_like_reasoning_model(r.model) && !r.usage->reasoning_tokens) {
      why.push_back("\"" + r.model + "\" is a reasoning model and this usage does not break out reasoning tokens; "
                    "hidden reasoning is billed but not shown.");
    }
    if (r.choices.size() > 1)
      why.push_back("usage covers all " + std::to_string(r.choices.size()) +
                    " choices; the visible count is their sum.");
    if (any_tools)
      why.push_back("Tool calls are counted as the text of their names and arguments only; the tokens the model "
                    "generates to frame each call are billed but not shown, so the reported count is expected to "
                    "be larger.");
    if (diff == 0) {
      why.push_back("The reported completion_tokens equal the visible count.");
    } else if (unexplained != 0 && !any_tools) {
      why.push_back(std::to_string(unexplained) +
                    " tokens of the difference are not explained by the stream: the model may have produced a "
                    "tokenization other than tiktoken's canonical one for the same text, or tokens the stream does "
                    "not show. This counter does not guess which.");
    }
    cmp["unexplained"] = unexplained;
  }
  if (!r.done) {
    why.push_back("The stream ended without \"data: [DONE]\".");
    if (cut) why.push_back("A choice has no finish_reason: the stream was cut before the model finished.");
  }
  if (r.discarded_bytes > 0)
    why.push_back(std::to_string(r.discarded_bytes) +
                  " bytes of an event without its terminating blank line were discarded, as the SSE standard says.");
  if (r.error) why.push_back("The server sent an error in the stream: " + r.error->message);
  for (auto& e : explain) why.push_back(std::move(e));
  cmp["explanation"] = why;
  out["usage_comparison"] = std::move(cmp);
  out["done"] = r.done;
  out["events"] = r.events;
  out["chunks"] = r.chunks;
  out["discarded_bytes"] = r.discarded_bytes;
  out["error"] = r.error ? ojson::parse(r.error->json) : ojson(nullptr);
  return out.dump(indent, ' ', false, ojson::error_handler_t::replace);
}

}  // namespace tokcount::sse
