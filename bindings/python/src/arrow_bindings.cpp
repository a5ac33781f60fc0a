// tokcount.arrow's native half: count or encode every row of an Arrow string column in one call.
//
// Input comes through the Arrow C Data Interface, as the PyCapsule protocol hands it over
// (__arrow_c_array__: one array; __arrow_c_stream__: a chunked array or any stream), so any
// producer works (pyarrow, pandas, polars, nanoarrow...) and nothing links against Arrow's C++
// library: the interface is a stable C ABI, declared below from its specification.
//
// Rows are read in place: each row is a (pointer, length) view of the producer's buffers (no
// Python str, no copy). The views of every row of every chunk go to the core's batch call at
// once, so one parallel run covers the whole input however it is chunked. Results leave the
// same way, as Arrow arrays whose buffers we own and free in the release callback: int64
// counts, and list<uint32> tokens built from one flat token buffer. pyarrow imports them
// without a copy. Output chunks mirror the input's (as Arrow compute functions do).
//
// Trust boundary: the C Data Interface gives no buffer sizes for string data, so offsets are
// trusted to lie within the data buffer (as every Arrow consumer does), but everything that
// can be checked is: offsets are non-decreasing and non-negative, string_view views stay
// inside their buffers (whose sizes the interface does give), dictionary indices are in
// range. Text is validated as UTF-8 by the core's strict mode, which also covers binary input.
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bindings_common.hpp"
#include "tokcount/tokcount.hpp"

// ---- the Arrow C Data Interface and C Stream Interface (ABI from the specification) ----------
// The guard macros are the ones the specification prescribes, so these declarations coexist
// with Arrow's own headers if a build ever includes both.
extern "C" {
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};
#endif  // ARROW_C_DATA_INTERFACE

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);
  void (*release)(struct ArrowArrayStream*);
  void* private_data;
};
#endif  // ARROW_C_STREAM_INTERFACE
}

namespace py = pybind11;
using tokcount::EncodeOptions;
using tokcount::Encoding;
using tokcount::Rank;

namespace {

// tokcount._tokcount.ArrowRowError (a ValueError), created in register_arrow; one reference is
// kept for the life of the process, as for any exception type a module defines.
PyObject* g_row_error = nullptr;

// ---- input: imported arrays ------------------------------------------------------------------

// An ArrowSchema / ArrowArray we own (from a stream): released when this goes.
struct OwnedSchema {
  ArrowSchema s{};
  OwnedSchema() = default;
  OwnedSchema(const OwnedSchema&) = delete;
  OwnedSchema& operator=(const OwnedSchema&) = delete;
  ~OwnedSchema() {
    if (s.release != nullptr) s.release(&s);
  }
};
struct OwnedArray {
  ArrowArray a{};
  OwnedArray() = default;
  OwnedArray(const OwnedArray&) = delete;
  OwnedArray& operator=(const OwnedArray&) = delete;
  ~OwnedArray() {
    if (a.release != nullptr) a.release(&a);
  }
};

// How a string-like Arrow type lays out its values. Binary types read the same way; the core's
// UTF-8 check then decides whether their bytes are text.
enum class Layout { kOffsets32, kOffsets64, kViews };

std::optional<Layout> layout_of(std::string_view format) {
  if (format == "u" || format == "z") return Layout::kOffsets32;  // string, binary
  if (format == "U" || format == "Z") return Layout::kOffsets64;  // large_string, large_binary
  if (format == "vu" || format == "vz") return Layout::kViews;    // string_view, binary_view
  return std::nullopt;
}

std::string unsupported_type(std::string_view format) {
  return "expected an Arrow string, large_string, string_view or binary array (or a dictionary of one), "
         "got Arrow format '" + std::string(format) + "'" +
         (format == "+s" ? " (a struct: for a table or record batch, pass one of its columns)" : "");
}

bool bit_set(const void* bitmap, std::int64_t i) {
  return (static_cast<const std::uint8_t*>(bitmap)[i >> 3] >> (i & 7)) & 1;
}

// One Arrow array of a string-like type, checked, read row by row in place.
class StringValues {
 public:
  StringValues(const ArrowSchema& schema, const ArrowArray& array) : array_(array) {
    const auto layout = layout_of(schema.format);
    if (!layout) throw py::type_error(unsupported_type(schema.format));
    layout_ = *layout;
    if (array.length < 0 || array.offset < 0) throw py::value_error("malformed Arrow array: negative length or offset");
    // validity, offsets, data; or validity, views, data buffers..., data buffer sizes.
    if (array.n_buffers < 3 || array.buffers == nullptr)
      throw py::value_error("malformed Arrow array: " + std::to_string(array.n_buffers) + " buffers for format '" +
                            schema.format + "'");
    validity_ = array.null_count == 0 ? nullptr : array.buffers[0];
    if (array.length == 0) return;
    if (array.buffers[1] == nullptr) throw py::value_error("malformed Arrow array: no offsets or views buffer");
    switch (layout_) {
      case Layout::kOffsets32: check_offsets(static_cast<const std::int32_t*>(array.buffers[1])); break;
      case Layout::kOffsets64: check_offsets(static_cast<const std::int64_t*>(array.buffers[1])); break;
      case Layout::kViews: check_views(); break;
    }
  }

  std::int64_t length() const { return array_.length; }
  bool is_valid(std::int64_t i) const { return validity_ == nullptr || bit_set(validity_, array_.offset + i); }

  std::string_view value(std::int64_t i) const {
    const std::int64_t j = array_.offset + i;
    switch (layout_) {
      case Layout::kOffsets32: return from_offsets(static_cast<const std::int32_t*>(array_.buffers[1]), j);
      case Layout::kOffsets64: return from_offsets(static_cast<const std::int64_t*>(array_.buffers[1]), j);
      case Layout::kViews: break;
    }
    // A view is 16 bytes: int32 length, then the bytes inline when they fit in 12, else a
    // 4-byte prefix, int32 index of the data buffer (after validity and views) and int32 offset.
    const auto* view = static_cast<const std::uint8_t*>(array_.buffers[1]) + 16 * j;
    const std::int32_t size = load<std::int32_t>(view);
    if (size <= kInlineBytes) return {reinterpret_cast<const char*>(view + 4), static_cast<std::size_t>(size)};
    const std::int32_t buffer = load<std::int32_t>(view + 8);
    const std::int32_t offset = load<std::int32_t>(view + 12);
    return {static_cast<const char*>(array_.buffers[2 + buffer]) + offset, static_cast<std::size_t>(size)};
  }

 private:
  static constexpr std::int32_t kInlineBytes = 12;

  template <class T>
  static T load(const std::uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }

  template <class Offset>
  std::string_view from_offsets(const Offset* offsets, std::int64_t j) const {
    const auto* data = static_cast<const char*>(array_.buffers[2]);
    const auto begin = static_cast<std::size_t>(offsets[j]);
    return {data + begin, static_cast<std::size_t>(offsets[j + 1]) - begin};
  }

  template <class Offset>
  void check_offsets(const Offset* offsets) const {
    const std::int64_t first = array_.offset, last = array_.offset + array_.length;
    if (offsets[first] < 0) throw py::value_error("malformed Arrow array: negative string offset");
    for (std::int64_t j = first; j < last; ++j)
      if (offsets[j + 1] < offsets[j])
        throw py::value_error("malformed Arrow array: string offsets decrease at row " + std::to_string(j - first));
    if (offsets[last] > offsets[first] && array_.buffers[2] == nullptr)
      throw py::value_error("malformed Arrow array: no data buffer");
  }

  // Every out-of-line view must lie inside its data buffer; the last buffer of a view array is
  // the int64 sizes of the data buffers (the C Data Interface's "variadic buffer sizes").
  void check_views() const {
    const std::int64_t data_buffers = array_.n_buffers - 3;
    const auto* sizes = static_cast<const std::int64_t*>(array_.buffers[array_.n_buffers - 1]);
    if (data_buffers > 0 && sizes == nullptr) throw py::value_error("malformed Arrow array: no variadic buffer sizes");
    const auto* views = static_cast<const std::uint8_t*>(array_.buffers[1]);
    for (std::int64_t i = 0; i < array_.length; ++i) {
      if (!is_valid(i)) continue;  // a null slot's view may hold anything
      const auto* view = views + 16 * (array_.offset + i);
      const std::int32_t size = load<std::int32_t>(view);
      if (size < 0) throw py::value_error("malformed Arrow array: negative view length at row " + std::to_string(i));
      if (size <= kInlineBytes) continue;
      const std::int32_t buffer = load<std::int32_t>(view + 8);
      const std::int32_t offset = load<std::int32_t>(view + 12);
      if (buffer < 0 || buffer >= data_buffers || offset < 0 || sizes[buffer] < 0 ||
          static_cast<std::int64_t>(offset) + size > sizes[buffer] || array_.buffers[2 + buffer] == nullptr)
        throw py::value_error("malformed Arrow array: view of row " + std::to_string(i) + " is out of bounds");
    }
  }

  const ArrowArray& array_;
  Layout layout_ = Layout::kOffsets32;
  const void* validity_ = nullptr;
};

// Every row of the input, as views into the producer's buffers.
struct Rows {
  std::vector<std::string_view> texts;    // a null row is empty
  std::vector<std::uint8_t> valid;        // 1: a value, 0: null
  std::vector<std::size_t> chunk_starts;  // first row of each chunk, then the row count
  std::size_t total_bytes = 0;
  bool any_null = false;

  void add(bool is_valid, std::string_view text) {
    texts.push_back(is_valid ? text : std::string_view());
    valid.push_back(is_valid ? 1 : 0);
    total_bytes += is_valid ? text.size() : 0;
    any_null = any_null || !is_valid;
  }
};

// Dictionary index at row i of an integer array of Arrow format `format` ("c".."L").
std::optional<std::int64_t> dictionary_index(char format, const void* data, std::int64_t i) {
  switch (format) {
    case 'c': return static_cast<const std::int8_t*>(data)[i];
    case 'C': return static_cast<const std::uint8_t*>(data)[i];
    case 's': return static_cast<const std::int16_t*>(data)[i];
    case 'S': return static_cast<const std::uint16_t*>(data)[i];
    case 'i': return static_cast<const std::int32_t*>(data)[i];
    case 'I': return static_cast<const std::uint32_t*>(data)[i];
    case 'l': return static_cast<const std::int64_t*>(data)[i];
    case 'L': {
      const std::uint64_t v = static_cast<const std::uint64_t*>(data)[i];
      return v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ? -1 : static_cast<std::int64_t>(v);
    }
    default: return std::nullopt;
  }
}

void add_chunk(const ArrowSchema& schema, const ArrowArray& array, Rows& rows) {
  rows.chunk_starts.push_back(rows.texts.size());
  if (schema.format == nullptr) throw py::value_error("malformed Arrow schema: no format");
  if (schema.dictionary == nullptr) {
    const StringValues values(schema, array);
    for (std::int64_t i = 0; i < values.length(); ++i) {
      const bool valid = values.is_valid(i);
      rows.add(valid, valid ? values.value(i) : std::string_view());
    }
    return;
  }
  // Dictionary-encoded (pandas categoricals, Parquet dictionaries): each row reads its value
  // through the index; a row is null if its index is null or points at a null value.
  const std::string_view index_format(schema.format);
  if (index_format.size() != 1 || std::string_view("cCsSiIlL").find(index_format[0]) == std::string_view::npos)
    throw py::type_error(unsupported_type(index_format) + " (dictionary indices must be integers)");
  if (array.dictionary == nullptr || schema.dictionary->format == nullptr)
    throw py::value_error("malformed Arrow array: dictionary type without a dictionary");
  if (schema.dictionary->dictionary != nullptr) throw py::type_error(unsupported_type("dictionary of dictionary"));
  const StringValues values(*schema.dictionary, *array.dictionary);
  if (array.length < 0 || array.offset < 0 || array.n_buffers < 2 || array.buffers == nullptr ||
      (array.length > 0 && array.buffers[1] == nullptr))
    throw py::value_error("malformed Arrow array: bad dictionary indices");
  const void* validity = array.null_count == 0 ? nullptr : array.buffers[0];
  for (std::int64_t i = 0; i < array.length; ++i) {
    const std::int64_t j = array.offset + i;
    if (validity != nullptr && !bit_set(validity, j)) {
      rows.add(false, {});
      continue;
    }
    const std::optional<std::int64_t> index = dictionary_index(index_format[0], array.buffers[1], j);
    if (!index || *index < 0 || *index >= values.length())
      throw py::value_error("malformed Arrow array: dictionary index out of range at row " +
                            std::to_string(rows.texts.size()));
    const bool valid = values.is_valid(*index);
    rows.add(valid, valid ? values.value(*index) : std::string_view());
  }
}

// ---- output: exported arrays -----------------------------------------------------------------

// What the core computed for every row, shared by all exported chunks (each chunk's buffers
// point into it), freed when the last of them is released.
struct Results {
  std::vector<std::size_t> counts;  // count: one per row
  std::vector<Rank> tokens;         // encode: every row's tokens, in row order
};
static_assert(sizeof(std::size_t) == sizeof(std::int64_t), "counts are exported in place as int64");

// private_data of an exported ArrowArray: owns its buffers (or a share of Results) and children.
struct ArrayOwner {
  std::shared_ptr<const Results> results;
  std::vector<std::uint8_t> validity;  // empty when the chunk has no null
  std::vector<std::int32_t> offsets;   // list arrays
  const void* buffers[2] = {nullptr, nullptr};
  std::unique_ptr<ArrowArray> child;
  ArrowArray* children[1] = {nullptr};
};

void release_array(ArrowArray* a) {
  auto* owner = static_cast<ArrayOwner*>(a->private_data);
  // A consumer may have moved the child out (then its release is null and it frees itself).
  if (owner->child && owner->child->release != nullptr) owner->child->release(owner->child.get());
  delete owner;
  a->release = nullptr;
}

ArrowArray exported_array(std::unique_ptr<ArrayOwner> owner, std::int64_t length, std::int64_t null_count) {
  ArrowArray a{};
  a.length = length;
  a.null_count = null_count;
  a.offset = 0;
  a.n_buffers = 2;
  a.buffers = owner->buffers;
  if (owner->child) {
    owner->children[0] = owner->child.get();
    a.n_children = 1;
    a.children = owner->children;
  }
  a.release = release_array;
  a.private_data = owner.release();
  return a;
}

// private_data of an exported ArrowSchema: a list type's one child.
struct SchemaOwner {
  std::unique_ptr<ArrowSchema> child;
  ArrowSchema* children[1] = {nullptr};
};

void release_schema(ArrowSchema* s) {
  auto* owner = static_cast<SchemaOwner*>(s->private_data);
  if (owner->child && owner->child->release != nullptr) owner->child->release(owner->child.get());
  delete owner;
  s->release = nullptr;
}

ArrowSchema leaf_schema(const char* format, const char* name) {
  ArrowSchema s{};
  s.format = format;  // string literals: valid for ever
  s.name = name;
  s.flags = ARROW_FLAG_NULLABLE;
  s.release = release_schema;
  s.private_data = new SchemaOwner();
  return s;
}

// int64, or list<item: uint32> (pyarrow's pa.list_(pa.uint32()), the child nullable as there).
ArrowSchema result_schema(bool tokens) {
  if (!tokens) return leaf_schema("l", "");
  ArrowSchema s = leaf_schema("+l", "");
  auto* owner = static_cast<SchemaOwner*>(s.private_data);
  owner->child = std::make_unique<ArrowSchema>(leaf_schema("I", "item"));
  owner->children[0] = owner->child.get();
  s.n_children = 1;
  s.children = owner->children;
  return s;
}

// Validity bits of rows [begin, end), or empty if all are valid.
std::vector<std::uint8_t> validity_bitmap(const Rows& rows, std::size_t begin, std::size_t end, std::int64_t& nulls) {
  nulls = 0;
  for (std::size_t i = begin; i < end; ++i) nulls += rows.valid[i] ? 0 : 1;
  if (nulls == 0) return {};
  std::vector<std::uint8_t> bitmap((end - begin + 7) / 8, 0);
  for (std::size_t i = begin; i < end; ++i)
    if (rows.valid[i]) bitmap[(i - begin) >> 3] |= static_cast<std::uint8_t>(1u << ((i - begin) & 7));
  return bitmap;
}

// Exported chunks of the result, one per input chunk.
struct Exported {
  std::vector<ArrowArray> arrays;  // owned until handed to capsules
  Exported() = default;
  Exported(const Exported&) = delete;
  Exported& operator=(const Exported&) = delete;
  ~Exported() {
    for (ArrowArray& a : arrays)
      if (a.release != nullptr) a.release(&a);
  }
};

void export_counts(std::shared_ptr<Results> results, const Rows& rows, Exported& out) {
  for (std::size_t c = 0; c + 1 < rows.chunk_starts.size(); ++c) {
    const std::size_t begin = rows.chunk_starts[c], end = rows.chunk_starts[c + 1];
    auto owner = std::make_unique<ArrayOwner>();
    std::int64_t nulls = 0;
    owner->validity = validity_bitmap(rows, begin, end, nulls);
    owner->results = results;
    owner->buffers[0] = owner->validity.empty() ? nullptr : owner->validity.data();
    owner->buffers[1] = results->counts.data() + begin;  // a null row's slot holds 0
    out.arrays.push_back(exported_array(std::move(owner), static_cast<std::int64_t>(end - begin), nulls));
  }
}

// Each chunk's list offsets are int32 and start at 0; its child points at its own tokens.
void export_tokens(std::shared_ptr<Results> results, const Rows& rows, const std::vector<std::size_t>& token_starts,
                   Exported& out) {
  for (std::size_t c = 0; c + 1 < rows.chunk_starts.size(); ++c) {
    const std::size_t begin = rows.chunk_starts[c], end = rows.chunk_starts[c + 1];
    const std::size_t first_token = token_starts[begin];
    auto owner = std::make_unique<ArrayOwner>();
    std::int64_t nulls = 0;
    owner->validity = validity_bitmap(rows, begin, end, nulls);
    owner->offsets.resize(end - begin + 1);
    for (std::size_t i = begin; i <= end; ++i)
      owner->offsets[i - begin] = static_cast<std::int32_t>(token_starts[i] - first_token);
    owner->results = results;
    owner->buffers[0] = owner->validity.empty() ? nullptr : owner->validity.data();
    owner->buffers[1] = owner->offsets.data();

    auto child_owner = std::make_unique<ArrayOwner>();
    child_owner->results = results;
    child_owner->buffers[1] = results->tokens.data() + first_token;
    owner->child = std::make_unique<ArrowArray>(
        exported_array(std::move(child_owner), static_cast<std::int64_t>(token_starts[end] - first_token), 0));
    out.arrays.push_back(exported_array(std::move(owner), static_cast<std::int64_t>(end - begin), nulls));
  }
}

// ---- capsules ----------------------------------------------------------------------------------

template <class T>
T* capsule_pointer(py::handle capsule, const char* name) {
  void* p = PyCapsule_GetPointer(capsule.ptr(), name);  // ValueError for another capsule name
  if (p == nullptr) throw py::error_already_set();
  return static_cast<T*>(p);
}

// The PyCapsule protocol's capsules: their destructor releases what no consumer took.
template <class T>
py::capsule owning_capsule(T value, const char* name) {
  auto* p = new T(value);
  PyObject* capsule = PyCapsule_New(p, name, [](PyObject* cap) {
    auto* t = static_cast<T*>(PyCapsule_GetPointer(cap, PyCapsule_GetName(cap)));
    if (t == nullptr) return;
    if (t->release != nullptr) t->release(t);
    delete t;
  });
  if (capsule == nullptr) {
    if (p->release != nullptr) p->release(p);
    delete p;
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::capsule>(capsule);
}

// ---- the calls -------------------------------------------------------------------------------

struct RowFailure {
  std::size_t row;
  tokcount::Error error;
};

// The core's batch call reports the first error in row order but not the row; find it again,
// serially, only on that error path (the happy path keeps no per-row bookkeeping).
std::optional<RowFailure> first_failing_row(const Encoding& enc, const Rows& rows, const EncodeOptions& options) {
  for (std::size_t i = 0; i < rows.texts.size(); ++i) {
    if (!rows.valid[i]) continue;
    try {
      enc.count(rows.texts[i], options);
    } catch (const tokcount::Error& e) {
      return RowFailure{i, e};
    }
  }
  return std::nullopt;
}

[[noreturn]] void raise_row_error(const RowFailure& f) {
  py::object error = py::reinterpret_borrow<py::object>(g_row_error)("row " + std::to_string(f.row) + ": " + f.error.what());
  error.attr("row") = f.row;
  error.attr("code") = tokcount::error_code_name(f.error.code());
  error.attr("byte_offset") = f.error.byte_offset() == tokcount::kNoOffset ? py::object(py::none()) : py::int_(f.error.byte_offset());
  error.attr("token") = f.error.token().empty() ? py::object(py::none()) : py::object(py::str(f.error.token()));
  PyErr_SetObject(g_row_error, error.ptr());
  throw py::error_already_set();
}

// The input's chunks: one (schema, array) pair from __arrow_c_array__, or every array of an
// __arrow_c_stream__ (read with the GIL held: a stream may be implemented in Python).
struct Input {
  py::object keep;  // the capsules, alive while we read their structures
  const ArrowSchema* schema = nullptr;
  std::vector<const ArrowArray*> arrays;
  OwnedSchema stream_schema;
  std::vector<std::unique_ptr<OwnedArray>> stream_arrays;
};

void read_input(py::handle source, Input& in) {
  if (PyTuple_Check(source.ptr())) {
    const py::tuple pair = py::reinterpret_borrow<py::tuple>(source);
    if (pair.size() != 2) throw py::type_error("expected the (schema, array) capsules of __arrow_c_array__");
    in.keep = pair;
    in.schema = capsule_pointer<ArrowSchema>(pair[0], "arrow_schema");
    in.arrays.push_back(capsule_pointer<ArrowArray>(pair[1], "arrow_array"));
    if (in.schema->release == nullptr || in.arrays[0]->release == nullptr)
      throw py::value_error("the Arrow capsules were already consumed");
    return;
  }
  in.keep = py::reinterpret_borrow<py::object>(source);
  auto* stream = capsule_pointer<ArrowArrayStream>(source, "arrow_array_stream");
  if (stream->release == nullptr) throw py::value_error("the Arrow stream capsule was already consumed");
  auto fail = [&](const char* what, int code) {
    const char* msg = stream->get_last_error != nullptr ? stream->get_last_error(stream) : nullptr;
    throw py::value_error(std::string("Arrow stream ") + what + " failed (errno " + std::to_string(code) +
                          ")" + (msg != nullptr ? std::string(": ") + msg : std::string()));
  };
  if (const int rc = stream->get_schema(stream, &in.stream_schema.s); rc != 0) fail("get_schema", rc);
  in.schema = &in.stream_schema.s;
  for (;;) {
    auto a = std::make_unique<OwnedArray>();
    if (const int rc = stream->get_next(stream, &a->a); rc != 0) fail("get_next", rc);
    if (a->a.release == nullptr) break;  // end of stream
    in.arrays.push_back(&a->a);
    in.stream_arrays.push_back(std::move(a));
  }
}

py::list run_batch(py::handle core, py::handle source, py::handle allowed, py::handle disallowed,
                   py::handle num_threads, bool tokens) {
  const Encoding& enc = *tokcount::python::encoding_of(core);
  const EncodeOptions options = tokcount::python::options_of(allowed, disallowed);
  Input in;
  read_input(source, in);

  Rows rows;
  std::optional<RowFailure> failure;
  Exported exported;
  {
    py::gil_scoped_release release;
    std::size_t total_rows = 0;
    for (const ArrowArray* a : in.arrays) total_rows += static_cast<std::size_t>(std::max<std::int64_t>(a->length, 0));
    rows.texts.reserve(total_rows);
    rows.valid.reserve(total_rows);
    for (const ArrowArray* a : in.arrays) add_chunk(*in.schema, *a, rows);
    rows.chunk_starts.push_back(rows.texts.size());
  }
  const unsigned threads = tokcount::python::threads_for(num_threads, rows.total_bytes, rows.texts.size());
  {
    py::gil_scoped_release release;
    auto results = std::make_shared<Results>();
    try {
      if (!tokens) {
        results->counts = enc.count_batch(rows.texts, options, threads);
        export_counts(std::move(results), rows, exported);
      } else {
        // Rows are appended to the flat token buffer on this thread, in order, while pool threads
        // encode later rows: the flattening overlaps the encoding instead of following it, and
        // each row's own vector is freed as soon as it is copied.
        std::vector<std::size_t> token_starts(rows.texts.size() + 1, 0);
        results->tokens.reserve(rows.total_bytes / 4);  // a guess (~4 bytes per token in prose)
        enc.encode_batch_in_order(rows.texts, options, threads,
                                  [&](std::size_t first, std::span<std::vector<Rank>> done) {
                                    for (std::size_t k = 0; k < done.size(); ++k) {
                                      results->tokens.insert(results->tokens.end(), done[k].begin(), done[k].end());
                                      token_starts[first + k + 1] = results->tokens.size();
                                      std::vector<Rank>().swap(done[k]);
                                    }
                                  });
        // list<uint32> offsets are int32: a chunk may hold at most 2**31 - 1 tokens.
        for (std::size_t c = 0; c + 1 < rows.chunk_starts.size(); ++c)
          if (token_starts[rows.chunk_starts[c + 1]] - token_starts[rows.chunk_starts[c]] >
              static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
            throw py::value_error("chunk " + std::to_string(c) +
                                  " has more than 2**31 - 1 tokens, the most a list<uint32> array can hold; "
                                  "split the input into smaller chunks");
        export_tokens(std::move(results), rows, token_starts, exported);
      }
    } catch (const tokcount::Error& e) {
      failure = first_failing_row(enc, rows, options);
      if (!failure) failure = RowFailure{tokcount::kNoOffset, e};
    }
  }
  if (failure) {
    if (failure->row == tokcount::kNoOffset) tokcount::python::raise_error(failure->error);
    raise_row_error(*failure);
  }

  py::list out;
  for (ArrowArray& a : exported.arrays) {
    const ArrowArray moved = a;
    a.release = nullptr;  // the capsule owns it now, whatever happens next
    py::capsule array = owning_capsule(moved, "arrow_array");
    py::capsule schema = owning_capsule(result_schema(tokens), "arrow_schema");
    out.append(py::make_tuple(schema, array));
  }
  return out;
}

}  // namespace

void register_arrow(py::module_& m) {
  g_row_error = PyErr_NewExceptionWithDoc(
      "tokcount._tokcount.ArrowRowError",
      "A row of an Arrow batch could not be tokenized (a ValueError). Attributes: row (index in the whole "
      "input, chunks included), code (e.g. 'INVALID_UTF8', 'DISALLOWED_SPECIAL'), byte_offset and token "
      "(or None).",
      PyExc_ValueError, nullptr);
  if (g_row_error == nullptr) throw py::error_already_set();
  m.attr("ArrowRowError") = py::handle(g_row_error);

  m.def(
      "arrow_count",
      [](py::handle core, py::handle source, py::handle allowed, py::handle disallowed, py::handle num_threads) {
        return run_batch(core, source, allowed, disallowed, num_threads, false);
      },
      py::arg("core"), py::arg("source"), py::arg("allowed_special"), py::arg("disallowed_special"),
      py::arg("num_threads"),
      "Token count (int64) of every row of an Arrow string column. source is the (schema, array) capsule pair "
      "of __arrow_c_array__ or the stream capsule of __arrow_c_stream__; returns one (schema, array) capsule "
      "pair per input chunk.");
  m.def(
      "arrow_encode",
      [](py::handle core, py::handle source, py::handle allowed, py::handle disallowed, py::handle num_threads) {
        return run_batch(core, source, allowed, disallowed, num_threads, true);
      },
      py::arg("core"), py::arg("source"), py::arg("allowed_special"), py::arg("disallowed_special"),
      py::arg("num_threads"), "Tokens (list<uint32>) of every row of an Arrow string column; as arrow_count.");
}
