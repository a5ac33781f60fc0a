"""tokcount cache: log replay (predictions, summary, calibration), diff, fingerprints."""

import hashlib
import json
import os
import random
import time

from cli_helpers import main, run, tempdir, write  # noqa: F401


def words(n, w="hello"):
    return " ".join([w] * n)


def req(system_words=1500, user="hi", model="gpt-4o", **extra):
    body = {"model": model, "messages": [{"role": "system", "content": words(system_words, "rule")},
                                         {"role": "user", "content": user}]}
    body.update(extra)
    return body


def replay(lines, *args):
    with tempdir() as d:
        path = write(os.path.join(d, "log.jsonl"), "".join(json.dumps(x) + "\n" for x in lines))
        p = run("cache", *args, path)
    out = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert out[-1]["summary"] is True
    return out[:-1], out[-1]


def test_repeat_hits_and_summary():
    body = req()
    preds, s = replay([{"ts": 0, "request": body}, {"ts": 10, "request": body}])
    assert preds[0]["predicted_cached_tokens"] == 0
    n = preds[1]["prompt_tokens"]
    assert preds[1]["predicted_cached_tokens"] == (n // 128) * 128
    assert preds[1]["matched_entry"]["request_index"] == 0
    assert s["requests"] == 2 and s["hits"] == 1 and s["hit_rate"] == 0.5
    assert s["money"]["saved"] > 0 and s["money"]["currency"] == "USD"
    assert s["cached_tokens"] == preds[1]["predicted_cached_tokens"]


def test_calibration_with_observed_usage():
    body = req()
    lines = [{"ts": 0, "request": body, "usage": {"prompt_tokens": 1, "prompt_tokens_details": {"cached_tokens": 0}}},
             {"ts": 5, "request": body, "usage": {"prompt_tokens": 1, "prompt_tokens_details": {"cached_tokens": 1024}}}]
    preds, s = replay(lines)
    c = s["calibration"]
    assert c["observed_requests"] == 2 and c["exact"] == 1
    assert c["over_predicted"] + c["under_predicted"] == 1
    assert preds[1]["observed"]["cached_tokens"] == 1024


def test_bad_lines_do_not_stop_the_replay():
    body = req()
    with tempdir() as d:
        path = write(os.path.join(d, "log.jsonl"),
                     json.dumps({"ts": 0, "request": body}) + "\n{not json\n" + json.dumps({"request": body}) + "\n" +
                     json.dumps({"ts": 3, "request": body}) + "\n")
        p = run("cache", path)
    out = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert "error" in out[1] and out[1]["line"] == 2
    assert "error" in out[2]
    assert out[3]["predicted_cached_tokens"] > 0
    assert out[-1]["errors"] == 2 and out[-1]["requests"] == 2


def test_miss_causes_named():
    a = req(user="q")
    b = json.loads(json.dumps(a))
    b["messages"][0]["content"] = "Now: 2026-07-06T14:32:07Z\n" + b["messages"][0]["content"]
    c = json.loads(json.dumps(a))
    c["messages"][0]["content"] = "Now: 2026-07-06T14:39:07Z\n" + c["messages"][0]["content"]
    preds, s = replay([{"ts": 0, "request": b}, {"ts": 60, "request": c}])
    codes = [r["code"] for r in preds[1]["reasons"]]
    assert "VOLATILE_CONTENT" in codes, codes
    assert preds[1]["first_divergence"]["segment_path"] == "$.messages[0].content"
    assert any(x["reason"] == "VOLATILE_CONTENT" for x in s["top_miss_causes"])


def test_anthropic_provider():
    body = {"model": "claude-sonnet-4-5",
            "system": [{"type": "text", "text": words(2000, "law"), "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": "hello"}]}
    preds, s = replay([{"ts": 0, "request": body}, {"ts": 30, "request": body}], "--provider", "anthropic")
    assert preds[0]["predicted_cache_write_tokens"] > 2000 and preds[0]["cache_write_5m_tokens"] > 0
    assert preds[1]["predicted_cached_tokens"] == preds[0]["predicted_cache_write_tokens"]
    assert s["cache_write_tokens"] == preds[0]["predicted_cache_write_tokens"]


def test_diff_command():
    a = req()
    b = json.loads(json.dumps(a))
    b["messages"][0]["content"] = b["messages"][0]["content"].replace(" ", "  ", 1)
    with tempdir() as d:
        pa = write(os.path.join(d, "a.json"), json.dumps(a))
        pb = write(os.path.join(d, "b.json"), json.dumps(b))
        out = json.loads(run("cache", "diff", pa, pb).stdout)
        assert out["first_divergence"]["segment_path"] == "$.messages[0].content"
        assert out["first_divergence"]["byte_offset"] == len("rule ")  # "rule rule" vs "rule  rule"
        assert out["reasons"][0]["code"] == "SYSTEM_CHANGED" or out["reasons"][0]["code"] == "FORMAT_DRIFT"
        same = json.loads(run("cache", "diff", pa, pa).stdout)
        assert same["identical"] is True
        bad = write(os.path.join(d, "bad.json"), "{")
        run("cache", "diff", pa, bad, rc=1)


def test_fingerprint_sglang_matches_hashlib():
    body = req(system_words=300)
    with tempdir() as d:
        path = write(os.path.join(d, "r.json"), json.dumps(body))
        toks = json.loads(run("chat", "--tokens", path).stdout)["tokens"]
        fp = json.loads(run("cache", "fingerprint", "--mode", "sglang", "--block-size", "16", path).stdout)
    prior, want = None, []
    for i in range(0, len(toks) - len(toks) % 16, 16):
        h = hashlib.sha256()
        if prior:
            h.update(bytes.fromhex(prior))
        for t in toks[i:i + 16]:
            h.update(t.to_bytes(4, "little"))
        prior = h.hexdigest()
        want.append(prior)
    assert fp["blocks"] == want and fp["mode"] == "sglang"


def test_replay_10000_requests():
    # A generated log: 200 conversations growing turn by turn, 20 system prompts, timestamps
    # over a few hours, some with a volatile date line. Speed is for the benchmarks; this only
    # checks that a replay of this size completes and adds up.
    rnd = random.Random(5)
    systems = [words(1200 + 40 * i, "policy%d" % i) for i in range(20)]
    convs = [{"sys": rnd.randrange(20), "msgs": []} for _ in range(200)]
    lines, ts = [], 0.0
    for i in range(10000):
        c = convs[rnd.randrange(200)]
        ts += rnd.random() * 2
        c["msgs"].append({"role": "user", "content": "question %d about %s" % (i, words(rnd.randrange(5, 40), "x"))})
        system = systems[c["sys"]]
        if i % 7 == 0:
            system = "Date: 2026-07-%02d\n" % (1 + i % 28) + system
        body = {"model": "gpt-4o", "prompt_cache_key": "conv-%d" % id(c), "messages":
                [{"role": "system", "content": system}] + c["msgs"][-12:]}
        lines.append({"ts": round(ts, 3), "request": body})
        c["msgs"].append({"role": "assistant", "content": "answer %d" % i})
    start = time.time()
    preds, s = replay(lines)
    elapsed = time.time() - start
    assert len(preds) == 10000 and s["requests"] == 10000 and s["errors"] == 0
    assert 0 < s["hits"] < 10000 and s["cached_tokens"] > 0
    assert sum(p["predicted_cached_tokens"] for p in preds) == s["cached_tokens"]
    assert s["top_miss_causes"], s
    print("replayed 10000 requests in %.1f s" % elapsed)


if __name__ == "__main__":
    main(globals())
