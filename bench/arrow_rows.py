#!/usr/bin/env python3
"""Rows per second of tokcount.arrow against a Python loop over Encoding.encode / count.

    python bench/arrow_rows.py [--rows 100000] [--chars 250] [--encoding o200k_base] [--repeat 3]

The rows are cut from text the repo carries (its README, docs and sources: prose, Markdown and
code), or from --corpus FILE, with log-normal lengths of median --chars characters (clipped to
[5, 8 * chars]). Each variant runs
--repeat times and the best time is reported (the least disturbed by other load), both wall
time and this process's CPU time: on a shared, loaded machine the CPU time of a 1-thread
variant is the closer estimate of its speed on an idle one. Also checks that every variant
gives the loop's results, row for row.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

import pyarrow as pa

import tokcount
import tokcount.arrow as tka

REPO = Path(__file__).resolve().parents[1]


def corpus_text(path: str | None) -> str:
    if path:
        return Path(path).read_text(encoding="utf-8")
    parts = [p.read_text(encoding="utf-8") for p in sorted(REPO.glob("**/*"))
             if p.suffix in {".md", ".cpp", ".hpp", ".py"} and p.is_file() and "build" not in p.parts]
    return "\n".join(parts)


def make_rows(text: str, n: int, median_chars: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        size = int(median_chars * rng.lognormvariate(0, 0.8))
        size = max(5, min(size, 8 * median_chars))
        start = rng.randrange(0, max(1, len(text) - size))
        rows.append(text[start : start + size])
    return rows


def best_of(repeat: int, fn):
    """(best wall seconds, best CPU seconds of this process, result)."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return (wall, cpu), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--chars", type=int, default=250, help="median row length in characters")
    ap.add_argument("--encoding", default="o200k_base")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--corpus", help="a UTF-8 text file to cut rows from")
    args = ap.parse_args()

    enc = tokcount.get_encoding(args.encoding)
    texts = make_rows(corpus_text(args.corpus), args.rows, args.chars)
    # Texts may spell special tokens; count them as text in every variant.
    opts = {"disallowed_special": ()}
    arr = pa.array(texts, pa.string())
    mb = arr.nbytes / 1e6
    print(f"{len(texts)} rows (median {args.chars} chars), {mb:.1f} MB, encoding {enc.name}, "
          f"{os.cpu_count()} CPUs, best of {args.repeat}")

    t_loop_count, loop_counts = best_of(args.repeat, lambda: [enc.count(t, **opts) for t in texts])
    t_loop_encode, loop_tokens = best_of(args.repeat, lambda: [enc.encode(t, **opts) for t in texts])
    # What a loop over a column that lives in Arrow really costs: the str objects first.
    t_pylist_count, _ = best_of(args.repeat, lambda: [enc.count(t, **opts) for t in arr.to_pylist()])
    variants = [("python loop: [enc.count(t) for t in texts]", t_loop_count),
                ("python loop: [enc.encode(t) for t in texts]", t_loop_encode),
                ("python loop: [enc.count(t) for t in arr.to_pylist()]", t_pylist_count)]
    for threads in (1, None):
        label = "1 thread" if threads == 1 else "all cores"
        t, counts = best_of(args.repeat, lambda: tka.count_tokens(arr, encoding=enc, num_threads=threads, **opts))
        assert counts.to_pylist() == loop_counts
        variants.append((f"tokcount.arrow.count_tokens, {label}", t))
        t, tokens = best_of(args.repeat, lambda: tka.encode_tokens(arr, encoding=enc, num_threads=threads, **opts))
        assert tokens.to_pylist() == loop_tokens
        variants.append((f"tokcount.arrow.encode_tokens, {label}", t))

    width = max(len(v[0]) for v in variants)
    print(f"{'':<{width}}  {'rows/s':>10}  {'MB/s':>6}  {'rows/CPU-s':>10}")
    for label, (wall, cpu) in variants:
        print(f"{label:<{width}}  {len(texts) / wall:>10,.0f}  {mb / wall:>6.1f}  {len(texts) / cpu:>10,.0f}")


if __name__ == "__main__":
    main()
