// Hand-written pre-tokenizers for tiktoken's three built-in split patterns.
//
// Each scanner reproduces, piece for piece, what fancy-regex's leftmost-first backtracking
// search (tiktoken's `regex.find_iter`) returns for the pattern quoted above it, on valid UTF-8.
// They run in one forward pass: every branch decision looks at most one character ahead except
// whitespace runs and letter runs, which are scanned once and then cut where the regex's
// backtracking would cut them. The reasoning for each cut is written beside it.
//
// `emit(begin, end)` receives byte offsets of each piece, in order; pieces tile the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "pretokenizer/ascii.hpp"
#include "pretokenizer/unicode.hpp"

namespace tokcount::pretok {

using unicode::char_at;
using unicode::kLetter;
using unicode::kLowerSet;
using unicode::kNumber;
using unicode::kSpace;
using unicode::kUpperSet;

// Callbacks may return bool (false = stop) or void (never stop).
template <class F>
inline bool call_emit(F& f, std::size_t begin, std::size_t end) {
  if constexpr (std::is_same_v<decltype(f(begin, end)), bool>) {
    return f(begin, end);
  } else {
    f(begin, end);
    return true;
  }
}
template <class F, class T>
inline bool call_emit1(F& f, T value) {
  if constexpr (std::is_same_v<decltype(f(value)), bool>) {
    return f(value);
  } else {
    f(value);
    return true;
  }
}

TOKCOUNT_ALWAYS_INLINE bool is_other(std::uint8_t flags) noexcept {  // [^\s\p{L}\p{N}]
  return (flags & (kLetter | kNumber | kSpace)) == 0;
}

// End of the maximal run of characters whose flags intersect `mask`, starting at `pos`.
TOKCOUNT_ALWAYS_INLINE std::size_t run_end(const std::uint8_t* s, std::size_t pos, std::size_t n, std::uint8_t mask) noexcept {
  while (pos < n) {
    const std::uint8_t b = s[pos];
    if (b < 0x80) {
      if (!(unicode::kStage2[b] & mask)) break;
      ++pos;
      continue;
    }
    if ((mask & unicode::kCjkUnifiedFlags) && unicode::is_cjk_unified(s + pos)) {
      pos += 3;
      continue;
    }
    const auto c = char_at(s + pos);
    if (!(c.flags & mask)) break;
    pos += c.len;
  }
  return pos;
}

// End of the maximal run of [^\s\p{L}\p{N}] characters starting at `pos`.
TOKCOUNT_ALWAYS_INLINE std::size_t other_run_end(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  while (pos < n) {
    const auto c = char_at(s + pos);
    if (!is_other(c.flags)) break;
    pos += c.len;
  }
  return pos;
}

// A whitespace run [pos, end): where it ends, where its last character starts, how many
// characters it has (capped at 2: only "one or more than one" matters), and the position of
// its last CR or LF (or npos).
struct SpaceRun {
  std::size_t end;
  std::size_t last_char;
  std::size_t last_newline;
  int chars;
};
inline constexpr std::size_t kNone = static_cast<std::size_t>(-1);

TOKCOUNT_ALWAYS_INLINE SpaceRun space_run(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  SpaceRun r{pos, pos, kNone, 0};
  while (r.end < n) {
    const auto c = char_at(s + r.end);
    if (!(c.flags & kSpace)) break;
    if (c.cp == '\r' || c.cp == '\n') r.last_newline = r.end;
    r.last_char = r.end;
    r.end += c.len;
    if (r.chars < 2) ++r.chars;
  }
  return r;
}

// `\s+(?!\S)` then `\s` (or `\s+`): the greedy run backs off one character so that the next
// character is whitespace; a run of one character followed by non-space falls to the last
// alternative, which takes that one character. At end of input the whole run matches.
inline std::size_t space_tail_cut(const SpaceRun& r, std::size_t n) noexcept {
  if (r.end == n) return n;
  return r.chars >= 2 ? r.last_char : r.end;
}

inline bool lower_ascii_eq(std::uint8_t c, char lower) noexcept { return (c | 0x20) == lower; }

// Contraction after an apostrophe at s[pos]. Returns its end or 0.
// Case-sensitive (r50k): 's 'd 'm 't 'll 've 're. Case-insensitive (cl100k, o200k) also takes
// any ASCII case. (Unicode simple case folding adds U+017F for 's' only; pip tiktoken 0.14 does
// not treat "'\u017f" as a contraction, which the differential tests check.)
TOKCOUNT_ALWAYS_INLINE std::size_t contraction_end(const std::uint8_t* s, std::size_t pos, std::size_t n, bool ignore_case) noexcept {
  if (pos + 1 >= n || s[pos] != '\'') return 0;
  const std::uint8_t a = ignore_case ? static_cast<std::uint8_t>(s[pos + 1] | 0x20) : s[pos + 1];
  // Only fold ASCII letters: `| 0x20` must not turn other bytes into letters.
  const bool a_letter = (s[pos + 1] | 0x20) >= 'a' && (s[pos + 1] | 0x20) <= 'z';
  if (!a_letter) return 0;
  if (a == 's' || a == 'd' || a == 'm' || a == 't') return pos + 2;
  if (pos + 2 >= n) return 0;
  const std::uint8_t b = s[pos + 2];
  const bool b_letter = (b | 0x20) >= 'a' && (b | 0x20) <= 'z';
  if (!b_letter) return 0;
  const std::uint8_t bb = ignore_case ? static_cast<std::uint8_t>(b | 0x20) : b;
  if ((a == 'l' && bb == 'l') || (a == 'v' && bb == 'e') || (a == 'r' && bb == 'e')) return pos + 3;
  return 0;
}

// r50k_base, p50k_base, p50k_edit, gpt2:
//   '(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s
namespace fast {

// Each fast path returns the end of the piece starting at `pos`, or kNone when it would have
// to classify a non-ASCII character; the scanner's general path then takes that piece. They
// decide exactly as the general paths below do (the tests cross-check both on random text).

// A whitespace run [pos, end) of ASCII bytes, with what the cut rules need (see SpaceRun).
TOKCOUNT_ALWAYS_INLINE bool ascii_space_run(const std::uint8_t* s, std::size_t pos, std::size_t n, SpaceRun& r) noexcept {
  const std::size_t end = ascii::run_end<ascii::Run::kWhitespace>(s, pos, n);
  if (ascii::high_at(s, end, n)) return false;  // maybe U+0085, U+00A0, U+3000...
  r.end = end;
  r.last_char = end - 1;
  r.chars = end - pos >= 2 ? 2 : 1;
  r.last_newline = kNone;
  for (std::size_t i = end; i > pos; --i) {
    if (s[i - 1] == '\r' || s[i - 1] == '\n') {
      r.last_newline = i - 1;
      break;
    }
  }
  return true;
}

// r50k: ' ?' then a run of letters, digits or other; whitespace; contractions.
TOKCOUNT_ALWAYS_INLINE std::size_t r50k(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  using namespace ascii;
  using enum ascii::Class;
  std::size_t p = pos;
  Class c = cls(s[pos]);
  if (c == kSpace && pos + 1 < n) {
    const Class next = cls(s[pos + 1]);
    if (next == kHigh) return kNone;
    if (next != kSpace && next != kNewline && next != kOtherWs) {
      p = pos + 1;
      c = next;
    }
  }
  std::size_t e;
  switch (c) {
    case kLower:
    case kUpper:
      e = run_end<Run::kLetter>(s, p, n);
      break;
    case kDigit:
      e = p + 1;
      while (e < n && cls(s[e]) == kDigit) ++e;
      break;
    case kOther:
      e = run_end<Run::kOther>(s, p, n);
      break;
    case kSpace:
    case kNewline:
    case kOtherWs: {
      SpaceRun r;
      if (!ascii_space_run(s, pos, n, r)) return kNone;
      return space_tail_cut(r, n);
    }
    default:  // an apostrophe (maybe a contraction) or a non-ASCII character
      return kNone;
  }
  return high_at(s, e, n) ? kNone : e;
}

// cl100k: contractions are the caller's (checked first); a letter run with an optional
// one-character prefix, digits in threes, ' ?' + other run + newlines, whitespace.
TOKCOUNT_ALWAYS_INLINE std::size_t cl100k(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  using namespace ascii;
  using enum ascii::Class;
  const Class c = cls(s[pos]);
  const Class next = pos + 1 < n ? cls(s[pos + 1]) : kOther;  // kOther: never read past n
  if (next == kHigh) return kNone;
  std::size_t e;
  switch (c) {
    case kLower:
    case kUpper:
      e = run_end<Run::kLetter>(s, pos + 1, n);
      break;
    case kDigit:
      e = pos + 1;
      if (next == kDigit) {
        e = pos + 2;
        if (e < n && cls(s[e]) == kDigit) ++e;
      }
      break;
    case kSpace:
    case kOtherWs:
    case kOther:
    case kApos:  // not a contraction (the caller checked): a plain [^\r\n\p{L}\p{N}]
      if (next == kLower || next == kUpper) {
        e = run_end<Run::kLetter>(s, pos + 2, n);
        break;
      }
      if (c == kOther || c == kApos || (c == kSpace && pos + 1 < n && (next == kOther || next == kApos))) {
        e = run_end<Run::kOther>(s, c == kSpace ? pos + 1 : pos, n);
        if (high_at(s, e, n)) return kNone;
        while (e < n && (s[e] == '\r' || s[e] == '\n')) ++e;
        return e;
      }
      [[fallthrough]];
    case kNewline: {
      SpaceRun r;
      if (!ascii_space_run(s, pos, n, r)) return kNone;
      if (r.end == n) return n;                                     // \s++$
      if (r.last_newline != kNone) return r.last_newline + 1;       // \s*[\r\n]
      return space_tail_cut(r, n);
    }
    default:
      return kNone;
  }
  return high_at(s, e, n) ? kNone : e;
}

// o200k: letter pieces by case (U*L+ or U+L*, optional one-character prefix, a contraction
// attached), digits in threes, ' ?' + other run + [\r\n/]*, whitespace.
TOKCOUNT_ALWAYS_INLINE std::size_t o200k_letters(const std::uint8_t* s, std::size_t p, std::size_t n) noexcept {
  using namespace ascii;
  using enum ascii::Class;
  std::size_t e;
  if (cls(s[p]) == kLower) {
    e = run_end<Run::kLower>(s, p + 1, n);  // A1, U* empty
  } else {
    // A1 when lowercase letters follow the capitals (U* greedy, then L+), else A2 (U+, L*
    // empty): ASCII capitals are not in A1's L set, so U* cannot back off into one.
    e = run_end<Run::kUpper>(s, p + 1, n);
    if (high_at(s, e, n)) return kNone;
    if (e < n && cls(s[e]) == kLower) e = run_end<Run::kLower>(s, e + 1, n);
  }
  if (high_at(s, e, n)) return kNone;
  if (const std::size_t ce = contraction_end(s, e, n, true)) e = ce;
  return e;
}

TOKCOUNT_ALWAYS_INLINE std::size_t o200k(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  using namespace ascii;
  using enum ascii::Class;
  const Class c = cls(s[pos]);
  const Class next = pos + 1 < n ? cls(s[pos + 1]) : kOther;  // kOther: never read past n
  if (next == kHigh) return kNone;
  switch (c) {
    case kLower:
    case kUpper:
      return o200k_letters(s, pos, n);
    case kDigit: {
      std::size_t e = pos + 1;
      if (next == kDigit) {
        e = pos + 2;
        if (e < n && cls(s[e]) == kDigit) ++e;
      }
      return high_at(s, e, n) ? kNone : e;
    }
    case kSpace:
    case kOtherWs:
    case kOther:
    case kApos:
      if (next == kLower || next == kUpper) return o200k_letters(s, pos + 1, n);  // with prefix
      if (c == kOther || c == kApos || (c == kSpace && pos + 1 < n && (next == kOther || next == kApos))) {
        std::size_t e = run_end<Run::kOther>(s, c == kSpace ? pos + 1 : pos, n);
        if (high_at(s, e, n)) return kNone;
        while (e < n && (s[e] == '\r' || s[e] == '\n' || s[e] == '/')) ++e;
        return e;
      }
      [[fallthrough]];
    case kNewline: {
      SpaceRun r;
      if (!ascii_space_run(s, pos, n, r)) return kNone;
      if (r.last_newline != kNone) return r.last_newline + 1;  // A5
      return space_tail_cut(r, n);                             // A6, then A7
    }
    default:
      return kNone;
  }
}

}  // namespace fast

// The general (Unicode) path for the piece at `pos`; kept out of line so the ASCII fast path
// stays small in the scan loop.
[[gnu::noinline]] inline std::size_t general_r50k(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  if (std::size_t e = contraction_end(s, pos, n, false)) return e;
  auto c = char_at(s + pos);
  std::size_t p = pos;
  // The optional leading space of alternatives 2-4 is taken only when the next character
  // starts one of their runs (is not whitespace).
  if (c.cp == ' ' && pos + 1 < n) {
    const auto next = char_at(s + pos + 1);
    if (!(next.flags & kSpace)) {
      p = pos + 1;
      c = next;
    }
  }
  if (c.flags & kLetter) return run_end(s, p, n, kLetter);
  if (c.flags & kNumber) return run_end(s, p, n, kNumber);
  if (is_other(c.flags)) return other_run_end(s, p, n);
  // Whitespace: `\s++$` takes a run that reaches the end, else `\s+(?!\S)` / `\s`.
  return space_tail_cut(space_run(s, pos, n), n);
}

// End of the piece that starts at `pos` (< n).
TOKCOUNT_ALWAYS_INLINE std::size_t next_r50k(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  const std::size_t e = fast::r50k(s, pos, n);
  return e != kNone ? e : general_r50k(s, pos, n);
}

// cl100k_base:
//   '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|
//   \s++$|\s*[\r\n]|\s+(?!\S)|\s
[[gnu::noinline]] inline std::size_t general_cl100k(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  const auto c = char_at(s + pos);
  const std::size_t after = pos + c.len;
  std::size_t e;
  if (c.flags & kLetter) {
    e = run_end(s, after, n, kLetter);
  } else if (c.cp != '\r' && c.cp != '\n' && !(c.flags & kNumber) && after < n &&
             (char_at(s + after).flags & kLetter)) {
    // One non-letter, non-digit, non-newline character prefixes a letter run.
    e = run_end(s, after, n, kLetter);
  } else if (c.flags & kNumber) {
    // \p{N}{1,3}: digits in chunks of at most three.
    e = after;
    for (int i = 1; i < 3 && e < n; ++i) {
      const auto d = char_at(s + e);
      if (!(d.flags & kNumber)) break;
      e += d.len;
    }
  } else {
    std::size_t p = pos;
    bool other = is_other(c.flags);
    if (c.cp == ' ' && after < n && is_other(char_at(s + after).flags)) {
      p = after;
      other = true;
    }
    if (other) {
      e = other_run_end(s, p, n);
      while (e < n && (s[e] == '\r' || s[e] == '\n')) ++e;
    } else {
      const SpaceRun r = space_run(s, pos, n);
      if (r.end == n) {
        e = n;  // \s++$
      } else if (r.last_newline != kNone) {
        e = r.last_newline + 1;  // \s*[\r\n]: backtracks to the run's last newline
      } else {
        e = space_tail_cut(r, n);
      }
    }
  }
  return e;
}

TOKCOUNT_ALWAYS_INLINE std::size_t next_cl100k(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  if (std::size_t e = contraction_end(s, pos, n, true)) return e;
  const std::size_t e = fast::cl100k(s, pos, n);
  return e != kNone ? e : general_cl100k(s, pos, n);
}

// o200k_base, o200k_harmony (no possessive quantifiers, so backtracking matters):
//   A1 [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//   A2 [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//   A3 \p{N}{1,3}   A4  ?[^\s\p{L}\p{N}]+[\r\n/]*   A5 \s*[\r\n]+   A6 \s+(?!\S)   A7 \s+
namespace o200k_detail {

// A1's `U*L+` from `s`: U* runs greedily; L+ must follow. If the character after the U-run is
// not in L, U* backs off to the last character of its run that is also in L (Lm, Lo, M are in
// both sets) and L+ matches just that one. Returns the end, or kNone.
inline std::size_t upper_then_lower(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  std::size_t last_lower_end = kNone;
  while (pos < n) {
    if (unicode::is_cjk_unified(s + pos)) {  // Lo: in both sets
      pos += 3;
      last_lower_end = pos;
      continue;
    }
    const auto c = char_at(s + pos);
    if (!(c.flags & kUpperSet)) {
      if (c.flags & kLowerSet) return run_end(s, pos, n, kLowerSet);
      break;
    }
    pos += c.len;
    if (c.flags & kLowerSet) last_lower_end = pos;
  }
  return last_lower_end;
}

// A2's `U+L*` from `s`. Returns the end, or kNone.
inline std::size_t upper_plus_lower(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  if (pos >= n || !(char_at(s + pos).flags & kUpperSet)) return kNone;
  return run_end(s, run_end(s, pos, n, kUpperSet), n, kLowerSet);
}

}  // namespace o200k_detail

[[gnu::noinline]] inline std::size_t general_o200k(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  using namespace o200k_detail;
  const auto c = char_at(s + pos);
  const std::size_t after = pos + c.len;
  const bool can_prefix = c.cp != '\r' && c.cp != '\n' && !(c.flags & (kLetter | kNumber));
  // Alternatives in regex order: A1 with the optional prefix taken, A1 without, A2 likewise.
  std::size_t e = kNone;
  if (can_prefix) e = upper_then_lower(s, after, n);
  if (e == kNone) e = upper_then_lower(s, pos, n);
  if (e == kNone && can_prefix) e = upper_plus_lower(s, after, n);
  if (e == kNone) e = upper_plus_lower(s, pos, n);
  if (e != kNone) {
    if (std::size_t ce = contraction_end(s, e, n, true)) e = ce;
  } else if (c.flags & kNumber) {
    e = after;
    for (int i = 1; i < 3 && e < n; ++i) {
      const auto d = char_at(s + e);
      if (!(d.flags & kNumber)) break;
      e += d.len;
    }
  } else {
    std::size_t p = pos;
    bool other = is_other(c.flags);
    if (c.cp == ' ' && after < n && is_other(char_at(s + after).flags)) {
      p = after;
      other = true;
    }
    if (other) {
      e = other_run_end(s, p, n);
      while (e < n && (s[e] == '\r' || s[e] == '\n' || s[e] == '/')) ++e;
    } else {
      const SpaceRun r = space_run(s, pos, n);
      if (r.last_newline != kNone) {
        e = r.last_newline + 1;  // A5 \s*[\r\n]+ backs off to the run's last newline
      } else {
        e = space_tail_cut(r, n);  // A6, then A7
      }
    }
  }
  return e;
}

TOKCOUNT_ALWAYS_INLINE std::size_t next_o200k(const std::uint8_t* s, std::size_t pos, std::size_t n) noexcept {
  const std::size_t e = fast::o200k(s, pos, n);
  return e != kNone ? e : general_o200k(s, pos, n);
}

// Pieces of s[0, n) as (begin, end) offsets, in order, for a built-in pattern.
template <std::size_t (*Next)(const std::uint8_t*, std::size_t, std::size_t) noexcept, class Emit>
void scan(const std::uint8_t* s, std::size_t n, Emit&& emit) {
  for (std::size_t pos = 0; pos < n;) {
    const std::size_t e = Next(s, pos, n);
    if (!call_emit(emit, pos, e)) return;
    pos = e;
  }
}
template <class Emit>
void scan_r50k(const std::uint8_t* s, std::size_t n, Emit&& emit) {
  scan<next_r50k>(s, n, emit);
}
template <class Emit>
void scan_cl100k(const std::uint8_t* s, std::size_t n, Emit&& emit) {
  scan<next_cl100k>(s, n, emit);
}
template <class Emit>
void scan_o200k(const std::uint8_t* s, std::size_t n, Emit&& emit) {
  scan<next_o200k>(s, n, emit);
}

}  // namespace tokcount::pretok
