// Normalizations behind the normalized fingerprint and the diff's drift reasons (research
// prompt-cache.md §6.4 FP-N, §7.1). Each is separate so a diff can say which one made two
// texts equal; none is applied before hashing for prediction (providers match exact bytes).
#include <re2/re2.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>

#include <algorithm>

#include "cache/cache_internal.hpp"
#include "chat/json_util.hpp"

namespace tokcount::cache::detail {

namespace {

// Replaces each listed UTF-8 sequence by `with`.
std::string replace_all(std::string_view s, std::initializer_list<std::string_view> what, std::string_view with) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    bool hit = false;
    for (std::string_view w : what)
      if (s.compare(i, w.size(), w) == 0) {
        out += with;
        i += w.size();
        hit = true;
        break;
      }
    if (!hit) out += s[i++];
  }
  return out;
}

}  // namespace

std::string normalize_line_endings(std::string_view s) { return replace_all(s, {"\r\n", "\r"}, "\n"); }

std::string strip_trailing_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t pending = out.size();
  for (char c : s) {
    if (c == '\n') out.resize(pending);
    out += c;
    if (c != ' ' && c != '\t') pending = out.size();
  }
  out.resize(pending);
  return out;
}

std::string to_nfc(std::string_view s) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return std::string(s);
  const icu::StringPiece piece(s.data(), static_cast<int32_t>(s.size()));
  if (nfc->isNormalizedUTF8(piece, status) && U_SUCCESS(status)) return std::string(s);
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  status = U_ZERO_ERROR;
  nfc->normalizeUTF8(0, piece, sink, nullptr, status);
  return U_FAILURE(status) ? std::string(s) : out;
}

// U+200B..U+200D, U+2060, U+00AD, bidi controls U+202A..U+202E, U+2066..U+2069.
std::string remove_invisible(std::string_view s) {
  return replace_all(s,
                     {"\xE2\x80\x8B", "\xE2\x80\x8C", "\xE2\x80\x8D", "\xE2\x81\xA0", "\xC2\xAD", "\xE2\x80\xAA",
                      "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD", "\xE2\x80\xAE", "\xE2\x81\xA6", "\xE2\x81\xA7",
                      "\xE2\x81\xA8", "\xE2\x81\xA9"},
                     "");
}

// NBSP, narrow NBSP, figure space, ideographic space, en/em spaces U+2002..U+200A.
std::string map_exotic_spaces(std::string_view s) {
  return replace_all(s,
                     {"\xC2\xA0", "\xE2\x80\xAF", "\xE2\x80\x87", "\xE3\x80\x80", "\xE2\x80\x82", "\xE2\x80\x83",
                      "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A"},
                     " ");
}

std::string strip_bom(std::string_view s) { return replace_all(s, {"\xEF\xBB\xBF"}, ""); }

std::string normalize_text(std::string_view s) {
  return strip_trailing_whitespace(map_exotic_spaces(remove_invisible(strip_bom(to_nfc(normalize_line_endings(s))))));
}

std::vector<std::string> format_rules_touching(std::string_view s) {
  std::vector<std::string> r;
  if (normalize_line_endings(s) != s) r.push_back("PC012");
  if (strip_trailing_whitespace(normalize_line_endings(s)) != normalize_line_endings(s)) r.push_back("PC011");
  if (to_nfc(s) != s) r.push_back("PC014");
  if (remove_invisible(s) != s) r.push_back("PC015");
  if (map_exotic_spaces(s) != s) r.push_back("PC016");
  if (strip_bom(s) != s) r.push_back("PC017");
  return r;
}

std::string mask_volatile(std::string_view s, std::vector<std::string>* rules) {
  // The field-tested patterns listed in research §7.1 (prompt-cache-linter), longest first
  // so a date inside a timestamp is masked once.
  struct Pat {
    const char* re;
    const char* placeholder;
    const char* rule;
  };
  static const Pat kPats[] = {
      {R"(\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\b)", "<TIMESTAMP>", "PC001"},
      {R"(\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)", "<UUID>", "PC003"},
      {R"((?i)\b(session|sess|request|req|trace|txn|run|order|correlation|corr)[_-][a-zA-Z0-9]{6,}\b)", "<ID>", "PC003"},
      {R"(\b1\d{12}\b)", "<EPOCH_MS>", "PC001"},
      {R"(\b1\d{9}\b)", "<EPOCH>", "PC001"},
      {R"(\b\d{4}-\d{2}-\d{2}\b)", "<DATE>", "PC002"},
      {R"(\b\d{1,2}:\d{2}(:\d{2})?\b)", "<TIME>", "PC001"},
      {R"(\b[0-9a-fA-F]{16,}\b)", "<HEX>", "PC003"},
  };
  static const std::vector<std::unique_ptr<RE2>> kRes = [] {
    std::vector<std::unique_ptr<RE2>> v;
    for (const Pat& p : kPats) v.push_back(std::make_unique<RE2>(p.re));
    return v;
  }();
  std::string out(s);
  for (std::size_t i = 0; i < kRes.size(); ++i) {
    if (RE2::GlobalReplace(&out, *kRes[i], kPats[i].placeholder) > 0 && rules != nullptr &&
        std::find(rules->begin(), rules->end(), kPats[i].rule) == rules->end())
      rules->push_back(kPats[i].rule);
  }
  return out;
}

namespace {

using chat::detail::Json;

// Arrays whose order carries no meaning in JSON Schema (DeepSeek-Reasonix's rule, research
// §6.4): sorted; everything else (enum, items, prefixItems ...) keeps its order.
bool set_like(const std::string& key) { return key == "required"; }

Json canonical(const Json& v, bool normalize_strings) {
  if (v.is_object()) {
    std::vector<std::pair<std::string, Json>> items;
    for (auto it = v.begin(); it != v.end(); ++it) {
      Json c = canonical(it.value(), normalize_strings);
      if (set_like(it.key()) && c.is_array()) std::sort(c.begin(), c.end());
      items.emplace_back(it.key(), std::move(c));
    }
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Json out = Json::object();
    for (auto& [k, x] : items) out[k] = std::move(x);
    return out;
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (const Json& x : v) out.push_back(canonical(x, normalize_strings));
    return out;
  }
  if (normalize_strings && v.is_string()) return Json(normalize_text(v.get<std::string>()));
  return v;
}

std::string canonical_impl(std::string_view json, bool normalize_strings) {
  Json doc = Json::parse(json.begin(), json.end(), nullptr, false);
  if (doc.is_discarded()) return normalize_strings ? normalize_text(json) : std::string(json);
  return canonical(doc, normalize_strings).dump();
}

}  // namespace

std::string canonical_json(std::string_view json) { return canonical_impl(json, false); }
std::string canonical_json_normalized(std::string_view json) { return canonical_impl(json, true); }

}  // namespace tokcount::cache::detail
