// tiktoken's built-in split patterns (tiktoken_ext/openai_public.py, v0.14.0), and the older
// forms tiktoken declares equivalent. A custom encoding whose pattern is one of these strings
// gets the hand-written scanner.
#pragma once

#include <string_view>

namespace tokcount::pretok {

enum class PatternKind { kR50k, kCl100k, kO200k, kRegex };

inline constexpr std::string_view kR50kPattern =
    R"('(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s)";
inline constexpr std::string_view kR50kPatternOriginal =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?[\p{L}]+| ?[\p{N}]+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view kCl100kPattern =
    R"('(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s)";
inline constexpr std::string_view kCl100kPatternOriginal =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view kO200kPattern =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

inline PatternKind classify_pattern(std::string_view pat) {
  if (pat == kR50kPattern || pat == kR50kPatternOriginal) return PatternKind::kR50k;
  if (pat == kCl100kPattern || pat == kCl100kPatternOriginal) return PatternKind::kCl100k;
  if (pat == kO200kPattern) return PatternKind::kO200k;
  return PatternKind::kRegex;
}

}  // namespace tokcount::pretok
