"""The tools the harness compares, each behind one small adapter.

Every adapter loads an encoding *offline from the repo's own vocab files* (bpe_data/), or from
a vocabulary the package itself ships, and exposes the tool's natural fastest calls:

    encode(text) -> sequence of ids      (encode_ordinary semantics: special-token text is text)
    count(text) -> int                   (None when the tool has no count-only call)
    batch(docs, threads) -> list of id sequences (None when the tool has no native batch call)

A tool that cannot run offline, lacks an encoding or fails to import raises Skip with the
reason; the harness prints it. Nothing here decides correctness: the harness compares every
tool's ids with tokcount's before it times it.

Per-peer notes (how each is pointed at a local file) are in each adapter's docstring.
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

Ids = Sequence[int]


class Skip(Exception):
    """The tool cannot run this encoding here; the message says why."""


@dataclass
class Handle:
    encode: Callable[[str], Ids]
    count: Optional[Callable[[str], int]] = None
    batch: Optional[Callable[[list, int], list]] = None
    note: str = ""


class Context:
    """What adapters need from the harness: paths to the vocab files, the encodings' patterns and
    special tokens (written by the coordinator from tokcount, so no peer import is needed), and
    the HF tokenizer.json conversions."""

    def __init__(self, work: Path):
        self.work = work
        self.meta: dict[str, dict[str, Any]] = json.loads((work / "encodings.json").read_text())

    def tiktoken_file(self, encoding: str) -> Path:
        path = self.meta.get(encoding, {}).get("tiktoken_file")
        if not path:
            raise Skip(f"no .tiktoken file for {encoding}")
        return Path(path)

    def pattern(self, encoding: str) -> str:
        return self.meta[encoding]["pat_str"]

    def specials(self, encoding: str) -> dict[str, int]:
        return self.meta[encoding]["special_tokens"]

    def hf_json(self, encoding: str) -> Path:
        p = self.work / "hf" / f"{encoding}.json"
        if not p.exists():
            raise Skip(f"no tokenizer.json conversion for {encoding}")
        return p

    def ranks(self, encoding: str) -> dict[bytes, int]:
        ranks: dict[bytes, int] = {}
        for line in self.tiktoken_file(encoding).read_bytes().splitlines():
            if line:
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
        return ranks


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _need(encoding: str, supported: Sequence[str], tool: str) -> None:
    if encoding not in supported:
        raise Skip(f"{tool} has no {encoding} (supports {', '.join(supported)})")


def _first(result: Any) -> Any:
    # Some batch calls return (ids_lists, count, seconds).
    return result[0] if isinstance(result, tuple) else result


# ---- adapters --------------------------------------------------------------------------


def tokcount_py(ctx: Context, encoding: str) -> Handle:
    """tokcount's Python package (vocabularies compiled in). count() with disallowed_special=()
    has encode_ordinary's semantics."""
    import tokcount

    e = tokcount.get_encoding(encoding)
    return Handle(
        encode=e.encode_ordinary,
        count=lambda t: e.count(t, disallowed_special=()),
        batch=lambda docs, n: e.encode_ordinary_batch(docs, num_threads=n),
    )


def tiktoken_(ctx: Context, encoding: str) -> Handle:
    """tiktoken 0.14 on the repo's vocab files: TIKTOKEN_CACHE_DIR is filled by
    tools/tiktoken_cache.py (files named by the SHA-1 of their URL; tiktoken still checks
    their SHA-256). No count call."""
    import tiktoken

    e = tiktoken.get_encoding(encoding)
    return Handle(encode=e.encode_ordinary, batch=lambda docs, n: e.encode_ordinary_batch(docs, num_threads=n))


def gigatoken_(ctx: Context, encoding: str) -> Handle:
    """gigatoken: Tokenizer.from_tiktoken(path) picks the pattern from the file name (r50k,
    cl100k, o200k). encode returns a NumPy array. Batch runs on its rayon pool, sized by
    RAYON_NUM_THREADS (the harness sets it to the thread count); parallel=False for 1 thread."""
    _need(encoding, ("r50k_base", "cl100k_base", "o200k_base"), "gigatoken")
    import gigatoken

    t = gigatoken.Tokenizer.from_tiktoken(str(ctx.tiktoken_file(encoding)))
    return Handle(encode=t.encode, batch=lambda docs, n: t.encode_batch_list(docs, parallel=n > 1),
                  note="encode returns a NumPy array")


def tokendagger_(ctx: Context, encoding: str) -> Handle:
    """TokenDagger (PCRE2 JIT): built from the ranks of our .tiktoken file and the encoding's
    pattern. Its encode_batch is a Python ThreadPoolExecutor over encode()."""
    import tokendagger

    e = tokendagger.Encoding(encoding, pat_str=ctx.pattern(encoding), mergeable_ranks=ctx.ranks(encoding),
                             special_tokens=ctx.specials(encoding))
    return Handle(encode=e.encode_ordinary, batch=lambda docs, n: e.encode_batch(docs, num_threads=n),
                  note="batch = Python thread pool")


def bpe_openai_(ctx: Context, encoding: str) -> Handle:
    """bpe-openai (rust-gems `bpe-openai`): vocabularies ship inside the wheel. The Rust binding
    is called directly: the package's Python wrapper refuses inputs of 1,000,000 characters or
    more and adds a Python special-token scan. No native batch."""
    _need(encoding, ("cl100k_base", "o200k_base"), "bpe-openai")
    from bpe_openai import _bindings

    t = _bindings.tokenizer_for_encoding(encoding)
    return Handle(encode=t.encode, count=t.count, note="Rust binding called directly")


def tokie_(ctx: Context, encoding: str) -> Handle:
    """tokie: Tokenizer.from_json on a tokenizer.json converted offline from our vocab
    (bench/harness/hf_convert.py); from_pretrained would download from the Hub."""
    import tokie

    t = tokie.Tokenizer.from_json(str(ctx.hf_json(encoding)))
    return Handle(
        encode=lambda s: t.encode(s, add_special_tokens=False).ids,
        count=t.count_tokens,
        batch=lambda docs, n: [e.ids for e in t.encode_batch(docs, add_special_tokens=False)],
    )


def rs_bpe_(ctx: Context, encoding: str) -> Handle:
    """rs-bpe (a packaged fork of rust-gems' bpe): vocabularies ship inside the wheel. Batch on
    n > 1 threads is encode_batch_parallel with ParallelOptions(min_batch_size=1,
    chunk_size=64, max_threads=n); on one thread its serial encode_batch."""
    _need(encoding, ("cl100k_base", "o200k_base"), "rs-bpe")
    from rs_bpe.bpe import openai

    t = openai.cl100k_base() if encoding == "cl100k_base" else openai.o200k_base()

    def batch(docs: list, n: int) -> list:
        if n <= 1:
            return _first(t.encode_batch(docs))
        return _first(t.encode_batch_parallel(docs, openai.ParallelOptions(1, 64, n)))

    return Handle(encode=t.encode, count=t.count, batch=batch)


def fastokens_(ctx: Context, encoding: str) -> Handle:
    """fastokens: Tokenizer.from_tiktoken(path, encoding=NAME) reads our .tiktoken file.
    encode_ordinary, as special-token text must stay text."""
    import fastokens

    t = fastokens.Tokenizer.from_tiktoken(str(ctx.tiktoken_file(encoding)), encoding=encoding)
    return Handle(encode=lambda s: t.encode_ordinary(s).ids,
                  batch=lambda docs, n: [e.ids for e in t.encode_batch(docs)])


def hf_tokenizers(ctx: Context, encoding: str) -> Handle:
    """HuggingFace tokenizers on a tokenizer.json converted offline from our vocab
    (bench/harness/hf_convert.py). encode_special_tokens=True makes special-token text plain
    text (encode_ordinary). Batch on rayon, sized by RAYON_NUM_THREADS."""
    import tokenizers

    t = tokenizers.Tokenizer.from_file(str(ctx.hf_json(encoding)))
    if hasattr(t, "encode_special_tokens"):
        t.encode_special_tokens = True
    return Handle(
        encode=lambda s: t.encode(s, add_special_tokens=False).ids,
        batch=lambda docs, n: [e.ids for e in t.encode_batch(docs, add_special_tokens=False)],
    )


def riptoken_(ctx: Context, encoding: str) -> Handle:
    """riptoken: get_encoding builds on tiktoken's loader, so TIKTOKEN_CACHE_DIR serves it our
    files. Batch on rayon's global pool (RAYON_NUM_THREADS)."""
    import riptoken

    e = riptoken.get_encoding(encoding)
    return Handle(encode=e.encode_ordinary, batch=lambda docs, n: e.encode_ordinary_batch(docs))


def wordchipper_(ctx: Context, encoding: str) -> Handle:
    """wordchipper: from_pretrained("openai:NAME") reads WORDCHIPPER_CACHE_DIR/openai/NAME/
    NAME.tiktoken before downloading; the harness lays our file out there. (A failed download
    leaves an empty file that silently yields byte-level ids: the id check catches that.)"""
    import wordchipper

    t = wordchipper.Tokenizer.from_pretrained(f"openai:{encoding}")
    return Handle(encode=t.encode, batch=lambda docs, n: t.encode_batch(docs))


def kitoken_(ctx: Context, encoding: str) -> Handle:
    """kitoken: Kitoken.from_tiktoken_file(path) on our .tiktoken file (it recognises the
    pattern from the vocabulary)."""
    import kitoken

    k = kitoken.Kitoken.from_tiktoken_file(str(ctx.tiktoken_file(encoding)))
    return Handle(encode=k.encode, batch=lambda docs, n: k.encode_all(docs))


@dataclass(frozen=True)
class Peer:
    name: str
    dist: str  # PyPI distribution (for the version and for installing)
    load: Callable[[Context, str], Handle]


# tiktoken first: it is the reference for the ratios. tokcount-cpp (the C++ driver) is not a
# Python adapter; the harness adds it.
PEERS: list[Peer] = [
    Peer("tiktoken", "tiktoken", tiktoken_),
    Peer("tokcount-py", "tokcount", tokcount_py),
    Peer("gigatoken", "gigatoken", gigatoken_),
    Peer("tokendagger", "tokendagger", tokendagger_),
    Peer("bpe-openai", "bpe-openai", bpe_openai_),
    Peer("tokie", "tokie", tokie_),
    Peer("rs-bpe", "rs-bpe", rs_bpe_),
    Peer("fastokens", "fastokens", fastokens_),
    Peer("hf-tokenizers", "tokenizers", hf_tokenizers),
    Peer("riptoken", "riptoken", riptoken_),
    Peer("wordchipper", "wordchipper", wordchipper_),
    Peer("kitoken", "kitoken", kitoken_),
]

BY_NAME = {p.name: p for p in PEERS}


def version_of(name: str) -> str:
    return _version(BY_NAME[name].dist)


def thread_env(threads: int) -> dict[str, str]:
    """Environment that caps the peers' own thread pools at `threads`."""
    n = str(threads)
    return {
        "RAYON_NUM_THREADS": n,
        "RAYON_RS_NUM_CPUS": n,
        "OMP_NUM_THREADS": n,
        "TOKENIZERS_PARALLELISM": "true" if threads > 1 else "false",
    }
