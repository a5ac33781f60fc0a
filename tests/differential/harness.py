"""Runs tokcount and tiktoken on the same inputs and explains any difference.

Both sides are batched: one tokcount process per call, one JSON line per input.
On a mismatch the input is shrunk (delta debugging, also batched) so the
failure message shows a small input that still disagrees.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from typing import Callable

import tiktoken


# Inputs per encoding for the main test; TOKCOUNT_DIFF_N scales it for quick or soak runs.
N_INPUTS = int(os.environ.get("TOKCOUNT_DIFF_N", "12000"))


class CliError(Exception):
    """tokcount exited non-zero or did not answer one line per input."""


# ---------------------------------------------------------------------------
# Expected results from tiktoken
# ---------------------------------------------------------------------------

_special_re_cache: dict[str, re.Pattern] = {}


def _special_regex_for(tokens) -> re.Pattern:
    key = "\0".join(sorted(tokens))
    if key not in _special_re_cache:
        toks = sorted(tokens, key=lambda t: (-len(t), t))
        _special_re_cache[key] = re.compile("|".join(re.escape(t) for t in toks))
    return _special_re_cache[key]


def case_of(text: str, allow_all: bool = False) -> dict:
    """A JSONL input object; allowed/disallowed_special are passed as tiktoken's encode() takes them."""
    return {"text": text, "allowed_special": "all"} if allow_all else {"text": text}


def expected(enc: tiktoken.Encoding, case: dict) -> dict:
    """tiktoken's answer for one JSONL input object, in the CLI's output shape."""
    kwargs = {}
    if "allowed_special" in case:
        a = case["allowed_special"]
        kwargs["allowed_special"] = a if a == "all" else set(a)
    if "disallowed_special" in case:
        d = case["disallowed_special"]
        kwargs["disallowed_special"] = d if d == "all" else set(d)
    text = case["text"]
    try:
        return {"tokens": enc.encode(text, **kwargs)}
    except ValueError as e:
        # tiktoken names the token but not where; recompute its check (the
        # leftmost disallowed special) to get the UTF-8 byte offset tokcount
        # must report.
        allowed = kwargs.get("allowed_special", set())
        allowed = enc.special_tokens_set if allowed == "all" else allowed
        dis = kwargs.get("disallowed_special", "all")
        dis = enc.special_tokens_set - allowed if dis == "all" else dis
        m = _special_regex_for(dis).search(text)
        assert m is not None, f"tiktoken raised {e!r} but no disallowed special text found in {text!r}"
        assert repr(m.group()) in str(e), f"tiktoken complained about another token: {e}"
        return {"error": {"code": "DISALLOWED_SPECIAL", "offset": len(text[: m.start()].encode("utf-8")),
                          "token": m.group()}}


# ---------------------------------------------------------------------------
# tokcount
# ---------------------------------------------------------------------------


def tokcount_bin() -> str:
    path = os.environ.get("TOKCOUNT_BIN", "")
    if not path:
        raise RuntimeError("TOKCOUNT_BIN is not set: point it at the built tokcount binary "
                           "(e.g. TOKCOUNT_BIN=build/tools/cli/tokcount)")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(f"TOKCOUNT_BIN={path!r} is not an executable file")
    return path


def run_jsonl(encoding: str, cases: list[dict], timeout: float = 600) -> list[dict]:
    """Encode `cases` (JSONL input objects) with one `tokcount encode --jsonl` process."""
    lines = []
    for i, c in enumerate(cases):
        # Alternate raw UTF-8 and \\u escapes (surrogate pairs for astral
        # characters) so both ways of writing JSON strings are exercised.
        lines.append(json.dumps(c, ensure_ascii=bool(i % 2)))
    data = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    proc = subprocess.run([tokcount_bin(), "encode", "--jsonl", "--encoding", encoding, "-"],
                          input=data, capture_output=True, timeout=timeout)
    err = proc.stderr.decode(errors="replace")[:2000]
    if proc.returncode not in (0, 1):
        raise CliError(f"tokcount exited with {proc.returncode}; stderr: {err}")
    out = proc.stdout.decode("utf-8").split("\n")
    if out and out[-1] == "":
        out.pop()
    if len(out) != len(cases):
        raise CliError(f"tokcount wrote {len(out)} lines for {len(cases)} inputs (exit {proc.returncode}); "
                       f"stderr: {err}")
    results = []
    for line in out:
        try:
            results.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise CliError(f"tokcount wrote a line that is not JSON ({e}): {line[:500]!r}") from None
    # Documented contract: exit 1 exactly when some line failed.
    any_error = any("error" in r for r in results)
    if (proc.returncode == 1) != any_error:
        raise CliError(f"tokcount exited with {proc.returncode} but {'some' if any_error else 'no'} line failed")
    return results


def run_raw(args: list[str], data: bytes, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([tokcount_bin(), *args], input=data, capture_output=True, timeout=timeout)


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------


def agrees(exp: dict, got: dict) -> bool:
    if "tokens" in exp:
        return got == {"tokens": exp["tokens"]}
    err = got.get("error") if isinstance(got, dict) else None
    return (isinstance(err, dict) and "tokens" not in got
            and err.get("code") == exp["error"]["code"]
            and err.get("offset") == exp["error"]["offset"]
            and exp["error"]["token"] in str(err.get("message", "")))


def first_diff(a: list[int], b: list[int]) -> int:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def _tok_bytes(enc: tiktoken.Encoding, t) -> bytes | str:
    try:
        return enc.decode_single_token_bytes(t)
    except Exception:
        return f"<invalid id {t!r}>"


def explain(enc: tiktoken.Encoding, case: dict, exp: dict, got: dict) -> str:
    text = case["text"]
    opts = {k: v for k, v in case.items() if k != "text"}
    mode = ", ".join(f"{k}={v!r}" for k, v in opts.items()) or "encode() defaults"
    shown = repr(text) if len(text) <= 400 else repr(text[:400]) + f"... ({len(text)} chars)"
    lines = [f"encoding {enc.name}, {mode}", f"  input:    {shown}"]
    if "tokens" in exp and isinstance(got, dict) and isinstance(got.get("tokens"), list):
        e, g = exp["tokens"], got["tokens"]
        i = first_diff(e, g)
        lo = max(0, i - 3)
        lines.append(f"  first difference at token {i} (tiktoken {len(e)} tokens, tokcount {len(g)})")
        lines.append(f"  tiktoken: {e if len(e) <= 40 else e[lo:i + 8]}")
        lines.append(f"  tokcount: {g if len(g) <= 40 else g[lo:i + 8]}")
        lines.append(f"  tiktoken bytes from {lo}: {[_tok_bytes(enc, t) for t in e[lo:i + 5]]}")
        lines.append(f"  tokcount bytes from {lo}: {[_tok_bytes(enc, t) for t in g[lo:i + 5]]}")
    else:
        lines.append(f"  tiktoken: {json.dumps(exp, ensure_ascii=False)[:600]}")
        lines.append(f"  tokcount: {json.dumps(got, ensure_ascii=False)[:600]}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Shrinking
# ---------------------------------------------------------------------------


def shrink(text: str, fails: Callable[[list[str]], int | None], max_rounds: int = 300,
           max_batch: int = 4000, max_chars: int = 40_000_000) -> str:
    """Smallest text found (by removing chunks of code points) for which `fails` still holds.

    `fails(candidates)` returns the index of the first failing candidate or None.
    """
    cur = text
    chunk = max(1, len(cur) // 2)
    for _ in range(max_rounds):
        if len(cur) <= 1:
            break
        n = -(-len(cur) // chunk)
        if n > max_batch or n * len(cur) > max_chars:
            break  # too costly to go on; what we have is already smaller
        cands = [cur[:i] + cur[i + chunk:] for i in range(0, len(cur), chunk)]
        idx = fails(cands) if cands else None
        if idx is not None:
            cur = cands[idx]
            chunk = min(chunk, max(1, len(cur) // 2))
        elif chunk > 1:
            chunk //= 2
        else:
            break
    return cur


@dataclass
class Mismatch:
    case: dict
    expected: dict
    got: dict


def compare(enc: tiktoken.Encoding, cases: list[dict]) -> tuple[int, list[Mismatch]]:
    """Run all cases through tokcount; return (number compared, mismatches)."""
    exps = [expected(enc, c) for c in cases]
    try:
        gots = run_jsonl(enc.name, cases)
    except CliError as e:
        # A crash on one input would hide the others: bisect to the inputs that crash.
        bad = _crashing_inputs(enc.name, cases)
        return len(cases), [Mismatch(c, {"note": "tokcount failed on the batch"}, {"cli_error": str(e)})
                            for c in bad] or [Mismatch({"text": "<whole batch>"}, {}, {"cli_error": str(e)})]
    return len(cases), [Mismatch(c, e, g) for c, e, g in zip(cases, exps, gots) if not agrees(e, g)]


def _crashing_inputs(encoding: str, cases: list[dict], limit: int = 3) -> list[dict]:
    found: list[dict] = []

    def walk(items: list[dict]) -> None:
        if len(found) >= limit or not items:
            return
        try:
            run_jsonl(encoding, items)
            return
        except CliError:
            pass
        if len(items) == 1:
            found.append(items[0])
            return
        mid = len(items) // 2
        walk(items[:mid])
        walk(items[mid:])

    walk(cases)
    return found


def report(enc: tiktoken.Encoding, mismatches: list[Mismatch], total: int, context: str,
           max_shown: int = 4) -> str:
    """A readable failure message: each shown mismatch is shrunk to a small input first."""
    out = [f"{len(mismatches)} of {total} inputs differ from tiktoken ({context})"]
    seen: set[str] = set()
    for m in mismatches:
        if len(seen) >= max_shown:
            break
        if "cli_error" in m.got:
            out.append(f"- tokcount failed: {m.got['cli_error']}\n  input: {json.dumps(m.case)[:400]}")
            seen.add(m.case["text"])
            continue
        opts = {k: v for k, v in m.case.items() if k != "text"}

        def fails(texts: list[str]) -> int | None:
            cands = [{"text": t, **opts} for t in texts]
            try:
                gots = run_jsonl(enc.name, cands)
            except CliError:
                bad = _crashing_inputs(enc.name, cands, limit=1)
                return cands.index(bad[0]) if bad else None
            for i, (c, g) in enumerate(zip(cands, gots)):
                if not agrees(expected(enc, c), g):
                    return i
            return None

        small = shrink(m.case["text"], fails)
        if small in seen:
            continue
        seen.add(small)
        case = {"text": small, **opts}
        exp = expected(enc, case)
        try:
            got = run_jsonl(enc.name, [case])[0]
        except CliError as e:
            got = {"cli_error": str(e)}
        out.append("- " + explain(enc, case, exp, got))
        if small != m.case["text"]:
            out.append(f"  (shrunk from {len(m.case['text'])} chars: {m.case['text'][:200]!r})")
    return "\n".join(out)
