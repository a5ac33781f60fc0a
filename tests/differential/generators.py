"""Seeded input generators for differential tests and fixtures.

Each family targets one part of tiktoken's pre-tokenizer patterns (r50k, cl100k,
o200k) where an engine is most likely to diverge. Every generator takes a
random.Random and returns a str of Unicode scalar values (never surrogates), so
the same seed always yields the same inputs.
"""

from __future__ import annotations

import random
import zlib

# ---------------------------------------------------------------------------
# Character pools
# ---------------------------------------------------------------------------


def _r(lo: int, hi: int) -> tuple[int, int]:
    return (lo, hi)


# (weight, (first, last)) blocks for random scalar values; the weights bias
# toward scripts and categories the patterns treat specially.
WEIGHTED_BLOCKS: list[tuple[float, tuple[int, int]]] = [
    (30, _r(0x20, 0x7E)),          # printable ASCII
    (2, _r(0x00, 0x1F)),           # C0 controls (\t \n \v \f \r, and 0x1C-0x1F, which Python calls space)
    (1, _r(0x7F, 0x9F)),           # DEL, C1 controls incl. U+0085
    (6, _r(0xA0, 0xFF)),           # Latin-1: NBSP, ª º (Lo), ² ³ ¹ ¼ (No), × ÷
    (5, _r(0x100, 0x24F)),         # Latin Extended-A/B: ſ, ǅ ǈ ǋ ǲ (Lt)
    (3, _r(0x250, 0x2FF)),         # IPA, spacing modifiers ʰ (Lm)
    (6, _r(0x300, 0x36F)),         # combining diacritics (Mn)
    (4, _r(0x370, 0x3FF)),         # Greek
    (4, _r(0x400, 0x4FF)),         # Cyrillic, incl. Me U+0488/0489
    (2, _r(0x590, 0x5FF)),         # Hebrew (Lo, Mn)
    (4, _r(0x600, 0x6FF)),         # Arabic, Arabic-Indic digits
    (4, _r(0x900, 0x97F)),         # Devanagari (Mc, Mn, Nd)
    (2, _r(0xE00, 0xE7F)),         # Thai
    (1, _r(0x10A0, 0x10FF)),       # Georgian (Lu/Ll/Lm)
    (1, _r(0x1100, 0x11FF)),       # Hangul Jamo
    (1, _r(0x1680, 0x169F)),       # Ogham, U+1680 space
    (1, _r(0x1C80, 0x1C8F)),       # Cyrillic Extended-C, U+1C89/1C8A new in Unicode 16
    (2, _r(0x1E00, 0x1FFF)),       # Latin Ext Additional, Greek Extended (Lt U+1F88..)
    (4, _r(0x2000, 0x206F)),       # General Punctuation: spaces, ZWJ, ZWSP, U+2028/2029
    (2, _r(0x2070, 0x218F)),       # super/subscripts, currency, letterlike (K U+212A), number forms (Nl)
    (2, _r(0x2190, 0x2BFF)),       # arrows, math, box drawing, misc symbols
    (2, _r(0x3000, 0x30FF)),       # CJK punctuation, U+3000, 々 〇, kana, ー (Lm)
    (6, _r(0x4E00, 0x9FFF)),       # CJK unified ideographs
    (1, _r(0xA640, 0xA69F)),       # Cyrillic Extended-B (Lm U+A67F)
    (3, _r(0xAC00, 0xD7A3)),       # Hangul syllables
    (1, _r(0xE000, 0xF8FF)),       # private use
    (1, _r(0xFB00, 0xFB4F)),       # ligatures, Hebrew presentation forms
    (1, _r(0xFE00, 0xFE0F)),       # variation selectors
    (1, _r(0xFE30, 0xFEFF)),       # small forms, Arabic forms, BOM
    (2, _r(0xFF00, 0xFFEF)),       # fullwidth / halfwidth forms
    (1, _r(0xFFF0, 0xFFFF)),       # specials: U+FFFD, noncharacters
    (1, _r(0x10000, 0x1007F)),     # Linear B
    (1, _r(0x10400, 0x1044F)),     # Deseret (astral Lu/Ll)
    (1, _r(0x10940, 0x1095F)),     # Sidetic (new in Unicode 17)
    (1, _r(0x10D40, 0x10D8F)),     # Garay (new in Unicode 16)
    (1, _r(0x11BC0, 0x11BFF)),     # Sunuwar (new in Unicode 16)
    (1, _r(0x11DB0, 0x11DEF)),     # Tolong Siki (new in Unicode 17)
    (1, _r(0x11F00, 0x11F5F)),     # Kawi (new in Unicode 15)
    (1, _r(0x16D40, 0x16D7F)),     # Kirat Rai (new in Unicode 16)
    (1, _r(0x16EA0, 0x16EDF)),     # Beria Erfe (new in Unicode 17)
    (1, _r(0x1D400, 0x1D7FF)),     # mathematical alphanumerics, bold digits
    (1, _r(0x1E030, 0x1E08F)),     # Cyrillic Extended-D (new in Unicode 15)
    (1, _r(0x1E5D0, 0x1E5FF)),     # Ol Onal (new in Unicode 16)
    (1, _r(0x1E6C0, 0x1E6FF)),     # Tai Yo (new in Unicode 17)
    (1, _r(0x1E900, 0x1E95F)),     # Adlam (astral Lu/Ll, Nd)
    (1, _r(0x1F100, 0x1F1FF)),     # enclosed alphanumerics, regional indicators
    (5, _r(0x1F300, 0x1FAFF)),     # emoji and pictographs
    (2, _r(0x20000, 0x2A6DF)),     # CJK Extension B
    (1, _r(0x2EBF0, 0x2EE5F)),     # CJK Extension I (Unicode 15.1)
    (1, _r(0x31350, 0x323AF)),     # CJK Extension H (Unicode 15)
    (2, _r(0x323B0, 0x3347F)),     # CJK Extension J (Unicode 17: must not be letters for tiktoken)
    (1, _r(0xE0000, 0xE01EF)),     # tags, variation selectors supplement
    (1, _r(0xF0000, 0x10FFFF)),    # supplementary private use planes
    (3, _r(0x0, 0x10FFFF)),        # anything at all (surrogates skipped below)
]
_BLOCK_WEIGHTS = [w for w, _ in WEIGHTED_BLOCKS]
_BLOCKS = [b for _, b in WEIGHTED_BLOCKS]


def random_scalar(rng: random.Random) -> str:
    lo, hi = rng.choices(_BLOCKS, _BLOCK_WEIGHTS)[0]
    while True:
        cp = rng.randint(lo, hi)
        if not 0xD800 <= cp <= 0xDFFF:
            return chr(cp)


WHITESPACE = [
    " ", "\t", "\n", "\r\n", "\r", "\v", "\f", "\x85", "\xa0", "\u1680",
    *[chr(c) for c in range(0x2000, 0x200B)], "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
]
# Space-like characters that Unicode's White_Space (regex \s) does not include,
# though some libraries treat them as space: ZWSP, Mongolian vowel separator,
# BOM, and the C0 separators U+001C-001F (Python's str.isspace says yes).
NOT_WHITESPACE = ["\u200b", "\u180e", "\ufeff", "\x1c", "\x1d", "\x1e", "\x1f", "\u200c", "\u200d"]

DIGIT_SETS = [
    "0123456789",
    "".join(chr(c) for c in range(0x660, 0x66A)),      # Arabic-Indic
    "".join(chr(c) for c in range(0x6F0, 0x6FA)),      # Extended Arabic-Indic
    "".join(chr(c) for c in range(0x966, 0x970)),      # Devanagari
    "".join(chr(c) for c in range(0x9E6, 0x9F0)),      # Bengali
    "".join(chr(c) for c in range(0xE50, 0xE5A)),      # Thai
    "".join(chr(c) for c in range(0xFF10, 0xFF1A)),    # fullwidth
    "".join(chr(c) for c in range(0x1D7CE, 0x1D7D8)),  # mathematical bold
    "".join(chr(c) for c in range(0x10D40, 0x10D4A)), # Garay (Unicode 16)
]
# Nl and No code points: \p{N} but not decimal digits.
NUMBER_LIKE = (
    [chr(c) for c in range(0x2160, 0x2189)]   # Roman numerals (Nl)
    + ["\u3007", "\u3021", "\u3029"]          # ideographic zero, Hangzhou numerals (Nl)
    + ["\u00b2", "\u00b3", "\u00b9", "\u00bc", "\u00bd", "\u00be"]  # No
    + [chr(c) for c in range(0x2460, 0x2474)]  # circled numbers (No)
    + ["\u2070", "\u2074", "\u2080", "\u2089"]  # super/subscript digits (No)
    + ["\U00010107", "\U0001f100", "\U0001f10a"]
)

ASCII_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
UNICODE_PUNCT = "«»“”‘’‚„…—–·•¿¡、。「」・‹›†‡‰′″‼⁇※§¶©®™°±×÷∑∏√∞≈≠≤≥€£¥₹¢¤♠♥✓✗→←↑↓⇒"

APOSTROPHES = ["'", "'", "'", "\u2019", "\u2018", "\u02bc", "`", "\uff07"]
CONTRACTION_BASES = ["s", "t", "re", "ve", "ll", "m", "d"]
# Things that look like contractions but are not (or only under case folding):
# long s folds to 's', Kelvin sign folds to 'k'.
NEAR_CONTRACTIONS = ["\u017f", "\u212a", "\u212ae", "x", "em", "tis", "n", "S\u0301", "\u0131", "\u0130", "ß", "LLs", "rev", "dd"]

LU = "ABCDEFGHIJKLMNOPQRSTUVWXYZÀÉÎÑÖØÞĀĞŁŒŠŸΑΓΔΘΛΣΩАБВГДЖЯԱႠ\U00010400\U0001E900Ⴀ"
LL = "abcdefghijklmnopqrstuvwxyzßàéîñöøþāğłœšÿαγδθλσςωабвгджяաⴀ\U00010428\U0001E922ꭰ"
LT = "\u01c5\u01c8\u01cb\u01f2\u1f88\u1f89\u1f8f\u1f98\u1fbc\u1fcc\u1ffc"
LM = "\u02b0\u02b2\u02c6\u02d0\u02e0\u0374\u0559\u0640\u07f4\u1d2c\u1d9c\u3005\u3031\u309d\u30fc\ua67f\uff70\U00016b40"
LO = "\u00aa\u00ba\u01bb\u05d0\u05d1\u05ea\u0627\u0628\u0915\u0e01\u3042\u30a2\u4e00\u4e2d\uac00\ud55c\U00020000\u1100\u0f40"
MARKS = "\u0300\u0301\u0302\u0308\u030a\u0327\u0345\u0488\u0489\u05b0\u064b\u093e\u0903\u094d\u0e31\u20dd\u20e3\ufe0f\u200d\U0001d165"

EMOJI_BASE = "😀😂🥲🤖👍👋🧑👩👨👧👦🏳🌈🔥✨❤☺✌🤝🫠🫶🪿🇺🇸🇯🇵"
SKIN_TONES = [chr(c) for c in range(0x1F3FB, 0x1F400)]

ZWJ_SEQUENCES = [
    "👩\u200d💻", "👨\u200d👩\u200d👧\u200d👦", "🏳\ufe0f\u200d🌈", "🧑🏽\u200d🚀", "👩🏿\u200d❤\ufe0f\u200d💋\u200d👨🏻",
    "❤\ufe0f\u200d🔥", "🐻\u200d❄\ufe0f", "1\ufe0f\u20e3", "#\ufe0f\u20e3", "🇬🇧", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
]

WORDS = [
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "was", "on", "be", "at",
    "hello", "world", "token", "tokenizer", "encoding", "function", "return", "value", "HTTP", "JSON",
    "naïve", "café", "Straße", "über", "fiancée", "résumé", "Ελληνικά", "русский", "мир", "日本語", "中文",
    "한국어", "العربية", "हिन्दी", "עברית", "ไทย", "Tiếng", "Việt", "İstanbul", "ǅemal", "ﬁnance", "ŉ",
]

SPECIAL_TOKENS_BY_ENCODING: dict[str, list[str]] = {}  # filled by tests from tiktoken


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _ws_run(rng: random.Random, max_len: int = 6) -> str:
    n = rng.randint(1, max_len)
    if rng.random() < 0.5:
        return rng.choice(WHITESPACE) * n  # homogeneous runs: "   ", "\n\n\n"
    return "".join(rng.choice(WHITESPACE) if rng.random() < 0.6 else " " for _ in range(n))


def _word(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.5:
        return rng.choice(WORDS)
    if r < 0.8:
        return "".join(rng.choice(LL) for _ in range(rng.randint(1, 8)))
    return "".join(rng.choice(LU + LL) for _ in range(rng.randint(1, 8)))


def _digits(rng: random.Random, n: int | None = None) -> str:
    n = n or rng.randint(1, 12)
    r = rng.random()
    if r < 0.55:
        return "".join(rng.choice("0123456789") for _ in range(n))
    if r < 0.85:
        ds = rng.choice(DIGIT_SETS)
        return "".join(rng.choice(ds) for _ in range(n))
    # mixed scripts and number-like letters in one run
    pool = "".join(DIGIT_SETS) + "".join(NUMBER_LIKE)
    return "".join(rng.choice(pool) for _ in range(n))


def _punct_run(rng: random.Random) -> str:
    n = rng.randint(1, 6)
    pool = ASCII_PUNCT if rng.random() < 0.7 else ASCII_PUNCT + UNICODE_PUNCT
    return "".join(rng.choice(pool) for _ in range(n))


def _join(rng: random.Random, parts: list[str]) -> str:
    seps = ["", "", " ", " ", "\n", "\t"]
    return "".join(p + rng.choice(seps) for p in parts)


# ---------------------------------------------------------------------------
# Families
# ---------------------------------------------------------------------------


def gen_unicode(rng: random.Random) -> str:
    """Random scalar values from all planes, plus emoji sequences."""
    out = []
    for _ in range(rng.randint(1, 40)):
        r = rng.random()
        if r < 0.80:
            out.append(random_scalar(rng))
        elif r < 0.88:
            e = rng.choice(EMOJI_BASE)
            if rng.random() < 0.5:
                e += rng.choice(SKIN_TONES)
            out.append(e)
        elif r < 0.94:
            out.append(rng.choice(ZWJ_SEQUENCES))
        else:
            out.append(rng.choice(MARKS) * rng.randint(1, 4))
    return "".join(out)


def gen_whitespace(rng: random.Random) -> str:
    """Whitespace runs at start/middle/end and before letters, digits, punctuation."""
    followers = [
        lambda: _word(rng), lambda: _digits(rng), lambda: _punct_run(rng), lambda: rng.choice(LU + LL),
        lambda: rng.choice(NOT_WHITESPACE), lambda: random_scalar(rng), lambda: "'s", lambda: "",
    ]
    parts = []
    if rng.random() < 0.6:
        parts.append(_ws_run(rng))
    for _ in range(rng.randint(1, 5)):
        parts.append(rng.choice(followers)())
        parts.append(_ws_run(rng, rng.choice([2, 4, 8, 16])))
    if rng.random() < 0.5:
        parts.pop()  # sometimes end on non-whitespace
    return "".join(parts)


def gen_digits(rng: random.Random) -> str:
    """Digit runs of length 1..12 in many scripts and number-like contexts."""
    r = rng.random()
    if r < 0.35:
        s = _digits(rng, rng.randint(1, 12))
    elif r < 0.55:
        # numbers as people write them
        templates = [
            "{d}.{d}", "{d},{d},{d}", "v{d}.{d}.{d}", "0x{d}", "{d}e-{d}", "-{d}", "+{d}", "${d}.{d}",
            "{d}%", "{d}-{d}-{d}", "({d}) {d}-{d}", "{d}:{d}:{d}", "#{d}", "{d}st", "{d}th", "{d}px",
            "A{d}B", "x{d}", "{d}\u00a0{d}", "{d}'s", "{d}'S", "{d}\n{d}", "{d} {d}", "{d}  {d}",
        ]
        t = rng.choice(templates)
        while "{d}" in t:
            t = t.replace("{d}", _digits(rng, rng.randint(1, 7)), 1)
        s = t
    elif r < 0.75:
        # number-like letters (Roman numerals etc.) and mixtures
        s = "".join(rng.choice(NUMBER_LIKE) if rng.random() < 0.5 else _digits(rng, rng.randint(1, 4))
                    for _ in range(rng.randint(1, 5)))
    else:
        s = _join(rng, [_digits(rng) if rng.random() < 0.6 else _word(rng) for _ in range(rng.randint(2, 6))])
    if rng.random() < 0.3:
        s = rng.choice([" ", "a", "\n", "(", "$", "  "]) + s
    if rng.random() < 0.3:
        s = s + rng.choice([" ", "a", "\n", ")", ".", "x1", "  "])
    return s


def gen_punctuation(rng: random.Random) -> str:
    """Punctuation runs, with '/', newlines and CRs after punctuation."""
    parts = []
    for _ in range(rng.randint(1, 5)):
        p = _punct_run(rng)
        if rng.random() < 0.5:
            p += "".join(rng.choice(["\n", "\r", "\r\n", "/", "/", " ", "\n\n"]) for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.3:
            p = " " + p
        parts.append(p)
        if rng.random() < 0.6:
            parts.append(rng.choice([_word(rng), _digits(rng), _ws_run(rng), rng.choice(LL), "'s"]))
    return "".join(parts)


def _case_variants(suffix: str, rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in suffix)


def gen_contractions(rng: random.Random) -> str:
    """Contractions in every case, in every context, plus look-alikes."""
    before = rng.choice([
        lambda: _word(rng), lambda: _digits(rng, rng.randint(1, 4)), lambda: " ", lambda: "",
        lambda: rng.choice(LU), lambda: rng.choice(LT + LM + LO), lambda: _punct_run(rng),
        lambda: "\n", lambda: rng.choice(MARKS), lambda: " " + _word(rng), lambda: "'",
    ])()
    apo = rng.choice(APOSTROPHES)
    if rng.random() < 0.8:
        suf = _case_variants(rng.choice(CONTRACTION_BASES), rng)
    else:
        suf = rng.choice(NEAR_CONTRACTIONS)
    after = rng.choice([
        lambda: "", lambda: "", lambda: _word(rng), lambda: rng.choice(LL), lambda: rng.choice(LU),
        lambda: " " + _word(rng), lambda: _digits(rng, 2), lambda: _punct_run(rng), lambda: "'s",
        lambda: rng.choice(MARKS), lambda: "\n",
    ])()
    s = before + apo + suf + after
    if rng.random() < 0.3:
        s = s + " " + gen_contractions(rng)
    return s


def _cased_word(rng: random.Random) -> str:
    style = rng.choice(["camel", "pascal", "allcaps", "title", "random", "marks"])
    if style in ("camel", "pascal"):
        parts = [_word(rng).lower() for _ in range(rng.randint(2, 4))]
        s = parts[0] if style == "camel" else parts[0].title()
        return s + "".join(p.title() for p in parts[1:])
    if style == "allcaps":
        return "".join(rng.choice(LU) for _ in range(rng.randint(1, 8))) + (
            rng.choice(["", "s", "es", "'S", "'s", "Ǆ", "ǅ"]))
    if style == "title":
        return rng.choice(LU + LT) + "".join(rng.choice(LL) for _ in range(rng.randint(0, 6)))
    # Build from general categories, so runs like Lt Lm M Ll and Lu M Lo appear.
    classes = [LU, LL, LT, LM, LO, MARKS]
    weights = [4, 5, 1, 1, 2, 2] if style == "random" else [3, 3, 1, 1, 1, 5]
    return "".join(rng.choice(rng.choices(classes, weights)[0]) for _ in range(rng.randint(1, 10)))


def gen_case_words(rng: random.Random) -> str:
    """camelCase, ALLCAPS, Title words with marks/apostrophes (o200k's case-aware branches)."""
    parts = []
    for _ in range(rng.randint(1, 5)):
        w = _cased_word(rng)
        if rng.random() < 0.25:
            w += rng.choice(APOSTROPHES[:4]) + _case_variants(rng.choice(CONTRACTION_BASES), rng)
        if rng.random() < 0.2:
            w = rng.choice(MARKS + LM + LT + LO) + w
        if rng.random() < 0.2:
            w += rng.choice(MARKS + LM + LT + LO)
        parts.append(w)
    seps = [" ", "", "_", "-", ".", "\n", "'", " '", "0", "  ", "\u00a0"]
    return "".join(p + rng.choice(seps) for p in parts).rstrip(rng.choice(["", " "]))


_IDENTS = ["x", "i", "n", "buf", "self", "value", "getTokenCount", "max_len", "HTTPServer", "kCacheSize",
           "__init__", "fooBar2", "_tmp", "std", "vec", "résultat", "данные", "名前"]


def gen_code(rng: random.Random) -> str:
    """Code-like text: indentation, operators, brackets, strings, comments, paths, URLs."""
    def ident() -> str:
        return rng.choice(_IDENTS) if rng.random() < 0.7 else _cased_word(rng)

    def expr() -> str:
        r = rng.random()
        if r < 0.3:
            return ident()
        if r < 0.5:
            return _digits(rng, rng.randint(1, 6)) if rng.random() < 0.7 else rng.choice(
                ["0xFF", "1e-9", "3.14", "0b1010", "1_000_000", "42u", "0.5f"])
        if r < 0.7:
            q = rng.choice(['"', "'", "`"])
            body = rng.choice(["hello\\n", "%s: %d", "{}", "it's", "\\t\\\\", "ünïcödé", "", " a b "])
            return q + body + q
        if r < 0.85:
            return f"{ident()}({expr()}, {expr()})"
        return f"{ident()}[{expr()}]"

    stmts = [
        lambda: f"{ident()} = {expr()};",
        lambda: f"if ({expr()} {rng.choice(['==', '!=', '<=', '>=', '&&', '||', '<<', '>>>'])} {expr()}) {{",
        lambda: "}",
        lambda: f"def {ident()}({ident()}, {ident()}={expr()}):",
        lambda: f"return {expr()}",
        lambda: f"// {_word(rng)} {_word(rng)} TODO: fix",
        lambda: f"# {_word(rng)}'s {_word(rng)}",
        lambda: f"/* {_word(rng)} */",
        lambda: f"for (int {ident()} = 0; {ident()} < {expr()}; ++{ident()}) {{",
        lambda: f"import {ident()}.{ident()} as {ident()}",
        lambda: f"#include <{ident()}/{ident()}.h>",
        lambda: f"cd /usr/local/{ident()} && ls -la ./{ident()}/*.txt",
        lambda: f"https://example.com/{ident()}/{_digits(rng, 3)}?q={_word(rng)}&x={expr()}#top",
        lambda: f'{{"{ident()}": {expr()}, "list": [1, 2, 3], "ok": true}}',
        lambda: f"<div class=\"{ident()}\">{_word(rng)}</div>",
        lambda: f"SELECT * FROM {ident()} WHERE id = {_digits(rng, 4)};",
        lambda: f"{ident()} => {ident()}.map(x => x * 2)",
        lambda: "@decorator",
        lambda: "",
    ]
    indent_unit = rng.choice(["    ", "  ", "\t", " "])
    lines = []
    depth = 0
    for _ in range(rng.randint(1, 8)):
        line = rng.choice(stmts)()
        if line == "}":
            depth = max(0, depth - 1)
        lines.append(indent_unit * depth + line + (" " * rng.randint(1, 3) if rng.random() < 0.1 else ""))
        if line.endswith("{") or line.endswith(":"):
            depth += 1
    nl = rng.choice(["\n", "\n", "\n", "\r\n", "\n\n"])
    s = nl.join(lines)
    if rng.random() < 0.3:
        s += nl
    return s


def gen_mixed(rng: random.Random) -> str:
    """Concatenations of fragments from the other families."""
    fams = [gen_unicode, gen_whitespace, gen_digits, gen_punctuation, gen_contractions, gen_case_words, gen_code]
    return "".join(rng.choice(fams)(rng) for _ in range(rng.randint(2, 5)))


FAMILIES = {
    "unicode": gen_unicode,
    "whitespace": gen_whitespace,
    "digits": gen_digits,
    "punctuation": gen_punctuation,
    "contractions": gen_contractions,
    "case_words": gen_case_words,
    "code": gen_code,
    "mixed": gen_mixed,
}


# ---------------------------------------------------------------------------
# Special tokens
# ---------------------------------------------------------------------------

# Special-token text of all encodings, so each encoding also sees other
# encodings' specials (plain text there), plus near misses.
ALL_SPECIALS = [
    "<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>",
    "<|startoftext|>", "<|return|>", "<|constrain|>", "<|channel|>", "<|start|>", "<|end|>",
    "<|message|>", "<|call|>", "<|reserved_200000|>", "<|reserved_200013|>", "<|reserved_201087|>",
]
NEAR_SPECIALS = [
    "<|endoftext|", "|endoftext|>", "<|endoftext>", "<|ENDOFTEXT|>", "< |endoftext|>", "<|endoftext |>",
    "<|endoftext", "<|", "|>", "<||>", "<|reserved_201088|>", "<|reserved_199999|>", "<|reserved_0|>",
    "<|<|endoftext|>|>", "<<|endoftext|>>", "<|end", "<|en\u200bd|>",
]


def gen_special(rng: random.Random, specials: list[str], density: float = 0.7) -> str:
    """Text with this encoding's specials (probability `density`), other encodings' specials and near misses."""
    parts = []
    n = rng.randint(1, 6)
    for _ in range(n):
        r = rng.random()
        if r < 0.35:
            parts.append(rng.choice(list(FAMILIES.values()))(rng))
        elif r < 0.55:
            parts.append(rng.choice(NEAR_SPECIALS))
        elif r < 0.75:
            parts.append(rng.choice(ALL_SPECIALS))
        else:
            parts.append(rng.choice([" ", "\n", "", "x", "'s", "  ", "12"]))
    if specials and rng.random() < density:
        for _ in range(rng.randint(1, 3)):
            parts.insert(rng.randint(0, len(parts)), rng.choice(specials))
    return "".join(parts)


# ---------------------------------------------------------------------------
# Long inputs
# ---------------------------------------------------------------------------


def gen_long(rng: random.Random, index: int) -> str:
    """10-100 KB inputs; `index` cycles through shapes that stress BPE and the splitter."""
    size = rng.randint(10_000, 100_000)
    shapes = [
        lambda: "a" * size,                                   # one huge piece: BPE worst case
        lambda: " " * size,                                   # one huge whitespace run
        lambda: ("\n" * 3 + " " * 5) * (size // 8),
        lambda: "1234567890" * (size // 10),                  # digits chunked by 3
        lambda: "😀" * (size // 4),                            # long multibyte run
        lambda: "".join(random_scalar(rng) for _ in range(size // 3)),
        lambda: "".join(gen_mixed(rng) for _ in range(size // 150)),
        lambda: "".join(rng.choice(LU + LL) for _ in range(size)),  # long letter run, no spaces
        lambda: "".join(gen_code(rng) + "\n" for _ in range(size // 150)),
        lambda: "ab" * (size // 2),
        lambda: "\u4e00\u4e8c\u4e09" * (size // 9),
        lambda: ("'s" * 7 + "!" * 3) * (size // 17 + 1),
    ]
    s = shapes[index % len(shapes)]()
    n = len(s.encode("utf-8"))
    return s * (10_000 // n + 1) if n < 10_000 else s  # at least 10 KB of UTF-8


def seed_for(base_seed: int, *names: str) -> int:
    """A stable per-test seed (Python's hash() is salted per process, so use crc32)."""
    return zlib.crc32(("/".join(names) + f"#{base_seed}").encode()) ^ base_seed
