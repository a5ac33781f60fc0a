"""One-shot measurements in a fresh Python process (run by the coordinator, pinned to one CPU):

    python probe.py rss TOOL ENCODING TEXT WORKDIR       resident memory around loading
    python probe.py overhead TOOL ENCODING WORKDIR       per-call time on a 10-byte string

Both print one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers  # noqa: E402

TEN_BYTES = "hello you!"


def resident() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def rss(tool: str, enc: str, text_path: str, work: Path) -> dict:
    r = {"tool": tool, "encoding": enc, "start": resident()}
    peer = peers.BY_NAME[tool]
    # Import first, so that loading the encoding is measured apart from importing the package.
    module = {"tokcount-py": "tokcount", "hf-tokenizers": "tokenizers", "bpe-openai": "bpe_openai._bindings",
              "rs-bpe": "rs_bpe.bpe", "tiktoken": "tiktoken"}.get(tool, tool)
    __import__(module)
    r["after_import"] = resident()
    h = peer.load(peers.Context(work), enc)
    r["after_load"] = resident()
    h.encode("hello world")
    r["after_first_encode"] = resident()
    h.encode(Path(text_path).read_text())
    r["after_text"] = resident()
    r["peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return r


def overhead(tool: str, enc: str, work: Path) -> dict:
    h = peers.BY_NAME[tool].load(peers.Context(work), enc)
    calls = {"encode_ordinary": lambda: h.encode(TEN_BYTES)}
    if tool in ("tokcount-py", "tiktoken"):
        import importlib

        e = importlib.import_module("tokcount" if tool == "tokcount-py" else "tiktoken").get_encoding(enc)
        calls["encode"] = lambda: e.encode(TEN_BYTES)
        # tiktoken has no count: the equivalent call is len(encode(...)).
        calls["count"] = (lambda: e.count(TEN_BYTES)) if tool == "tokcount-py" else (lambda: len(e.encode(TEN_BYTES)))
    out = {"tool": tool, "encoding": enc, "text_bytes": len(TEN_BYTES.encode()), "calls": {}}
    for name, fn in calls.items():
        timer = timeit.Timer(fn)
        number, _ = timer.autorange()
        number = max(number, 1000)
        per_call = [t / number * 1e9 for t in timer.repeat(repeat=9, number=number)]
        out["calls"][name] = {"ns_min": min(per_call), "ns_median": statistics.median(per_call),
                              "ns_max": max(per_call), "number": number}
    return out


def main(argv: list[str]) -> int:
    try:
        if argv[1] == "rss":
            result = rss(argv[2], argv[3], argv[4], Path(argv[5]))
        elif argv[1] == "overhead":
            result = overhead(argv[2], argv[3], Path(argv[4]))
        else:
            raise SystemExit(__doc__)
    except peers.Skip as e:
        result = {"skip": str(e)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
