"""The benchmark instruments (bench/): the input generator, the driver's worker protocol, the
Python worker, the id check, the HF conversion helpers, and a tiny end-to-end harness run.

The driver comes from a build with -DTOKCOUNT_BUILD_BENCH=ON (tools/test.sh builds one and sets
TOKCOUNT_BENCH_DRIVER); tests that need it skip without it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tokcount

from pkg_support import REPO

HARNESS = REPO / "bench" / "harness"
sys.path.insert(0, str(HARNESS))

import compare  # noqa: E402
import hf_convert  # noqa: E402
import inputs  # noqa: E402
import workers  # noqa: E402


def _driver() -> Path:
    candidates = [os.environ.get("TOKCOUNT_BENCH_DRIVER", ""),
                  str(REPO / "build" / "bench" / "tokcount_bench_driver"),
                  str(REPO / "build" / "bench-release" / "bench" / "tokcount_bench_driver")]
    for c in candidates:
        if c and Path(c).exists():
            return Path(c)
    pytest.skip("tokcount_bench_driver not built (configure with -DTOKCOUNT_BUILD_BENCH=ON)")


@pytest.fixture(scope="module")
def driver() -> Path:
    return _driver()


def _kinds(driver: Path) -> list[list[str]]:
    out = subprocess.run([str(driver), "kinds"], check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def _gen(driver: Path, kind: str, n: int) -> bytes:
    return subprocess.run([str(driver), "gen", kind, str(n)], check=True, capture_output=True).stdout


# ---- the generator ---------------------------------------------------------------------------

def test_generator_lists_the_issue_adversarial_set(driver):
    kinds = {k[0]: k[1] for k in _kinds(driver)}
    assert {"a_x", "random_letters", "digits", "punctuation", "whitespace", "unicode_all"} <= \
        {k for k, g in kinds.items() if g == "adversarial"}
    assert {"gen_en", "gen_code", "gen_zh", "gen_ru", "gen_de"} == {k for k, g in kinds.items() if g == "text"}
    assert len([k for k, g in kinds.items() if g == "pathological"]) >= 20


def test_every_kind_is_valid_utf8_of_the_requested_size_and_deterministic(driver):
    for name, _group, _what in _kinds(driver):
        a = _gen(driver, name, 5000)
        assert 4997 <= len(a) <= 5000, name
        a.decode("utf-8")  # strict: raises on invalid UTF-8
        assert _gen(driver, name, 5000) == a, f"{name} is not deterministic"


def test_known_bytes_of_simple_kinds(driver):
    assert _gen(driver, "a_x", 10) == b"a" * 10
    assert _gen(driver, "crlf", 6) == b"\r\n" * 3
    assert set(_gen(driver, "digits", 1000)) <= set(b"0123456789")
    assert set(_gen(driver, "whitespace", 1000)) <= set(b" \t\r\n")


def test_unicode_all_spans_every_plane_in_one_line(driver):
    text = _gen(driver, "unicode_all", 1 << 20).decode()
    planes = {ord(c) >> 16 for c in text}
    assert planes == set(range(17))
    assert "\n" not in text and "\r" not in text
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def test_unknown_kind_is_an_error(driver):
    r = subprocess.run([str(driver), "gen", "no_such_kind", "10"], capture_output=True, text=True)
    assert r.returncode == 1 and "unknown input kind" in r.stderr


def test_generated_inputs_do_not_depend_on_the_machine(driver):
    # The callgrind baseline relies on identical bytes everywhere (std::mt19937_64's sequence is
    # fixed by the standard; no <random> distribution is used). A deliberate change to the
    # generator updates these digests and the baseline (bench/callgrind.sh --update) together.
    pinned = {"gen_en": "0dd146122df86a10", "gen_zh": "d51c4b37ed21455a", "random_tokens": "e6e3c4af4f4993ad",
              "unicode_all": "b136d4cded77f734"}
    got = {k: hashlib.sha256(_gen(driver, k, 4096)).hexdigest()[:16] for k in pinned}
    assert got == pinned


# ---- the driver's worker protocol -------------------------------------------------------------

def test_driver_serve_ids_and_timing(driver, tmp_path):
    text = "Hello, world! Ça va? 1234567 tokens\n\n  " * 50
    src = tmp_path / "t.txt"
    src.write_text(text)
    w = workers.Worker("tokcount-cpp", [str(driver), "serve"], dict(os.environ), set(os.sched_getaffinity(0)),
                       tmp_path / "log")
    try:
        w.load("o200k_base", 30)
        out = tmp_path / "ids.u32"
        reply = w.request(["ids", "o200k_base", str(src), str(out)], 30)
        want = tokcount.get_encoding("o200k_base").encode_ordinary(text)
        got = [int.from_bytes(out.read_bytes()[i:i + 4], "little") for i in range(0, len(want) * 4, 4)]
        assert reply["tokens"] == len(want) and got == want
        for mode in ("encode", "count"):
            t = w.request(["time", "o200k_base", mode, "1", str(src), "3"], 30)
            assert t["tokens"] == len(want) and t["bytes"] == len(text.encode()) and t["seconds"] > 0
        docs = tmp_path / "d.docs"
        parts = [b"one doc", "deux \u00e9".encode(), b"", b"three\n"]
        inputs.write_docs(docs, parts)
        for mode in ("batch", "loop"):
            t = w.request(["time", "cl100k_base", mode, "2", str(docs), "1"], 30)
            enc = tokcount.get_encoding("cl100k_base")
            assert t["tokens"] == sum(len(enc.encode_ordinary(p.decode())) for p in parts)
        with pytest.raises(workers.WorkerError, match="unknown request"):
            w.request(["bogus"], 30)
        with pytest.raises(workers.WorkerError, match="nknown encoding"):
            w.request(["load", "no_such_encoding"], 30)
    finally:
        w.close()


def test_driver_rss_and_startup(driver):
    r = json.loads(subprocess.run([str(driver), "rss", "o200k_base"], check=True, capture_output=True, text=True).stdout)
    assert r["before"] > 0 and r["after_first_encode"] >= r["before"] and r["peak"] >= r["after_first_encode"]
    assert subprocess.run([str(driver), "startup", "cl100k_base"]).returncode == 0
    assert subprocess.run([str(driver), "noop"]).returncode == 0


# ---- the Python worker and the id check --------------------------------------------------------

def test_python_worker_matches_the_driver(driver, tmp_path):
    pytest.importorskip("tiktoken")
    work = tmp_path / "work"
    work.mkdir()
    enc = tokcount.get_encoding("cl100k_base")
    (work / "encodings.json").write_text(json.dumps({"cl100k_base": {
        "pat_str": enc._pat_str, "special_tokens": dict(enc._special_tokens),
        "tiktoken_file": str(REPO / "bpe_data" / "cl100k_base.tiktoken")}}))
    sys.path.insert(0, str(REPO / "tools"))
    import tiktoken_cache

    env = dict(os.environ, TIKTOKEN_CACHE_DIR=str(tiktoken_cache.fill_cache(work / "tk")))
    src = tmp_path / "t.txt"
    src.write_text("special <|endoftext|> text is plain text here; numbers 12345 and   spaces\n" * 20)
    ref = tmp_path / "ref.u32"
    subprocess.run([str(driver), "serve"], input=f"ids\tcl100k_base\t{src}\t{ref}\n", text=True, check=True,
                   capture_output=True)
    for tool in ("tokcount-py", "tiktoken"):
        w = workers.Worker(tool, workers.python_worker_argv(tool, work), env, set(os.sched_getaffinity(0)),
                           tmp_path / "log")
        try:
            loaded = w.load("cl100k_base", 60)
            assert loaded["has_batch"] and loaded["has_count"] == (tool == "tokcount-py")
            out = tmp_path / f"{tool}.u32"
            w.request(["ids", "cl100k_base", str(src), str(out), "loop"], 60)
            assert compare.first_difference(out.read_bytes(), ref.read_bytes()) is None
            t = w.request(["time", "cl100k_base", "encode", "1", str(src), "2"], 60)
            assert t["tokens"] == len(ref.read_bytes()) // 4
        finally:
            w.close()


def test_first_difference_names_the_token():
    def u32(ids):
        return b"".join(i.to_bytes(4, "little") for i in ids)

    assert compare.first_difference(u32([1, 2, 3]), u32([1, 2, 3])) is None
    assert "at token 1 of 3" in compare.first_difference(u32([1, 9, 3]), u32([1, 2, 3]))
    assert "at token 2 of 3" in compare.first_difference(u32([1, 2]), u32([1, 2, 3]))


def test_worker_timeout_kills_a_hung_process(tmp_path):
    w = workers.Worker("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ),
                       set(os.sched_getaffinity(0)), tmp_path / "log")
    with pytest.raises(workers.Timeout):
        w.load("o200k_base", 0.5)
    assert w.proc is None


# ---- inputs and the HF conversion helpers -------------------------------------------------------

def test_docs_files_round_trip_and_split_at_spaces(tmp_path):
    docs = [b"a", b"", "\u00e9t\u00e9\n".encode(), b"12\n34"]
    inputs.write_docs(tmp_path / "x.docs", docs)
    assert inputs.read_docs((tmp_path / "x.docs").read_bytes()) == docs
    text = ("word " * 100 + "\u00e9\u00e9\u00e9 " * 50).encode()
    parts = inputs.split_docs(text, 29)
    assert b"".join(parts) == text
    for p in parts:
        p.decode()  # never cut inside a UTF-8 sequence
    assert all(len(p) < 29 + 40 for p in parts)
    assert inputs.cut_utf8("\u00e9\u00e9".encode(), 3) == "\u00e9".encode()
    assert inputs.parse_size("1M") == 1 << 20 and inputs.parse_size("128K") == 131072 and inputs.size_label(1 << 20) == "1M"


def test_hf_conversion_pieces():
    alphabet = hf_convert.byte_alphabet()
    assert len(set(alphabet)) == 256 and alphabet[ord("a")] == "a" and alphabet[ord(" ")] == "\u0120"
    assert hf_convert.oniguruma_pattern(r"\p{N}{1,3}+| ?\p{L}++") == r"\p{N}{1,3}| ?\p{L}++"
    ranks = {b"a": 0, b"b": 1, b"ab": 2, b"abb": 3, b" ": 4}
    data = hf_convert.convert(ranks, r"\S+|\s+", {"<|end|>": 5})
    assert data["model"]["merges"] == [["a", "b"], ["ab", "b"]]
    assert data["model"]["vocab"] == {"a": 0, "b": 1, "ab": 2, "abb": 3, "\u0120": 4}
    assert data["model"]["ignore_merges"] is True and data["added_tokens"][0]["id"] == 5


def test_hf_tokenizers_on_converted_vocab_matches_tokcount(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    enc = tokcount.get_encoding("r50k_base")
    path = hf_convert.write_tokenizer_json(REPO / "bpe_data" / "r50k_base.tiktoken", enc._pat_str,
                                           dict(enc._special_tokens), tmp_path / "r50k.json")
    t = tokenizers.Tokenizer.from_file(str(path))
    text = "Hello world's 12345 tokens,\n\n  indented  code(x) -> y; \u00e9t\u00e9 \u4e2d\u6587"
    assert t.encode(text, add_special_tokens=False).ids == enc.encode_ordinary(text)


# ---- end to end ----------------------------------------------------------------------------------

def test_tiny_harness_run(driver, tmp_path):
    pytest.importorskip("tiktoken")
    out = tmp_path / "results"
    argv = ["--tools", "tokcount-cpp,tokcount-py,tiktoken", "--groups", "adversarial,shapes", "--kinds",
            "a_x,digits", "--sizes", "4K", "--shape-bytes", "8K", "--encodings", "cl100k_base", "--reps", "2",
            "--min-time", "0.001", "--threads", "1", "--sections", "throughput,overhead", "--no-plots",
            "--driver", str(driver), "--work", str(tmp_path / "work"), "--out", str(out), "--corpus-dir",
            str(tmp_path / "no-corpus")]
    r = subprocess.run([sys.executable, str(HARNESS / "compare.py"), *argv], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    cells = results["cells"]
    assert {c["tool"] for c in cells} == {"tokcount-cpp", "tokcount-py", "tiktoken"}
    assert all(c["status"] == "ok" for c in cells), [c for c in cells if c["status"] != "ok"]
    assert {c["input"] for c in cells} >= {"a_x_4K", "digits_4K", "gen_en/docs_29B", "gen_en/one_doc"}
    assert {c["mode"] for c in cells} == {"encode", "count", "loop", "batch"}
    for c in cells:
        assert len(c["samples"]) == 2 and c["mb_s"] > 0
    md = (out / "results.md").read_text()
    assert "| cl100k_base | a_x_4K |" in md and "bench:summary" not in md
    summary = (out / "summary.md").read_text()
    assert summary.startswith("<!-- bench:summary:start -->") and "Python call on a 10-byte string" in summary
    assert (out / "results.csv").read_text().count("\n") == len(cells) + 1
    shutil.rmtree(tmp_path / "work")


def test_paired_ratio_is_the_median_of_adjacent_pairs():
    import report
    # Repetition 2 ran on a machine twice as slow for both calls: its ratio is still 2.
    assert report.paired_ratio([2.0, 4.0, 2.2], [1.0, 2.0, 1.0]) == 2.0
    assert report.paired_ratio([], [1.0]) is None


def test_batch_scaling_prefers_paired_samples_over_phases():
    import report

    def cell(tool, mode, cpus, samples, mb_s):
        return {"encoding": "cl100k_base", "input": "x/docs_1.7KB", "group": "shape", "mode": mode, "cpus": cpus,
                "tool": tool, "status": "ok", "samples": samples, "mb_s": mb_s}
    r = report.Results({"versions": {"tokcount-cpp": "0", "tiktoken": "0"}, "cells": [
        cell("tokcount-cpp", "batch", 1, [1.0], 100.0),
        cell("tokcount-cpp", "batch", 2, [0.6, 0.5], 120.0),   # phases would say 1.2x
        cell("tokcount-cpp", "batch_1t", 2, [1.2, 0.95], 60.0),  # paired: 2.0x and 1.9x
        cell("tiktoken", "batch", 1, [1.0], 10.0),
        cell("tiktoken", "batch", 2, [0.7], 15.0),
    ]})
    rows = {(t, how): x for _, _, t, x, how in report.batch_scaling(r)}
    assert rows == {("tokcount-cpp", "paired"): pytest.approx(1.95), ("tiktoken", "phases"): pytest.approx(1.5)}


def test_two_cpu_batch_times_tokcount_on_one_thread_in_the_same_worker(driver, tmp_path):
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs 2 CPUs")
    out = tmp_path / "results"
    argv = ["--tools", "tokcount-cpp", "--groups", "shapes", "--shape-bytes", "8K", "--encodings", "cl100k_base",
            "--reps", "3", "--min-time", "0.001", "--threads", "2", "--sections", "throughput", "--no-plots",
            "--driver", str(driver), "--work", str(tmp_path / "work"), "--out", str(out), "--corpus-dir",
            str(tmp_path / "no-corpus")]
    r = subprocess.run([sys.executable, str(HARNESS / "compare.py"), *argv], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    cells = json.loads((out / "results.json").read_text())["cells"]
    single = [c for c in cells if c["mode"] == "batch_1t"]
    multi = [c for c in cells if c["mode"] == "batch"]
    assert single and len(single) == len(multi)
    assert all(c["cpus"] == 2 and len(c["samples"]) == 3 and c["tokens"] > 0 for c in single)
    assert "same worker, adjacent samples" in r.stdout
    assert "| paired |" in (out / "results.md").read_text()
