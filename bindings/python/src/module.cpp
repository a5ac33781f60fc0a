// tokcount._tokcount: the native half of the Python package.
//
// A thin skin over tokcount::Encoding. It converts arguments (str -> UTF-8 view, token
// sequences -> Rank vectors, tiktoken's allowed_special / disallowed_special -> EncodeOptions),
// releases the GIL around real work, and turns tokcount::Error into the exception types and
// messages tiktoken raises. No tokenization logic lives here.
//
// CoreBPE mirrors tiktoken's private _tiktoken.CoreBPE (third-party code calls it through
// Encoding._core_bpe); the underscore methods are the fast paths tokcount.Encoding uses.
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bindings_common.hpp"
#include "stream_bindings.hpp"
#include "tokcount/tokcount.hpp"

namespace py = pybind11;

void register_lint(py::module_& m);  // lint_bindings.cpp
using tokcount::EncodeOptions;
using tokcount::Encoding;
using tokcount::EncodingPtr;
using tokcount::ErrorCode;
using tokcount::Rank;
using tokcount::TokenSet;

namespace {

// Calls with less input than this (under ~1 us of work) keep the GIL; all others release it.
// Releasing costs ~30 ns alone, but with other Python threads runnable, retaking it can wait
// out another thread's switch interval (5 ms): not worth it for a call shorter than that.
constexpr std::size_t kReleaseGilBytes = 256;

// Batches spread over native threads only when there is enough text for a thread to pay for
// its start-up (~20 us); a thread per this many bytes at most.
constexpr std::size_t kBytesPerThread = 32 * 1024;

// ---- errors --------------------------------------------------------------------------------

[[noreturn]] void throw_python_error() { throw py::error_already_set(); }

[[noreturn]] void raise_key_error(py::handle key) {
  PyErr_SetObject(PyExc_KeyError, key.ptr());
  throw_python_error();
}

std::string type_name(py::handle h) { return Py_TYPE(h.ptr())->tp_name; }

// tiktoken.core.raise_disallowed_special_token's message; tokcount.core builds it from here.
std::string disallowed_special_message(const py::str& token) {
  const std::string r = py::repr(token).cast<std::string>();
  return "Encountered text corresponding to disallowed special token " + r +
         ".\nIf you want this text to be encoded as a special token, pass it to `allowed_special`, e.g. "
         "`allowed_special={" + r + ", ...}`.\nIf you want this text to be encoded as normal text, disable the "
         "check for this token by passing `disallowed_special=(enc.special_tokens_set - {" + r +
         "})`.\nTo disable this check for all special tokens, pass `disallowed_special=()`.\n";
}

// How an unknown token id is reported: tiktoken differs per call.
enum class UnknownToken {
  kDecode,  // decode, decode_bytes, *_batch: KeyError("Invalid token for decoding: N")
  kId,      // decode_single_token_bytes, decode_tokens_bytes, decode_with_offsets: KeyError("N")
};

[[noreturn]] void raise_error(const tokcount::Error& e, UnknownToken unknown = UnknownToken::kDecode) {
  switch (e.code()) {
    case ErrorCode::kDisallowedSpecial: {
      py::str token(e.token());
      throw py::value_error(disallowed_special_message(token));
    }
    case ErrorCode::kUnknownToken:
      if (unknown == UnknownToken::kId) raise_key_error(py::str(e.token()));
      raise_key_error(py::str("Invalid token for decoding: " + e.token()));
    case ErrorCode::kOutOfMemory:
      throw std::bad_alloc();
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kInvalidUtf8:
    case ErrorCode::kParseError:
    case ErrorCode::kUnsupportedPattern:
    case ErrorCode::kUnknownEncoding:
    case ErrorCode::kInputTooLarge:
      throw py::value_error(e.what());
    case ErrorCode::kUnknownModel:
      raise_key_error(py::str(e.what()));
    default:
      throw std::runtime_error(e.what());
  }
}

// Runs f, translating tokcount::Error.
template <class F>
auto guarded(F&& f, UnknownToken unknown = UnknownToken::kDecode) {
  try {
    return f();
  } catch (const tokcount::Error& e) {
    raise_error(e, unknown);
  }
}

// Runs f without the GIL when it has `work_bytes` or more to do (pass kAlwaysRelease for work
// not sized by bytes). f must not touch Python objects. Errors are translated once the GIL is
// back: the release guard is destroyed while the exception unwinds, before the handler runs.
constexpr std::size_t kAlwaysRelease = kReleaseGilBytes;

template <class F>
auto run(std::size_t work_bytes, F&& f, UnknownToken unknown = UnknownToken::kDecode) {
  try {
    if (work_bytes < kReleaseGilBytes) return f();
    py::gil_scoped_release release;
    return f();
  } catch (const tokcount::Error& e) {
    raise_error(e, unknown);
  }
}

// ---- arguments -----------------------------------------------------------------------------

// UTF-8 of a str without copying (CPython caches it on the object). Lone or paired surrogates
// cannot be UTF-8: with `fix_surrogates`, do what tiktoken's encode does on UnicodeEncodeError,
// text.encode("utf-16", "surrogatepass").decode("utf-16", "replace") (pairs joined, lone ones
// become U+FFFD); without, let the UnicodeEncodeError through as tiktoken's CoreBPE does.
struct Utf8Arg {
  std::string_view view;
  py::object owner;  // the repaired str when one was needed
};

Utf8Arg utf8_of(py::handle text, bool fix_surrogates) {
  if (!PyUnicode_Check(text.ptr()))
    throw py::type_error("argument 'text': '" + type_name(text) + "' object cannot be converted to 'PyString'");
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(text.ptr(), &size);
  if (data != nullptr) return {std::string_view(data, static_cast<std::size_t>(size)), {}};
  if (!fix_surrogates || !PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) throw_python_error();
  PyErr_Clear();
  py::object utf16 = py::reinterpret_steal<py::object>(PyUnicode_AsEncodedString(text.ptr(), "utf-16", "surrogatepass"));
  if (!utf16) throw_python_error();
  py::object fixed = py::reinterpret_steal<py::object>(
      PyUnicode_Decode(PyBytes_AS_STRING(utf16.ptr()), PyBytes_GET_SIZE(utf16.ptr()), "utf-16", "replace"));
  if (!fixed) throw_python_error();
  data = PyUnicode_AsUTF8AndSize(fixed.ptr(), &size);
  if (data == nullptr) throw_python_error();
  return {std::string_view(data, static_cast<std::size_t>(size)), std::move(fixed)};
}

std::string_view bytes_of(py::handle b, const char* what) {
  char* data = nullptr;
  Py_ssize_t size = 0;
  if (PyBytes_Check(b.ptr())) {
    PyBytes_AsStringAndSize(b.ptr(), &data, &size);
  } else if (PyByteArray_Check(b.ptr())) {
    data = PyByteArray_AS_STRING(b.ptr());
    size = PyByteArray_GET_SIZE(b.ptr());
  } else {
    throw py::type_error(std::string("argument '") + what + "': '" + type_name(b) +
                         "' object cannot be converted to 'PyBytes'");
  }
  return {data, static_cast<std::size_t>(size)};
}

// A token id: any int-like (__index__) in [0, 2**32), with tiktoken's (PyO3's) errors.
Rank token_of(py::handle h) {
  PyObject* item = h.ptr();
  py::object index;
  if (!PyLong_Check(item)) {
    index = py::reinterpret_steal<py::object>(PyNumber_Index(item));  // TypeError for non-ints
    if (!index) throw_python_error();
    item = index.ptr();
  }
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(item, &overflow);
  if (v == -1 && PyErr_Occurred()) throw_python_error();
  if (overflow != 0 || v < 0 || v > 0xFFFFFFFFLL) {
    PyErr_SetString(PyExc_OverflowError, "out of range integral type conversion attempted");
    throw_python_error();
  }
  return static_cast<Rank>(v);
}

// An int argument (anything with __index__), as Python's own int parameters take it.
long long index_of(py::handle h) {
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(h.ptr()));
  if (!index) throw_python_error();
  const long long v = PyLong_AsLongLong(index.ptr());
  if (v == -1 && PyErr_Occurred()) throw_python_error();
  return v;
}

std::vector<Rank> tokens_of(py::handle seq) {
  if (PyUnicode_Check(seq.ptr()) || PyBytes_Check(seq.ptr()))
    throw py::type_error("argument 'tokens': '" + type_name(seq) + "' object cannot be converted to a token sequence");
  py::object fast = py::reinterpret_steal<py::object>(PySequence_Fast(seq.ptr(), "tokens must be a sequence of int"));
  if (!fast) throw_python_error();
  std::vector<Rank> out;
  out.reserve(static_cast<std::size_t>(PySequence_Fast_GET_SIZE(fast.ptr())));
  // Size and item re-read each step: an item's __index__ could resize a list it belongs to.
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast.ptr()); ++i)
    out.push_back(token_of(py::reinterpret_borrow<py::object>(PySequence_Fast_GET_ITEM(fast.ptr(), i))));
  return out;
}

std::vector<std::string> names_of(py::handle iterable) {
  std::vector<std::string> names;
  for (py::handle item : iterable) {
    if (!PyUnicode_Check(item.ptr()))
      throw py::type_error("special token names must be str, not '" + type_name(item) + "'");
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(item.ptr(), &size);
    if (data == nullptr) throw_python_error();
    names.emplace_back(data, static_cast<std::size_t>(size));
  }
  return names;
}

bool is_all(py::handle h) {
  return PyUnicode_Check(h.ptr()) && PyUnicode_CompareWithASCIIString(h.ptr(), "all") == 0;
}

// tiktoken's rules: allowed_special is "all" or a set / frozenset (anything else is a
// TypeError, as there); disallowed_special is "all" or any collection, empty meaning no check,
// "all" meaning every special token not allowed.
EncodeOptions options_of(py::handle allowed, py::handle disallowed) {
  EncodeOptions o;
  const bool dis_all = is_all(disallowed);
  if (is_all(allowed)) {
    o.allowed_special = TokenSet::all();
  } else if (PyAnySet_Check(allowed.ptr())) {
    if (PySet_GET_SIZE(allowed.ptr()) != 0) o.allowed_special = TokenSet::of(names_of(allowed));
  } else if (dis_all) {
    throw py::type_error("unsupported operand type(s) for -: 'set' and '" + type_name(allowed) + "'");
  } else {
    throw py::type_error("'" + type_name(allowed) + "' object is not an instance of 'set'");
  }
  if (dis_all) {
    o.disallowed_special = TokenSet::all();
  } else {
    const int truthy = PyObject_IsTrue(disallowed.ptr());
    if (truthy < 0) throw_python_error();
    o.disallowed_special = truthy ? TokenSet::of(names_of(disallowed)) : TokenSet::none();
  }
  return o;
}

EncodeOptions ordinary_options() {
  EncodeOptions o;
  o.disallowed_special = TokenSet::none();
  return o;
}

// ---- results -------------------------------------------------------------------------------

// The Python int of every token id an encoding has returned, made once and shared by every list
// it returns after. Why: a list of n fresh ints is n allocations now and n frees when the list
// dies, which was most of a large encode()'s time in Python (1 MB of prose: ~250k ints); a
// cached int is one load and an INCREF. Ints are immutable, so sharing them is invisible.
// Filled lazily (only ids that occur cost memory: the table is calloc'ed pointers, 8 bytes per
// id of the vocabulary, paged in on use). Used only with the GIL held; freed with its Core.
class IntCache {
 public:
  explicit IntCache(std::size_t n_ids) : n_(n_ids) {}
  IntCache(const IntCache&) = delete;
  IntCache& operator=(const IntCache&) = delete;
  ~IntCache() {
    if (!ints_ || !Py_IsInitialized()) return;  // at interpreter exit the ints go with it
    for (std::size_t i = 0; i < n_; ++i) Py_XDECREF(ints_.get()[i]);
  }
  // A new reference to the int for `t`.
  PyObject* get(Rank t) {
    if (t >= n_) return PyLong_FromUnsignedLong(t);  // not an id of this encoding: not cached
    if (!ints_) {
      ints_.reset(static_cast<PyObject**>(std::calloc(n_, sizeof(PyObject*))));
      if (!ints_) return PyLong_FromUnsignedLong(t);
    }
    PyObject*& slot = ints_.get()[t];
    if (slot == nullptr) {
      slot = PyLong_FromUnsignedLong(t);
      if (slot == nullptr) return nullptr;
    }
    Py_INCREF(slot);
    return slot;
  }

 private:
  struct Free {
    void operator()(PyObject** p) const noexcept { std::free(p); }
  };
  std::size_t n_;
  std::unique_ptr<PyObject*[], Free> ints_;
};

py::list token_list(const std::vector<Rank>& tokens, IntCache& ints) {
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(tokens.size()));
  if (list == nullptr) throw_python_error();
  py::list out = py::reinterpret_steal<py::list>(list);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    PyObject* v = ints.get(tokens[i]);
    if (v == nullptr) throw_python_error();
    PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), v);
  }
  return out;
}

py::bytes bytes_obj(std::string_view s) { return py::bytes(s.data(), s.size()); }

py::str decode_utf8(std::string_view s, const char* errors) {
  PyObject* u = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), errors);
  if (u == nullptr) throw_python_error();
  return py::reinterpret_steal<py::str>(u);
}

const char* errors_of(py::handle errors) {
  if (!PyUnicode_Check(errors.ptr()))
    throw py::type_error("decode() argument 'errors' must be str, not " + type_name(errors));
  const char* e = PyUnicode_AsUTF8(errors.ptr());
  if (e == nullptr) throw_python_error();
  return e;
}

// Read-only uint32 buffer that owns encode's vector: numpy.frombuffer wraps it without a copy.
struct TokenBuffer {
  std::vector<Rank> tokens;
};

// ---- the encoding handle -------------------------------------------------------------------

struct Core {
  EncodingPtr enc;
  std::once_flag by_bytes_once;
  std::vector<Rank> by_bytes;

  mutable IntCache ints;  // see IntCache; mutable: filling it changes no observable state

  explicit Core(EncodingPtr e) : enc(std::move(e)), ints(enc->n_vocab()) {}

  py::list list_of(const std::vector<Rank>& tokens) const { return token_list(tokens, ints); }

  // Built on first use (sorting the vocabulary costs milliseconds); needs no GIL.
  const std::vector<Rank>& ranks_by_bytes() {
    std::call_once(by_bytes_once, [&] { by_bytes = enc->ranks_by_bytes(); });
    return by_bytes;
  }

  std::vector<Rank> encode(std::string_view text, const EncodeOptions& o) const {
    return run(text.size(), [&] { return enc->encode(text, o); });
  }
};

std::unique_ptr<Core> core_from_dicts(py::handle encoder, py::handle specials, py::handle pattern, std::string name) {
  if (!PyDict_Check(encoder.ptr())) throw py::type_error("argument 'encoder': expected dict[bytes, int]");
  if (!PyDict_Check(specials.ptr())) throw py::type_error("argument 'special_tokens_encoder': expected dict[str, int]");
  std::vector<std::pair<std::string, Rank>> ranks;
  ranks.reserve(static_cast<std::size_t>(PyDict_Size(encoder.ptr())));
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  while (PyDict_Next(encoder.ptr(), &pos, &key, &value))
    ranks.emplace_back(std::string(bytes_of(key, "encoder")), token_of(value));
  std::vector<tokcount::SpecialToken> special;
  pos = 0;
  while (PyDict_Next(specials.ptr(), &pos, &key, &value)) {
    Utf8Arg k = utf8_of(key, false);
    special.push_back({std::string(k.view), token_of(value)});
  }
  std::string pat(utf8_of(pattern, false).view);
  EncodingPtr enc = run(kAlwaysRelease, [&] {
    return Encoding::create(std::move(name), std::move(pat), std::move(ranks), std::move(special));
  });
  return std::make_unique<Core>(std::move(enc));
}

// Texts of a batch as UTF-8 views; `keep` holds every str (and repaired copy) so the views stay
// valid while the GIL is released, whatever other threads do to the caller's list.
struct BatchTexts {
  std::vector<std::string_view> views;
  std::vector<py::object> keep;
  std::size_t total = 0;
};

BatchTexts batch_of(py::handle texts, bool fix_surrogates) {
  BatchTexts b;
  for (py::handle item : texts) {
    Utf8Arg a = utf8_of(item, fix_surrogates);
    b.views.push_back(a.view);
    b.keep.push_back(a.owner ? std::move(a.owner) : py::reinterpret_borrow<py::object>(item));
    b.total += a.view.size();
  }
  return b;
}

unsigned threads_for(py::handle num_threads, std::size_t total_bytes, std::size_t items) {
  long long n;
  if (num_threads.is_none()) {
    n = std::max(1u, std::thread::hardware_concurrency());  // like ThreadPoolExecutor's default
  } else {
    n = index_of(num_threads);
    if (n <= 0) throw py::value_error("max_workers must be greater than 0");  // ThreadPoolExecutor's message
  }
  const std::size_t useful = std::max<std::size_t>(1, total_bytes / kBytesPerThread);
  return static_cast<unsigned>(std::min<std::size_t>({static_cast<std::size_t>(std::min(n, 4096LL)), useful,
                                                      std::max<std::size_t>(items, 1)}));
}

std::vector<std::vector<Rank>> batch_tokens(py::handle batch, std::size_t& total_tokens) {
  std::vector<std::vector<Rank>> out;
  total_tokens = 0;
  for (py::handle item : batch) {
    out.push_back(tokens_of(item));
    total_tokens += out.back().size();
  }
  return out;
}

// ---- the hottest calls, without pybind11's dispatcher ---------------------------------------
// On a 10-byte string pybind11's generic dispatch costs more than the tokenization itself, so
// encode / encode_ordinary / count / decode are METH_FASTCALL methods on CoreBPE.

// tiktoken's full encode(): special-token check and the surrogate repair included.
py::object encode_impl(const Core& c, py::handle text, py::handle allowed, py::handle disallowed) {
  const EncodeOptions o = options_of(allowed, disallowed);
  const Utf8Arg t = utf8_of(text, true);
  return c.list_of(c.encode(t.view, o));
}

py::object encode_ordinary_impl(const Core& c, py::handle text) {
  const Utf8Arg t = utf8_of(text, true);
  return c.list_of(c.encode(t.view, ordinary_options()));
}

py::object count_impl(const Core& c, py::handle text, py::handle allowed, py::handle disallowed, py::handle limit) {
  const EncodeOptions o = options_of(allowed, disallowed);
  const Utf8Arg t = utf8_of(text, true);
  std::size_t n;
  if (limit.is_none()) {
    n = run(t.view.size(), [&] { return c.enc->count(t.view, o); });
  } else {
    const long long l = index_of(limit);
    if (l < 0) throw py::value_error("limit must be >= 0");
    n = run(t.view.size(), [&] { return c.enc->count_up_to(t.view, static_cast<std::size_t>(l), o).count; });
  }
  return py::reinterpret_steal<py::object>(PyLong_FromSize_t(n));
}

// decode(): the bytes straight into a str with any Python error handler.
py::object decode_impl(const Core& c, py::handle tokens, py::handle errors) {
  const std::vector<Rank> t = tokens_of(tokens);
  const char* err = errors_of(errors);
  const std::string b = run(t.size() * 4, [&] { return c.enc->decode_bytes(t); });
  return decode_utf8(b, err);
}

// C++ exceptions -> the Python error indicator, as pybind11's dispatcher would.
PyObject* translate_current_exception() {
  try {
    throw;
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (const py::builtin_exception& e) {
    e.set_error();
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return nullptr;
}

template <std::size_t N, class F>
PyObject* fastcall(PyObject* self, PyObject* const* args, Py_ssize_t nargs, const char* name, F&& f) {
  if (nargs != static_cast<Py_ssize_t>(N)) {
    PyErr_Format(PyExc_TypeError, "%s() takes exactly %d arguments (%zd given)", name, static_cast<int>(N), nargs);
    return nullptr;
  }
  try {
    const Core& core = py::handle(self).cast<const Core&>();
    return f(core, args).release().ptr();
  } catch (...) {
    return translate_current_exception();
  }
}

PyObject* raw_encode(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  return fastcall<3>(self, args, nargs, "_encode",
                     [](const Core& c, PyObject* const* a) { return encode_impl(c, a[0], a[1], a[2]); });
}
PyObject* raw_encode_ordinary(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  return fastcall<1>(self, args, nargs, "_encode_ordinary",
                     [](const Core& c, PyObject* const* a) { return encode_ordinary_impl(c, a[0]); });
}
PyObject* raw_count(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  return fastcall<4>(self, args, nargs, "_count",
                     [](const Core& c, PyObject* const* a) { return count_impl(c, a[0], a[1], a[2], a[3]); });
}
PyObject* raw_decode(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  return fastcall<2>(self, args, nargs, "_decode",
                     [](const Core& c, PyObject* const* a) { return decode_impl(c, a[0], a[1]); });
}

// Static storage: method descriptors keep pointers to their PyMethodDef.
PyMethodDef raw_methods[] = {
    {"_encode", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(raw_encode)), METH_FASTCALL,
     "_encode(text, allowed_special, disallowed_special) -> list[int]"},
    {"_encode_ordinary", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(raw_encode_ordinary)),
     METH_FASTCALL, "_encode_ordinary(text) -> list[int]"},
    {"_count", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(raw_count)), METH_FASTCALL,
     "_count(text, allowed_special, disallowed_special, limit) -> int"},
    {"_decode", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(raw_decode)), METH_FASTCALL,
     "_decode(tokens, errors) -> str"},
};

void add_raw_methods(py::handle cls) {
  for (PyMethodDef& def : raw_methods) {
    py::object descr = py::reinterpret_steal<py::object>(PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(cls.ptr()), &def));
    if (!descr) throw_python_error();
    cls.attr(def.ml_name) = descr;
  }
}

}  // namespace

// ---- shared with the feature bindings (bindings_common.hpp) ---------------------------------

namespace tokcount::python {

EncodeOptions options_of(py::handle allowed_special, py::handle disallowed_special) {
  return ::options_of(allowed_special, disallowed_special);
}

unsigned threads_for(py::handle num_threads, std::size_t total_bytes, std::size_t items) {
  return ::threads_for(num_threads, total_bytes, items);
}

const EncodingPtr& encoding_of(py::handle core) { return core.cast<const Core&>().enc; }

void raise_error(const Error& e) { ::raise_error(e); }

}  // namespace tokcount::python

// Feature modules (bindings/python/src/<feature>_bindings.cpp).
void register_chat(py::module_& m);
void register_cache(py::module_& m);  // cache_bindings.cpp

// Free-threaded CPython: every method is safe without the GIL (the encoding is immutable; the
// lazily built index is guarded by std::call_once).
#if PYBIND11_VERSION_HEX >= 0x020D0000
PYBIND11_MODULE(_tokcount, m, py::mod_gil_not_used()) {
#else
PYBIND11_MODULE(_tokcount, m) {
#endif
  m.doc() = "Native core of tokcount (tiktoken-compatible BPE tokenizer). Use the tokcount package.";
  m.attr("__version__") = tokcount::version();
  m.attr("unicode_version") = tokcount::unicode_version();
  register_lint(m);

  m.def(
      "list_encoding_names",
      [] {
        py::list out;
        for (const std::string& n : Encoding::list_encoding_names()) out.append(py::str(n));
        return out;
      },
      "Names of the built-in encodings.");
  m.def(
      "encoding_name_for_model",
      [](const std::string& model) { return guarded([&] { return Encoding::encoding_name_for_model(model); }); },
      py::arg("model_name"), "The core's model -> encoding table (tokcount.model keeps the editable copy).");
  m.def(
      "disallowed_special_message", [](const py::str& token) { return disallowed_special_message(token); },
      py::arg("token"), "The ValueError message tiktoken uses for a disallowed special token.");

  py::class_<TokenBuffer>(m, "TokenBuffer", py::buffer_protocol(), "Read-only uint32 token buffer.")
      .def_buffer([](TokenBuffer& b) {
        return py::buffer_info(b.tokens.data(), sizeof(Rank), py::format_descriptor<std::uint32_t>::format(), 1,
                               {b.tokens.size()}, {sizeof(Rank)}, /*readonly=*/true);
      })
      .def("__len__", [](const TokenBuffer& b) { return b.tokens.size(); });

  py::class_<Core> core_class(m, "CoreBPE", R"doc(
The native encoder behind tokcount.Encoding (tiktoken's _tiktoken.CoreBPE equivalent).

CoreBPE(encoder: dict[bytes, int], special_tokens_encoder: dict[str, int], pattern: str, name: str = "")
)doc");
  core_class
      .def(py::init([](py::handle encoder, py::handle specials, py::handle pattern, std::string name) {
             return core_from_dicts(encoder, specials, pattern, std::move(name));
           }),
           py::arg("encoder"), py::arg("special_tokens_encoder"), py::arg("pattern"), py::arg("name") = "")
      .def_static(
          "builtin",
          [](const std::string& name) { return std::make_unique<Core>(guarded([&] { return Encoding::get(name); })); },
          py::arg("name"), "A built-in encoding (vocabulary compiled in; nothing is read or downloaded).")
      .def_property_readonly("name", [](const Core& c) { return c.enc->name(); })
      .def_property_readonly("pat_str", [](const Core& c) { return c.enc->pat_str(); })
      .def_property_readonly("max_token_value", [](const Core& c) { return c.enc->max_token_value(); })
      .def_property_readonly("n_vocab", [](const Core& c) { return c.enc->n_vocab(); })
      .def_property_readonly("pretokenizer", [](const Core& c) { return c.enc->pretokenizer_kind(); })
      .def("special_tokens",
           [](const Core& c) {
             py::dict d;
             for (const auto& t : c.enc->special_tokens()) d[py::str(t.text)] = t.rank;
             return d;
           },
           "dict[str, int] of the special tokens (a new dict per call).")
      .def("mergeable_ranks",
           [](const Core& c) {
             std::vector<std::pair<std::string, Rank>> ranks;
             {
               py::gil_scoped_release release;
               ranks = c.enc->mergeable_ranks();
             }
             py::dict d;
             for (const auto& [bytes, rank] : ranks) {
               py::object k = bytes_obj(bytes), v = py::int_(rank);
               if (PyDict_SetItem(d.ptr(), k.ptr(), v.ptr()) != 0) throw_python_error();
             }
             return d;
           },
           "dict[bytes, int] of the mergeable tokens (a new dict per call).")

      // ---- tiktoken's CoreBPE methods ----------------------------------------------------
      .def("encode_ordinary",
           [](const Core& c, py::handle text) {
             const Utf8Arg t = utf8_of(text, false);
             return c.list_of(c.encode(t.view, ordinary_options()));
           },
           py::arg("text"))
      .def("encode",
           [](const Core& c, py::handle text, py::handle allowed) {
             const Utf8Arg t = utf8_of(text, false);
             return c.list_of(c.encode(t.view, options_of(allowed, py::tuple())));
           },
           py::arg("text"), py::arg("allowed_special"), "Encode with these special tokens allowed; no disallowed check.")
      .def("encode_to_tiktoken_buffer",
           [](const Core& c, py::handle text, py::handle allowed) {
             const Utf8Arg t = utf8_of(text, false);
             return TokenBuffer{c.encode(t.view, options_of(allowed, py::tuple()))};
           },
           py::arg("text"), py::arg("allowed_special"))
      .def("_encode_bytes",
           [](const Core& c, py::handle b) {
             const std::string_view bytes = bytes_of(b, "bytes");
             return c.list_of(run(bytes.size(), [&] { return c.enc->encode_bytes(bytes); }));
           },
           py::arg("bytes"))
      .def("encode_with_unstable",
           [](Core& c, py::handle text, py::handle allowed) {
             const Utf8Arg t = utf8_of(text, false);
             const EncodeOptions o = options_of(allowed, py::tuple());
             const auto r = run(kAlwaysRelease, [&] { return c.enc->encode_with_unstable(t.view, o, c.ranks_by_bytes()); });
             py::list completions;
             for (const auto& seq : r.second) completions.append(c.list_of(seq));
             return py::make_tuple(c.list_of(r.first), completions);
           },
           py::arg("text"), py::arg("allowed_special"))
      .def("encode_single_token",
           [](const Core& c, py::handle piece) {
             const std::string_view b = bytes_of(piece, "piece");
             try {
               return c.enc->encode_single_token(b);
             } catch (const tokcount::Error& e) {
               if (e.code() == ErrorCode::kUnknownToken) raise_key_error(bytes_obj(b));
               raise_error(e);
             }
           },
           py::arg("piece"))
      .def("encode_single_piece",
           [](const Core& c, py::handle piece) {
             const std::string_view b = bytes_of(piece, "piece");
             return c.list_of(run(b.size(), [&] { return c.enc->encode_single_piece(b); }));
           },
           py::arg("piece"))
      .def("decode_bytes",
           [](const Core& c, py::handle tokens) {
             const std::vector<Rank> t = tokens_of(tokens);
             return bytes_obj(run(t.size() * 4, [&] { return c.enc->decode_bytes(t); }));
           },
           py::arg("tokens"))
      .def("decode_single_token_bytes",
           [](const Core& c, py::handle token) {
             const Rank t = token_of(token);
             return bytes_obj(guarded([&] { return c.enc->token_bytes(t); }, UnknownToken::kId));
           },
           py::arg("token"))
      .def("token_byte_values",
           [](Core& c) {
             {
               py::gil_scoped_release release;
               c.ranks_by_bytes();
             }
             py::list out(c.by_bytes.size());
             for (std::size_t i = 0; i < c.by_bytes.size(); ++i) out[i] = bytes_obj(c.enc->token_bytes(c.by_bytes[i]));
             return out;
           },
           "Every mergeable token's bytes, sorted.")

      // ---- tokcount.Encoding's fast paths --------------------------------------------------
      // (_encode, _encode_ordinary, _count and _decode are added below as raw methods.)
      // encode_to_numpy and encode_with_unstable: no surrogate repair in tiktoken.
      .def("_encode_buffer",
           [](const Core& c, py::handle text, py::handle allowed, py::handle disallowed) {
             const EncodeOptions o = options_of(allowed, disallowed);
             const Utf8Arg t = utf8_of(text, false);
             return TokenBuffer{c.encode(t.view, o)};
           })
      .def("_encode_with_unstable",
           [](Core& c, py::handle text, py::handle allowed, py::handle disallowed) {
             const EncodeOptions o = options_of(allowed, disallowed);
             const Utf8Arg t = utf8_of(text, false);
             const auto r = run(kAlwaysRelease, [&] { return c.enc->encode_with_unstable(t.view, o, c.ranks_by_bytes()); });
             py::list completions;
             for (const auto& seq : r.second) completions.append(c.list_of(seq));
             return py::make_tuple(c.list_of(r.first), completions);
           })
      .def("_encode_batch",
           [](const Core& c, py::handle texts, py::handle allowed, py::handle disallowed, py::handle num_threads,
              bool ordinary) {
             const EncodeOptions o = ordinary ? ordinary_options() : options_of(allowed, disallowed);
             const BatchTexts b = batch_of(texts, true);
             const unsigned threads = threads_for(num_threads, b.total, b.views.size());
             py::list out(b.views.size());
             // Lists are built (under the GIL) while pool threads encode the later texts; on one
             // thread, after all of them. Small batches keep the GIL (acquiring it again is a no-op).
             run(b.total, [&] {
               c.enc->encode_batch_in_order(b.views, o, threads, [&](std::size_t first, std::span<std::vector<Rank>> r) {
                 py::gil_scoped_acquire gil;
                 for (std::size_t k = 0; k < r.size(); ++k) out[first + k] = c.list_of(r[k]);
               });
             });
             return out;
           })
      .def("_count_batch",
           [](const Core& c, py::handle texts, py::handle allowed, py::handle disallowed, py::handle num_threads) {
             const EncodeOptions o = options_of(allowed, disallowed);
             const BatchTexts b = batch_of(texts, true);
             const unsigned threads = threads_for(num_threads, b.total, b.views.size());
             const auto r = run(b.total, [&] { return c.enc->count_batch(b.views, o, threads); });
             py::list out(r.size());
             for (std::size_t i = 0; i < r.size(); ++i) out[i] = py::int_(r[i]);
             return out;
           })
      .def("_decode_tokens_bytes",
           [](const Core& c, py::handle tokens) {
             py::list out;
             for (py::handle item : tokens) {
               const Rank t = token_of(item);
               out.append(bytes_obj(guarded([&] { return c.enc->token_bytes(t); }, UnknownToken::kId)));
             }
             return out;
           })
      .def("_decode_with_offsets",
           [](const Core& c, py::handle tokens) {
             const std::vector<Rank> t = tokens_of(tokens);
             std::pair<std::string, std::vector<std::size_t>> r;
             try {
               if (t.size() * 4 < kReleaseGilBytes) {
                 r = c.enc->decode_with_offsets(t);
               } else {
                 py::gil_scoped_release release;
                 r = c.enc->decode_with_offsets(t);
               }
             } catch (const tokcount::Error& e) {  // the GIL is held again here
               // Python's own UnicodeDecodeError (same text, position and reason as tiktoken's).
               if (e.code() == ErrorCode::kInvalidUtf8) decode_utf8(c.enc->decode_bytes(t), "strict");
               raise_error(e, UnknownToken::kId);
             }
             py::list offsets(r.second.size());
             for (std::size_t i = 0; i < r.second.size(); ++i) offsets[i] = py::int_(r.second[i]);
             return py::make_tuple(decode_utf8(r.first, "strict"), offsets);
           })
      .def("_decode_batch",
           [](const Core& c, py::handle batch, py::handle errors, bool as_bytes) {
             std::size_t total = 0;
             const std::vector<std::vector<Rank>> in = batch_tokens(batch, total);
             const char* err = as_bytes ? nullptr : errors_of(errors);
             const std::vector<std::string> r = run(total * 4, [&] {
               std::vector<std::string> out;
               out.reserve(in.size());
               for (const auto& t : in) out.push_back(c.enc->decode_bytes(t));
               return out;
             });
             py::list out(r.size());
             for (std::size_t i = 0; i < r.size(); ++i)
               out[i] = as_bytes ? py::object(bytes_obj(r[i])) : py::object(decode_utf8(r[i], err));
             return out;
           })
      .def("_is_special_token", [](const Core& c, py::handle token) { return c.enc->is_special_token(token_of(token)); });
  add_raw_methods(core_class);

  register_arrow(m);
  register_stream(m, StreamBindingHooks{
                         [](py::handle core) { return py::cast<const Core&>(core).enc; },
                         [](py::handle allowed, py::handle disallowed) { return options_of(allowed, disallowed); },
                     });
  register_chat(m);
  register_cache(m);
}
