// tokcount._tokcount stream types: StreamEncoder, StreamDecoder, ChatStream. A thin skin over
// tokcount/stream.hpp and tokcount/sse.hpp; the Python-side API is tokcount/stream.py.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "stream_bindings.hpp"
#include "tokcount/sse.hpp"
#include "tokcount/stream.hpp"

namespace py = pybind11;
using tokcount::Rank;

namespace {

StreamBindingHooks g_hooks;
PyObject* g_stream_error = nullptr;

// Every stream error is StreamError (a ValueError) carrying .code, .offset (None if none) and
// .token, so callers can tell where in the stream the problem is.
[[noreturn]] void raise_stream_error(const tokcount::Error& e) {
  if (e.code() == tokcount::ErrorCode::kOutOfMemory) throw std::bad_alloc();
  py::object err = py::reinterpret_steal<py::object>(PyObject_CallFunction(g_stream_error, "s", e.what()));
  if (!err) throw py::error_already_set();
  err.attr("code") = py::str(tokcount::error_code_name(e.code()));
  err.attr("offset") = e.byte_offset() == tokcount::kNoOffset ? py::object(py::none()) : py::object(py::int_(e.byte_offset()));
  err.attr("token") = py::str(e.token());
  PyErr_SetObject(g_stream_error, err.ptr());
  throw py::error_already_set();
}

template <class F>
auto stream_guarded(F&& f) {
  try {
    return f();
  } catch (const tokcount::Error& e) {
    raise_stream_error(e);
  }
}

// bytes, bytearray or str (as UTF-8).
std::string data_of(py::handle h) {
  if (PyUnicode_Check(h.ptr())) {
    Py_ssize_t n = 0;
    const char* s = PyUnicode_AsUTF8AndSize(h.ptr(), &n);
    if (s == nullptr) throw py::error_already_set();
    return {s, static_cast<std::size_t>(n)};
  }
  if (PyBytes_Check(h.ptr())) return std::string(PyBytes_AS_STRING(h.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(h.ptr())));
  if (PyByteArray_Check(h.ptr()))
    return std::string(PyByteArray_AS_STRING(h.ptr()), static_cast<std::size_t>(PyByteArray_GET_SIZE(h.ptr())));
  throw py::type_error("expected bytes, bytearray or str, not '" + std::string(Py_TYPE(h.ptr())->tp_name) + "'");
}

py::list tokens_list(std::span<const Rank> tokens) {
  py::list out(tokens.size());
  for (std::size_t i = 0; i < tokens.size(); ++i) out[i] = py::int_(tokens[i]);
  return out;
}

}  // namespace

void register_stream(py::module_& m, StreamBindingHooks hooks) {
  g_hooks = std::move(hooks);
  static py::exception<tokcount::Error> stream_error(m, "StreamError", PyExc_ValueError);
  g_stream_error = stream_error.ptr();

  py::class_<tokcount::StreamEncoder>(m, "StreamEncoder", "Exact incremental encoder (see tokcount.stream).")
      .def(py::init([](py::handle core, py::handle allowed, py::handle disallowed, bool lossy) {
             tokcount::EncodeOptions o = g_hooks.options_of(allowed, disallowed);
             o.utf8 = lossy ? tokcount::Utf8Mode::kReplace : tokcount::Utf8Mode::kStrict;
             return stream_guarded([&] { return tokcount::StreamEncoder(g_hooks.encoding_of(core), o); });
           }),
           py::arg("core"), py::arg("allowed_special"), py::arg("disallowed_special"), py::arg("lossy") = false)
      .def("feed",
           [](tokcount::StreamEncoder& s, py::handle data) {
             const std::string bytes = data_of(data);
             std::span<const Rank> out;
             std::optional<tokcount::Error> error;
             {
               py::gil_scoped_release release;  // errors are raised once the GIL is back
               try {
                 out = s.feed(bytes);
               } catch (const tokcount::Error& e) {
                 error = e;
               }
             }
             if (error) raise_stream_error(*error);
             return tokens_list(out);
           })
      .def("finish",
           [](tokcount::StreamEncoder& s) { return tokens_list(stream_guarded([&] { return s.finish(); })); })
      .def("reset", &tokcount::StreamEncoder::reset)
      .def_property_readonly("count", [](const tokcount::StreamEncoder& s) { return stream_guarded([&] { return s.count(); }); })
      .def_property_readonly("stable_count", &tokcount::StreamEncoder::stable_count)
      .def_property_readonly("pending_bytes", &tokcount::StreamEncoder::pending_bytes)
      .def_property_readonly("bytes_fed", &tokcount::StreamEncoder::bytes_fed)
      .def_property_readonly("finality_rule", &tokcount::StreamEncoder::finality_rule)
      .def_property(
          "budget", [](const tokcount::StreamEncoder& s) { return s.budget(); },
          [](tokcount::StreamEncoder& s, std::optional<std::size_t> limit) { s.set_budget(limit); })
      .def_property_readonly("over_budget", &tokcount::StreamEncoder::over_budget)
      .def_property_readonly("budget_crossed_at", [](const tokcount::StreamEncoder& s) -> std::optional<std::size_t> {
        if (s.budget_crossed_at() == tokcount::kNoOffset) return std::nullopt;
        return s.budget_crossed_at();
      });

  py::class_<tokcount::StreamDecoder>(m, "StreamDecoder", "Streaming decoder that yields complete UTF-8 only.")
      .def(py::init([](py::handle core) { return tokcount::StreamDecoder(g_hooks.encoding_of(core)); }), py::arg("core"))
      .def("feed",
           [](tokcount::StreamDecoder& d, const std::vector<Rank>& tokens) {
             const std::string_view text = stream_guarded([&] { return d.feed(tokens); });
             return py::str(text.data(), text.size());
           })
      .def("finish",
           [](tokcount::StreamDecoder& d) {
             const std::string_view text = d.finish();
             return py::str(text.data(), text.size());
           })
      .def_property_readonly("pending_bytes", &tokcount::StreamDecoder::pending_bytes);

  py::class_<tokcount::sse::ChatStream>(m, "ChatStream", "Chat Completions SSE stitcher and counter.")
      .def(py::init([](py::object core, std::string model, bool keep_text) {
             tokcount::sse::ChatStreamOptions o;
             if (!core.is_none()) o.encoding = g_hooks.encoding_of(core);
             o.model = std::move(model);
             o.keep_text = keep_text;
             return tokcount::sse::ChatStream(std::move(o));
           }),
           py::arg("core") = py::none(), py::arg("model") = "", py::arg("keep_text") = true)
      .def("feed",
           [](tokcount::sse::ChatStream& c, py::handle data) {
             const std::string bytes = data_of(data);
             std::optional<tokcount::Error> error;
             {
               py::gil_scoped_release release;
               try {
                 c.feed(bytes);
               } catch (const tokcount::Error& e) {
                 error = e;
               }
             }
             if (error) raise_stream_error(*error);
           })
      .def("finish", [](tokcount::sse::ChatStream& c) { stream_guarded([&] { c.finish(); }); })
      .def_property_readonly("completion_tokens", &tokcount::sse::ChatStream::completion_tokens)
      .def_property_readonly("failed", &tokcount::sse::ChatStream::failed)
      .def("result_json", &tokcount::sse::ChatStream::result_json, py::arg("indent") = -1);
}
