// Helpers shared by the cache module's files (not installed).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokcount/cache.hpp"

namespace tokcount::cache::detail {

// data/cache_rules.json (embedded), parsed once: every provider constant the simulator and the
// linter's cache rules use.
const nlohmann::json& cache_rules();

// The prefix level of a rendered segment.
Level segment_level(const chat::Request& r, const chat::Segment& s);

// ---- normalization (research §6.4 FP-N, §7.1) ----------------------------------------------

// Each normalization on its own, so a diff can name the one that made two texts equal.
std::string normalize_line_endings(std::string_view s);   // CRLF / CR -> LF            (PC012)
std::string strip_trailing_whitespace(std::string_view s); // per line and at the end   (PC011)
std::string to_nfc(std::string_view s);                    // Unicode NFC               (PC014)
std::string remove_invisible(std::string_view s);          // ZW*, U+2060, soft hyphen  (PC015)
std::string map_exotic_spaces(std::string_view s);         // NBSP & co. -> U+0020      (PC016)
std::string strip_bom(std::string_view s);                 // U+FEFF anywhere           (PC017)
// All of the above, in a fixed order.
std::string normalize_text(std::string_view s);
// Rule ids of the normalizations that change `s`.
std::vector<std::string> format_rules_touching(std::string_view s);

// Volatile spans replaced by typed placeholders (<TIMESTAMP>, <DATE>, <UUID>, <ID>, <EPOCH>);
// `rules` receives PC001 / PC002 / PC003 for what was masked.
std::string mask_volatile(std::string_view s, std::vector<std::string>* rules = nullptr);

// JSON text with object keys sorted recursively and set-like arrays ("required", "enum" is
// never sorted) sorted; the input as given when it is not JSON.
std::string canonical_json(std::string_view json);
// The same with every string value passed through normalize_text.
std::string canonical_json_normalized(std::string_view json);

}  // namespace tokcount::cache::detail
