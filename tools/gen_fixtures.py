#!/usr/bin/env python3
"""Generate tests/fixtures/*.jsonl: conformance vectors computed by tiktoken.

Each line: {"id", "text", ["allowed_special": "all"], "r50k_base", "p50k_base",
"cl100k_base", "o200k_base"} (the format of the shared conformance vectors).
Lines without allowed_special were encoded with encode_ordinary; lines with it
with encode(text, allowed_special="all"), and they also carry "p50k_edit" /
"o200k_harmony" where those encodings give other tokens than their bases.

Runs offline (see tools/tiktoken_cache.py) and writes the same bytes every run
for a given tiktoken version and tests/differential/generators.py.

Usage: python3 tools/gen_fixtures.py [--out DIR] [--check]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "tests" / "differential"))

import tiktoken_cache  # noqa: E402

SEED = 20250601
BASES = ("r50k_base", "p50k_base", "cl100k_base", "o200k_base")
VARIANTS = {"p50k_edit": "p50k_base", "o200k_harmony": "o200k_base"}
GENERATED_PER_FAMILY = 40

# ---------------------------------------------------------------------------
# Natural text, written for these fixtures.
# ---------------------------------------------------------------------------

NATURAL = [
    ("prose#0", """The lighthouse keeper kept two logs. In the first he wrote the weather: wind from the \
north-east, a swell of three metres, fog until ten. In the second, which nobody ever asked to see, he \
wrote down what the gulls seemed to be arguing about. "They're not arguing," his daughter told him \
once. "They've just got very loud opinions." He thought that was the same thing, and said so.

By the winter of '87 the second log had run to eleven volumes."""),
    ("prose#1", """Most bugs aren't clever. They're an off-by-one in a loop that's run a million times \
without complaint, until the day the input is exactly 4,096 bytes long. You'll find them faster if you \
write down what you expected before you look at what you got -- it's harder to fool yourself that way.

Rule of thumb: if a fix takes one line, the test should take ten."""),
    ("prose#2", """Q: How many tokens is this sentence?\r\nA: It depends on the encoding; GPT-2's and \
GPT-4o's differ.\r\n\r\n    Indented line with trailing spaces.   \r\n\tTabbed line.\r\n"""),
    ("prose#3", """SHOUTING IN ALL CAPS, Whispering In Title Case, and camelCaseIdentifiersThatNeverEnd \
all split differently. Mr. O'Brien's dog didn't care; it's the cat's problem now. WE'LL SEE, SHE'D SAY. \
I'M SURE YOU'VE HEARD IT'S FINE."""),
    ("code#0", '''import json
from pathlib import Path


def load_config(path: str | Path, *, strict: bool = True) -> dict[str, object]:
    """Read a JSON config; unknown keys are an error when strict."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    known = {"name", "threads", "timeout_ms"}
    if strict and (extra := set(data) - known):
        raise ValueError(f"unknown keys: {sorted(extra)!r}")
    return {**{"threads": 4, "timeout_ms": 1_500}, **data}
'''),
    ("code#1", '''#include <cstdint>
#include <string_view>
#include <vector>

// Counts bytes that start a UTF-8 sequence.
std::size_t count_scalars(std::string_view s) noexcept {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0u) != 0x80u;
  return n;
}

template <typename T>
auto sum(const std::vector<T>& v) -> T {
\tT total{};
\tfor (auto&& x : v) { total += x; }
\treturn total;
}
'''),
    ("code#2", '''const fetchAll = async (urls) => {
  const results = await Promise.allSettled(urls.map((u) => fetch(u).then((r) => r.json())));
  return results.filter((r) => r.status === "fulfilled").map(({ value }) => value);
};
// TODO(2024-11-05): retry with exponential back-off: 100ms, 200ms, 400ms...
export default fetchAll;
'''),
    ("code#3", '''fn main() -> Result<(), Box<dyn std::error::Error>> {
    let line = "a=1;b=22;c=333";
    let pairs: Vec<(&str, u32)> = line
        .split(';')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| Ok::<_, std::num::ParseIntError>((k, v.parse()?)))
        .collect::<Result<_, _>>()?;
    println!("{pairs:?}");
    Ok(())
}
'''),
    ("code#4", '''#!/usr/bin/env bash
set -euo pipefail
for f in ./data/*.csv; do
  wc -l "$f" | awk '{ printf "%8d %s\\n", $1, $2 }'
done 2>/dev/null | sort -rn | head -n 5
curl -fsSL "https://example.org/api/v2/items?page=3&per_page=100" -o /tmp/items.json
'''),
    ("code#5", '''<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Token &amp; Count</title></head>
<body>
  <p class="note">Price: &euro;12.50 &mdash; <em>today only</em>!</p>
  <script>document.querySelector(".note").hidden = false;</script>
</body>
</html>
'''),
    ("code#6", '''SELECT u.id, u.email, COUNT(o.id) AS orders
FROM users AS u
LEFT JOIN orders AS o ON o.user_id = u.id AND o.created_at >= '2023-01-01'
WHERE u.email NOT LIKE '%@example.com'
GROUP BY u.id, u.email
HAVING COUNT(o.id) > 3
ORDER BY orders DESC;
'''),
    ("code#7", '''{"version": 3, "items": [{"id": 1, "tags": ["a", "b"], "ratio": 0.125, "ok": true},
 {"id": 22, "tags": [], "ratio": -1e-7, "ok": false, "note": null}], "unicode": "caf\\u00e9"}'''),
    ("multilingual#0", "Le café était fermé, alors nous avons marché jusqu'à la boulangerie d'à côté. "
                       "Ça s'est bien passé : l'été, c'est toujours comme ça."),
    ("multilingual#1", "Die Straße war nass, aber die Kinder spielten trotzdem draußen. Größere Pfützen "
                       "übersprangen sie mit Anlauf – meistens."),
    ("multilingual#2", "¿Dónde está la estación? Está a dos cuadras, ¡no te pierdas! Mañana llueve."),
    ("multilingual#3", "Мы встретились в семь часов вечера у старого моста. Было холодно, но никто "
                       "не спешил домой."),
    ("multilingual#4", "Η θάλασσα ήταν ήρεμη και ο ουρανός καθαρός. Ο ψαράς γύρισε νωρίς."),
    ("multilingual#5", "今天天气很好，我们去公园散步吧。明天可能会下雨，记得带伞。"),
    ("multilingual#6", "東京駅で友だちと待ち合わせをしました。カフェでコーヒーを二杯注文して、ゆっくり話しました。"),
    ("multilingual#7", "오늘은 도서관에서 책을 세 권 빌렸습니다. 다음 주까지 반납해야 해요."),
    ("multilingual#8", "ذهبنا إلى السوق صباحاً واشترينا خبزاً وزيتوناً وجبنة. الأسعار ارتفعت قليلاً."),
    ("multilingual#9", "कल सुबह हम पहाड़ों की ओर निकलेंगे। रास्ता लंबा है, इसलिए पानी साथ रखना।"),
    ("multilingual#10", "הספרייה נפתחת בשמונה בבוקר ונסגרת בשש בערב. הכניסה חופשית."),
    ("multilingual#11", "ตลาดน้ำเปิดตั้งแต่เช้าตรู่ ผลไม้สดและอาหารอร่อยมาก"),
    ("multilingual#12", "Hôm nay trời đẹp, chúng tôi đi dạo quanh hồ Hoàn Kiếm. İstanbul'da ılık bir "
                        "akşamdı; çay içtik ve şarkı söyledik."),
    ("multilingual#13", "Meeting at 3pm 🕒 — don't be late! 👍🏽 The team 👩‍💻👨‍💻 shipped v2.0 🎉🎉🎉 "
                        "Flags: 🇫🇷 🇯🇵 🇧🇷. Family: 👨‍👩‍👧‍👦. Keycap: 1️⃣ #️⃣."),
    ("multilingual#14", "Invoice №‌4711 — total €1.234,56 (≈ $1,337.00 / ¥196 000 / ₹1,11,111). "
                        "Due 31/12/2024; late fee 1½ % per month; ⅓ paid."),
]


def edge_cases() -> list[str]:
    """Hand-picked cases that pin down each branch of the three patterns."""
    import generators as g

    out: list[str] = ["", "a", "A", "0", "'", "''", "/", "\u00a0", "\ufeff", "\x00", "\ufffd"]
    for w in g.WHITESPACE + g.NOT_WHITESPACE:
        out += [w, w * 2, w * 3, "a" + w + "b", w + "a", "a" + w, w + " a", "a " + w, w + "1", w + "!", " " + w + "x"]
    out += [" " * n for n in range(1, 11)] + ["\n" * n for n in range(1, 5)] + ["x" + " " * n + "y" for n in range(1, 6)]
    out += ["a \n b", "a  \n  b", " \r\n ", "\r\n\r\n", "\r\r\n\n", "x\n\n\n\ty", "end   ", "end \n", "  \tx"]
    for base in g.CONTRACTION_BASES:
        variants = {base.lower(), base.upper(), base.title(), base[0].lower() + base[1:].upper()}
        for v in sorted(variants):
            out += [f"x'{v}", f"'{v}", f" '{v}", f"1'{v}", f"X'{v}y", f"x'{v} y", f"x\u2019{v}"]
    out += ["x'\u017f", "'\u017f", "x'\u212a", "x'\u212ae", "I'M", "can'T", "WE'LL", "she'D", "you'Ve",
            "o'clock", "rock'n'roll", "'''s", "x''s", "'s's", "a'sb", "don\u2019t", "\u02bcs"]
    for n in range(1, 13):
        out += ["1234567890123"[:n], "٠١٢٣٤٥٦٧٨٩٠١"[:n], "０１２３４５６７８９０１"[:n], "x" + "9" * n, " " + "7" * n]
    out += ["Ⅻ", "ⅻ2024", "〇一二", "½", "²³", "①②③④", "1,000,000.00", "3.14159", "-42", "1e10", "0xDEADBEEF"]
    for c in ["\u1c89", "\u1c8a", "\U00010d40", "\U00010d4a", "\U00011bc0", "\U00016d40", "\U0001e5d0",
              "\U000323b0", "\U00033479", "\U00016ea0", "\U00011db0", "\U00010940", "\U0001e6c0", "\U00031350"]:
        out += [c, "a" + c + "b", " " + c, c + "'s", "A" + c, c + "1"]
    out += ["HelloWorld", "helloWorld", "HELLOworld", "HTTPServer", "ǅungla", "ǅUNGLA", "xǅ", "ʰello", "aʰB",
            "אhello", "helloא", "a\u0301B", "A\u0301b", "\u0301abc", "ÉCOLE", "École", "e\u0301cole",
            "McDonald's", "MCDONALD'S", "DON'T", "don'T", "ΣΊΣΥΦΟΣ", "Σίσυφος", "ꭰꭱ", "ᏣᎳᎩ", "𐐀𐐨", "𞤀𞤢",
            "ﬁﬂ", "ﬃx", "ŉ'S", "İi", "ıI", "Ǆemal", "ǆemal", "ǲz", "A々B", "AーB"]
    out += ["!!!", "?!\n", "...\n\n", "a.b/c/", "//\n", " /**/ ", "=>\n\r\n", "({[]})", "@#$%^&*", " ¿¡", "«»\n"]
    out += ["😀", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🇺🇸🇬🇧", "1\ufe0f\u20e3", "🏳\ufe0f\u200d🌈", "a😀b", " 😀 "]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(REPO / "tests" / "fixtures"))
    ap.add_argument("--check", action="store_true", help="fail if the files on disk differ from a fresh run")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="tiktoken-cache-") as cache:
        tiktoken_cache.use_cache(cache)
        import tiktoken
        import generators as g

        encs = {n: tiktoken.get_encoding(n) for n in (*BASES, *VARIANTS)}

        def line(case_id: str, text: str, allow_all: bool = False) -> str:
            obj: dict = {"id": case_id, "text": text}
            if allow_all:
                obj["allowed_special"] = "all"
                res = {n: e.encode(text, allowed_special="all") for n, e in encs.items()}
            else:
                res = {n: encs[n].encode_ordinary(text) for n in BASES}
            for n in ("r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base", "o200k_harmony"):
                if n in BASES or (n in res and res[n] != res[VARIANTS[n]]):
                    obj[n] = res[n]
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

        files: dict[str, list[str]] = {}
        for fam, fn in g.FAMILIES.items():
            rng = random.Random(g.seed_for(SEED, "fixtures", fam))
            files[fam] = [line(f"{fam}#{i}", fn(rng)) for i in range(GENERATED_PER_FAMILY)]

        rng = random.Random(g.seed_for(SEED, "fixtures", "special"))
        named = sorted({t for e in encs.values() for t in e.special_tokens_set if "reserved" not in t})
        named += ["<|reserved_200000|>", "<|reserved_200013|>", "<|reserved_201087|>"]
        files["special"] = [line(f"special#{i}", g.gen_special(rng, named, density=0.9), allow_all=True)
                            for i in range(60)]

        rng = random.Random(g.seed_for(SEED, "fixtures", "long"))
        # Small (10-12 KB) instances of the long shapes that encode to few
        # tokens keep the files compact; the differential test covers the rest.
        long_cases = []
        for i in (0, 1, 2, 3, 4, 6, 8):
            t = g.gen_long(rng, i)
            t = t[:12_000]
            while len(t.encode()) > 12_000:
                t = t[:-100]
            long_cases.append(line(f"long#{i}", t))
        files["long"] = long_cases

        files["natural"] = [line(cid, text) for cid, text in NATURAL]
        files["edge"] = [line(f"edge#{i}", t) for i, t in enumerate(dict.fromkeys(edge_cases()))]

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stale = []
    total = 0
    for name, lines in files.items():
        data = ("\n".join(lines) + "\n").encode("utf-8")
        total += len(data)
        p = out / f"{name}.jsonl"
        if args.check:
            if not p.exists() or p.read_bytes() != data:
                stale.append(p.name)
        else:
            p.write_bytes(data)
        print(f"{p}: {len(lines)} cases, {len(data)} bytes")
    print(f"total {total} bytes (tiktoken {tiktoken.__version__})")
    if stale:
        print(f"stale fixtures: {', '.join(stale)}; rerun tools/gen_fixtures.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
