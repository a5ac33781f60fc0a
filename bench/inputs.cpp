#include "inputs.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <stdexcept>

#include "tokcount/tokcount.hpp"

namespace tokcount::bench {
namespace {

using Rng = std::mt19937_64;

std::size_t pick(Rng& rng, std::size_t n) { return static_cast<std::size_t>(rng() % n); }

template <std::size_t N>
std::string_view pick(Rng& rng, const std::string_view (&words)[N]) {
  return words[pick(rng, N)];
}

void append_utf8(std::string& s, char32_t c) {
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Appends each part (string views, strings, literals) to `s`. (Also sidesteps GCC 12's false
// -Wrestrict on `"literal" + std::string`.)
template <class... Parts>
void append(std::string& s, const Parts&... parts) {
  (s.append(std::string_view(parts)), ...);
}

// Cut to at most `bytes` without splitting a UTF-8 sequence.
std::string cut(std::string s, std::size_t bytes) {
  if (s.size() <= bytes) return s;
  std::size_t n = bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

// Calls `step(out)` until `out` holds at least `bytes`, then cuts it to size.
std::string fill(std::size_t bytes, const std::function<void(std::string&)>& step) {
  std::string out;
  out.reserve(bytes + 64);
  while (out.size() < bytes) step(out);
  return cut(std::move(out), bytes);
}

std::string repeat(std::string_view unit, std::size_t bytes) {
  return fill(bytes, [&](std::string& s) { s += unit; });
}

std::string random_from(std::string_view alphabet, std::size_t bytes, std::uint64_t seed) {
  Rng rng(seed);
  std::string s(bytes, '\0');
  for (char& c : s) c = alphabet[pick(rng, alphabet.size())];
  return s;
}

// ---- corpus-like text -----------------------------------------------------------------

constexpr std::string_view kEnglish[] = {
    "the", "of", "and", "to", "a", "in", "that", "is", "was", "he", "for", "it", "with", "as",
    "his", "on", "be", "at", "by", "I", "this", "had", "not", "are", "but", "from", "or",
    "have", "an", "they", "which", "one", "you", "were", "her", "all", "she", "there", "would",
    "their", "we", "him", "been", "has", "when", "who", "will", "more", "no", "if", "out",
    "so", "said", "what", "up", "its", "about", "into", "than", "them", "can", "only", "other",
    "new", "some", "could", "time", "these", "two", "may", "then", "do", "first", "any", "my",
    "now", "such", "like", "our", "over", "man", "me", "even", "most", "made", "after", "also",
    "did", "many", "before", "must", "through", "back", "years", "where", "much", "your",
    "way", "well", "down", "should", "because", "each", "just", "those", "people", "Mr.",
    "how", "too", "little", "state", "good", "very", "make", "world", "still", "own", "see",
    "men", "work", "long", "get", "here", "between", "both", "life", "being", "under", "never",
    "day", "same", "another", "know", "while", "last", "might", "us", "great", "old", "year",
    "off", "come", "since", "against", "go", "came", "right", "used", "take", "three",
    "whale", "ship", "captain", "harpoon", "ocean", "don't", "it's", "I'm", "we'll", "you've",
    "they're", "extraordinary", "nevertheless", "circumstances", "understanding"};

constexpr std::string_view kSentenceEnd[] = {".", ".", ".", "?", "!", ";", ":", "..."};

std::string capitalized(std::string_view w) {
  std::string s(w);
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 32);
  return s;
}

// Sentences of `words`, commas, quotes, numbers, paragraphs.
std::string prose(std::size_t bytes, std::uint64_t seed, const std::string_view* words, std::size_t n_words,
                  bool capitalize) {
  Rng rng(seed);
  return fill(bytes, [&](std::string& s) {
    const std::size_t len = 4 + pick(rng, 18);
    const bool quoted = pick(rng, 10) == 0;
    if (quoted) s += "\"";
    for (std::size_t i = 0; i < len; ++i) {
      std::string_view w = words[pick(rng, n_words)];
      if (pick(rng, 40) == 0) {
        s += std::to_string(pick(rng, 3000));
      } else {
        s += (i == 0 && capitalize) ? capitalized(w) : std::string(w);
      }
      if (i + 1 < len) s += pick(rng, 9) == 0 ? ", " : " ";
    }
    s += pick(rng, kSentenceEnd);
    if (quoted) s += "\"";
    s += pick(rng, 7) == 0 ? "\n\n" : " ";
  });
}

constexpr std::string_view kIdentifiers[] = {
    "self", "value", "result", "items", "key", "name", "path", "data", "index", "count", "node",
    "parser", "buffer", "config", "options", "token", "offset", "line", "text", "args", "kwargs",
    "response", "request", "cache", "encoding", "MAX_SIZE", "HttpClient", "TokenizerError",
    "_private", "__init__", "os", "sys", "re", "json", "len", "range", "isinstance", "None",
    "True", "False", "str", "int", "dict", "list", "tuple", "enumerate", "zip", "sorted"};
constexpr std::string_view kCodeOps[] = {" = ", " == ", " += ", " != ", ", ", ".", " + ", " - ",
                                         " * ", " / ", " % ", " < ", " >= ", " and ", " or ", " in "};

std::string python_like(std::size_t bytes, std::uint64_t seed) {
  Rng rng(seed);
  std::size_t depth = 0;
  return fill(bytes, [&](std::string& s) {
    const std::size_t kind = pick(rng, 12);
    if (kind == 0) {
      depth = pick(rng, 2);
      const std::string number = std::to_string(pick(rng, 100));
      append(s, std::string(depth * 4, ' '), depth ? "def " : "class ", pick(rng, kIdentifiers), "_", number);
      if (depth) append(s, "(self, ", pick(rng, kIdentifiers), "):\n");
      else append(s, "(object):\n");
      append(s, std::string((depth + 1) * 4, ' '), "\"\"\"", capitalized(pick(rng, kEnglish)), " the ",
             pick(rng, kEnglish), ".\"\"\"\n");
      ++depth;
      return;
    }
    if (kind == 1 && depth > 1) --depth;
    if (kind == 2) {
      s += "\n";
      return;
    }
    s.append(depth * 4, ' ');
    if (kind == 3) {
      append(s, "# ", pick(rng, kEnglish), " ", pick(rng, kEnglish), " ", pick(rng, kIdentifiers), "\n");
      return;
    }
    if (kind == 4) s += "if ";
    if (kind == 5) s += "return ";
    if (kind == 6) append(s, "for ", pick(rng, kIdentifiers), " in ");
    const std::size_t terms = 1 + pick(rng, 4);
    for (std::size_t t = 0; t < terms; ++t) {
      const std::size_t what = pick(rng, 6);
      if (what == 0) s += std::to_string(pick(rng, 100000));
      else if (what == 1) append(s, "'", pick(rng, kEnglish), "'");
      else if (what == 2) append(s, pick(rng, kIdentifiers), "[", std::to_string(pick(rng, 10)), "]");
      else if (what == 3) append(s, pick(rng, kIdentifiers), "(", pick(rng, kIdentifiers), ")");
      else s += pick(rng, kIdentifiers);
      if (t + 1 < terms) s += pick(rng, kCodeOps);
    }
    s += (kind >= 4 && kind <= 6) ? ":\n" : "\n";
  });
}

// Frequent simplified Chinese characters (a sample of the high-frequency list).
constexpr std::u32string_view kHanzi =
    U"的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后"
    U"小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长"
    U"知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最"
    U"间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市"
    U"眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计";
constexpr std::u32string_view kHanziPunct = U"，。、；：？！“”《》";

std::string chinese_like(std::size_t bytes, std::uint64_t seed) {
  Rng rng(seed);
  return fill(bytes, [&](std::string& s) {
    const std::size_t len = 6 + pick(rng, 30);
    for (std::size_t i = 0; i < len; ++i) append_utf8(s, kHanzi[pick(rng, kHanzi.size())]);
    append_utf8(s, kHanziPunct[pick(rng, kHanziPunct.size())]);
    if (pick(rng, 20) == 0) s += std::to_string(pick(rng, 2100));
    if (pick(rng, 8) == 0) s += "\n";
  });
}

constexpr std::string_view kRussian[] = {
    "и", "в", "не", "на", "я", "быть", "он", "с", "что", "а", "по", "это", "она", "этот", "к",
    "но", "они", "мы", "как", "из", "у", "который", "то", "за", "свой", "весь", "год", "от",
    "так", "о", "для", "ты", "же", "все", "тот", "мочь", "вы", "человек", "такой", "его",
    "сказать", "только", "или", "ещё", "бы", "себя", "один", "когда", "уже", "для", "вот",
    "время", "если", "нет", "жизнь", "говорить", "чтобы", "дело", "Москва", "Россия",
    "первый", "большой", "слово", "день", "рука", "глаза", "любовь", "правительство"};

constexpr std::string_view kGerman[] = {
    "der", "die", "und", "in", "den", "von", "zu", "das", "mit", "sich", "des", "auf", "für",
    "ist", "im", "dem", "nicht", "ein", "Die", "eine", "als", "auch", "es", "an", "werden",
    "aus", "er", "hat", "daß", "sie", "nach", "wird", "bei", "einer", "Der", "um", "am", "sind",
    "noch", "wie", "einem", "über", "einen", "Das", "so", "Sie", "zum", "war", "haben", "nur",
    "oder", "aber", "vor", "zur", "bis", "mehr", "durch", "man", "sein", "wurde", "Straße",
    "Mädchen", "Bundesverfassungsgericht", "Größe", "fünf", "schön", "Gemütlichkeit",
    "Donaudampfschifffahrtsgesellschaft", "müssen", "Häuser", "Lösung", "Zeitgeist"};

// ---- pathological ---------------------------------------------------------------------

// Every Unicode scalar value except surrogates and CR/LF, in code point order, one line.
const std::string& unicode_sweep() {
  static const std::string sweep = [] {
    std::string s;
    for (char32_t c = 1; c <= 0x10FFFF; ++c) {
      if ((c >= 0xD800 && c <= 0xDFFF) || c == U'\n' || c == U'\r') continue;
      append_utf8(s, c);
    }
    return s;
  }();
  return sweep;
}

// All of Unicode in `bytes`: an evenly spread subset of the scalar values (a fraction
// bytes / sweep size of them, picked Bresenham-style), so even a small input spans every plane;
// sizes above the full sweep repeat it.
std::string unicode_all(std::size_t bytes) {
  const std::string& full = unicode_sweep();
  if (bytes >= full.size()) return repeat(full, bytes);
  std::string s;
  s.reserve(bytes + 4);
  std::size_t acc = 0;
  for (std::size_t i = 0; i < full.size();) {
    std::size_t len = 1;
    const auto lead = static_cast<unsigned char>(full[i]);
    if (lead >= 0xF0) len = 4;
    else if (lead >= 0xE0) len = 3;
    else if (lead >= 0xC0) len = 2;
    acc += bytes;
    if (acc >= full.size()) {
      acc -= full.size();
      s.append(full, i, len);
    }
    i += len;
  }
  return cut(std::move(s), bytes);
}

std::string cjk_no_space(std::size_t bytes, std::uint64_t seed) {
  Rng rng(seed);
  return fill(bytes, [&](std::string& s) { append_utf8(s, static_cast<char32_t>(0x4E00 + pick(rng, 0x9FFF - 0x4E00 + 1))); });
}

std::string emoji_zwj(std::size_t bytes, std::uint64_t seed) {
  constexpr std::u32string_view kSeqs[] = {
      U"\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466",  // family
      U"\U0001F3F3\uFE0F\u200D\U0001F308",                             // rainbow flag
      U"\U0001F469\U0001F3FD\u200D\U0001F4BB",                         // technologist + skin tone
      U"\U0001F1FA\U0001F1F8", U"\U0001F1EF\U0001F1F5",                  // flags
      U"\u2764\uFE0F\u200D\U0001F525", U"\U0001F44D\U0001F3FF", U"\U0001F600"};
  Rng rng(seed);
  return fill(bytes, [&](std::string& s) {
    for (char32_t c : kSeqs[pick(rng, std::size(kSeqs))]) append_utf8(s, c);
    if (pick(rng, 5) == 0) s += ' ';
  });
}

std::string combining_marks(std::size_t bytes, std::uint64_t seed) {
  Rng rng(seed);
  return fill(bytes, [&](std::string& s) {
    s += static_cast<char>('a' + pick(rng, 26));
    const std::size_t marks = 1 + pick(rng, 8);
    for (std::size_t i = 0; i < marks; ++i) append_utf8(s, static_cast<char32_t>(0x300 + pick(rng, 0x70)));
    if (pick(rng, 6) == 0) s += ' ';
  });
}

std::string camel_case(std::size_t bytes, std::uint64_t seed) {
  constexpr std::string_view kParts[] = {"get", "Http", "HTTP", "Response", "XML", "Parser", "Url", "ID",
                                         "Factory", "Bean", "JSON", "Abstract", "Token", "Count", "IO",
                                         "Stream", "Manager", "API", "Client", "v2"};
  Rng rng(seed);
  return fill(bytes, [&](std::string& s) { s += pick(rng, kParts); });
}

std::string all_caps(std::size_t bytes, std::uint64_t seed) {
  Rng rng(seed);
  return fill(bytes, [&](std::string& s) {
    std::string w(pick(rng, kEnglish));
    for (char& c : w) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    s += w;
    s += pick(rng, 12) == 0 ? "! " : " ";
  });
}

std::string contractions(std::size_t bytes, std::uint64_t seed) {
  constexpr std::string_view kSuffixes[] = {"'s", "'S", "'t", "'T", "'re", "'RE", "'Re", "'ve", "'VE",
                                            "'m", "'M", "'ll", "'LL", "'Ll", "'d", "'D", "'"};
  Rng rng(seed);
  return fill(bytes, [&](std::string& s) {
    std::string w(pick(rng, kEnglish));
    if (pick(rng, 3) == 0) w = capitalized(w);
    s += w;
    s += pick(rng, kSuffixes);
    s += pick(rng, 4) == 0 ? "" : " ";
  });
}

std::string spaces_before_words(std::size_t bytes, std::uint64_t seed) {
  constexpr std::string_view kNext[] = {"word", "Word", "42", "!", "\n", ".", "é", "\t", "(x)"};
  Rng rng(seed);
  return fill(bytes, [&](std::string& s) {
    s.append(1 + pick(rng, 64), ' ');
    s += pick(rng, kNext);
  });
}

std::string numeric_table(std::size_t bytes, std::uint64_t seed) {
  Rng rng(seed);
  return fill(bytes, [&](std::string& s) {
    for (int col = 0; col < 8; ++col) {
      if (pick(rng, 4) == 0) s += '-';
      s += std::to_string(pick(rng, 10000000));
      if (pick(rng, 2)) append(s, ".", std::to_string(pick(rng, 1000)));
      s += col < 7 ? (pick(rng, 2) ? "\t" : ", ") : "\n";
    }
  });
}

// Concatenated random tokens of o200k_base: `letters_only` keeps only ASCII-letter tokens, so
// the result is one huge \p{L}+ piece (rust-gems' non-splittable token soup); otherwise any
// token that is valid UTF-8 by itself (rust-gems' random-token text).
std::string token_text(std::size_t bytes, std::uint64_t seed, bool letters_only) {
  const EncodingPtr enc = Encoding::get("o200k_base");
  std::vector<std::string_view> tokens;
  for (Rank r = 0; r < enc->mergeable_count(); ++r) {
    const std::string_view t = enc->token_bytes(r);
    const bool letters = std::all_of(t.begin(), t.end(), [](char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; });
    if (letters_only ? letters : find_invalid_utf8(t) == kNoOffset) tokens.push_back(t);
  }
  Rng rng(seed);
  return fill(bytes, [&](std::string& s) { s += tokens[pick(rng, tokens.size())]; });
}

std::string special_token_text(std::size_t bytes, std::uint64_t seed) {
  constexpr std::string_view kSpecials[] = {"<|endoftext|>", "<|fim_prefix|>", "<|endofprompt|>", "<|", "|>"};
  const std::string text = prose(bytes, seed, kEnglish, std::size(kEnglish), true);
  Rng rng(seed + 1);
  std::string s;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = std::min(text.size() - i, 50 + pick(rng, 300));
    s.append(text, i, n);
    s += pick(rng, kSpecials);
    i += n;
  }
  return cut(std::move(s), bytes);
}

using Generator = std::function<std::string(std::size_t)>;

struct Entry {
  InputKind kind;
  Generator make;
};

const std::vector<Entry>& entries() {
  static const std::vector<Entry> all = {
      {{"gen_en", "text", "English-like prose from a word list"},
       [](std::size_t n) { return prose(n, 11, kEnglish, std::size(kEnglish), true); }},
      {{"gen_code", "text", "Python-like source"}, [](std::size_t n) { return python_like(n, 12); }},
      {{"gen_zh", "text", "Chinese-like text: frequent hanzi, CJK punctuation"},
       [](std::size_t n) { return chinese_like(n, 13); }},
      {{"gen_ru", "text", "Russian-like prose"},
       [](std::size_t n) { return prose(n, 14, kRussian, std::size(kRussian), true); }},
      {{"gen_de", "text", "German-like prose (umlauts, long compounds)"},
       [](std::size_t n) { return prose(n, 15, kGerman, std::size(kGerman), true); }},

      {{"a_x", "adversarial", "'a' repeated: one piece"}, [](std::size_t n) { return repeat("a", n); }},
      {{"random_letters", "adversarial", "random a-z, no spaces: one piece"},
       [](std::size_t n) { return random_from("abcdefghijklmnopqrstuvwxyz", n, 21); }},
      {{"digits", "adversarial", "random 0-9"}, [](std::size_t n) { return random_from("0123456789", n, 22); }},
      {{"punctuation", "adversarial", "random ASCII punctuation"},
       [](std::size_t n) { return random_from("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", n, 23); }},
      {{"whitespace", "adversarial", "random spaces, tabs, CR, LF"},
       [](std::size_t n) { return random_from("  \t\n\r", n, 24); }},
      {{"unicode_all", "adversarial", "one line over all of Unicode (every k-th scalar value)"},
       [](std::size_t n) { return unicode_all(n); }},

      {{"spaces", "pathological", "' ' repeated"}, [](std::size_t n) { return repeat(" ", n); }},
      {{"newlines", "pathological", "'\\n' repeated"}, [](std::size_t n) { return repeat("\n", n); }},
      {{"tabs", "pathological", "'\\t' repeated"}, [](std::size_t n) { return repeat("\t", n); }},
      {{"space_newline", "pathological", "' \\n' repeated"}, [](std::size_t n) { return repeat(" \n", n); }},
      {{"crlf", "pathological", "'\\r\\n' repeated"}, [](std::size_t n) { return repeat("\r\n", n); }},
      {{"spaces_before_words", "pathological", "1-64 spaces before words, digits, punctuation"},
       [](std::size_t n) { return spaces_before_words(n, 31); }},
      {{"trailing_whitespace", "pathological", "prose, then whitespace to end of input"},
       [](std::size_t n) { return prose(n / 2, 32, kEnglish, std::size(kEnglish), true) + repeat(" \t ", n - n / 2); }},
      {{"caret", "pathological", "'^' repeated"}, [](std::size_t n) { return repeat("^", n); }},
      {{"bang", "pathological", "'!' repeated"}, [](std::size_t n) { return repeat("!", n); }},
      {{"apostrophe_s", "pathological", "\"'s\" repeated"}, [](std::size_t n) { return repeat("'s", n); }},
      {{"zeros", "pathological", "'0' repeated"}, [](std::size_t n) { return repeat("0", n); }},
      {{"numeric_table", "pathological", "rows of signed decimals"}, [](std::size_t n) { return numeric_table(n, 33); }},
      {{"base64", "pathological", "random base64, no line breaks"},
       [](std::size_t n) {
         return random_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", n, 34);
       }},
      {{"hex", "pathological", "random lowercase hex"}, [](std::size_t n) { return random_from("0123456789abcdef", n, 35); }},
      {{"cjk_no_space", "pathological", "random CJK ideographs, no spaces: one piece"},
       [](std::size_t n) { return cjk_no_space(n, 36); }},
      {{"emoji_zwj", "pathological", "emoji ZWJ sequences, flags, skin tones"},
       [](std::size_t n) { return emoji_zwj(n, 37); }},
      {{"combining_marks", "pathological", "letters with 1-8 combining marks"},
       [](std::size_t n) { return combining_marks(n, 38); }},
      {{"camel_case", "pathological", "CamelCase/ALLCAPS parts without separators"},
       [](std::size_t n) { return camel_case(n, 39); }},
      {{"all_caps", "pathological", "ALLCAPS words"}, [](std::size_t n) { return all_caps(n, 40); }},
      {{"contractions", "pathological", "contractions in every case ('S, 'll, 'LL, ...)"},
       [](std::size_t n) { return contractions(n, 41); }},
      {{"token_soup", "pathological", "random ASCII-letter o200k tokens concatenated: one piece"},
       [](std::size_t n) { return token_text(n, 42, true); }},
      {{"random_tokens", "pathological", "random o200k tokens (valid UTF-8) concatenated"},
       [](std::size_t n) { return token_text(n, 43, false); }},
      {{"special_tokens_text", "pathological", "prose with special-token text every few hundred bytes"},
       [](std::size_t n) { return special_token_text(n, 44); }},
  };
  return all;
}

}  // namespace

const std::vector<InputKind>& input_kinds() {
  static const std::vector<InputKind> kinds = [] {
    std::vector<InputKind> k;
    for (const Entry& e : entries()) k.push_back(e.kind);
    return k;
  }();
  return kinds;
}

std::string generate_input(std::string_view kind, std::size_t bytes) {
  for (const Entry& e : entries()) {
    if (e.kind.name == kind) return e.make(bytes);
  }
  throw std::invalid_argument("unknown input kind: " + std::string(kind));
}

}  // namespace tokcount::bench
