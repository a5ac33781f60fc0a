// ASCII fast paths for the scanners: byte classes and 16-byte run scans.
//
// Why: on prose and code almost every piece is ASCII, and a scanner that decodes a code point
// and reads two table levels per character spends most of its time there; worse, a per-
// character loop exits with a mispredicted branch at the end of every word. Here a run of one
// class is found with one 16-byte compare and a count of trailing zeros. Non-ASCII bytes are
// never classified here: the scanners hand the piece to their general (Unicode) path instead.
//
// SSE2 is part of x86-64, so no run-time dispatch is needed; other targets use the scalar loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "pretokenizer/unicode.hpp"

namespace tokcount::pretok::ascii {

// Classes of the ASCII bytes that the scanners' fast paths distinguish.
enum class Class : std::uint8_t {
  kLower,    // a-z
  kUpper,    // A-Z
  kDigit,    // 0-9
  kSpace,    // ' '
  kNewline,  // \r \n
  kOtherWs,  // \t \v \f (White_Space, not a newline, not ' ')
  kApos,     // '
  kOther,    // everything else below 0x80: [^\s\p{L}\p{N}]
  kHigh,     // >= 0x80: not classified here
};

constexpr Class class_of_byte(unsigned b) {
  using enum Class;
  if (b >= 0x80) return kHigh;
  if (b >= 'a' && b <= 'z') return kLower;
  if (b >= 'A' && b <= 'Z') return kUpper;
  if (b >= '0' && b <= '9') return kDigit;
  if (b == ' ') return kSpace;
  if (b == '\r' || b == '\n') return kNewline;
  if (b == '\t' || b == '\v' || b == '\f') return kOtherWs;
  if (b == '\'') return kApos;
  return kOther;
}

struct ClassTable {
  Class c[256];
};
constexpr ClassTable make_class_table() {
  ClassTable t{};
  for (unsigned b = 0; b < 256; ++b) t.c[b] = class_of_byte(b);
  return t;
}
inline constexpr ClassTable kClasses = make_class_table();

TOKCOUNT_ALWAYS_INLINE Class cls(std::uint8_t b) noexcept { return kClasses.c[b]; }

// The ranges above must be exactly what the generated Unicode tables say of ASCII.
constexpr bool ascii_classes_match_unicode_tables() {
  using enum Class;
  for (unsigned b = 0; b < 0x80; ++b) {
    const std::uint8_t f = unicode::kStage2[b];
    const Class c = class_of_byte(b);
    const bool letter = c == kLower || c == kUpper;
    if (((f & unicode::kLetter) != 0) != letter) return false;
    if (((f & unicode::kNumber) != 0) != (c == kDigit)) return false;
    if (((f & unicode::kSpace) != 0) != (c == kSpace || c == kNewline || c == kOtherWs)) return false;
    if (((f & unicode::kUpperSet) != 0) != (c == kUpper)) return false;
    if (((f & unicode::kLowerSet) != 0) != (c == kLower)) return false;
  }
  return true;
}
static_assert(ascii_classes_match_unicode_tables(), "ASCII fast-path classes disagree with unicode_tables.inc");

// What a run scan looks for.
enum class Run { kLetter, kLower, kUpper, kWhitespace, kOther };

constexpr bool in_run(Run r, Class c) {
  using enum Class;
  switch (r) {
    case Run::kLetter: return c == kLower || c == kUpper;
    case Run::kLower: return c == kLower;
    case Run::kUpper: return c == kUpper;
    case Run::kWhitespace: return c == kSpace || c == kNewline || c == kOtherWs;
    case Run::kOther: return c == kOther || c == kApos;
  }
  return false;
}

#if defined(__SSE2__)
// Bytes in [lo, hi] (unsigned), as a 16-bit mask: shift the range to the bottom of the signed
// order, where one signed compare tests it.
TOKCOUNT_ALWAYS_INLINE __m128i in_range(__m128i v, char lo, char hi) noexcept {
  const __m128i shifted = _mm_add_epi8(v, _mm_set1_epi8(static_cast<char>(-128 - lo)));
  return _mm_cmplt_epi8(shifted, _mm_set1_epi8(static_cast<char>(-128 + (hi - lo) + 1)));
}

template <Run R>
TOKCOUNT_ALWAYS_INLINE unsigned run_mask16(const std::uint8_t* p) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i m;
  if constexpr (R == Run::kLower) {
    m = in_range(v, 'a', 'z');
  } else if constexpr (R == Run::kUpper) {
    m = in_range(v, 'A', 'Z');
  } else if constexpr (R == Run::kLetter) {
    m = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
  } else {
    const __m128i ws = _mm_or_si128(in_range(v, '\t', '\r'), _mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
    if constexpr (R == Run::kWhitespace) {
      m = ws;
    } else {  // kOther: ASCII and not letter, digit or whitespace
      const __m128i letter = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
      const __m128i digit = in_range(v, '0', '9');
      const __m128i not_other = _mm_or_si128(_mm_or_si128(letter, digit), ws);
      // cmplt(v, 0) marks bytes >= 0x80; they are not in the run either.
      m = _mm_andnot_si128(_mm_or_si128(not_other, _mm_cmplt_epi8(v, _mm_setzero_si128())),
                           _mm_set1_epi8(-1));
    }
  }
  return static_cast<unsigned>(_mm_movemask_epi8(m));
}
#endif

// End of the run of class R that starts at `p` (ASCII bytes only: the run stops at the first
// byte >= 0x80, which the caller must look at).
template <Run R>
TOKCOUNT_ALWAYS_INLINE std::size_t run_end(const std::uint8_t* s, std::size_t p, std::size_t n) noexcept {
#if defined(__SSE2__)
  while (p + 16 <= n) {
    const unsigned m = run_mask16<R>(s + p);
    if (m != 0xFFFFu) return p + static_cast<std::size_t>(__builtin_ctz(~m));
    p += 16;
  }
#endif
  while (p < n && in_run(R, cls(s[p]))) ++p;
  return p;
}

// True if s[p] exists and is >= 0x80: the fast path cannot decide and must give way.
TOKCOUNT_ALWAYS_INLINE bool high_at(const std::uint8_t* s, std::size_t p, std::size_t n) noexcept {
  return p < n && s[p] >= 0x80;
}

}  // namespace tokcount::pretok::ascii
