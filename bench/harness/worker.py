"""Timing worker for one Python tool: the same line protocol as `tokcount_bench_driver serve`
(see bench/driver.cpp), so the coordinator drives every tool, C++ or Python, the same way.

    python worker.py TOOL WORKDIR

Each worker is its own process: tools never share an interpreter, allocator or thread pool, and
the coordinator pins every worker to the same CPUs with the same environment.
"""

from __future__ import annotations

import array
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers  # noqa: E402
from inputs import read_docs  # noqa: E402


def variant(text: str, seed: int, k: int) -> str:
    """Variant k of a sample seeded with `seed`: what the C++ driver's `variant` builds
    (bench/driver.cpp), counted in characters instead of bytes, so cuts differ on non-ASCII text;
    what matters is that no call sees a text seen before."""
    if not text:
        return text
    ident = seed * 1000003 + k
    cut = ((ident * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF) % len(text)
    spaces = [c for c in (text.find(" ", cut, cut + 257), text.find("\n", cut, cut + 257)) if c >= 0]
    if spaces:
        cut = min(spaces)
    v = text[cut:] + text[:cut]
    return v[:len(v) - ident % max(1, min(4096, len(v) // 16))]


class Worker:
    def __init__(self, tool: str, work: Path):
        self.peer = peers.BY_NAME[tool]
        self.ctx = peers.Context(work)
        self.handles: dict[str, peers.Handle] = {}
        self.texts: dict[str, object] = {}

    def handle(self, enc: str) -> peers.Handle:
        if enc not in self.handles:
            self.handles[enc] = self.peer.load(self.ctx, enc)
        return self.handles[enc]

    def data(self, path: str):
        if path not in self.texts:
            raw = Path(path).read_bytes()
            self.texts[path] = [d.decode() for d in read_docs(raw)] if path.endswith(".docs") else raw.decode()
        return self.texts[path]

    def request(self, f: list[str]) -> dict:
        op = f[0]
        if op == "load":
            t = time.perf_counter()
            h = self.handle(f[1])
            return {"ok": True, "load_seconds": time.perf_counter() - t, "note": h.note,
                    "has_count": h.count is not None, "has_batch": h.batch is not None}
        if op == "ids":
            h, d = self.handle(f[1]), self.data(f[2])
            out = array.array("I")
            if isinstance(d, list):
                # f[4]: a thread count (the ids of the batch call) or "loop" (one call per document).
                how = f[4] if len(f) > 4 else "loop"
                parts = [h.encode(x) for x in d] if how == "loop" or not h.batch else h.batch(d, int(how))
                for p in parts:
                    out.extend(int(x) for x in p)
            else:
                out.extend(int(x) for x in h.encode(d))
            if sys.byteorder != "little":
                out.byteswap()
            Path(f[3]).write_bytes(out.tobytes())
            return {"ok": True, "tokens": len(out)}
        if op == "time":
            seed = int(f[6]) if len(f) > 6 else None
            return self.time(self.handle(f[1]), f[2], int(f[3]), self.data(f[4]), int(f[5]), seed)
        raise ValueError(f"unknown request: {op}")

    @staticmethod
    def time(h: peers.Handle, mode: str, threads: int, d, inner: int, seed: int | None) -> dict:
        clock = time.perf_counter
        if mode == "encode":
            fn = h.encode
        elif mode == "count":
            if h.count is None:
                raise peers.Skip("no count call")
            fn = h.count
        elif mode == "batch":
            if h.batch is None:
                raise peers.Skip("no native batch call")
            batch = h.batch
            start = clock()
            for _ in range(inner):
                r = batch(d, threads)
            elapsed = clock() - start
            return {"ok": True, "seconds": elapsed, "tokens": sum(len(x) for x in r),
                    "bytes": sum(len(x.encode()) for x in d)}
        elif mode == "loop":
            encode = h.encode
            start = clock()
            for _ in range(inner):
                tokens = 0
                for x in d:
                    tokens += len(encode(x))
            elapsed = clock() - start
            return {"ok": True, "seconds": elapsed, "tokens": tokens, "bytes": sum(len(x.encode()) for x in d)}
        else:
            raise ValueError(f"unknown mode: {mode}")
        # One fresh str per call (see the driver): also, as for a caller's new text, each binding
        # pays its str -> UTF-8 conversion once per object.
        variants = [variant(d, seed, k) for k in range(inner)] if seed is not None else [d] * inner
        nbytes = sum(len(v.encode()) for v in variants) // inner
        tokens = 0
        if mode == "count":
            start = clock()
            for v in variants:
                tokens += fn(v)
            elapsed = clock() - start
        else:
            start = clock()
            for v in variants:
                tokens += len(fn(v))
            elapsed = clock() - start
        return {"ok": True, "seconds": elapsed, "tokens": tokens // inner, "bytes": nbytes}


def main() -> int:
    worker = Worker(sys.argv[1], Path(sys.argv[2]))
    for line in sys.stdin:
        line = line.rstrip("\n")
        if line == "quit":
            break
        try:
            reply = worker.request(line.split("\t"))
        except peers.Skip as e:
            reply = {"ok": False, "skip": True, "error": str(e)}
        except Exception as e:  # reported to the coordinator, which notes it and goes on
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
