// tokcount._tokcount chat functions: a skin over tokcount::chat. Requests and results cross
// as JSON text (the report JSON is the library's own, so Python, the CLI and the C API print
// the same numbers); the GIL is released around rendering. tokcount.chat builds the Python
// objects.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <string>

#include "tokcount/chat.hpp"

namespace py = pybind11;
namespace chat = tokcount::chat;

namespace {

// tokcount.chat.ChatError, set by the Python module at import.
py::object& error_type() {
  static py::object* type = new py::object();  // leaked: outlives interpreter teardown order
  return *type;
}

[[noreturn]] void raise_chat_error(const tokcount::Error& e) {
  py::object offset = e.byte_offset() == tokcount::kNoOffset ? py::none() : py::object(py::int_(e.byte_offset()));
  if (!error_type()) throw py::value_error(e.what());
  py::object exc = error_type()(py::str(e.what()), py::str(tokcount::error_code_name(e.code())), offset);
  PyErr_SetObject(error_type().ptr(), exc.ptr());
  throw py::error_already_set();
}

std::string text_of(const py::handle& h, const char* what) {
  if (py::isinstance<py::bytes>(h)) return h.cast<std::string>();
  if (py::isinstance<py::str>(h)) return h.cast<std::string>();
  throw py::type_error(std::string(what) + " must be str or bytes");
}

struct ChatCall {
  std::string body;
  chat::Options options;
  std::map<std::string, chat::ImageSize> sizes;
  std::string provider = "openai";
  std::string prices_json;
};

ChatCall make_call(const py::handle& body, const std::string& model, const std::string& encoding,
                   const std::string& provider, const std::string& prices_json,
                   const std::map<std::string, std::pair<std::uint32_t, std::uint32_t>>& image_sizes, bool worst_case,
                   const std::string& harmony_date) {
  ChatCall c;
  c.body = text_of(body, "request");
  c.options.model = model;
  c.options.encoding = encoding;
  if (!provider.empty()) c.provider = provider;
  c.prices_json = prices_json;
  for (const auto& [url, wh] : image_sizes) c.sizes[url] = {wh.first, wh.second};
  if (worst_case) c.options.unknown_image_size = chat::UnknownImageSize::kWorstCase;
  if (!harmony_date.empty()) c.options.harmony.conversation_start_date = harmony_date;
  return c;
}

template <class F>
auto without_gil(F&& f) {
  try {
    py::gil_scoped_release release;
    return f();
  } catch (const tokcount::Error& e) {  // the GIL is held again here
    raise_chat_error(e);
  }
}

}  // namespace

void register_chat(py::module_& m) {
  m.def("_chat_set_error_type", [](py::object type) { error_type() = std::move(type); });
  m.def(
      "_chat_report",
      [](py::handle body, const std::string& model, const std::string& encoding, const std::string& provider,
         const std::string& prices_json, const std::map<std::string, std::pair<std::uint32_t, std::uint32_t>>& image_sizes,
         bool worst_case, const std::string& harmony_date, bool include_tokens, bool show) {
        ChatCall c = make_call(body, model, encoding, provider, prices_json, image_sizes, worst_case, harmony_date);
        return without_gil([&] {
          if (!c.sizes.empty())
            c.options.image_size = [&c](std::string_view url) -> std::optional<chat::ImageSize> {
              const auto it = c.sizes.find(std::string(url));
              if (it == c.sizes.end()) return std::nullopt;
              return it->second;
            };
          const chat::Result r = chat::render_json(c.body, c.options);
          if (show) return chat::render_text(r);
          const chat::PriceTable table = c.prices_json.empty()
                                             ? chat::PriceTable::builtin()
                                             : chat::PriceTable::parse(c.prices_json).overlaid_on(chat::PriceTable::builtin());
          return chat::report_json(r, chat::estimate_cost(r, table, c.provider), include_tokens);
        });
      },
      py::arg("body"), py::arg("model"), py::arg("encoding"), py::arg("provider"), py::arg("prices_json"),
      py::arg("image_sizes"), py::arg("worst_case"), py::arg("harmony_date"), py::arg("include_tokens"),
      py::arg("show"), "Renders a Chat Completions request body; the report as JSON (or the rendered text).");
  m.def(
      "_harmony_render",
      [](py::handle conversation, bool auto_drop_analysis, std::optional<std::string> next_turn_role) {
        const std::string text = text_of(conversation, "conversation");
        const std::vector<tokcount::Rank> tokens = without_gil([&] {
          chat::HarmonyRenderOptions o;
          o.auto_drop_analysis = auto_drop_analysis;
          o.next_turn_role = std::move(next_turn_role);
          return chat::render_harmony(chat::parse_harmony_conversation(text), o);
        });
        py::list out(tokens.size());
        for (std::size_t i = 0; i < tokens.size(); ++i) out[i] = py::int_(tokens[i]);
        return out;
      },
      py::arg("conversation"), py::arg("auto_drop_analysis"), py::arg("next_turn_role"),
      "Renders a harmony conversation (openai-harmony's Conversation JSON) to o200k_harmony tokens.");
  m.def(
      "_chat_model_info",
      [](const std::string& model, const std::string& provider, const std::string& prices_json) -> py::object {
        try {
          const chat::PriceTable table = prices_json.empty()
                                             ? chat::PriceTable::builtin()
                                             : chat::PriceTable::parse(prices_json).overlaid_on(chat::PriceTable::builtin());
          bool snapshot = false;
          const chat::ModelInfo* info = table.find(model, provider.empty() ? "openai" : provider, &snapshot);
          if (info == nullptr) return py::none();
          py::dict d;
          auto price = [](const std::optional<chat::Price>& p) -> py::object {
            return p ? py::object(py::float_(p->per_million())) : py::none();
          };
          auto count = [](const std::optional<std::uint64_t>& v) -> py::object {
            return v ? py::object(py::int_(*v)) : py::none();
          };
          d["provider"] = info->provider;
          d["model"] = info->model;
          d["currency"] = info->currency;
          d["input_per_million"] = price(info->input);
          d["cached_input_per_million"] = price(info->cached_input);
          d["output_per_million"] = price(info->output);
          d["context_window"] = count(info->context_window);
          d["max_output_tokens"] = count(info->max_output_tokens);
          d["source"] = info->source;
          d["as_of"] = info->as_of;
          d["note"] = info->note;
          d["snapshot_match"] = snapshot;
          return py::object(std::move(d));
        } catch (const tokcount::Error& e) {
          raise_chat_error(e);
        }
      },
      py::arg("model"), py::arg("provider"), py::arg("prices_json"),
      "The price / limit entry of a model, or None.");
}
