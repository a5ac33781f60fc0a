#!/usr/bin/env python3
"""Fill a TIKTOKEN_CACHE_DIR so tiktoken runs offline on the repo's vocab files.

tiktoken looks up a downloaded blob under sha1(url).hexdigest() in the directory
named by TIKTOKEN_CACHE_DIR, and still checks the file's sha256, so copies of
bpe_data/*.tiktoken named that way make get_encoding() work with no network.

gpt2 cannot be served this way: it is built from vocab.bpe + encoder.json, which
the repo does not carry. Its ranks are those of r50k_base, so test r50k_base.

Usage: python3 tools/tiktoken_cache.py DIR   (fills DIR and prints its path)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BPE_DATA = REPO / "bpe_data"
URL_BASE = "https://openaipublic.blob.core.windows.net/encodings/"
VOCABS = ("r50k_base", "p50k_base", "cl100k_base", "o200k_base")

# Encodings tiktoken can build from the files above.
ENCODINGS = ("r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base", "o200k_harmony")


def cache_key(name: str) -> str:
    return hashlib.sha1((URL_BASE + name + ".tiktoken").encode()).hexdigest()


def fill_cache(directory: str | os.PathLike, bpe_data: str | os.PathLike = BPE_DATA) -> Path:
    """Copy the vocab files into `directory` under tiktoken's cache names; return its path."""
    out = Path(directory).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for name in VOCABS:
        src = Path(bpe_data) / f"{name}.tiktoken"
        dst = out / cache_key(name)
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            # Write to a temp name first so a concurrent reader never sees half a file.
            tmp = dst.with_suffix(".tmp")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
    return out


def use_cache(directory: str | os.PathLike) -> Path:
    """Fill `directory` and point this process's tiktoken at it (call before get_encoding)."""
    out = fill_cache(directory)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(out)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    print(fill_cache(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
