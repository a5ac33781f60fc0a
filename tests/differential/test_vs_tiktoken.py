"""Differential tests: tokcount must produce exactly tiktoken's tokens.

Inputs are generated from a printed seed (see conftest.py), fed to one tokcount
process per test as JSON lines, and compared token for token with tiktoken.
"""

from __future__ import annotations

import json
import random
import subprocess

import pytest

import generators as gen
import harness
from tiktoken_cache import ENCODINGS

BASE_ENCODINGS = ("r50k_base", "p50k_base", "cl100k_base", "o200k_base")


def _check(enc, texts, allow_all, seed, what):
    return _check_cases(enc, [harness.case_of(t, allow_all) for t in texts], seed, what)


def _check_cases(enc, cases, seed, what):
    total, bad = harness.compare(enc, cases)
    print(f"{enc.name} {what}: {total - len(bad)}/{total} agree (seed {seed})")
    if bad:
        pytest.fail(harness.report(enc, bad, total, f"{what}, seed {seed}"), pytrace=False)
    return total


@pytest.mark.parametrize("name", ENCODINGS)
def test_generated_inputs(name, encodings, tokcount_bin, seed):
    """Every generator family, round robin, with encode()'s defaults."""
    enc = encodings[name]
    s = gen.seed_for(seed, "generated", name)
    rng = random.Random(s)
    fams = list(gen.FAMILIES.values())
    texts = [fams[i % len(fams)](rng) for i in range(harness.N_INPUTS)]
    # Edge cases no generator is sure to hit.
    texts += ["", " ", "\n", "\r\n", "'", "'s", "0", "\u0301", "\U000323b0", "\u1c89", "a\u0301'S"]
    assert _check(enc, texts, False, s, "generated inputs") == len(texts)


@pytest.mark.parametrize("name", ENCODINGS)
def test_special_tokens_allowed(name, encodings, tokcount_bin, seed):
    """allowed_special="all": specials become their ids, other specials' text stays text."""
    enc = encodings[name]
    s = gen.seed_for(seed, "special_allowed", name)
    rng = random.Random(s)
    specials = sorted(enc.special_tokens_set)
    texts = [gen.gen_special(rng, specials) for _ in range(2000)]
    special_ids = {enc.encode_single_token(t) for t in specials}
    with_special = sum(1 for t in texts if special_ids & set(enc.encode(t, allowed_special="all")))
    assert with_special > 500, "generator stopped producing special tokens; the test would be vacuous"
    _check(enc, texts, True, s, "special tokens allowed")


@pytest.mark.parametrize("name", ENCODINGS)
def test_special_tokens_disallowed(name, encodings, tokcount_bin, seed):
    """Default mode: special-token text is an error at the byte offset of its first occurrence."""
    enc = encodings[name]
    s = gen.seed_for(seed, "special_disallowed", name)
    rng = random.Random(s)
    specials = sorted(enc.special_tokens_set)
    texts = [gen.gen_special(rng, specials, density=0.5) for _ in range(2000)]
    n_err = sum(1 for t in texts if "error" in harness.expected(enc, {"text": t}))
    assert 300 < n_err < len(texts) - 300, f"want both outcomes well represented, got {n_err} errors"
    _check(enc, texts, False, s, "special tokens disallowed")


@pytest.mark.parametrize("name", ENCODINGS)
def test_special_token_subsets(name, encodings, tokcount_bin, seed):
    """allowed_special / disallowed_special as explicit lists, as tiktoken's encode() takes them."""
    enc = encodings[name]
    s = gen.seed_for(seed, "special_subsets", name)
    rng = random.Random(s)
    specials = sorted(enc.special_tokens_set)
    # o200k_harmony has >1000 reserved tokens; keep the named ones likely to be picked.
    named = [t for t in specials if "reserved" not in t] + rng.sample(specials, min(5, len(specials)))
    cases = []
    for _ in range(1500):
        case = {"text": gen.gen_special(rng, named, density=0.8)}
        r = rng.random()
        if r < 0.4:
            case["allowed_special"] = rng.sample(named, rng.randint(0, len(named)))
        if 0.2 < r < 0.8:
            case["disallowed_special"] = rng.choice(["all", [], rng.sample(named, rng.randint(0, len(named)))])
        cases.append(case)
    _check_cases(enc, cases, s, "special token subsets")


def test_disallowed_special_error_shape(encodings, tokcount_bin):
    """The error names the code, the token, and the UTF-8 byte offset (not the code point index)."""
    got = harness.run_jsonl("cl100k_base", [{"text": "é<|endoftext|>"}, {"text": "ok"},
                                            {"text": "😀 x<|fim_prefix|><|endoftext|>"}])
    assert got[0]["error"]["code"] == "DISALLOWED_SPECIAL"
    assert got[0]["error"]["offset"] == 2
    assert "<|endoftext|>" in got[0]["error"]["message"]
    assert got[1] == {"tokens": encodings["cl100k_base"].encode("ok")}
    assert got[2]["error"]["offset"] == 6
    assert "<|fim_prefix|>" in got[2]["error"]["message"]


@pytest.mark.parametrize("name", ENCODINGS)
def test_long_inputs(name, encodings, tokcount_bin, seed):
    """10-100 KB inputs: huge single pieces, long whitespace, long random text."""
    enc = encodings[name]
    s = gen.seed_for(seed, "long", name)
    rng = random.Random(s)
    texts = [gen.gen_long(rng, i) for i in range(12)]
    assert all(len(t.encode()) >= 10_000 for t in texts)
    _check(enc, texts, False, s, "long inputs")


# ---------------------------------------------------------------------------
# Lossy decoding of invalid UTF-8
# ---------------------------------------------------------------------------

INVALID_PIECES = [
    b"\x80", b"\xbf", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xed\xbf\xbf",
    b"\xf4\x90\x80\x80", b"\xf5", b"\xff", b"\xfe", b"\xf0\x9f", b"\xf0\x9f\x98", b"\xe2\x82", b"\xc3",
    b"\xf8\x88\x80\x80\x80", b"\xe0\xa0", b"\xf0\x90\x80", b"\xc2\x41", b"\xe1\x80\x41",
]


def _invalid_bytes(rng: random.Random) -> bytes:
    parts = []
    for _ in range(rng.randint(1, 8)):
        r = rng.random()
        if r < 0.4:
            parts.append(rng.choice(INVALID_PIECES))
        elif r < 0.55:
            parts.append(bytes(rng.randint(0x80, 0xFF) for _ in range(rng.randint(1, 4))))
        else:
            parts.append(rng.choice(list(gen.FAMILIES.values()))(rng).encode("utf-8"))
    data = b"".join(parts)
    if rng.random() < 0.2:
        data = data[: rng.randint(0, len(data))]  # cut anywhere, even inside a character
    return data


def _lossy_supported(bin_path: str) -> bool:
    proc = subprocess.run([bin_path, "encode", "--help"], capture_output=True, timeout=30)
    return b"--lossy" in proc.stdout + proc.stderr


def _parse_tokens(out: bytes):
    obj = json.loads(out)
    return obj["tokens"] if isinstance(obj, dict) else obj


@pytest.mark.parametrize("name", BASE_ENCODINGS)
def test_lossy_invalid_utf8(name, encodings, tokcount_bin, seed):
    """--lossy must decode like Python's bytes.decode("utf-8", "replace"), then encode_ordinary."""
    if not _lossy_supported(tokcount_bin):
        pytest.skip("tokcount encode has no --lossy option")
    enc = encodings[name]
    s = gen.seed_for(seed, "lossy", name)
    rng = random.Random(s)
    inputs = [_invalid_bytes(rng) for _ in range(200)]
    bad = []
    for data in inputs:
        want = enc.encode_ordinary(data.decode("utf-8", "replace"))
        proc = harness.run_raw(["encode", "--lossy", "--json", "--ordinary", "--encoding", name, "-"], data)
        if proc.returncode != 0:
            bad.append(f"input {data!r}: exit {proc.returncode}, stderr {proc.stderr[:300]!r}")
            continue
        got = _parse_tokens(proc.stdout)
        if got != want:
            i = harness.first_diff(want, got)
            bad.append(f"input {data!r} (decoded {data.decode('utf-8', 'replace')!r}): first difference at {i}\n"
                       f"  tiktoken: {want}\n  tokcount: {got}")
    print(f"{name} lossy: {len(inputs) - len(bad)}/{len(inputs)} agree (seed {s})")
    assert not bad, f"{len(bad)} of {len(inputs)} lossy inputs differ (seed {s}):\n" + "\n".join(bad[:5])
