#!/usr/bin/env python3
"""Estimates the backtracking encoder's trie probes per token on a text, by byte and by UTF-8
character, to judge a trie layout before building it (README, "Where the targets stand").

For each token of the text's encoding, the leftmost-longest walk starting at that token runs
until the text's prefix is no longer a prefix of any token. Counted: byte probes after the
2-byte table (merge/backtrack.cpp's walk) and probes with a stride of one whole character.

  build/venv/bin/python tools/trie_walk_stats.py ../shared/corpus/zh.txt [-e o200k_base]
"""
import argparse
import base64
from pathlib import Path

import tokcount

REPO = Path(__file__).resolve().parent.parent


def char_len(lead: int) -> int:
    return 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("text")
    ap.add_argument("-e", "--encoding", default="o200k_base")
    ap.add_argument("--chars", type=int, default=300_000, help="characters of the text to use")
    args = ap.parse_args()
    prefixes = set()
    for line in (REPO / "bpe_data" / f"{args.encoding}.tiktoken").read_bytes().splitlines():
        token = base64.b64decode(line.split()[0])
        prefixes.update(token[:i] for i in range(1, len(token) + 1))
    enc = tokcount.get_encoding(args.encoding)
    text = Path(args.text).read_text(encoding="utf-8")[: args.chars]
    data = text.encode()
    byte_probes = char_probes = pos = 0
    tokens = enc.encode_ordinary(text)
    for token in tokens:
        i = 2
        while pos + i < len(data):
            byte_probes += 1
            if data[pos : pos + i + 1] not in prefixes:
                break
            i += 1
        j = 0
        while pos + j < len(data):
            step = char_len(data[pos + j])
            char_probes += 1
            if data[pos : pos + j + step] not in prefixes:
                break
            j += step
        pos += len(enc.decode_single_token_bytes(token))
    n = max(1, len(tokens))
    print(f"{args.text}: {len(tokens)} tokens, {byte_probes / n:.2f} byte probes/token, "
          f"{char_probes / n:.2f} character probes/token")


if __name__ == "__main__":
    main()
