// The invisible-character family: PC014 UNICODE_NOT_NFC, PC015 INVISIBLE_CHARS, PC016
// EXOTIC_SPACES, PC017 BOM. Character properties (category, script, emoji, width) and NFC
// come from ICU; nothing here re-implements Unicode data.
#include <unicode/normalizer2.h>
#include <unicode/bytestream.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <cstdio>
#include <string>

#include "lint/lint_internal.hpp"

namespace tokcount::lint::detail {
namespace {

struct NamedChar {
  char32_t cp;
  const char* name;
};

// PC015: invisible format/control characters, with the short names excerpts show.
constexpr NamedChar kInvisible[] = {
    {0x00AD, "SHY"},  {0x034F, "CGJ"},  {0x061C, "ALM"},  {0x115F, "HCF"},  {0x1160, "HJF"},
    {0x180E, "MVS"},  {0x200B, "ZWSP"}, {0x200C, "ZWNJ"}, {0x200D, "ZWJ"},  {0x200E, "LRM"},
    {0x200F, "RLM"},  {0x2028, "LSEP"}, {0x2029, "PSEP"}, {0x202A, "LRE"},  {0x202B, "RLE"},
    {0x202C, "PDF"},  {0x202D, "LRO"},  {0x202E, "RLO"},  {0x2060, "WJ"},   {0x2061, "FA"},
    {0x2062, "IT"},   {0x2063, "IS"},   {0x2064, "IP"},   {0x2066, "LRI"},  {0x2067, "RLI"},
    {0x2068, "FSI"},  {0x2069, "PDI"},  {0x3164, "HF"},   {0xFEFF, "ZWNBSP"}, {0xFFA0, "HWHF"},
};

// PC016: characters that render as a space but are not U+0020.
constexpr NamedChar kExoticSpaces[] = {
    {0x00A0, "NBSP"},    {0x1680, "OGHAM SP"}, {0x2000, "ENQ"},    {0x2001, "EMQ"},
    {0x2002, "ENSP"},    {0x2003, "EMSP"},     {0x2004, "3/EMSP"}, {0x2005, "4/EMSP"},
    {0x2006, "6/EMSP"},  {0x2007, "FIGSP"},    {0x2008, "PUNCSP"}, {0x2009, "THINSP"},
    {0x200A, "HAIRSP"},  {0x202F, "NNBSP"},    {0x205F, "MMSP"},   {0x3000, "IDSP"},
};

const char* lookup(const NamedChar* table, std::size_t n, char32_t c) {
  for (std::size_t i = 0; i < n; ++i)
    if (table[i].cp == c) return table[i].name;
  return nullptr;
}

const char* invisible_name(char32_t c) {
  if (c >= 0xE0000 && c <= 0xE007F) return "TAG";
  return lookup(kInvisible, std::size(kInvisible), c);
}
const char* exotic_space_name(char32_t c) { return lookup(kExoticSpaces, std::size(kExoticSpaces), c); }

// C0/C1 controls other than tab, LF and CR are invisible too.
const char* control_name(char32_t c) {
  static constexpr const char* kC0[] = {"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL",
                                        "BS",  nullptr, nullptr, "VT", "FF",  nullptr, "SO", "SI",
                                        "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB",
                                        "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US"};
  if (c < 0x20) return kC0[c];
  if (c == 0x7F) return "DEL";
  if (c >= 0x80 && c <= 0x9F) return "C1";
  return nullptr;
}

// The code point before `pos` (0 at the start).
char32_t prev_cp(std::string_view text, std::size_t pos) {
  if (pos == 0) return 0;
  int32_t i = static_cast<int32_t>(pos);
  UChar32 c = 0;
  U8_PREV(reinterpret_cast<const uint8_t*>(text.data()), 0, i, c);
  return c < 0 ? 0 : static_cast<char32_t>(c);
}

char32_t next_cp(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return 0;
  std::size_t len = 0;
  return decode_at(text, pos, len);
}

bool letter_or_mark(char32_t c) {
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & (U_GC_L_MASK | U_GC_M_MASK)) != 0;
}

// Scripts where ZWJ / ZWNJ are part of correct spelling (Arabic-family joining, Indic
// conjuncts, Mongolian, ...): everything that is not one of these common non-joining ones.
bool joining_script(char32_t c) {
  UErrorCode status = U_ZERO_ERROR;
  const UScriptCode s = uscript_getScript(static_cast<UChar32>(c), &status);
  if (U_FAILURE(status)) return false;
  switch (s) {
    case USCRIPT_LATIN: case USCRIPT_GREEK: case USCRIPT_CYRILLIC: case USCRIPT_COMMON:
    case USCRIPT_INHERITED: case USCRIPT_HAN: case USCRIPT_HIRAGANA: case USCRIPT_KATAKANA:
    case USCRIPT_HANGUL: case USCRIPT_ARMENIAN: case USCRIPT_GEORGIAN:
      return false;
    default:
      return true;
  }
}

bool emoji_like(char32_t c) {
  const UChar32 u = static_cast<UChar32>(c);
  return u_hasBinaryProperty(u, UCHAR_EXTENDED_PICTOGRAPHIC) || u_hasBinaryProperty(u, UCHAR_EMOJI_MODIFIER) ||
         c == 0xFE0F || u_hasBinaryProperty(u, UCHAR_REGIONAL_INDICATOR);
}

// The nearest preceding code point that is not a combining mark (so a joiner after a
// vowel sign still sees its base letter's script).
// Neighbour scans stop after this many code points, so long runs stay linear.
constexpr int kScanLimit = 32;

char32_t prev_base(std::string_view text, std::size_t pos) {
  for (int n = 0; pos > 0 && n < kScanLimit; ++n) {
    const char32_t c = prev_cp(text, pos);
    std::size_t len = U8_LENGTH(static_cast<UChar32>(c));
    if (!is_combining_mark(c)) return c;
    pos -= len;
  }
  return 0;
}

// ZWJ in emoji sequences and ZWJ/ZWNJ between letters of joining scripts are legitimate.
bool legitimate_joiner(std::string_view text, std::size_t pos, std::size_t len, char32_t c) {
  const char32_t before = prev_cp(text, pos), after = next_cp(text, pos + len);
  if (c == 0x200D && emoji_like(before) && emoji_like(after)) return true;
  if (letter_or_mark(before) && letter_or_mark(after) && joining_script(prev_base(text, pos)))
    return true;
  return false;
}

// A subdivision flag (U+1F3F4, tags, U+E007F) is the one legitimate use of tag characters.
bool legitimate_tag(std::string_view text, std::size_t pos) {
  std::size_t p = pos;
  for (int n = 0; p > 0 && n < kScanLimit; ++n) {
    const char32_t c = prev_cp(text, p);
    if (c == 0x1F3F4) return true;
    if (c < 0xE0020 || c > 0xE007E) return false;
    p -= 4;
  }
  return false;
}

bool cjk(char32_t c) {
  if ((c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF)) return true;  // CJK punctuation, fullwidth forms
  UErrorCode status = U_ZERO_ERROR;
  const UScriptCode s = uscript_getScript(static_cast<UChar32>(c), &status);
  return U_SUCCESS(status) && (s == USCRIPT_HAN || s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA ||
                               s == USCRIPT_HANGUL || s == USCRIPT_BOPOMOFO);
}

// U+3000 is the normal space of Chinese, Japanese and Korean text (and Japanese paragraph
// indent): only report it where neither neighbour (past other U+3000s) is CJK.
bool legitimate_ideographic_space(std::string_view text, std::size_t pos) {
  std::size_t p = pos;
  char32_t before = 0;
  for (int n = 0; p > 0 && n < kScanLimit && (before = prev_cp(text, p)) == 0x3000; ++n) p -= 3;
  std::size_t q = pos;
  char32_t after = 0;
  std::size_t len = 0;
  for (int n = 0; q < text.size() && n < kScanLimit && (after = decode_at(text, q, len)) == 0x3000; ++n) q += len;
  if (q >= text.size()) after = 0;
  return cjk(before) || cjk(after);
}

void detect_nfc(const TextView& view, std::vector<RawFinding>& out) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) throw Error(ErrorCode::kInternal, "ICU NFC data unavailable");
  const std::string_view text = view.text();
  auto piece = [](std::string_view s) { return icu::StringPiece(s.data(), static_cast<int32_t>(s.size())); };
  if (nfc->isNormalizedUTF8(piece(text), status) && U_SUCCESS(status)) return;
  for (std::size_t i = 0; i < view.line_count(); ++i) {
    const std::string_view line = view.line(i);
    status = U_ZERO_ERROR;
    if (nfc->isNormalizedUTF8(piece(line), status)) continue;
    std::string normalized;
    icu::StringByteSink<std::string> sink(&normalized);
    status = U_ZERO_ERROR;
    nfc->normalizeUTF8(0, piece(line), sink, nullptr, status);
    if (U_FAILURE(status)) throw Error(ErrorCode::kInternal, std::string("ICU normalization failed: ") + u_errorName(status));
    // The smallest differing middle, widened to whole code points on both sides.
    std::size_t pre = 0;
    while (pre < line.size() && pre < normalized.size() && line[pre] == normalized[pre]) ++pre;
    while (pre > 0 && U8_IS_TRAIL(static_cast<uint8_t>(line[pre]))) --pre;
    std::size_t suf = 0;
    while (suf < line.size() - pre && suf < normalized.size() - pre &&
           line[line.size() - 1 - suf] == normalized[normalized.size() - 1 - suf])
      ++suf;
    while (suf > 0 && U8_IS_TRAIL(static_cast<uint8_t>(line[line.size() - suf]))) --suf;
    // Keep combining marks that follow with their base: NFC works per combining sequence.
    const std::size_t begin = view.line_start(i) + pre, end = view.line_start(i) + line.size() - suf;
    std::string replacement = normalized.substr(pre, normalized.size() - pre - suf);
    std::string message = "text not in NFC: ";
    std::size_t len = 0;
    for (std::size_t p = begin; p < end; p += len) {
      const char32_t c = decode_at(text, p, len);
      message += code_point_label(c);
      if (p + len < end) message += ' ';
    }
    message += " normalizes to";
    for (std::size_t p = 0; p < replacement.size(); p += len) {
      message += ' ';
      message += code_point_label(decode_at(replacement, p, len));
    }
    out.push_back({kPC014, begin, end, std::move(message), {{begin, end, std::move(replacement)}}});
  }
}

}  // namespace

char32_t decode_at(std::string_view text, std::size_t pos, std::size_t& len) noexcept {
  int32_t i = static_cast<int32_t>(pos);
  UChar32 c = 0;
  U8_NEXT(reinterpret_cast<const uint8_t*>(text.data()), i, static_cast<int32_t>(text.size()), c);
  len = static_cast<std::size_t>(i) - pos;
  return c < 0 ? 0xFFFD : static_cast<char32_t>(c);
}

const char* visible_name(char32_t c) noexcept {
  if (c == '\t') return "TAB";
  if (c == '\r') return "CR";
  if (c == '\n') return "LF";
  if (const char* n = control_name(c)) return n;
  if (const char* n = invisible_name(c)) return c == 0xFEFF ? "BOM" : n;
  return exotic_space_name(c);
}

bool is_combining_mark(char32_t c) noexcept {
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_M_MASK) != 0;
}

int display_width(char32_t c) noexcept {
  const UChar32 u = static_cast<UChar32>(c);
  const uint32_t mask = U_GET_GC_MASK(u);
  if (mask & (U_GC_MN_MASK | U_GC_ME_MASK | U_GC_CF_MASK)) return 0;
  const int w = u_getIntPropertyValue(u, UCHAR_EAST_ASIAN_WIDTH);
  return (w == U_EA_WIDE || w == U_EA_FULLWIDTH) ? 2 : 1;
}

std::string code_point_label(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(c));
  return buf;
}

void detect_unicode(const TextView& view, const DetectContext& ctx, std::vector<RawFinding>& out) {
  const std::string_view text = view.text();
  const bool bom = ctx.enabled[kPC017], invisible = ctx.enabled[kPC015], spaces = ctx.enabled[kPC016];

  // PC017: every leading U+FEFF is part of the mark (a doubled BOM is a common encoding bug),
  // so fixing it once leaves none.
  std::size_t bom_end = 0;
  while (text.compare(bom_end, 3, "\xEF\xBB\xBF") == 0) bom_end += 3;
  if (bom && bom_end > 0) {
    out.push_back({kPC017, 0, bom_end, bom_end > 3 ? "byte-order marks (U+FEFF) at the start" : "byte-order mark (U+FEFF) at the start",
                   {{0, bom_end, ""}}});
  }

  if (invisible || spaces) {
    std::size_t len = 0;
    for (std::size_t p = 0; p < text.size(); p += len) {
      const unsigned char b = static_cast<unsigned char>(text[p]);
      if (b < 0x80) {
        len = 1;
        if (invisible && b != '\t' && b != '\n' && b != '\r' && (b < 0x20 || b == 0x7F))
          out.push_back({kPC015, p, p + 1, std::string("control character ") + code_point_label(b) + " (" + control_name(b) + ")", {{p, p + 1, ""}}});
        continue;
      }
      const char32_t c = decode_at(text, p, len);
      if (invisible && p >= bom_end) {
        const char* name = control_name(c);
        if (!name) name = invisible_name(c);
        if (name) {
          const bool joiner = c == 0x200C || c == 0x200D;
          const bool tag = c >= 0xE0000 && c <= 0xE007F;
          if ((joiner && legitimate_joiner(text, p, len, c)) || (tag && legitimate_tag(text, p))) continue;
          // Line and paragraph separators become line feeds; everything else is removed.
          const char* replacement = (c == 0x2028 || c == 0x2029) ? "\n" : "";
          out.push_back({kPC015, p, p + len, "invisible character " + code_point_label(c) + " (" + name + ")",
                         {{p, p + len, replacement}}});
          continue;
        }
      }
      if (spaces) {
        if (const char* name = exotic_space_name(c)) {
          if (c == 0x3000 && legitimate_ideographic_space(text, p)) continue;
          out.push_back({kPC016, p, p + len, "exotic space " + code_point_label(c) + " (" + name + ")",
                         {{p, p + len, " "}}});
        }
      }
    }
  }

  if (ctx.enabled[kPC014]) detect_nfc(view, out);
}

}  // namespace tokcount::lint::detail
