"""Pickling: built-in encodings by name, custom ones by value; through multiprocessing too."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

import tokcount

TEXT = "hello world <|endoftext|> ünïcödé 你好"


def test_builtin_pickles_by_name():
    enc = tokcount.get_encoding("cl100k_base")
    data = pickle.dumps(enc)
    assert len(data) < 200  # the name, not the vocabulary
    assert enc.__getstate__() == "cl100k_base"
    clone = pickle.loads(data)
    assert clone.name == "cl100k_base"
    assert clone.__dict__ is enc.__dict__  # shares the registered encoding's state
    assert clone.encode(TEXT, allowed_special="all") == enc.encode(TEXT, allowed_special="all")


def _custom(base: tokcount.Encoding) -> tokcount.Encoding:
    return tokcount.Encoding(
        "custom_enc",
        pat_str=base._pat_str,
        mergeable_ranks=base._mergeable_ranks,
        special_tokens={"<|pickle|>": 100_000},
    )


def test_custom_pickles_by_value():
    enc = _custom(tokcount.get_encoding("r50k_base"))
    state = enc.__getstate__()
    assert isinstance(state, dict)
    assert set(state) == {"name", "pat_str", "mergeable_ranks", "special_tokens"}
    clone = pickle.loads(pickle.dumps(enc))
    assert clone is not enc and clone.name == "custom_enc"
    assert clone.encode("hello world") == enc.encode("hello world") == [31373, 995]
    assert clone.encode("<|pickle|>", allowed_special="all") == [100_000]
    assert clone._special_tokens == {"<|pickle|>": 100_000}
    assert clone.max_token_value == 100_000


def test_unregistered_builtin_copy_pickles_by_value():
    # An Encoding named like a built-in but not the registered object is pickled by value.
    base = tokcount.get_encoding("r50k_base")
    copy = tokcount.Encoding(
        "r50k_base", pat_str=base._pat_str, mergeable_ranks=base._mergeable_ranks, special_tokens=base._special_tokens
    )
    assert isinstance(copy.__getstate__(), dict)
    assert pickle.loads(pickle.dumps(copy)).encode("hello world") == [31373, 995]


def _encode_in_child(enc: tokcount.Encoding, text: str) -> tuple[str, list[int]]:
    return enc.name, enc.encode(text, allowed_special="all")


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_multiprocessing(method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    builtin = tokcount.get_encoding("o200k_base")
    custom = _custom(tokcount.get_encoding("r50k_base"))
    ctx = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        got_builtin = pool.submit(_encode_in_child, builtin, TEXT).result(timeout=120)
        got_custom = pool.submit(_encode_in_child, custom, "hello <|pickle|>").result(timeout=120)
    assert got_builtin == ("o200k_base", builtin.encode(TEXT, allowed_special="all"))
    assert got_custom == ("custom_enc", [31373, 220, 100_000])
