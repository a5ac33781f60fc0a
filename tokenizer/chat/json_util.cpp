#include "chat/json_util.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace tokcount::chat::detail {
namespace {

// Byte offset of the first point where brackets nest deeper than kMaxJsonDepth (strings are
// skipped), or kNoOffset. One linear pass; malformed input is left to the parser.
std::size_t too_deep_at(std::string_view s) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return kNoOffset;
}

// Shortest round-trip digits of a finite, nonzero double and its decimal exponent:
// v = 0.d1d2...dn x 10^kk, i.e. digits "d1..dn" and kk = position of the decimal point.
void shortest_digits(double v, std::string& digits, int& kk) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));  // d.ddde[+-]XX
  const std::size_t e = s.find('e');
  digits.clear();
  for (char c : s.substr(0, e))
    if (c >= '0' && c <= '9') digits.push_back(c);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int exp10 = std::atoi(std::string(s.substr(e + 1)).c_str());
  kk = exp10 + 1;
}

// serde_json (ryu) float format, from ryu's pretty printer.
std::string ryu_format(double v) {
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  std::string out = v < 0 ? "-" : "";
  std::string d;
  int kk = 0;
  shortest_digits(std::fabs(v), d, kk);
  const int length = static_cast<int>(d.size());
  const int k = kk - length;
  if (0 <= k && kk <= 16) {
    out += d;
    out.append(static_cast<std::size_t>(k), '0');
    out += ".0";
  } else if (0 < kk && kk <= 16) {
    out += d.substr(0, static_cast<std::size_t>(kk));
    out += '.';
    out += d.substr(static_cast<std::size_t>(kk));
  } else if (-5 < kk && kk <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-kk), '0');
    out += d;
  } else {
    out += d[0];
    if (length > 1) {
      out += '.';
      out += d.substr(1);
    }
    out += 'e';
    out += std::to_string(kk - 1);
  }
  return out;
}

// ECMAScript Number::toString(10).
std::string js_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (v == 0) return "0";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  std::string out = v < 0 ? "-" : "";
  std::string d;
  int n = 0;
  shortest_digits(std::fabs(v), d, n);
  const int k = static_cast<int>(d.size());
  if (k <= n && n <= 21) {
    out += d;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += d.substr(0, static_cast<std::size_t>(n)) + "." + d.substr(static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += d;
  } else {
    out += d[0];
    if (k > 1) out += "." + d.substr(1);
    out += (n - 1 >= 0) ? "e+" : "e-";
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

void serde_string(const std::string& s, std::string& out) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void serde_into(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::null: out += "null"; break;
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(v.get<std::int64_t>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(v.get<std::uint64_t>()); break;
    case Json::value_t::number_float: out += ryu_format(v.get<double>()); break;
    case Json::value_t::string: serde_string(v.get_ref<const std::string&>(), out); break;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const Json& e : v) {
        if (!first) out += ',';
        first = false;
        serde_into(e, out);
      }
      out += ']';
      break;
    }
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : v.items()) {
        if (!first) out += ',';
        first = false;
        serde_string(key, out);
        out += ':';
        serde_into(value, out);
      }
      out += '}';
      break;
    }
    default: out += "null"; break;  // binary / discarded: never produced by the parser
  }
}

// nlohmann's DOM builder, except that an error is recorded instead of thrown. Its
// parse_error sees every parser failure with its position, including the out_of_range
// ones (a number like 1e99999 overflowing a double) that Json::parse would throw as a
// different exception type without a byte offset.
class RecordingDomParser : public nlohmann::detail::json_sax_dom_parser<Json> {
 public:
  explicit RecordingDomParser(Json& out) : json_sax_dom_parser(out, /*allow_exceptions=*/false) {}

  template <class Exception>
  bool parse_error(std::size_t position, const std::string& /*last_token*/, const Exception& ex) {
    error_position = position;
    error_message = ex.what();
    json_sax_dom_parser::parse_error(position, std::string(), ex);
    return false;
  }

  std::size_t error_position = 0;  // characters read when the parser stopped (1-based)
  std::string error_message;
};

}  // namespace

std::optional<JsonError> try_parse_json(std::string_view text, Json& out) {
  if (const std::size_t at = too_deep_at(text); at != kNoOffset)
    return JsonError{at, "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
  RecordingDomParser sax(out);
  if (Json::sax_parse(text.begin(), text.end(), &sax)) return std::nullopt;
  out = Json();  // a partial document is never handed out
  std::string msg = std::move(sax.error_message);
  // "[json.exception.parse_error.101] parse error at line 1, column 5: ..." -> from "parse error"
  if (const std::size_t from = msg.find("] "); from != std::string::npos) msg.erase(0, from + 2);
  const std::size_t at = sax.error_position == 0 ? 0 : std::min(sax.error_position - 1, text.size());
  return JsonError{at, std::move(msg)};
}

Json parse_json(std::string_view text, std::string_view what) {
  Json doc;
  if (auto err = try_parse_json(text, doc))
    throw Error(ErrorCode::kParseError,
                std::string(what) + ": malformed JSON at byte " + std::to_string(err->byte_offset) + ": " + err->message,
                err->byte_offset);
  return doc;
}

void shape_error(const std::string& path, std::string_view message) {
  throw Error(ErrorCode::kInvalidArgument, path + ": " + std::string(message));
}

const std::string& as_string(const Json& v, const std::string& path) {
  if (!v.is_string()) shape_error(path, std::string("expected a string, got ") + v.type_name());
  return v.get_ref<const std::string&>();
}

const Json& as_object(const Json& v, const std::string& path) {
  if (!v.is_object()) shape_error(path, std::string("expected an object, got ") + v.type_name());
  return v;
}

const Json& as_array(const Json& v, const std::string& path) {
  if (!v.is_array()) shape_error(path, std::string("expected an array, got ") + v.type_name());
  return v;
}

const Json* find(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string member_path(const std::string& path, std::string_view key) {
  bool plain = !key.empty() && !(key[0] >= '0' && key[0] <= '9');
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) plain = false;
  if (plain) return path + "." + std::string(key);
  std::string out = path + "['";
  for (char c : key) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "']";
}

std::string index_path(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string serde_json_compact(const Json& v) {
  std::string out;
  serde_into(v, out);
  return out;
}

std::string js_to_string(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string: return v.get<std::string>();
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer: return js_number(static_cast<double>(v.get<std::int64_t>()));
    case Json::value_t::number_unsigned: return js_number(static_cast<double>(v.get<std::uint64_t>()));
    case Json::value_t::number_float: return js_number(v.get<double>());
    case Json::value_t::array: {
      std::string out;
      bool first = true;
      for (const Json& e : v) {
        if (!first) out += ',';
        first = false;
        if (!e.is_null()) out += js_to_string(e);  // [null].toString() is ""
      }
      return out;
    }
    default: return "[object Object]";
  }
}

}  // namespace tokcount::chat::detail
