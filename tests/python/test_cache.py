"""tokcount.cache: diff, fingerprints (vs hashlib / cbor2 references), simulator and replay."""

from __future__ import annotations

import hashlib
import json

import pytest

from tokcount import cache


def words(n: int, w: str = "rule") -> str:
    return " ".join([w] * n)


def body(user: str = "hi", system_words: int = 1500) -> dict:
    return {"model": "gpt-4o", "messages": [{"role": "system", "content": words(system_words)},
                                            {"role": "user", "content": user}]}


def test_diff_reasons():
    a = body()
    b = json.loads(json.dumps(a))
    b["messages"][0]["content"] = a["messages"][0]["content"].replace(" ", "\u00a0", 1)
    d = cache.diff(a, b)
    codes = [r["code"] for r in d["reasons"]]
    assert "FORMAT_DRIFT" in codes and "SYSTEM_CHANGED" in codes
    assert "PC016" in d["reasons"][0]["rules"]
    assert d["first_divergence"]["segment_path"] == "$.messages[0].content"
    assert cache.diff(a, a)["identical"] is True
    with pytest.raises(cache.CacheError):
        cache.diff("{", a)


def test_simulator_and_replay():
    sim = cache.Simulator()
    first = sim.add(0, body())
    second = sim.add({"ts": 3, "request": body()})
    assert first["predicted_cached_tokens"] == 0
    assert second["predicted_cached_tokens"] == (second["prompt_tokens"] // 128) * 128
    s = sim.summary()
    assert s["hits"] == 1 and s["requests"] == 2
    preds, summary = cache.replay([json.dumps({"ts": 0, "request": body()}), "{bad",
                                   json.dumps({"ts": 1, "request": body()})])
    assert "error" in preds[1] and summary["errors"] == 1 and summary["hits"] == 1


def test_fingerprint_sglang_reference():
    toks = list(range(100, 140))
    fp = cache.fingerprint_tokens(toks, mode="sglang", block_size=8)
    prior, want = None, []
    for i in range(0, 40, 8):
        h = hashlib.sha256()
        if prior:
            h.update(bytes.fromhex(prior))
        for t in toks[i:i + 8]:
            h.update(t.to_bytes(4, "little"))
        prior = h.hexdigest()
        want.append(prior)
    assert fp["blocks"] == want


def test_fingerprint_vllm_reference():
    cbor2 = pytest.importorskip("cbor2", reason="cbor2 (PyPI) computes the vLLM reference")

    def sha256_cbor(x):
        return hashlib.sha256(cbor2.dumps(x, canonical=True)).digest()

    toks = [200006, 17360, 200008, 3575] * 10
    parent = sha256_cbor("0")
    want = []
    for i in range(0, 32, 16):
        parent = sha256_cbor((parent, tuple(toks[i:i + 16]), None))
        want.append(parent.hex())
    fp = cache.fingerprint_tokens(toks, mode="vllm_sha256_cbor", vllm_seed="0")
    assert fp["blocks"] == want and fp["root"] == sha256_cbor("0").hex()


def test_request_fingerprint_prefix_stable():
    a = cache.fingerprint(body("one", 800))
    b = cache.fingerprint(body("a different question", 800))
    assert a["blocks"][:5] == b["blocks"][:5]
    assert "normalized_blocks" in a
