"""Prompt-cache fingerprints, request diffs and cache-hit prediction.

    from tokcount import cache
    d = cache.diff(earlier_body, later_body)        # first divergence + reason codes
    d["first_divergence"], [r["code"] for r in d["reasons"]]
    fp = cache.fingerprint(body, mode="vllm_sha256_cbor", vllm_seed="0")
    sim = cache.Simulator(provider="openai")
    for line in open("log.jsonl"):
        p = sim.add(line)                           # {"predicted_cached_tokens": ..., ...}
    sim.summary()                                   # hit rate, tokens / money saved, causes

Bodies are OpenAI Chat Completions or Anthropic Messages requests (str, bytes or dict). The
C++ library does all the work (tokcount/cache.hpp); this module only converts JSON.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from tokcount import _tokcount

__all__ = ["CacheError", "Simulator", "diff", "fingerprint", "fingerprint_tokens", "replay"]

Body = Union[str, bytes, Dict[str, Any]]


class CacheError(ValueError):
    """A request or log line the library rejected; .code is the library's error code name."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def _text(body: Body) -> str:
    if isinstance(body, dict):
        return json.dumps(body)
    if isinstance(body, bytes):
        return body.decode("utf-8")
    if isinstance(body, str):
        return body
    raise TypeError("a request must be str, bytes or dict")


def _call(fn, *args):
    try:
        return json.loads(fn(*args))
    except ValueError as e:
        if isinstance(e, json.JSONDecodeError):
            raise
        code, _, msg = str(e).partition(": ")
        raise CacheError(msg or str(e), code) from None


def diff(a: Body, b: Body, provider: Optional[str] = None) -> Dict[str, Any]:
    """First divergence of the later request `b` from the earlier `a`, and why."""
    return _call(_tokcount._cache_diff, _text(a), _text(b), provider or "")


def fingerprint(body: Body, mode: str = "xxh3", block_size: int = 0, vllm_seed: str = "0",
                provider: Optional[str] = None) -> Dict[str, Any]:
    """Chained block hashes of the rendered request (and the normalized fingerprint)."""
    return _call(_tokcount._cache_fingerprint, _text(body), mode, block_size, vllm_seed, provider or "")


def fingerprint_tokens(tokens: Sequence[int], mode: str = "xxh3", block_size: int = 0,
                       vllm_seed: str = "0") -> Dict[str, Any]:
    """Block hashes of token ids a server produced (e.g. vLLM's / SGLang's own template)."""
    return _call(_tokcount._cache_fingerprint_tokens, list(tokens), mode, block_size, vllm_seed)


class Simulator:
    """Replays requests in time order against a model of the provider's cache."""

    def __init__(self, provider: Optional[str] = None, capacity_tokens: int = 0, block_size: int = 0,
                 explain: bool = True) -> None:
        try:
            self._sim = _tokcount._CacheSimulator(provider or "", capacity_tokens, block_size, explain)
        except ValueError as e:
            raise CacheError(str(e)) from None

    def add(self, line: Union[str, bytes, Dict[str, Any]], request: Optional[Body] = None,
            usage: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """One log line ({"ts", "request", "usage"?}), or add(ts, request, usage)."""
        if request is not None:
            entry: Dict[str, Any] = {"ts": line, "request": json.loads(_text(request))}
            if usage is not None:
                entry["usage"] = usage
            line = entry
        return _call(self._sim.add_line, _text(line))

    def summary(self) -> Dict[str, Any]:
        return json.loads(self._sim.summary())


def replay(lines: Union[str, "os.PathLike[str]", Iterable[str]], provider: Optional[str] = None,
           **options: Any) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Replays a JSON-lines log (a path or an iterable of lines): (predictions, summary).
    Unreadable lines become {"line": n, "error": message} entries."""
    sim = Simulator(provider, **options)
    out: List[Dict[str, Any]] = []

    def run(it: Iterator[str]) -> None:
        for n, line in enumerate(it, 1):
            if not line.strip():
                continue
            try:
                out.append(sim.add(line))
            except CacheError as e:
                out.append({"line": n, "error": str(e), "code": e.code})

    if isinstance(lines, (str, os.PathLike)):
        with open(lines, encoding="utf-8") as f:
            run(iter(f))
    else:
        run(iter(lines))
    return out, sim.summary()
