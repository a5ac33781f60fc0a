"""tokcount.arrow: counts and tokens of Arrow string columns equal per-string encode/count, for
every string layout, nulls, slices, chunks, dictionaries and pandas Series; bad rows raise a
typed error naming the row; malformed arrays are refused, never read out of bounds."""

from __future__ import annotations

import gc
import json
import random
import threading
import time

import pytest

import tokcount
import tokcount.arrow as tka

from pkg_support import ALL_ENCODINGS, REPO

pa = pytest.importorskip("pyarrow", reason="the Arrow API needs pyarrow (tokcount[arrow])")

FIXTURES = REPO / "tests" / "fixtures"
SPECIAL = "<|endoftext|>"


def _fixture_texts() -> list[str]:
    texts = []
    for path in sorted(FIXTURES.glob("*.jsonl")):
        with path.open(encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    return texts


def _generated_texts(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    alphabet = "abcdefghij KLMNOP 0123 \n\t .,;!? äöü ßç 你好世界 привет 🙂 's 'LL  "
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300))) for _ in range(n)]


TEXTS = _fixture_texts() + _generated_texts(300)
PLAIN = [t for t in TEXTS if "<|" not in t]  # encodable with encode()'s defaults
# Nulls, empty strings, and strings long enough for string_view's out-of-line layout.
WITH_NULLS = [None, "", "hello world", None, "short", "a longer string than twelve bytes", None] + PLAIN[:50]


def _expected_counts(enc, texts, **options):
    return [None if t is None else enc.count(t, **options) for t in texts]


def _expected_tokens(enc, texts, **options):
    return [None if t is None else enc.encode(t, **options) for t in texts]


STRING_TYPES = [pa.string(), pa.large_string(), pa.binary(), pa.large_binary()]
if hasattr(pa, "string_view"):
    STRING_TYPES += [pa.string_view(), pa.binary_view()]


def _array(texts, type_):
    if pa.types.is_binary(type_) or pa.types.is_large_binary(type_) or str(type_) == "binary_view":
        return pa.array([None if t is None else t.encode("utf-8") for t in texts], type_)
    return pa.array(texts, type_)


@pytest.mark.parametrize("name", ALL_ENCODINGS)
def test_counts_and_tokens_equal_per_string_calls(name):
    enc = tokcount.get_encoding(name)
    arr = pa.array(PLAIN, pa.string())
    counts = tka.count_tokens(arr, encoding=name)
    assert counts.type == pa.int64()
    assert counts.to_pylist() == [enc.count(t) for t in PLAIN]
    tokens = tka.encode_tokens(arr, encoding=enc)
    assert tokens.type == pa.list_(pa.uint32())
    assert tokens.to_pylist() == [enc.encode(t) for t in PLAIN]
    # Every fixture text (special-token text included) under both special-token policies.
    arr = pa.array(TEXTS, pa.large_string())
    for options in ({"allowed_special": "all"}, {"disallowed_special": ()}):
        assert tka.count_tokens(arr, encoding=enc, **options).to_pylist() == [enc.count(t, **options) for t in TEXTS]
        assert tka.encode_tokens(arr, encoding=enc, **options).to_pylist() == [
            enc.encode(t, **options) for t in TEXTS
        ]


@pytest.mark.parametrize("type_", STRING_TYPES, ids=str)
def test_every_string_layout_with_nulls(type_):
    enc = tokcount.get_encoding("o200k_base")
    arr = _array(WITH_NULLS, type_)
    assert arr.null_count == 3
    counts = tka.count_tokens(arr, encoding=enc)
    assert counts.to_pylist() == _expected_counts(enc, WITH_NULLS)
    assert counts.null_count == 3
    tokens = tka.encode_tokens(arr, encoding=enc)
    assert tokens.to_pylist() == _expected_tokens(enc, WITH_NULLS)
    assert tokens.null_count == 3
    tokens.validate(full=True)
    counts.validate(full=True)


@pytest.mark.parametrize("type_", STRING_TYPES, ids=str)
def test_slices_honour_the_array_offset(type_):
    enc = tokcount.get_encoding("cl100k_base")
    arr = _array(WITH_NULLS, type_)
    for start, length in [(1, 5), (3, 0), (5, 40), (len(WITH_NULLS) - 1, 1)]:
        sliced = arr.slice(start, length)
        want = WITH_NULLS[start : start + length]
        assert tka.count_tokens(sliced, encoding=enc).to_pylist() == _expected_counts(enc, want)
        assert tka.encode_tokens(sliced, encoding=enc).to_pylist() == _expected_tokens(enc, want)


def test_chunked_arrays_keep_their_chunks():
    enc = tokcount.get_encoding("o200k_base")
    chunks = [WITH_NULLS[:3], [], WITH_NULLS[3:20], WITH_NULLS[20:]]
    chunked = pa.chunked_array([pa.array(c, pa.string()) for c in chunks], pa.string())
    counts = tka.count_tokens(chunked, encoding=enc)
    assert isinstance(counts, pa.ChunkedArray)
    assert [len(c) for c in counts.chunks] == [len(c) for c in chunks]
    assert counts.to_pylist() == _expected_counts(enc, WITH_NULLS)
    tokens = tka.encode_tokens(chunked, encoding=enc)
    assert [len(c) for c in tokens.chunks] == [len(c) for c in chunks]
    assert tokens.to_pylist() == _expected_tokens(enc, WITH_NULLS)
    for c in tokens.chunks:
        c.validate(full=True)
    empty = pa.chunked_array([], pa.large_string())
    assert tka.count_tokens(empty, encoding=enc).type == pa.int64()
    assert tka.encode_tokens(empty, encoding=enc).type == pa.list_(pa.uint32())
    assert len(tka.encode_tokens(empty, encoding=enc)) == 0


def test_dictionary_arrays_read_through_their_dictionary():
    enc = tokcount.get_encoding("cl100k_base")
    values = ["alpha beta", "gamma", None, "δέλτα 🙂"]
    rows = [0, 1, None, 3, 2, 0, 3]
    for index_type in (pa.int8(), pa.uint16(), pa.int32(), pa.int64()):
        arr = pa.DictionaryArray.from_arrays(pa.array(rows, index_type), pa.array(values))
        texts = [None if i is None else values[i] for i in rows]
        assert tka.count_tokens(arr, encoding=enc).to_pylist() == _expected_counts(enc, texts)
        assert tka.encode_tokens(arr.slice(2), encoding=enc).to_pylist() == _expected_tokens(enc, texts[2:])


def test_special_token_options_match_encode():
    enc = tokcount.get_encoding("cl100k_base")
    texts = ["a <|endoftext|> b", "<|fim_prefix|>x", "plain"]
    arr = pa.array(texts)
    for options in ({"allowed_special": "all"}, {"disallowed_special": ()},
                    {"allowed_special": {SPECIAL}, "disallowed_special": ()}):
        assert tka.count_tokens(arr, encoding=enc, **options).to_pylist() == _expected_counts(enc, texts, **options)
        assert tka.encode_tokens(arr, encoding=enc, **options).to_pylist() == _expected_tokens(enc, texts, **options)
    assert enc.eot_token in tka.encode_tokens(arr, encoding=enc, allowed_special="all")[0].as_py()


def test_model_names_and_argument_errors():
    arr = pa.array(["hello world"])
    assert tka.count_tokens(arr, model="gpt-4o").to_pylist() == [2]
    with pytest.raises(TypeError, match="exactly one"):
        tka.count_tokens(arr)
    with pytest.raises(TypeError, match="exactly one"):
        tka.count_tokens(arr, encoding="o200k_base", model="gpt-4o")
    with pytest.raises(ValueError, match="Unknown encoding"):
        tka.count_tokens(arr, encoding="nope")
    with pytest.raises(KeyError):
        tka.count_tokens(arr, model="no-such-model")
    with pytest.raises(TypeError, match="count_batch"):
        tka.count_tokens(["a list"], encoding="o200k_base")
    with pytest.raises(ValueError, match="max_workers"):
        tka.count_tokens(arr, encoding="o200k_base", num_threads=0)
    with pytest.raises(TypeError):
        tka.count_tokens(arr, encoding="o200k_base", allowed_special=["not", "a", "set"])


def test_non_string_columns_are_a_type_error():
    with pytest.raises(TypeError, match="format 'l'"):
        tka.count_tokens(pa.array([1, 2, 3]), encoding="o200k_base")
    with pytest.raises(TypeError, match="format"):
        tka.count_tokens(pa.array([["a"]]), encoding="o200k_base")
    table = pa.table({"text": ["a"]})
    with pytest.raises(TypeError, match="one of its columns"):
        tka.count_tokens(table, encoding="o200k_base")


def test_disallowed_special_names_the_row_across_chunks():
    chunked = pa.chunked_array([["fine", None], ["also fine", "bad <|endoftext|> here", "<|endoftext|>"]])
    with pytest.raises(tka.ArrowRowError) as info:
        tka.count_tokens(chunked, encoding="cl100k_base", num_threads=4)
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.row, e.code, e.byte_offset, e.token) == (3, "DISALLOWED_SPECIAL", 4, SPECIAL)
    assert str(e).startswith("row 3: ")
    with pytest.raises(tka.ArrowRowError, match="^row 3: "):
        tka.encode_tokens(chunked, encoding="cl100k_base")


def test_invalid_utf8_in_binary_names_the_row():
    arr = pa.array([b"ok", None, b"fine \xc3\xa9", b"bad \xff byte", b"\xc3"], pa.binary())
    with pytest.raises(tka.ArrowRowError) as info:
        tka.encode_tokens(arr, encoding="o200k_base")
    assert (info.value.row, info.value.code, info.value.byte_offset) == (3, "INVALID_UTF8", 4)
    # Valid rows of a binary column are text.
    good = arr.slice(0, 3)
    assert tka.count_tokens(good, encoding="o200k_base").to_pylist() == [1, None, 2]


def test_invalid_utf8_smuggled_into_a_string_array_is_caught():
    # pyarrow does not validate from_buffers; the core's UTF-8 check still refuses the row.
    data = pa.py_buffer(b"okbad\xfe")
    offsets = pa.py_buffer(pa.array([0, 2, 6], pa.int32()).buffers()[1])
    arr = pa.StringArray.from_buffers(2, offsets, data)
    with pytest.raises(tka.ArrowRowError) as info:
        tka.count_tokens(arr, encoding="o200k_base")
    assert (info.value.row, info.value.code) == (1, "INVALID_UTF8")


def test_malformed_offsets_are_refused():
    data = pa.py_buffer(b"abcdef")
    offsets = pa.py_buffer(pa.array([0, 4, 2], pa.int32()).buffers()[1])
    arr = pa.StringArray.from_buffers(2, offsets, data)
    with pytest.raises(ValueError, match="offsets decrease at row 1"):
        tka.count_tokens(arr, encoding="o200k_base")


@pytest.mark.skipif(not hasattr(pa, "string_view"), reason="pyarrow without string_view")
def test_out_of_bounds_string_view_is_refused():
    good = pa.array(["x" * 40], pa.string_view())
    views = bytearray(good.buffers()[1].to_pybytes())
    views[12:16] = (30).to_bytes(4, "little")  # offset 30 + length 40 > the 40-byte buffer
    bad = pa.Array.from_buffers(pa.string_view(), 1, [None, pa.py_buffer(bytes(views)), good.buffers()[2]])
    with pytest.raises(ValueError, match="out of bounds"):
        tka.count_tokens(bad, encoding="o200k_base")


def test_any_pycapsule_producer_works():
    # A non-pyarrow producer: only the protocol methods, nothing else of pyarrow's.
    class ArrayOnly:
        def __init__(self, arr):
            self._arr = arr

        def __arrow_c_array__(self, requested_schema=None):
            return self._arr.__arrow_c_array__(requested_schema)

    class StreamOnly:
        def __init__(self, arr):
            self._arr = arr

        def __arrow_c_stream__(self, requested_schema=None):
            return self._arr.__arrow_c_stream__(requested_schema)

    enc = tokcount.get_encoding("o200k_base")
    arr = pa.array(WITH_NULLS)
    want = _expected_counts(enc, WITH_NULLS)
    assert tka.count_tokens(ArrayOnly(arr), encoding=enc).to_pylist() == want
    assert tka.count_tokens(StreamOnly(pa.chunked_array([arr, arr])), encoding=enc).to_pylist() == want * 2


def test_capsules_are_checked():
    schema, array = pa.array(["a"]).__arrow_c_array__()
    with pytest.raises(ValueError):  # capsule names are checked (arrow_array where arrow_schema goes)
        tokcount._tokcount.arrow_count(tokcount.get_encoding("o200k_base")._core_bpe, (array, schema), set(), "all", 1)


@pytest.mark.parametrize("threads", [1, 2, 7, None])
def test_thread_counts_give_identical_results(threads):
    enc = tokcount.get_encoding("o200k_base")
    texts = [t * 20 for t in PLAIN[:400]]  # enough text to spread over threads
    arr = pa.array(texts, pa.large_string())
    assert tka.count_tokens(arr, encoding=enc, num_threads=threads).to_pylist() == [enc.count(t) for t in texts]
    assert tka.encode_tokens(arr, encoding=enc, num_threads=threads).to_pylist() == [enc.encode(t) for t in texts]


def test_results_outlive_the_input_and_free_their_buffers():
    import os

    enc = tokcount.get_encoding("cl100k_base")

    def rss_mb() -> float:
        with open(f"/proc/{os.getpid()}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    arr = pa.array(["some words to encode, over and over " * 100] * 2000)  # ~7 MB, ~14 MB of tokens
    kept = tka.encode_tokens(arr, encoding=enc)
    del arr
    gc.collect()
    assert kept[0].as_py() == enc.encode("some words to encode, over and over " * 100)
    text = pa.array(["some words to encode, over and over " * 100] * 2000)
    before = rss_mb()
    for _ in range(20):
        tokens = tka.encode_tokens(text, encoding=enc)
        sliced = tokens.slice(10, 5)  # slices keep the shared buffers alive, then free them
        del tokens, sliced
    gc.collect()
    if os.path.exists(f"/proc/{os.getpid()}/statm"):
        assert rss_mb() - before < 60, "exported buffers are not released"


def test_long_calls_release_the_gil():
    enc = tokcount.get_encoding("cl100k_base")
    row = "The quick brown fox jumps over the lazy dog. 1234567 " * 200
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
        time.sleep(0.05)
        # Rows double until one call lasts long enough to watch (from ~40 MB; how long that
        # takes depends on the machine and the engine's speed).
        for rows in (4000, 8000, 16000, 32000, 64000):
            arr = pa.array([row] * rows)
            before = ticks
            start = time.perf_counter()
            counts = tka.count_tokens(arr, encoding=enc, num_threads=1)
            elapsed = time.perf_counter() - start
            during = ticks - before
            if elapsed > 0.2:
                break
    finally:
        stop.set()
        thread.join()
    assert counts[0].as_py() == enc.count(arr[0].as_py())
    assert elapsed > 0.1, "input too small to observe"
    assert during >= 50, f"ticker ran {during} times in {elapsed:.3f}s"


def test_import_tokcount_does_not_import_pyarrow():
    import subprocess
    import sys

    code = "import sys, tokcount, tokcount.arrow, tokcount.spark, tokcount.ray; print('pyarrow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- pandas ---------------------------------------------------------------------------------------


@pytest.fixture
def pd():
    return pytest.importorskip("pandas")


def _series_variants(pd):
    yield "object", pd.Series(WITH_NULLS, dtype=object, index=range(100, 100 + len(WITH_NULLS)), name="text")
    yield "string[pyarrow]", pd.Series(WITH_NULLS, dtype="string[pyarrow]", name="text")
    yield "ArrowDtype", pd.Series(WITH_NULLS, dtype=pd.ArrowDtype(pa.large_string()), name="text")
    yield "category", pd.Series(WITH_NULLS, dtype="category", name="text")


def test_pandas_series(pd):
    enc = tokcount.get_encoding("o200k_base")
    for label, series in _series_variants(pd):
        counts = tka.count_tokens(series, encoding=enc)
        assert isinstance(counts, pd.Series), label
        assert counts.index.equals(series.index) and counts.name == "text", label
        assert str(counts.dtype) == "int64[pyarrow]", label
        got = [None if pd.isna(v) else int(v) for v in counts]
        assert got == _expected_counts(enc, WITH_NULLS), label
        tokens = tka.encode_tokens(series, encoding=enc)
        assert tokens.index.equals(series.index), label
        got_tokens = [None if v is None else list(v) for v in tokens.array._pa_array.to_pylist()]
        assert got_tokens == _expected_tokens(enc, WITH_NULLS), label
    assert int(tka.count_tokens(pd.Series(["hello world"] * 3), encoding=enc).sum()) == 6


def test_pandas_nan_is_null_and_non_strings_are_refused(pd):
    enc = tokcount.get_encoding("o200k_base")
    counts = tka.count_tokens(pd.Series(["a b", float("nan"), None]), encoding=enc)
    assert counts.isna().tolist() == [False, True, True]
    with pytest.raises((TypeError, pa.ArrowInvalid)):
        tka.count_tokens(pd.Series(["a", 3]), encoding=enc)


def test_engine_errors_show_the_start_of_the_row():
    # Spark and Ray see one batch at a time, so their errors add the failing row's text.
    arr = pa.array(["fine", "x" * 100 + " <|endoftext|>"])
    with pytest.raises(tka.ArrowRowError) as info:
        tka.count_tokens(arr, encoding="o200k_base")
    e = tka._with_row_text(info.value, arr)
    assert isinstance(e, tka.ArrowRowError)
    assert (e.row, e.code, e.byte_offset, e.token) == (1, "DISALLOWED_SPECIAL", 101, SPECIAL)
    assert str(e).startswith("row 1: ") and str(e).endswith(f"[row text: {'x' * 60 + '...'!r}]")


def test_spark_token_ids_become_int32_exactly():
    from tokcount.spark import _spark_tokens  # needs no pyspark

    enc = tokcount.get_encoding("o200k_base")
    tokens = tka.encode_tokens(pa.array(["hello world", None]), encoding=enc)
    as_int = _spark_tokens(tokens, enc)
    assert as_int.type == pa.list_(pa.int32()) and as_int.to_pylist() == [[24912, 2375], None]
    chunked = _spark_tokens(pa.chunked_array([tokens, tokens]), enc)
    assert chunked.type == pa.list_(pa.int32()) and chunked.to_pylist() == [[24912, 2375], None] * 2
    # An encoding with an id past int32: a checked cast, which refuses the id rather than wrap it.
    base = tokcount.get_encoding("r50k_base")
    big = tokcount.Encoding("big_ids", pat_str=base._pat_str, mergeable_ranks=base._mergeable_ranks,
                            special_tokens={"<|big|>": 2**31})
    ok = _spark_tokens(tka.encode_tokens(pa.array(["hello world"]), encoding=big), big)
    assert ok.to_pylist() == [[31373, 995]]
    with pytest.raises(pa.ArrowInvalid):
        _spark_tokens(tka.encode_tokens(pa.array(["<|big|>"]), encoding=big, allowed_special="all"), big)
