"""The harness's inputs: the shared corpora, files the user names, generated inputs (written by
`tokcount_bench_driver gen`, the one generator, bench/inputs.cpp) and document shapes.

Nothing here is committed: inputs live under the work directory (build/bench-work/inputs).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

CORPORA = ("en_prose", "code_python", "zh", "ru", "de")
# Stand-ins when ../shared/corpus is absent (named as such in every table).
STAND_INS = {"en_prose": "gen_en", "code_python": "gen_code", "zh": "gen_zh", "ru": "gen_ru", "de": "gen_de"}

# Document shapes: many tiny documents vs one large one. Sizes from the research notes'
# shape sweep (29 B and 116 B chat turns, 1.7 KB messages).
SHAPES = {"docs_29B": 29, "docs_116B": 116, "docs_1.7KB": 1700}


@dataclass(frozen=True)
class Input:
    name: str
    group: str  # corpus | user | adversarial | pathological | text | shape
    path: Path
    bytes: int
    what: str = ""

    @property
    def is_docs(self) -> bool:
        return self.path.suffix == ".docs"


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def size_label(n: int) -> str:
    for unit, scale in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return f"{n}B"


def corpus_dir(repo: Path, override: str | None) -> Path:
    if override:
        return Path(override)
    env = os.environ.get("TOKCOUNT_CORPUS_DIR")
    return Path(env) if env else repo.parent / "shared" / "corpus"


def write_docs(path: Path, docs: list[bytes]) -> None:
    """A .docs file: records of b"<decimal length>\\n<bytes>" (the driver reads the same)."""
    with path.open("wb") as f:
        for d in docs:
            f.write(b"%d\n" % len(d))
            f.write(d)


def read_docs(raw: bytes) -> list[bytes]:
    docs, pos = [], 0
    while pos < len(raw):
        nl = raw.index(b"\n", pos)
        n = int(raw[pos:nl])
        docs.append(raw[nl + 1: nl + 1 + n])
        pos = nl + 1 + n
    return docs


def cut_utf8(data: bytes, limit: int) -> bytes:
    """At most `limit` bytes, not splitting a UTF-8 sequence."""
    if len(data) <= limit:
        return data
    n = limit
    while n > 0 and (data[n] & 0xC0) == 0x80:
        n -= 1
    return data[:n]


def split_docs(text: bytes, size: int) -> list[bytes]:
    """Cut `text` into documents of about `size` bytes, at a space or newline when one is near
    (so cuts rarely fall inside a word), never inside a UTF-8 sequence."""
    docs, pos = [], 0
    while pos < len(text):
        end = min(len(text), pos + size)
        if end < len(text):
            window = text[end: end + 32]
            cut = min((i for i in (window.find(b" "), window.find(b"\n")) if i >= 0), default=-1)
            end = end + cut if cut >= 0 else end
            while end < len(text) and (text[end] & 0xC0) == 0x80:
                end += 1
        docs.append(text[pos:end])
        pos = end
    return docs


class InputSet:
    def __init__(self, driver: Path, work: Path):
        self.driver = driver
        self.dir = work / "inputs"
        self.dir.mkdir(parents=True, exist_ok=True)

    def kinds(self) -> list[tuple[str, str, str]]:
        out = subprocess.run([str(self.driver), "kinds"], check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\t", 2)) for line in out.splitlines() if line]  # type: ignore[misc]

    def generated(self, kind: str, size: int, group: str, what: str) -> Input:
        path = self.dir / f"{kind}_{size_label(size)}.txt"
        if not path.exists() or path.stat().st_size == 0:
            subprocess.run([str(self.driver), "gen", kind, str(size), "-o", str(path)], check=True)
        name = kind if group == "text" else f"{kind}_{size_label(size)}"
        return Input(name, group, path, path.stat().st_size, what)

    def corpus(self, name: str, source: Path, limit: int | None, group: str = "corpus") -> Input:
        """A corpus file, cut to `limit` bytes (quick runs) into the work dir when needed."""
        data = source.read_bytes()
        data.decode()  # every tool takes str: refuse a file that is not UTF-8 with a clear error
        if limit is not None and len(data) > limit:
            path = self.dir / f"{name}_{size_label(limit)}.txt"
            path.write_bytes(cut_utf8(data, limit))
            return Input(name, group, path, path.stat().st_size, f"{source.name}, first {size_label(limit)}")
        return Input(name, group, source, len(data), source.name)

    def shapes(self, base: Input, total: int) -> list[Input]:
        data = cut_utf8(base.path.read_bytes(), total)
        out = []
        for name, size in SHAPES.items():
            path = self.dir / f"{base.name}_{name}_{size_label(total)}.docs"
            docs = split_docs(data, size)
            write_docs(path, docs)
            out.append(Input(f"{base.name}/{name}", "shape", path, len(data),
                             f"{len(docs)} documents of ~{size} B from {base.name}"))
        out.append(Input(f"{base.name}/one_doc", "shape", self._one(base, data, total), len(data),
                         f"the same {size_label(total)} as one document"))
        return out

    def slices(self, base: Input, count: int) -> list[Input]:
        """`base` cut into `count` consecutive slices of about equal size, each ending at a line
        end (or a character boundary): the "unseen" mode times each slice once, after the ones
        before it, so no timed call sees text seen before."""
        data = base.path.read_bytes()
        d = self.dir / "unseen"
        d.mkdir(exist_ok=True)
        out, start = [], 0
        for i in range(count):
            end = len(data) if i == count - 1 else max(start, len(data) * (i + 1) // count)
            if end < len(data):
                nl = data.find(b"\n", end, end + 4096)
                end = nl + 1 if nl >= 0 else len(cut_utf8(data, end))
            path = d / f"{base.name}.{i}.txt"
            path.write_bytes(data[start:end])
            out.append(Input(base.name, base.group, path, end - start, f"slice {i + 1} of {count} of {base.name}"))
            start = end
        return out

    def _one(self, base: Input, data: bytes, total: int) -> Path:
        path = self.dir / f"{base.name}_one_{size_label(total)}.txt"
        path.write_bytes(data)
        return path
