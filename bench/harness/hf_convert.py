r"""Write a HuggingFace tokenizer.json equivalent to a tiktoken encoding, from a .tiktoken file.

Offline: nothing is downloaded. HF `tokenizers` (and tokie, which reads tokenizer.json) can
then run on exactly the vocabulary tokcount embeds; the harness checks their ids against ours
before timing them, so a conversion that is not exact is reported, never timed.

How tiktoken's BPE maps onto HF's byte-level BPE:
  * vocab: each token's bytes spelled with GPT-2's byte-to-unicode alphabet (printable Latin-1
    bytes stand for themselves, the other 68 bytes for U+0100 onwards), id = rank;
  * merges: tiktoken merges any adjacent pair whose concatenation is a token, lowest rank of
    the concatenation first. So every split t = a + b with a, b tokens of lower rank is a merge,
    ordered by the rank of t (then of a, b, for a deterministic file);
  * ignore_merges: a piece that is a whole token becomes that token (tiktoken's fast path);
  * pre-tokenizer: the encoding's own split regex, followed by a ByteLevel mapping without its
    own regex. One rewrite: Oniguruma (HF's regex engine, Ruby syntax) reads `X{1,3}+` as
    `(?:X{1,3})+`, not as a possessive repeat, so cl100k's `\p{N}{1,3}+` would take a whole
    digit run. It is written `\p{N}{1,3}`: at the end of its alternative, possessive and greedy
    match the same text. Other possessive forms (`X++`, `X?+`, `X*+`) mean the same in both.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path


def byte_alphabet() -> list[str]:
    """GPT-2's byte -> printable character table (byte b -> alphabet[b])."""
    printable = set(range(ord("!"), ord("~") + 1)) | set(range(0xA1, 0xAC + 1)) | set(range(0xAE, 0xFF + 1))
    table: list[str] = [""] * 256
    extra = 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def read_tiktoken(path: str | Path) -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    for line in Path(path).read_bytes().splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def oniguruma_pattern(pattern: str) -> str:
    """tiktoken's pattern with `{m,n}+` (possessive in fancy-regex) made greedy; see above."""
    return re.sub(r"(\{\d+,\d+\})\+", r"\1", pattern)


def convert(ranks: dict[bytes, int], pattern: str, special_tokens: dict[str, int]) -> dict:
    alphabet = byte_alphabet()

    def spell(b: bytes) -> str:
        return "".join(alphabet[x] for x in b)

    merges: list[tuple[int, int, int, str, str]] = []
    for token, rank in ranks.items():
        for cut in range(1, len(token)):
            left, right = token[:cut], token[cut:]
            lr, rr = ranks.get(left), ranks.get(right)
            if lr is not None and rr is not None and lr < rank and rr < rank:
                merges.append((rank, lr, rr, spell(left), spell(right)))
    merges.sort()
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for s, i in sorted(special_tokens.items(), key=lambda kv: kv[1])
        ],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": oniguruma_pattern(pattern)}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            ],
        },
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": True,
            "vocab": {spell(t): r for t, r in sorted(ranks.items(), key=lambda kv: kv[1])},
            "merges": [[a, b] for _, _, _, a, b in merges],
        },
    }


def write_tokenizer_json(tiktoken_file: str | Path, pattern: str, special_tokens: dict[str, int],
                         out: str | Path) -> Path:
    """Convert once; reuse the file while it is newer than its source."""
    out = Path(out)
    if out.exists() and out.stat().st_mtime >= Path(tiktoken_file).stat().st_mtime:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    data = convert(read_tiktoken(tiktoken_file), pattern, special_tokens)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False))
    tmp.replace(out)
    return out
