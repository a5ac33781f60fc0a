// tokcount encode --jsonl: JSON Lines in, one {"tokens":[...]} or {"error":{...}} line out per
// input line, in order.
//
// Lines are read in batches (as much as is available, up to kBatchBytes), split into chunks
// of lines that worker threads parse (simdjson On-Demand, one parser per thread) and encode,
// and the chunks' outputs are written in order before the next batch is read. Each line
// carries its own allowed/disallowed specials and must get its own error line, which
// Encoding::encode_batch (one option set, first error aborts the batch) cannot express, so
// the workers call encode_into per line instead.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <simdjson.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace tokcount::cli {
namespace {

namespace od = simdjson::ondemand;

constexpr std::size_t kBatchBytes = std::size_t{8} << 20;
constexpr std::size_t kPadding = simdjson::SIMDJSON_PADDING;

// A problem with a line that is neither malformed JSON nor a library error.
struct LineError {
  const char* code;
  std::string message;
};

struct Worker {
  od::parser parser;
  std::vector<Rank> tokens;
  std::string fixed;  // scratch for replace_lone_surrogates
};

struct LineDefaults {
  TokenSet allowed = TokenSet::none();
  TokenSet disallowed = TokenSet::all();
  Utf8Mode utf8 = Utf8Mode::kStrict;
};

// Nesting deeper than this is a parse error (simdjson's own default depth limit), before the
// recursion below could exhaust the stack: a 200,000-deep array line crashed the CLI with
// SIGSEGV (tests/cli/test_garbage.py).
constexpr int kMaxJsonDepth = 1024;

// Walks a value the line does not otherwise use, so malformed JSON anywhere on the line is a
// PARSE_ERROR (On-Demand only checks what is read).
void validate(od::value v, int depth = 0) {
  if (depth >= kMaxJsonDepth) throw simdjson::simdjson_error(simdjson::DEPTH_ERROR);
  switch (od::json_type(v.type())) {
    case od::json_type::array:
      for (od::value child : v.get_array()) validate(child, depth + 1);
      break;
    case od::json_type::object:
      for (od::field field : v.get_object()) {
        std::string_view key = field.unescaped_key();
        (void)key;
        validate(field.value(), depth + 1);
      }
      break;
    case od::json_type::number: {
      // get_double checks the number's syntax and, unlike get_number, accepts integers
      // beyond 64 bits (valid JSON, e.g. big ids in metadata).
      double d = v.get_double();
      (void)d;
      break;
    }
    case od::json_type::string: {
      std::string_view s = v.get_string();
      (void)s;
      break;
    }
    case od::json_type::boolean: {
      bool b = v.get_bool();
      (void)b;
      break;
    }
    case od::json_type::null: {
      bool is_null = v.is_null();
      if (!is_null) throw simdjson::simdjson_error(simdjson::N_ATOM_ERROR);
      break;
    }
  }
}

// simdjson 3.0's document has no at_end(); current_location() is OUT_OF_BOUNDS exactly there.
bool at_end(od::document& doc) {
  const char* where = nullptr;
  return doc.current_location().get(where) == simdjson::OUT_OF_BOUNDS;
}

// "all" or a list of strings: what tiktoken's allowed_special / disallowed_special accept.
TokenSet token_set(od::value v, std::string_view field) {
  const od::json_type type = v.type();
  if (type == od::json_type::string) {
    std::string_view s = v.get_string();
    if (s == "all") return TokenSet::all();
  } else if (type == od::json_type::array) {
    std::vector<std::string> names;
    bool ok = true;
    for (od::value el : v.get_array()) {
      const od::json_type t = el.type();
      if (t != od::json_type::string) {
        validate(el);
        ok = false;
        continue;
      }
      names.emplace_back(std::string_view(el.get_string()));
    }
    if (ok) return names.empty() ? TokenSet::none() : TokenSet::of(std::move(names));
  } else {
    validate(v);
  }
  throw LineError{"INVALID_ARGUMENT", "\"" + std::string(field) + "\" must be \"all\" or a list of strings"};
}

// Parses one line and appends its {"tokens":[...]} line to `out`. Throws simdjson_error,
// LineError or tokcount::Error, having appended nothing.
void encode_line(Worker& w, const Encoding& enc, const LineDefaults& d, simdjson::padded_string_view json,
                 std::string& out) {
  od::document doc = w.parser.iterate(json);
  const od::json_type root = doc.type();
  if (root != od::json_type::object) {
    if (root == od::json_type::array) validate(doc.get_value());
    throw LineError{"INVALID_ARGUMENT", "each line must be a JSON object with a \"text\" string"};
  }
  EncodeOptions opts;
  opts.allowed_special = d.allowed;
  opts.disallowed_special = d.disallowed;
  opts.utf8 = d.utf8;
  std::string_view text;
  bool have_text = false;
  for (od::field field : doc.get_object()) {
    const std::string_view key = field.unescaped_key();
    od::value v = field.value();
    if (key == "text") {
      const od::json_type t = v.type();
      if (t != od::json_type::string) {
        validate(v);
        throw LineError{"INVALID_ARGUMENT", "\"text\" must be a string"};
      }
      text = v.get_string();
      have_text = true;
    } else if (key == "allowed_special" || key == "disallowed_special") {
      const od::json_type t = v.type();
      if (t == od::json_type::null) {  // null reads as "not given"
        validate(v);
        continue;
      }
      (key == "allowed_special" ? opts.allowed_special : opts.disallowed_special) = token_set(v, key);
    } else {
      validate(v);  // other fields (ids, metadata) are ignored
    }
  }
  if (!at_end(doc)) throw LineError{"PARSE_ERROR", "unexpected content after the JSON object"};
  if (!have_text) throw LineError{"INVALID_ARGUMENT", "missing \"text\""};

  w.tokens.clear();
  enc.encode_into(text, opts, w.tokens);
  out.append("{\"tokens\":[");
  for (std::size_t i = 0; i < w.tokens.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_uint(out, w.tokens[i]);
  }
  out.append("]}\n");
}

// simdjson 3.0 rejects \uD800-\uDFFF escapes that are not a high+low pair. Python's json.loads
// accepts them and tiktoken's encode() then turns each lone surrogate into U+FFFD, so rewriting
// each such escape as \uFFFD (same length) before parsing again gives tiktoken's tokens.
// Returns false when the line has no lone surrogate escape (the error is something else).
bool replace_lone_surrogates(std::string_view line, std::string& fixed) {
  fixed.assign(line);
  auto hex4 = [&](std::size_t at, std::uint32_t& cp) {
    if (at + 4 > fixed.size()) return false;
    cp = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      const char c = fixed[k];
      const int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
      if (digit < 0) return false;
      cp = cp * 16 + static_cast<std::uint32_t>(digit);
    }
    return true;
  };
  bool changed = false;
  for (std::size_t i = 0; i + 1 < fixed.size(); ++i) {
    if (fixed[i] != '\\') continue;
    if (fixed[i + 1] != 'u') {
      ++i;  // a two-character escape such as \\ or \"
      continue;
    }
    std::uint32_t cp = 0;
    if (!hex4(i + 2, cp)) continue;  // malformed: simdjson reports it on the retry
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      std::uint32_t low = 0;
      if (i + 12 <= fixed.size() && fixed[i + 6] == '\\' && fixed[i + 7] == 'u' && hex4(i + 8, low) &&
          low >= 0xDC00 && low <= 0xDFFF) {
        i += 11;  // a proper pair
        continue;
      }
    } else if (cp < 0xDC00 || cp > 0xDFFF) {
      i += 5;
      continue;
    }
    fixed.replace(i + 2, 4, "FFFD");
    changed = true;
    i += 5;
  }
  return changed;
}

void append_error(std::string& out, std::string_view code, std::string_view message, std::size_t offset) {
  const nlohmann::json line = {
      {"error",
       {{"code", code}, {"message", message}, {"offset", offset == kNoOffset ? nlohmann::json(nullptr) : nlohmann::json(offset)}}}};
  out.append(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  out.push_back('\n');
}

// Appends one output line for the input line [p, p + len); `capacity` bytes are readable from p
// (at least len + kPadding). Returns false if the line produced an error line.
bool process_line(Worker& w, const Encoding& enc, const LineDefaults& d, const char* p, std::size_t len,
                  std::size_t capacity, std::string& out) {
  const std::string_view line(p, len);
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
    append_error(out, "PARSE_ERROR", "empty line", kNoOffset);
    return false;
  }
  try {
    try {
      encode_line(w, enc, d, simdjson::padded_string_view(p, len, capacity), out);
    } catch (const simdjson::simdjson_error& e) {
      if (e.error() != simdjson::STRING_ERROR || !replace_lone_surrogates(line, w.fixed)) throw;
      const simdjson::padded_string fixed(w.fixed);
      encode_line(w, enc, d, fixed, out);
    }
    return true;
  } catch (const simdjson::simdjson_error& e) {
    append_error(out, "PARSE_ERROR", std::string("invalid JSON: ") + simdjson::error_message(e.error()), kNoOffset);
  } catch (const LineError& e) {
    append_error(out, e.code, e.message, kNoOffset);
  } catch (const Error& e) {
    append_error(out, error_code_name(e.code()), e.what(), e.byte_offset());
  }
  return false;
}

// Reads into buf[len, cap): blocks for the first read, then keeps reading only while more
// input is already available, so a co-process feeding one line at a time gets its answer
// without waiting for a full batch.
void fill(int fd, std::vector<char>& buf, std::size_t cap, std::size_t& len, bool& eof, const std::string& path) {
  bool first = true;
  while (len < cap && !eof) {
    if (!first) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, 0) <= 0) return;
    }
    const ssize_t n = ::read(fd, buf.data() + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InputError((path == "-" ? std::string("<stdin>") : path) + ": " + std::strerror(errno));
    }
    if (n == 0) eof = true;
    len += static_cast<std::size_t>(n);
    first = false;
  }
}

}  // namespace

int run_encode_jsonl(const EncodeArgs& a, const Encoding& enc) {
  const int fd = a.path == "-" ? STDIN_FILENO : ::open(a.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(a.path + ": " + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() {
      if (fd > STDIN_FILENO) ::close(fd);
    }
  } closer{fd};

  LineDefaults defaults;
  if (a.allow_special) defaults.allowed = TokenSet::all();
  if (a.ordinary) defaults.disallowed = TokenSet::none();
  defaults.utf8 = a.lossy ? Utf8Mode::kReplace : Utf8Mode::kStrict;

  const unsigned threads = effective_threads(a.threads);
  std::vector<Worker> workers(threads);
  std::size_t cap = kBatchBytes;
  std::vector<char> buf(cap + kPadding);  // the padding simdjson may read past a line's end
  std::size_t len = 0;
  bool eof = false;
  std::vector<std::pair<std::size_t, std::size_t>> lines;  // (start, length) in buf
  std::vector<std::string> chunk_out;
  std::atomic<bool> any_failed{false};
  Output out;

  while (!eof) {
    fill(fd, buf, cap, len, eof, a.path);
    // Complete lines only; at EOF the unterminated tail is a line too.
    std::size_t end = len;
    if (!eof) {
      const void* nl = len == 0 ? nullptr : ::memrchr(buf.data(), '\n', len);
      if (nl == nullptr) {
        if (len == cap) {  // one line longer than the buffer: grow it
          cap *= 2;
          buf.resize(cap + kPadding);
        }
        continue;
      }
      end = static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data()) + 1;
    }
    lines.clear();
    for (std::size_t pos = 0; pos < end;) {
      const void* nl = std::memchr(buf.data() + pos, '\n', end - pos);
      const std::size_t stop = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data()) : end;
      lines.emplace_back(pos, stop - pos);
      pos = stop + 1;
    }

    // Chunks of lines amortize the hand-out; enough of them per thread to balance long lines.
    const std::size_t per_chunk = std::clamp<std::size_t>(lines.size() / (std::size_t{threads} * 8), 1, 256);
    const std::size_t chunks = (lines.size() + per_chunk - 1) / per_chunk;
    if (chunk_out.size() < chunks) chunk_out.resize(chunks);
    const std::size_t buf_end = buf.size();
    parallel_for(chunks, threads, [&](unsigned worker, std::size_t c) {
      std::string& o = chunk_out[c];
      o.clear();
      const std::size_t last = std::min(lines.size(), (c + 1) * per_chunk);
      for (std::size_t i = c * per_chunk; i < last; ++i) {
        const auto [start, length] = lines[i];
        if (!process_line(workers[worker], enc, defaults, buf.data() + start, length, buf_end - start, o))
          any_failed.store(true, std::memory_order_relaxed);
      }
    });
    for (std::size_t c = 0; c < chunks; ++c) out.write(chunk_out[c]);
    out.flush();  // a streaming caller may be waiting for these lines

    std::memmove(buf.data(), buf.data() + end, len - end);
    len -= end;
  }
  return any_failed.load() ? kExitError : kExitOk;
}

}  // namespace tokcount::cli
