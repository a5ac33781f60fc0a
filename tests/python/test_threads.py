"""Threads: shared encodings give identical results from many threads, and long calls release
the GIL so other Python threads keep running."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import tokcount


def _texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    alphabet = "abcdefghij KLMNOP 0123 \n\t .,;!? äöü ßç 你好世界 привет 🙂 <|endoftext|>"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 400))) for _ in range(n)]


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base", "r50k_base"])
def test_thread_pool_matches_serial(name):
    enc = tokcount.get_encoding(name)
    texts = _texts(300)
    serial = [enc.encode(t, allowed_special="all") for t in texts]
    counts = [len(s) for s in serial]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda t: enc.encode(t, allowed_special="all"), texts))
        threaded_counts = list(pool.map(lambda t: enc.count(t, allowed_special="all"), texts))
        decoded = list(pool.map(enc.decode, serial))
    assert threaded == serial
    assert threaded_counts == counts
    assert decoded == texts
    # The native batch calls, at several thread counts, agree too.
    for threads in (1, 2, 8):
        assert enc.encode_batch(texts, allowed_special="all", num_threads=threads) == serial
        assert enc.count_batch(texts, allowed_special="all", num_threads=threads) == counts


def test_batch_on_large_inputs_uses_threads_consistently():
    enc = tokcount.get_encoding("o200k_base")
    texts = [t * 200 for t in _texts(16, seed=3)]  # large enough to spread over threads
    serial = [enc.encode_ordinary(t) for t in texts]
    assert enc.encode_ordinary_batch(texts, num_threads=4) == serial
    assert enc.count_batch(texts, disallowed_special=(), num_threads=4) == [len(s) for s in serial]


def test_pipelined_batch_keeps_order_and_reports_the_first_error():
    # Large enough for several threads: lists are built on the caller while pool threads encode.
    enc = tokcount.get_encoding("cl100k_base")
    texts = [t * 40 for t in _texts(400, seed=5)]
    assert sum(len(t) for t in texts) > 256 * 1024
    serial = [enc.encode_ordinary(t) for t in texts]
    for threads in (2, 3):
        assert enc.encode_ordinary_batch(texts, num_threads=threads) == serial
    bad = texts[:]
    bad[300] = "<|endoftext|>"
    bad[350] = "<|fim_prefix|>"
    with pytest.raises(ValueError, match="'<\\|endoftext\\|>'"):
        enc.encode_batch(bad, num_threads=2)
    # Several Python threads running pipelined batches at once each get their own results.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda k: enc.encode_ordinary_batch(texts[k:], num_threads=2), range(4)))
    assert results == [serial[k:] for k in range(4)]


def test_concurrent_first_use_of_lazy_state():
    # Lazily built state (the vocabulary dict, the sorted index) is safe to race on.
    enc = tokcount.Encoding._builtin("p50k_base")  # fresh object, nothing built yet
    with ThreadPoolExecutor(max_workers=8) as pool:
        ranks = list(pool.map(lambda _: enc._mergeable_ranks, range(8)))
        values = list(pool.map(lambda _: enc.token_byte_values(), range(4)))
        unstable = list(pool.map(lambda _: enc.encode_with_unstable("hello wor"), range(4)))
    assert all(r is ranks[0] for r in ranks)
    assert all(v == values[0] for v in values) and len(values[0]) == 50280
    assert all(u == unstable[0] for u in unstable)


def test_long_calls_release_the_gil():
    enc = tokcount.get_encoding("cl100k_base")
    unit = "The quick brown fox jumps over the lazy dog. 1234567 "
    # Every unit after the first is pre-tokenized the same way, so the count is linear in the
    # number of units from 2 on: the expected count of a huge text without encoding it.
    two, three = len(enc.encode(unit * 2)), len(enc.encode(unit * 3))

    ticks = 0
    stop = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.0005)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        # The call must last long enough to observe: double the text (from ~50 MB) until it
        # takes over 0.1 s; how far depends on the machine (the memo makes repeated text fast).
        reps = 1_000_000
        while True:
            text = unit * reps
            time.sleep(0.05)
            before = ticks
            start = time.perf_counter()
            n = enc.count(text)
            elapsed = time.perf_counter() - start
            during = ticks - before
            if elapsed > 0.1 or reps >= 8_000_000:
                break
            reps *= 2
    finally:
        stop.set()
        thread.join()
    assert n == two + (reps - 2) * (three - two)
    # Holding the GIL, the ticker could run only around the call's edges (a switch interval,
    # 5 ms, each side: ~20 ticks at most); released, it ticks all through the call.
    assert elapsed > 0.1, f"input too small to observe ({reps} units counted in {elapsed:.3f}s)"
    assert during >= 50, f"ticker ran {during} times in {elapsed:.3f}s"
