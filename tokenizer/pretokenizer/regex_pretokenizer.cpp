// RE2 pre-tokenizer for custom split patterns: a checked translation from tiktoken's regex
// dialect (fancy-regex 0.19 over regex-syntax 0.8) to RE2.
//
// The pattern is parsed into a small tree, which is checked and re-emitted in RE2 syntax with
// every character class spelled out as explicit code-point ranges from our Unicode 16.0 tables
// (RE2 2022-06 ships older tables). Constructs whose meaning we cannot reproduce exactly are
// refused with kUnsupportedPattern naming the construct and its byte offset in the pattern:
//
//  * \p{..}/\P{..} take general categories only (short or long names, LC, \p{^..});
//    \s \S \d \D are White_Space and Nd. \w \W \b \B, scripts and other properties: refused.
//  * (?i) is expanded here, by Unicode simple case folding, for ASCII only ('s' also matches
//    U+017F, 'k' also U+212A, exactly as fancy-regex does); a non-ASCII literal or a \p class
//    under (?i) is refused, since folding it needs case tables we do not carry.
//  * Possessive quantifiers lose their '+' only where greedy provably matches the same:
//    the quantified item ends a top-level alternative, or it repeats one character class
//    that cannot start (or be followed by) anything the rest of the alternative can match.
//  * Look-around: only `\s+(?!\S)` as a whole top-level alternative, rewritten to
//    `(\s\s+|\s\z)` plus a post-match cut (see split()). Everything else is refused.
//  * Flags: i and s (scoped `(?i:..)` anywhere, bare `(?i)` only at the start of the
//    pattern, because fancy-regex lets a bare flag leak out of its enclosing group).
#include "pretokenizer/regex_pretokenizer.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tokcount/tokcount.hpp"

namespace tokcount::pretok {
namespace {

#include "pretokenizer/unicode_categories.inc"

constexpr char32_t kMaxCp = 0x10FFFF;
constexpr char32_t kSurrogateLo = 0xD800;
constexpr char32_t kSurrogateHi = 0xDFFF;

[[noreturn]] void refuse(std::size_t offset, const std::string& what) {
  throw Error(ErrorCode::kUnsupportedPattern,
              "unsupported split pattern: " + what + " at offset " + std::to_string(offset), offset);
}

// ---- code-point sets --------------------------------------------------------------------

// A set of Unicode scalar values as sorted, disjoint, non-adjacent inclusive ranges.
// Surrogates are always removed: they cannot occur in UTF-8 text, and leaving them out keeps
// the emitted RE2 classes free of code points RE2 might treat specially.
class CpSet {
 public:
  struct Range {
    char32_t lo;
    char32_t hi;
  };

  static CpSet single(char32_t c) {
    CpSet s;
    s.add(c, c);
    return s;
  }
  static CpSet all() {
    CpSet s;
    s.add(0, kMaxCp);
    return s;
  }

  void add(char32_t lo, char32_t hi) {
    ranges_.push_back({lo, hi});
    normalize();
  }
  void add(const CpSet& other) {
    ranges_.insert(ranges_.end(), other.ranges_.begin(), other.ranges_.end());
    normalize();
  }
  void add_table(const std::uint32_t (*table)[2], std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) ranges_.push_back({table[i][0], table[i][1]});
    normalize();
  }

  CpSet complement() const {
    CpSet out;
    char32_t next = 0;
    for (const Range& r : ranges_) {
      if (r.lo > next) out.ranges_.push_back({next, r.lo - 1});
      next = r.hi + 1;
    }
    if (next <= kMaxCp) out.ranges_.push_back({next, kMaxCp});
    out.normalize();
    return out;
  }

  bool contains(char32_t c) const {
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), c,
                               [](char32_t v, const Range& r) { return v < r.lo; });
    return it != ranges_.begin() && std::prev(it)->hi >= c;
  }

  bool intersects(const CpSet& other) const {
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < ranges_.size() && j < other.ranges_.size()) {
      const Range& a = ranges_[i];
      const Range& b = other.ranges_[j];
      if (a.hi < b.lo) {
        ++i;
      } else if (b.hi < a.lo) {
        ++j;
      } else {
        return true;
      }
    }
    return false;
  }

  bool empty() const { return ranges_.empty(); }
  bool is_single() const { return ranges_.size() == 1 && ranges_[0].lo == ranges_[0].hi; }
  const std::vector<Range>& ranges() const { return ranges_; }
  bool operator==(const CpSet& other) const {
    return ranges_.size() == other.ranges_.size() &&
           std::equal(ranges_.begin(), ranges_.end(), other.ranges_.begin(),
                      [](const Range& a, const Range& b) { return a.lo == b.lo && a.hi == b.hi; });
  }

 private:
  void normalize() {
    std::sort(ranges_.begin(), ranges_.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
    std::vector<Range> merged;
    merged.reserve(ranges_.size() + 1);
    auto push = [&merged](char32_t lo, char32_t hi) {
      if (lo > hi) return;
      if (!merged.empty() && lo <= merged.back().hi + 1) {
        merged.back().hi = std::max(merged.back().hi, hi);
      } else {
        merged.push_back({lo, hi});
      }
    };
    for (const Range& r : ranges_) {
      const char32_t hi = std::min(r.hi, kMaxCp);
      if (r.lo > hi) continue;
      if (hi < kSurrogateLo || r.lo > kSurrogateHi) {
        push(r.lo, hi);
        continue;
      }
      if (r.lo < kSurrogateLo) push(r.lo, kSurrogateLo - 1);
      if (hi > kSurrogateHi) push(kSurrogateHi + 1, hi);
    }
    ranges_ = std::move(merged);
  }

  std::vector<Range> ranges_;
};

// ---- Unicode 16.0 classes -----------------------------------------------------------------

CpSet category(std::string_view two_letter) {
  CpSet s;
  for (unsigned i = 0; i < kGcCount; ++i) {
    if (std::string_view(kGcNames[i], 2) == two_letter) {
      s.add_table(kGcRanges + kGcStart[i], kGcStart[i + 1] - kGcStart[i]);
      return s;
    }
  }
  return s;  // unreachable for the names property_set() passes
}

// Every category whose two-letter name starts with `major` (L, M, N, P, S, Z, C).
CpSet major_category(char major) {
  CpSet s;
  for (unsigned i = 0; i < kGcCount; ++i) {
    if (kGcNames[i][0] == major) s.add_table(kGcRanges + kGcStart[i], kGcStart[i + 1] - kGcStart[i]);
  }
  return s;
}

const CpSet& white_space() {
  static const CpSet s = [] {
    CpSet w;
    w.add_table(kWhiteSpaceRanges, sizeof(kWhiteSpaceRanges) / sizeof(kWhiteSpaceRanges[0]));
    return w;
  }();
  return s;
}

const CpSet& decimal_digits() {  // Rust's Unicode \d is \p{Nd}
  static const CpSet s = category("Nd");
  return s;
}

// regex-syntax matches property names loosely: case, spaces, '_' and '-' are ignored.
std::string loose_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ' ' || c == '_' || c == '-') continue;
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  return out;
}

// General-category names, short and long (PropertyValueAliases.txt), as regex-syntax accepts
// them. Returns false for anything else (scripts, binary properties, gc=...), which we refuse.
bool property_set(std::string_view raw_name, CpSet& out) {
  struct Alias {
    const char* loose;
    const char* gc;  // one letter: the whole group; "LC": Lu|Ll|Lt; two letters: one category
  };
  static constexpr Alias kAliases[] = {
      {"l", "L"},   {"letter", "L"},
      {"lc", "LC"}, {"casedletter", "LC"},
      {"lu", "Lu"}, {"uppercaseletter", "Lu"},
      {"ll", "Ll"}, {"lowercaseletter", "Ll"},
      {"lt", "Lt"}, {"titlecaseletter", "Lt"},
      {"lm", "Lm"}, {"modifierletter", "Lm"},
      {"lo", "Lo"}, {"otherletter", "Lo"},
      {"m", "M"},   {"mark", "M"},
      {"mn", "Mn"}, {"nonspacingmark", "Mn"},
      {"mc", "Mc"}, {"spacingmark", "Mc"},
      {"me", "Me"}, {"enclosingmark", "Me"},
      {"n", "N"},   {"number", "N"},
      {"nd", "Nd"}, {"decimalnumber", "Nd"},
      {"nl", "Nl"}, {"letternumber", "Nl"},
      {"no", "No"}, {"othernumber", "No"},
      {"p", "P"},   {"punctuation", "P"},
      {"pc", "Pc"}, {"connectorpunctuation", "Pc"},
      {"pd", "Pd"}, {"dashpunctuation", "Pd"},
      {"ps", "Ps"}, {"openpunctuation", "Ps"},
      {"pe", "Pe"}, {"closepunctuation", "Pe"},
      {"pi", "Pi"}, {"initialpunctuation", "Pi"},
      {"pf", "Pf"}, {"finalpunctuation", "Pf"},
      {"po", "Po"}, {"otherpunctuation", "Po"},
      {"s", "S"},   {"symbol", "S"},
      {"sm", "Sm"}, {"mathsymbol", "Sm"},
      {"sc", "Sc"}, {"currencysymbol", "Sc"},
      {"sk", "Sk"}, {"modifiersymbol", "Sk"},
      {"so", "So"}, {"othersymbol", "So"},
      {"z", "Z"},   {"separator", "Z"},
      {"zs", "Zs"}, {"spaceseparator", "Zs"},
      {"zl", "Zl"}, {"lineseparator", "Zl"},
      {"zp", "Zp"}, {"paragraphseparator", "Zp"},
      {"c", "C"},   {"other", "C"},
      {"cc", "Cc"}, {"control", "Cc"},
      {"cf", "Cf"}, {"format", "Cf"},
      {"cs", "Cs"}, {"surrogate", "Cs"},
      {"co", "Co"}, {"privateuse", "Co"},
      {"cn", "Cn"}, {"unassigned", "Cn"},
  };
  const std::string name = loose_name(raw_name);
  for (const Alias& a : kAliases) {
    if (name != a.loose) continue;
    const std::string_view gc = a.gc;
    if (gc == "LC") {
      out = category("Lu");
      out.add(category("Ll"));
      out.add(category("Lt"));
    } else if (gc.size() == 1) {
      out = major_category(gc[0]);
    } else {
      out = category(gc);
    }
    return true;
  }
  return false;
}

// Unicode simple case folding restricted to ASCII letters: the orbit of 's' includes U+017F
// and the orbit of 'k' includes U+212A (CaseFolding.txt); no other ASCII letter has a
// non-ASCII partner. `s` must contain only ASCII.
CpSet fold_ascii(const CpSet& s) {
  CpSet out = s;
  for (char32_t c = 'a'; c <= 'z'; ++c) {
    const char32_t upper = c - 'a' + 'A';
    if (!s.contains(c) && !s.contains(upper)) continue;
    out.add(c, c);
    out.add(upper, upper);
    if (c == 's') out.add(0x17F, 0x17F);
    if (c == 'k') out.add(0x212A, 0x212A);
  }
  return out;
}

bool ascii_only(const CpSet& s) { return s.empty() || s.ranges().back().hi < 0x80; }

// ---- syntax tree ----------------------------------------------------------------------------

struct Node {
  enum Kind : std::uint8_t { kEmpty, kSet, kStartText, kEndText, kConcat, kAlt, kRepeat, kNegLookahead };
  Kind kind = kEmpty;
  std::size_t offset = 0;  // of the construct in the pattern (of the quantifier, for kRepeat)
  CpSet set;               // kSet
  std::vector<Node> kids;  // kConcat, kAlt; the single operand of kRepeat and kNegLookahead
  std::uint32_t min = 0;
  std::uint32_t max = 0;  // kRepeat; kUnbounded for no upper bound
  bool greedy = true;
  bool possessive = false;
  static constexpr std::uint32_t kUnbounded = 0xFFFFFFFFu;
};

Node make_set(CpSet s, std::size_t offset) {
  Node n;
  n.kind = Node::kSet;
  n.set = std::move(s);
  n.offset = offset;
  return n;
}

// ---- parser -------------------------------------------------------------------------------

// Recursive-descent parser following fancy-regex's own parser (parse.rs) for everything we
// accept, and refusing the rest. Groups disappear into the tree's shape.
class Parser {
 public:
  explicit Parser(std::string_view pat) : p_(pat) {}

  Node parse() {
    Node root = parse_alternation(0);
    if (i_ < p_.size()) refuse(i_, "unmatched ')'");
    return root;
  }

 private:
  static constexpr int kMaxDepth = 64;

  bool at(char c) const { return i_ < p_.size() && p_[i_] == c; }
  bool starts_with(std::string_view s) const { return p_.substr(i_).substr(0, s.size()) == s; }

  // Decodes the UTF-8 code point at p_[i], storing its length.
  char32_t decode(std::size_t i, std::size_t& len) const {
    const auto b0 = static_cast<unsigned char>(p_[i]);
    if (b0 < 0x80) {
      len = 1;
      return b0;
    }
    std::size_t n = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
    if (n == 0 || b0 > 0xF4 || i + n > p_.size()) refuse(i, "invalid UTF-8 in pattern");
    char32_t c = b0 & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(p_[i + k]);
      if ((b & 0xC0) != 0x80) refuse(i, "invalid UTF-8 in pattern");
      c = c << 6 | (b & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < kMin[n] || c > kMaxCp || (c >= kSurrogateLo && c <= kSurrogateHi)) {
      refuse(i, "invalid UTF-8 in pattern");
    }
    len = n;
    return c;
  }

  // A literal character under the current flags.
  CpSet literal(char32_t c, std::size_t offset) const {
    CpSet s = CpSet::single(c);
    if (!case_insensitive_) return s;
    if (c >= 0x80) refuse(offset, "non-ASCII literal inside a case-insensitive group");
    return fold_ascii(s);
  }

  Node parse_alternation(int depth) {
    if (depth > kMaxDepth) refuse(i_, "groups nested too deeply");
    std::vector<Node> branches;
    branches.push_back(parse_branch(depth));
    while (at('|')) {
      ++i_;
      branches.push_back(parse_branch(depth));
    }
    if (branches.size() == 1) return std::move(branches[0]);
    Node n;
    n.kind = Node::kAlt;
    n.kids = std::move(branches);
    return n;
  }

  Node parse_branch(int depth) {
    std::vector<Node> items;
    const std::size_t start = i_;
    while (i_ < p_.size() && !at('|') && !at(')')) {
      Node item = parse_piece(depth);
      if (item.kind == Node::kEmpty) continue;
      // A nested concatenation (from a group) is flattened: same matches, and the possessive
      // analysis then sees the group's items as items of the alternative.
      if (item.kind == Node::kConcat) {
        for (Node& k : item.kids) items.push_back(std::move(k));
      } else {
        items.push_back(std::move(item));
      }
    }
    if (items.empty()) {
      Node n;
      n.offset = start;
      return n;
    }
    if (items.size() == 1) return std::move(items[0]);
    Node n;
    n.kind = Node::kConcat;
    n.offset = start;
    n.kids = std::move(items);
    return n;
  }

  Node parse_piece(int depth) {
    const bool bare_flags = starts_with("(?") && i_ + 2 < p_.size() &&
                            (p_[i_ + 2] == 'i' || p_[i_ + 2] == 's' || p_[i_ + 2] == '-');
    Node atom = parse_atom(depth);
    if (i_ >= p_.size()) return atom;
    const char q = p_[i_];
    if (q != '?' && q != '*' && q != '+' && q != '{') return atom;
    const std::size_t q_at = i_;
    std::uint32_t lo = 0;
    std::uint32_t hi = 0;
    if (q == '{') {
      // fancy-regex: `{` that does not form {n}, {n,}, {n,m} or {,m} is a literal.
      if (!parse_counted(lo, hi)) return atom;
    } else {
      ++i_;
      lo = q == '+' ? 1 : 0;
      hi = q == '?' ? 1 : Node::kUnbounded;
    }
    if (atom.kind == Node::kEmpty) {
      refuse(q_at, bare_flags ? "quantifier after a flag group" : "quantifier without an operand");
    }
    if (atom.kind == Node::kStartText || atom.kind == Node::kEndText) {
      refuse(q_at, "quantified assertion");
    }
    if (atom.kind == Node::kNegLookahead) refuse(q_at, "quantified look-ahead");
    Node rep;
    rep.kind = Node::kRepeat;
    rep.offset = q_at;
    rep.min = lo;
    rep.max = hi;
    if (at('?')) {
      rep.greedy = false;
      ++i_;
    }
    if (at('+')) {
      if (!rep.greedy) refuse(q_at, "lazy possessive quantifier");
      rep.possessive = true;
      ++i_;
    }
    rep.kids.push_back(std::move(atom));
    return rep;
  }

  // {n}, {n,}, {n,m}, {,m} with decimal bounds, as fancy-regex's parse_repeat. On failure
  // nothing is consumed.
  bool parse_counted(std::uint32_t& lo, std::uint32_t& hi) {
    std::size_t j = i_ + 1;
    auto number = [&](std::uint32_t& v) {
      const std::size_t from = j;
      std::uint64_t x = 0;
      while (j < p_.size() && p_[j] >= '0' && p_[j] <= '9') {
        x = x * 10 + static_cast<std::uint64_t>(p_[j] - '0');
        if (x > 1000000) refuse(i_, "repetition count too large");
        ++j;
      }
      v = static_cast<std::uint32_t>(x);
      return j > from;
    };
    if (j < p_.size() && p_[j] == ',') {
      lo = 0;
    } else if (!number(lo)) {
      return false;
    }
    if (j >= p_.size()) return false;
    if (p_[j] == '}') {
      hi = lo;
    } else if (p_[j] == ',') {
      ++j;
      if (!number(hi)) hi = Node::kUnbounded;
    } else {
      return false;
    }
    if (j >= p_.size() || p_[j] != '}') return false;
    if (hi < lo) refuse(i_, "repetition range with max < min");
    i_ = j + 1;
    return true;
  }

  Node parse_atom(int depth) {
    const std::size_t at_ix = i_;
    const char c = p_[i_];
    switch (c) {
      case '.': {
        ++i_;
        CpSet s = CpSet::all();
        if (!dot_all_) s = CpSet::single('\n').complement();
        return make_set(std::move(s), at_ix);
      }
      case '^': {
        ++i_;
        Node n;
        n.kind = Node::kStartText;
        n.offset = at_ix;
        return n;
      }
      case '$': {
        ++i_;
        Node n;
        n.kind = Node::kEndText;
        n.offset = at_ix;
        return n;
      }
      case '(':
        return parse_group(depth);
      case '[':
        return make_set(parse_class(), at_ix);
      case '\\':
        return parse_escape_outside();
      case '*':
      case '+':
      case '?':
        refuse(at_ix, "quantifier without an operand");
      default: {
        std::size_t len = 0;
        const char32_t cp = decode(i_, len);
        i_ += len;
        return make_set(literal(cp, at_ix), at_ix);
      }
    }
  }

  Node parse_group(int depth) {
    const std::size_t open = i_;
    ++i_;  // '('
    if (starts_with("?=")) refuse(open, "look-ahead (?=...)");
    if (starts_with("?<=")) refuse(open, "look-behind (?<=...)");
    if (starts_with("?<!")) refuse(open, "look-behind (?<!...)");
    if (starts_with("?>")) refuse(open, "atomic group (?>...)");
    if (starts_with("?#")) refuse(open, "comment group (?#...)");
    if (starts_with("?P=") || starts_with("?P>") || starts_with("?(") || starts_with("?~") ||
        starts_with("*") || starts_with("?&") || starts_with("?R") || starts_with("?+")) {
      refuse(open, "backreference, subroutine, conditional or verb group");
    }
    if (starts_with("?!")) {
      i_ += 2;
      Node inner = parse_alternation(depth + 1);
      expect_close(open);
      Node n;
      n.kind = Node::kNegLookahead;
      n.offset = open;
      n.kids.push_back(std::move(inner));
      return n;
    }
    if (starts_with("?P<") || starts_with("?<") || starts_with("?'")) {
      i_ += starts_with("?P<") ? 3 : 2;
      const char close = p_[i_ - 1] == '\'' ? '\'' : '>';
      const std::size_t name_at = i_;
      while (i_ < p_.size() && (p_[i_] == '_' || (p_[i_] >= '0' && p_[i_] <= '9') ||
                                ((p_[i_] | 0x20) >= 'a' && (p_[i_] | 0x20) <= 'z'))) {
        ++i_;
      }
      if (i_ == name_at || !at(close) || (p_[name_at] >= '0' && p_[name_at] <= '9')) {
        refuse(open, "group name");
      }
      ++i_;
      Node inner = parse_alternation(depth + 1);
      expect_close(open);
      return inner;
    }
    if (at('?')) return parse_flags(open, depth);
    Node inner = parse_alternation(depth + 1);
    expect_close(open);
    return inner;
  }

  // (?flags) or (?flags:...) with flags from {i, s}, optionally negated after '-'.
  Node parse_flags(std::size_t open, int depth) {
    ++i_;  // '?'
    bool ci = case_insensitive_;
    bool dot = dot_all_;
    bool neg = false;
    bool any = false;
    for (;;) {
      if (i_ >= p_.size()) refuse(open, "unclosed group");
      const char f = p_[i_];
      if (f == 'i' || f == 's') {
        (f == 'i' ? ci : dot) = !neg;
        any = true;
      } else if (f == '-' && !neg) {
        neg = true;
        any = false;
      } else if (f == ')' || f == ':') {
        // `(?:` is a plain group; `(?)`, `(?-)` and `(?-:` are errors in fancy-regex.
        if (!any && (f == ')' || neg)) refuse(open, "empty flag group");
        break;
      } else {
        refuse(i_, std::string("flag '") + f + "' (only i and s are supported)");
      }
      ++i_;
    }
    if (p_[i_] == ')') {
      // fancy-regex keeps a bare flag in force past the end of its enclosing group (unlike
      // regex-syntax); at the very start of the pattern the two readings agree.
      if (open != 0) refuse(open, "flag group (?flags) not at the start of the pattern");
      ++i_;
      case_insensitive_ = ci;
      dot_all_ = dot;
      return Node{};
    }
    ++i_;  // ':'
    const bool saved_ci = case_insensitive_;
    const bool saved_dot = dot_all_;
    case_insensitive_ = ci;
    dot_all_ = dot;
    Node inner = parse_alternation(depth + 1);
    expect_close(open);
    case_insensitive_ = saved_ci;
    dot_all_ = saved_dot;
    return inner;
  }

  void expect_close(std::size_t open) {
    if (!at(')')) refuse(open, "unclosed group");
    ++i_;
  }

  // \x.. \u.... \U........ (fixed width) or \x{...} \u{...} \U{...} (1-8 digits), as
  // fancy-regex. i_ is just past the letter.
  char32_t parse_hex(std::size_t esc_at, std::size_t digits) {
    auto hexval = [](char h) -> int {
      if (h >= '0' && h <= '9') return h - '0';
      if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f') return (h | 0x20) - 'a' + 10;
      return -1;
    };
    std::uint64_t v = 0;
    bool fixed = i_ + digits <= p_.size();
    for (std::size_t k = 0; fixed && k < digits; ++k) fixed = hexval(p_[i_ + k]) >= 0;
    if (fixed) {
      for (std::size_t k = 0; k < digits; ++k) v = v * 16 + static_cast<unsigned>(hexval(p_[i_ + k]));
      i_ += digits;
    } else if (at('{')) {
      std::size_t j = i_ + 1;
      std::size_t n = 0;
      while (j < p_.size() && hexval(p_[j]) >= 0 && n < 8) {
        v = v * 16 + static_cast<unsigned>(hexval(p_[j]));
        ++j;
        ++n;
      }
      if (n == 0 || j >= p_.size() || p_[j] != '}') refuse(esc_at, "malformed hex escape");
      i_ = j + 1;
    } else {
      refuse(esc_at, "malformed hex escape");
    }
    if (v > kMaxCp || (v >= kSurrogateLo && v <= kSurrogateHi)) refuse(esc_at, "invalid code point in escape");
    return static_cast<char32_t>(v);
  }

  // \p{..} \P{..} \pX \PX; i_ is at the 'p' or 'P'.
  CpSet parse_property(std::size_t esc_at) {
    bool negated = p_[i_] == 'P';
    ++i_;
    if (i_ >= p_.size()) refuse(esc_at, "incomplete \\p escape");
    std::string_view name;
    if (at('{')) {
      const std::size_t close = p_.find('}', i_);
      if (close == std::string_view::npos) refuse(esc_at, "unclosed \\p{...}");
      name = p_.substr(i_ + 1, close - i_ - 1);
      i_ = close + 1;
      // fancy-regex reads \p{^X} as \P{X}.
      if (!name.empty() && name[0] == '^') {
        negated = !negated;
        name.remove_prefix(1);
      }
    } else {
      std::size_t len = 0;
      decode(i_, len);
      name = p_.substr(i_, len);
      i_ += len;
      if (name.size() != 1 || std::string_view("LMNPSZClmnpszc").find(name[0]) == std::string_view::npos) {
        refuse(esc_at, "unknown one-letter property \\p" + std::string(name));
      }
    }
    if (case_insensitive_) refuse(esc_at, "\\p{...} inside a case-insensitive group");
    CpSet s;
    if (!property_set(name, s)) {
      refuse(esc_at, "\\p{" + std::string(name) + "} (only general categories are supported)");
    }
    return negated ? s.complement() : s;
  }

  // The escapes allowed both inside and outside brackets. Returns true and sets `out` for a
  // class or literal; `is_literal` tells which (ranges need literals).
  bool parse_common_escape(std::size_t esc_at, CpSet& out, char32_t& lit, bool& is_literal) {
    const char e = p_[i_];
    is_literal = false;
    switch (e) {
      case 'd':
      case 'D':
        ++i_;
        out = e == 'd' ? decimal_digits() : decimal_digits().complement();
        return true;
      case 's':
      case 'S':
        ++i_;
        out = e == 's' ? white_space() : white_space().complement();
        return true;
      case 'p':
      case 'P':
        out = parse_property(esc_at);
        return true;
      case 'w':
      case 'W':
        refuse(esc_at, std::string("\\") + e + " (Unicode word class)");
      case 'h':
      case 'H':
        refuse(esc_at, std::string("\\") + e);
      case 'x':
        ++i_;
        lit = parse_hex(esc_at, 2);
        break;
      case 'u':
        ++i_;
        lit = parse_hex(esc_at, 4);
        break;
      case 'U':
        ++i_;
        lit = parse_hex(esc_at, 8);
        break;
      case 'a': lit = 0x07; ++i_; break;
      case 'f': lit = 0x0C; ++i_; break;
      case 'n': lit = '\n'; ++i_; break;
      case 'r': lit = '\r'; ++i_; break;
      case 't': lit = '\t'; ++i_; break;
      case 'v': lit = 0x0B; ++i_; break;
      case 'e': lit = 0x1B; ++i_; break;
      default: {
        if (e >= '0' && e <= '9') refuse(esc_at, "backreference");
        if ((e | 0x20) >= 'a' && (e | 0x20) <= 'z') refuse(esc_at, std::string("escape \\") + e);
        // Any other escaped character (punctuation, space, non-ASCII) is itself.
        std::size_t len = 0;
        lit = decode(i_, len);
        i_ += len;
        break;
      }
    }
    is_literal = true;
    out = literal(lit, esc_at);
    return true;
  }

  Node parse_escape_outside() {
    const std::size_t esc_at = i_;
    ++i_;
    if (i_ >= p_.size()) refuse(esc_at, "trailing backslash");
    const char e = p_[i_];
    if (e == 'A' || e == 'z') {
      ++i_;
      Node n;
      n.kind = e == 'A' ? Node::kStartText : Node::kEndText;
      n.offset = esc_at;
      return n;
    }
    if (e == 'b' || e == 'B') refuse(esc_at, std::string("word boundary \\") + e);
    if (e == 'Z' || e == 'G' || e == 'K' || e == 'R' || e == 'N' || e == 'O' || e == 'g' || e == 'k' ||
        e == '<' || e == '>') {
      refuse(esc_at, std::string("escape \\") + e);
    }
    CpSet s;
    char32_t lit = 0;
    bool is_literal = false;
    parse_common_escape(esc_at, s, lit, is_literal);
    return make_set(std::move(s), esc_at);
  }

  // A bracket class, as fancy-regex hands it to regex-syntax: a leading '^' negates, a ']'
  // right after '[' or '[^' is literal, '-' between two literals is a range and literal
  // elsewhere. Nested classes, POSIX classes and set operations (&&, --, ~~) are refused.
  CpSet parse_class() {
    const std::size_t open = i_;
    ++i_;
    bool negated = false;
    if (at('^')) {
      negated = true;
      ++i_;
    }
    CpSet set;
    bool first = true;
    for (;;) {
      if (i_ >= p_.size()) refuse(open, "unclosed character class");
      const char c = p_[i_];
      if (c == ']' && !first) {
        ++i_;
        break;
      }
      first = false;
      if (c == '[') refuse(i_, "nested or POSIX character class");
      if ((c == '&' || c == '-' || c == '~') && i_ + 1 < p_.size() && p_[i_ + 1] == c) {
        refuse(i_, std::string("class set operation ") + c + c);
      }
      const std::size_t item_at = i_;
      CpSet item;
      char32_t lo = 0;
      const bool is_literal = parse_class_item(item, lo);
      if (is_literal && at('-') && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;  // '-'
        if (p_[i_] == '-') refuse(i_, "class set operation --");
        if (p_[i_] == '[') refuse(i_, "nested or POSIX character class");
        CpSet hi_item;
        char32_t hi = 0;
        if (!parse_class_item(hi_item, hi)) refuse(item_at, "class escape as a range bound");
        if (hi < lo) refuse(item_at, "character range out of order");
        item = CpSet();
        item.add(lo, hi);
        if (case_insensitive_) {
          if (!ascii_only(item)) refuse(item_at, "non-ASCII range inside a case-insensitive group");
          item = fold_ascii(item);
        }
      } else if (!is_literal && at('-') && i_ + 1 < p_.size() && p_[i_ + 1] != ']' && p_[i_ + 1] != '-') {
        refuse(item_at, "class escape as a range bound");
      }
      set.add(item);
    }
    return negated ? set.complement() : set;
  }

  // One class item: a literal (returns true, `cp` set, `out` already case-folded) or a class
  // escape (returns false).
  bool parse_class_item(CpSet& out, char32_t& cp) {
    const std::size_t item_at = i_;
    if (p_[i_] == '\\') {
      ++i_;
      if (i_ >= p_.size()) refuse(item_at, "trailing backslash");
      const char e = p_[i_];
      if (e == 'b') {  // backspace inside brackets, as in fancy-regex
        ++i_;
        cp = 0x08;
        out = literal(cp, item_at);
        return true;
      }
      if (e == 'A' || e == 'z' || e == 'Z' || e == 'B' || e == 'G' || e == 'K' || e == 'R' || e == 'N' ||
          e == 'O' || e == 'g' || e == 'k' || e == '<' || e == '>') {
        refuse(item_at, std::string("escape \\") + e + " inside a character class");
      }
      bool is_literal = false;
      parse_common_escape(item_at, out, cp, is_literal);
      return is_literal;
    }
    std::size_t len = 0;
    cp = decode(i_, len);
    i_ += len;
    out = literal(cp, item_at);
    return true;
  }

  std::string_view p_;
  std::size_t i_ = 0;
  bool case_insensitive_ = false;
  bool dot_all_ = false;
};

// ---- checks -------------------------------------------------------------------------------

// What the start of a sub-pattern can look like: `chars` are the characters it can begin
// with; `passes` is true when it can match the empty string at any position (so whatever
// follows it can begin there too). An end-of-text assertion contributes no character and
// does not pass. `known` is false for constructs we do not analyse (start assertions).
struct FirstInfo {
  CpSet chars;
  bool passes = true;
  bool known = true;
};

FirstInfo first_info(const Node& n) {
  switch (n.kind) {
    case Node::kEmpty:
      return {};
    case Node::kSet:
      return {n.set, false, true};
    case Node::kEndText:
      return {CpSet(), false, true};
    case Node::kStartText:
    case Node::kNegLookahead:
      return {CpSet(), false, false};
    case Node::kConcat: {
      FirstInfo acc;
      for (const Node& k : n.kids) {
        FirstInfo f = first_info(k);
        if (!f.known) return f;
        acc.chars.add(f.chars);
        if (!f.passes) {
          acc.passes = false;
          return acc;
        }
      }
      return acc;
    }
    case Node::kAlt: {
      FirstInfo acc;
      acc.passes = false;
      for (const Node& k : n.kids) {
        FirstInfo f = first_info(k);
        if (!f.known) return f;
        acc.chars.add(f.chars);
        acc.passes = acc.passes || f.passes;
      }
      return acc;
    }
    case Node::kRepeat: {
      if (n.max == 0) return {};
      FirstInfo f = first_info(n.kids[0]);
      f.passes = f.passes || n.min == 0;
      return f;
    }
  }
  return {CpSet(), false, false};
}

// Whether `n` can match the empty string somewhere.
bool nullable(const Node& n) {
  switch (n.kind) {
    case Node::kSet:
      return false;
    case Node::kConcat:
      return std::all_of(n.kids.begin(), n.kids.end(), nullable);
    case Node::kAlt:
      return std::any_of(n.kids.begin(), n.kids.end(), nullable);
    case Node::kRepeat:
      return n.min == 0 || nullable(n.kids[0]);
    default:
      return true;
  }
}

// Possessive and look-ahead constructs below the top-level items are refused, and so is
// repeating something that can match empty: engines disagree on how such loops end.
void check_nested(const Node& n) {
  if (n.kind == Node::kRepeat && n.max > 1 && nullable(n.kids[0])) {
    refuse(n.offset, "repetition of a sub-pattern that can match the empty string");
  }
  if (n.kind == Node::kRepeat && n.possessive) {
    refuse(n.offset, "possessive quantifier inside a group (only top-level items are analysed)");
  }
  if (n.kind == Node::kNegLookahead) refuse(n.offset, "look-ahead (?!...) other than `\\s+(?!\\S)`");
  for (const Node& k : n.kids) check_nested(k);
}

bool is_trailing_space_idiom(const Node& branch) {
  if (branch.kind != Node::kConcat || branch.kids.size() != 2) return false;
  const Node& run = branch.kids[0];
  const Node& look = branch.kids[1];
  if (run.kind != Node::kRepeat || run.min != 1 || run.max != Node::kUnbounded || !run.greedy ||
      run.possessive || run.kids[0].kind != Node::kSet || !(run.kids[0].set == white_space())) {
    return false;
  }
  return look.kind == Node::kNegLookahead && look.kids[0].kind == Node::kSet &&
         look.kids[0].set == white_space().complement();
}

// Greedy gives the same matches as possessive for items[i] when (a) it is the last item: no
// later item can fail and make the engine give characters back; or (b) it repeats a single
// character class S and the rest of the alternative can neither begin with a character of S
// nor match empty before one: giving back characters leaves the next character in S, where
// the rest cannot match, so only the longest repetition can ever succeed. If the rest can
// match empty everywhere, it always succeeds after the longest repetition.
void check_possessive(const std::vector<Node>& items, std::size_t i) {
  if (i + 1 == items.size()) return;
  const Node& rep = items[i];
  if (rep.kids[0].kind != Node::kSet) {
    refuse(rep.offset, "possessive quantifier on a group that is not last in its alternative");
  }
  Node rest;
  rest.kind = Node::kConcat;
  rest.kids.assign(items.begin() + static_cast<std::ptrdiff_t>(i) + 1, items.end());
  const FirstInfo f = first_info(rest);
  if (!f.known || (!f.passes && f.chars.intersects(rep.kids[0].set))) {
    refuse(rep.offset,
           "possessive quantifier whose characters can also start what follows it (not provably "
           "equal to greedy)");
  }
}

// ---- RE2 emission -------------------------------------------------------------------------

void emit_cp(char32_t c, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  char buf[12];
  int n = 0;
  do {
    buf[n++] = kHex[c & 0xF];
    c >>= 4;
  } while (c != 0);
  out += "\\x{";
  while (n > 0) out += buf[--n];
  out += '}';
}

void emit_set(const CpSet& s, std::string& out) {
  if (s.empty()) {
    out += "[^\\x{0}-\\x{10FFFF}]";  // matches nothing
    return;
  }
  if (s.is_single()) {
    const char32_t c = s.ranges()[0].lo;
    const bool alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (alnum) {
      out += static_cast<char>(c);
    } else {
      emit_cp(c, out);
    }
    return;
  }
  out += '[';
  for (const auto& r : s.ranges()) {
    emit_cp(r.lo, out);
    if (r.hi != r.lo) {
      out += '-';
      emit_cp(r.hi, out);
    }
  }
  out += ']';
}

// prec: 0 = alternation context, 1 = item of a concatenation, 2 = operand of a quantifier.
void emit(const Node& n, std::string& out, int prec) {
  switch (n.kind) {
    case Node::kEmpty:
      if (prec == 2) out += "(?:)";
      return;
    case Node::kSet:
      emit_set(n.set, out);
      return;
    case Node::kStartText:
      out += "\\A";
      return;
    case Node::kEndText:
      out += "\\z";
      return;
    case Node::kNegLookahead:
      return;  // refused before emission
    case Node::kConcat:
      if (prec == 2) out += "(?:";
      for (const Node& k : n.kids) emit(k, out, 1);
      if (prec == 2) out += ')';
      return;
    case Node::kAlt:
      if (prec > 0) out += "(?:";
      for (std::size_t i = 0; i < n.kids.size(); ++i) {
        if (i > 0) out += '|';
        emit(n.kids[i], out, 0);
      }
      if (prec > 0) out += ')';
      return;
    case Node::kRepeat: {
      if (prec == 2) out += "(?:";
      emit(n.kids[0], out, 2);
      if (n.min == 0 && n.max == Node::kUnbounded) {
        out += '*';
      } else if (n.min == 1 && n.max == Node::kUnbounded) {
        out += '+';
      } else if (n.min == 0 && n.max == 1) {
        out += '?';
      } else {
        out += '{' + std::to_string(n.min);
        if (n.max != n.min) {
          out += ',';
          if (n.max != Node::kUnbounded) out += std::to_string(n.max);
        }
        out += '}';
      }
      if (!n.greedy) out += '?';
      if (prec == 2) out += ')';
      return;
    }
  }
}

bool is_white_space_cp(char32_t c) { return white_space().contains(c); }

// Decodes the code point at text[i] (valid UTF-8 assumed; a stray byte counts as itself).
char32_t decode_text(std::string_view text, std::size_t i, std::size_t& len) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  std::size_t n = b0 < 0x80 ? 1 : b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 1;
  if (i + n > text.size()) n = 1;
  char32_t c = n == 1 ? b0 : b0 & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) c = c << 6 | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  len = n;
  return c;
}

// ---- streaming support: the open-prefix language --------------------------------------------

bool has_start_anchor(const Node& n) {
  if (n.kind == Node::kStartText) return true;
  return std::any_of(n.kids.begin(), n.kids.end(), has_start_anchor);
}

// `n` with what a streaming encoder may over-approximate: `$` and look-ahead match the empty
// string; quantifiers keep their language (emit() drops possessive marks).
Node relaxed(const Node& n) {
  if (n.kind == Node::kEndText || n.kind == Node::kNegLookahead) return Node{};
  Node out = n;
  for (Node& k : out.kids) k = relaxed(k);
  return out;
}

Node alternation(std::vector<Node> kids) {
  Node n;
  n.kind = Node::kAlt;
  n.kids = std::move(kids);
  return n;
}

// Every string a partial match attempt of `n` can have consumed when the matcher stands at some
// position inside or at the end of it: the prefixes of its (relaxed) strings, computed on the
// tree so that every path counts even where a later item could never match.
Node open_prefix(const Node& n) {
  switch (n.kind) {
    case Node::kEmpty:
    case Node::kStartText:
    case Node::kEndText:
      return Node{};
    case Node::kSet: {  // nothing yet, or the one character
      Node opt;
      opt.kind = Node::kRepeat;
      opt.min = 0;
      opt.max = 1;
      opt.kids.push_back(n);
      return opt;
    }
    case Node::kNegLookahead:
      // (?!c) for one character class reads just the character where it stands, which the
      // enclosing concatenation already accounts for; anything longer may read ahead, so its
      // own prefixes count.
      if (n.kids[0].kind == Node::kSet) return Node{};
      return open_prefix(n.kids[0]);
    case Node::kAlt: {
      std::vector<Node> kids;
      for (const Node& k : n.kids) kids.push_back(open_prefix(k));
      return alternation(std::move(kids));
    }
    case Node::kConcat: {
      // k1..k(i-1) complete, then a partial k(i), for every i.
      std::vector<Node> kids;
      for (std::size_t i = 0; i < n.kids.size(); ++i) {
        Node c;
        c.kind = Node::kConcat;
        for (std::size_t j = 0; j < i; ++j) c.kids.push_back(relaxed(n.kids[j]));
        c.kids.push_back(open_prefix(n.kids[i]));
        kids.push_back(std::move(c));
      }
      return alternation(std::move(kids));
    }
    case Node::kRepeat: {
      if (n.max == 0) return Node{};
      // Fewer than max complete repetitions, then a partial one.
      Node done;
      done.kind = Node::kRepeat;
      done.min = 0;
      done.max = n.max == Node::kUnbounded ? Node::kUnbounded : n.max - 1;
      done.kids.push_back(relaxed(n.kids[0]));
      Node c;
      c.kind = Node::kConcat;
      if (done.max > 0) c.kids.push_back(std::move(done));
      c.kids.push_back(open_prefix(n.kids[0]));
      return c;
    }
  }
  return Node{};
}

}  // namespace

std::optional<std::string> open_prefix_pattern(std::string_view pat_str) {
  const Node root = Parser(pat_str).parse();
  if (has_start_anchor(root)) return std::nullopt;
  std::string out = "(?:";
  emit(open_prefix(root), out, 0);
  out += ")\\z";
  return out;
}

RegexPretokenizer::RegexPretokenizer(std::string_view pat_str) {
  Node root = Parser(pat_str).parse();
  std::vector<Node> branches;
  if (root.kind == Node::kAlt) {
    branches = std::move(root.kids);
  } else {
    branches.push_back(std::move(root));
  }

  std::string out;
  for (std::size_t b = 0; b < branches.size(); ++b) {
    const Node& branch = branches[b];
    if (b > 0) out += '|';
    if (is_trailing_space_idiom(branch)) {
      if (trailing_space_group_ != -1) {
        refuse(branch.offset, "second `\\s+(?!\\S)` alternative");
      }
      // `\s+(?!\S)` matches a maximal whitespace run that reaches the end of the text, or
      // one of at least two characters (cut by one in split()); a single whitespace character
      // before a non-space makes it fail, so the later alternatives get their turn here.
      trailing_space_group_ = 1;
      out += '(';
      emit_set(white_space(), out);
      emit_set(white_space(), out);
      out += "+|";
      emit_set(white_space(), out);
      out += "\\z)";
      continue;
    }
    std::vector<Node> items;
    if (branch.kind == Node::kConcat) {
      items = branch.kids;
    } else {
      items.push_back(branch);
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      const Node& item = items[i];
      if (item.kind == Node::kRepeat && item.possessive) {
        check_possessive(items, i);
        Node copy = item;
        copy.possessive = false;
        check_nested(copy);
      } else {
        check_nested(item);
      }
    }
    emit(branch, out, 0);
  }

  RE2::Options options;
  options.set_log_errors(false);
  // The spelled-out Unicode classes make large programs; give RE2 room for them and for its
  // DFA cache, so that it does not fall back to its slower NFA.
  options.set_max_mem(std::int64_t{256} << 20);
  auto re = std::make_unique<re2::RE2>(out, options);
  if (!re->ok()) {
    throw Error(ErrorCode::kUnsupportedPattern, "unsupported split pattern: RE2 rejects the translation: " + re->error());
  }
  translated_ = std::move(out);
  re_ = std::move(re);
}

RegexPretokenizer::~RegexPretokenizer() = default;

void RegexPretokenizer::split(std::string_view text, std::vector<std::uint32_t>& piece_starts,
                              std::vector<std::uint32_t>& piece_ends) const {
  const std::size_t n = text.size();
  if (n == 0) return;
  const re2::StringPiece whole(text.data(), n);
  std::array<re2::StringPiece, 2> m;
  std::size_t pos = 0;
  while (pos < n) {
    // Patterns like tiktoken's match at almost every position, and an anchored match needs only
    // RE2's forward DFA; it is also the leftmost match when it exists. Costs at most one
    // extra scan of what the unanchored search would scan anyway.
    if (!re_->Match(whole, pos, n, RE2::ANCHOR_START, m.data(), 1) &&
        !re_->Match(whole, pos, n, RE2::UNANCHORED, m.data(), 1)) {
      break;
    }
    const std::size_t start = static_cast<std::size_t>(m[0].data() - text.data());
    std::size_t end = start + m[0].size();
    if (end == start) {
      // An empty match (tiktoken itself panics on one) yields no piece; like find_iter, search
      // on from the next character.
      if (start >= n) break;
      std::size_t len = 0;
      decode_text(text, start, len);
      pos = start + len;
      continue;
    }
    if (trailing_space_group_ > 0 && end < n) {
      // Only an all-whitespace match can come from the `\s+(?!\S)` alternative. Re-match
      // anchored at the same start (same leftmost-first choice) to see whether it did; if so,
      // the look-ahead would have backed off one character.
      bool all_space = true;
      for (std::size_t i = start; i < end && all_space;) {
        std::size_t len = 0;
        all_space = is_white_space_cp(decode_text(text, i, len));
        i += len;
      }
      if (all_space) {
        const int groups = trailing_space_group_ + 1;
        if (re_->Match(whole, start, n, RE2::ANCHOR_START, m.data(), groups) &&
            m[static_cast<std::size_t>(trailing_space_group_)].data() != nullptr) {
          std::size_t last = end - 1;
          while (last > start && (static_cast<unsigned char>(text[last]) & 0xC0) == 0x80) --last;
          end = last;
        }
      }
    }
    piece_starts.push_back(static_cast<std::uint32_t>(start));
    piece_ends.push_back(static_cast<std::uint32_t>(end));
    pos = end;
  }
}

}  // namespace tokcount::pretok
