"""The tiktoken 0.14 API surface of tokcount: results, arguments, exceptions and messages."""

from __future__ import annotations

import functools
import inspect

import pytest

import tokcount
import tokcount.core
import tokcount.load
import tokcount.model
import tokcount.registry
from tokcount import _tokcount

EOT_MESSAGE = (
    "Encountered text corresponding to disallowed special token '<|endoftext|>'.\n"
    "If you want this text to be encoded as a special token, pass it to `allowed_special`, "
    "e.g. `allowed_special={'<|endoftext|>', ...}`.\n"
    "If you want this text to be encoded as normal text, disable the check for this token by "
    "passing `disallowed_special=(enc.special_tokens_set - {'<|endoftext|>'})`.\n"
    "To disable this check for all special tokens, pass `disallowed_special=()`.\n"
)


# ---- package and registry ---------------------------------------------------------------------


def test_public_names():
    for name in ("Encoding", "get_encoding", "encoding_for_model", "encoding_name_for_model", "list_encoding_names"):
        assert callable(getattr(tokcount, name))
    assert tokcount.__version__ == _tokcount.__version__
    assert tokcount.__version__.count(".") == 2
    assert tokcount.core.Encoding is tokcount.Encoding
    assert tokcount.registry.get_encoding is tokcount.get_encoding


def test_list_encoding_names():
    assert tokcount.list_encoding_names() == [
        "gpt2",
        "r50k_base",
        "p50k_base",
        "p50k_edit",
        "cl100k_base",
        "o200k_base",
        "o200k_harmony",
    ]


def test_get_encoding_is_cached_and_registered():
    enc = tokcount.get_encoding("o200k_base")
    assert tokcount.get_encoding("o200k_base") is enc
    assert tokcount.registry.ENCODINGS["o200k_base"] is enc
    assert repr(enc) == "<Encoding 'o200k_base'>"


def test_get_encoding_errors():
    with pytest.raises(ValueError, match=r"^Expected a string in get_encoding, got <class 'int'>$"):
        tokcount.get_encoding(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^Unknown encoding nope\.\nPlugins found: .*\ntokcount version: "):
        tokcount.get_encoding("nope")


def test_registry_user_constructor(r50k):
    # Callers may register their own constructors, as with tiktoken.
    tokcount.registry._find_constructors()
    assert tokcount.registry.ENCODING_CONSTRUCTORS is not None
    tokcount.registry.ENCODING_CONSTRUCTORS["r50k_plus"] = lambda: {
        "name": "r50k_plus",
        "pat_str": r50k._pat_str,
        "mergeable_ranks": r50k._mergeable_ranks,
        "special_tokens": {"<|endoftext|>": 50256, "<|plus|>": 50257},
    }
    try:
        enc = tokcount.get_encoding("r50k_plus")
        assert enc.encode("hi<|plus|>", allowed_special="all") == [5303, 50257]
        assert "r50k_plus" in tokcount.list_encoding_names()
    finally:
        del tokcount.registry.ENCODING_CONSTRUCTORS["r50k_plus"]
        tokcount.registry.ENCODINGS.pop("r50k_plus", None)


def test_builtin_constructor_returns_tiktoken_kwargs():
    tokcount.registry._find_constructors()
    kwargs = tokcount.registry.ENCODING_CONSTRUCTORS["p50k_base"]()
    assert set(kwargs) == {"name", "pat_str", "mergeable_ranks", "special_tokens", "explicit_n_vocab"}
    enc = tokcount.Encoding(**kwargs)
    assert enc.encode("hello world") == [31373, 995]
    assert enc.n_vocab == 50281


# ---- models -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt2", "gpt2"),
        ("text-davinci-003", "p50k_base"),
        ("text-davinci-edit-001", "p50k_edit"),
        ("gpt-3.5-turbo-0301", "cl100k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-5.1", "o200k_base"),
        ("ft:gpt-4o-2024:org::id", "o200k_base"),
        ("ft:gpt-4-0613:org::id", "cl100k_base"),
        ("gpt-oss-120b", "o200k_harmony"),
        ("text-embedding-3-small", "cl100k_base"),
        ("davinci", "r50k_base"),
    ],
)
def test_encoding_for_model(model, encoding):
    assert tokcount.encoding_name_for_model(model) == encoding
    assert tokcount.encoding_for_model(model) is tokcount.get_encoding(encoding)


def test_unknown_model():
    message = (
        "Could not automatically map gpt-4.5 to a tokeniser. "
        "Please use `tiktoken.get_encoding` to explicitly get the tokeniser you expect."
    )
    with pytest.raises(KeyError) as info:
        tokcount.encoding_name_for_model("gpt-4.5")
    assert info.value.args == (message,)
    with pytest.raises(KeyError):
        tokcount.encoding_for_model("nonexistent-model")


def test_model_tables_agree_with_core():
    # The editable Python tables and the C++ core's table must not drift apart.
    for model, encoding in tokcount.model.MODEL_TO_ENCODING.items():
        assert _tokcount.encoding_name_for_model(model) == encoding, model
    for prefix, encoding in tokcount.model.MODEL_PREFIX_TO_ENCODING.items():
        assert _tokcount.encoding_name_for_model(prefix + "x") == encoding, prefix


def test_model_tables_are_editable(monkeypatch):
    monkeypatch.setitem(tokcount.model.MODEL_TO_ENCODING, "my-model", "r50k_base")
    monkeypatch.setitem(tokcount.model.MODEL_PREFIX_TO_ENCODING, "my-prefix-", "cl100k_base")
    assert tokcount.encoding_name_for_model("my-model") == "r50k_base"
    assert tokcount.encoding_for_model("my-prefix-7").name == "cl100k_base"


# ---- properties -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "n_vocab", "eot", "n_special"),
    [
        ("gpt2", 50257, 50256, 1),
        ("r50k_base", 50257, 50256, 1),
        ("p50k_base", 50281, 50256, 1),
        ("p50k_edit", 50284, 50256, 4),
        ("cl100k_base", 100277, 100257, 5),
        ("o200k_base", 200019, 199999, 2),
        ("o200k_harmony", 201088, 199999, 1091),
    ],
)
def test_properties(name, n_vocab, eot, n_special):
    enc = tokcount.get_encoding(name)
    assert enc.name == name
    assert enc.n_vocab == n_vocab
    assert enc.max_token_value == n_vocab - 1
    assert enc.eot_token == eot
    assert len(enc.special_tokens_set) == n_special
    assert enc.special_tokens_set is enc.special_tokens_set  # cached, one mutable set
    assert enc._special_tokens["<|endoftext|>"] == eot
    assert enc.is_special_token(eot)
    assert not enc.is_special_token(0)
    assert not enc.is_special_token(-1)
    assert not enc.is_special_token(2**40)


def test_is_special_token_requires_int(cl100k):
    with pytest.raises(AssertionError):
        cl100k.is_special_token("100257")  # type: ignore[arg-type]


def test_private_attributes(cl100k):
    assert cl100k._pat_str.startswith("'(?i:[sdmt]|ll|ve|re)")
    ranks = cl100k._mergeable_ranks
    assert isinstance(ranks, dict) and len(ranks) == 100256
    assert ranks[b"hello"] == 15339 and ranks[b"!"] == 0
    assert cl100k._mergeable_ranks is ranks  # built once
    assert cl100k._special_tokens == {
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    }
    assert cl100k._special_token_values == {100257, 100258, 100259, 100260, 100276}
    assert isinstance(cl100k._core_bpe, _tokcount.CoreBPE)
    with pytest.raises(AttributeError):
        cl100k._no_such_attribute  # noqa: B018


def test_signatures_match_tiktoken():
    sig = inspect.signature(tokcount.Encoding.__init__)
    assert list(sig.parameters) == ["self", "name", "pat_str", "mergeable_ranks", "special_tokens", "explicit_n_vocab"]
    assert sig.parameters["pat_str"].kind is inspect.Parameter.KEYWORD_ONLY
    enc_sig = inspect.signature(tokcount.Encoding.encode)
    assert enc_sig.parameters["allowed_special"].default == set()
    assert enc_sig.parameters["disallowed_special"].default == "all"
    assert inspect.signature(tokcount.Encoding.decode).parameters["errors"].default == "replace"
    assert inspect.signature(tokcount.Encoding.encode_batch).parameters["num_threads"].default == 8
    assert isinstance(inspect.getattr_static(tokcount.Encoding, "special_tokens_set"), functools.cached_property)


# ---- encoding ---------------------------------------------------------------------------------


def test_simple(enc):
    # From tiktoken's own test: the same two words in every base vocabulary.
    expected = {
        "gpt2": [31373, 995],
        "r50k_base": [31373, 995],
        "p50k_base": [31373, 995],
        "p50k_edit": [31373, 995],
        "cl100k_base": [15339, 1917],
        "o200k_base": [24912, 2375],
        "o200k_harmony": [24912, 2375],
    }[enc.name]
    assert enc.encode("hello world") == expected
    assert enc.encode_ordinary("hello world") == expected
    assert enc.decode(expected) == "hello world"
    assert enc.encode("") == [] and enc.encode_ordinary("") == []


def test_cl100k_regex_edges(cl100k):
    assert cl100k.encode("rer") == [38149]
    assert cl100k.encode("'rer") == [2351, 81]
    assert cl100k.encode("today\n ") == [31213, 198, 220]
    assert cl100k.encode("today\n \n") == [31213, 27907]
    assert cl100k.encode("today\n  \n") == [31213, 14211]
    assert cl100k.encode(" \x850") == [220, 126, 227, 15]


def test_special_token_matrix(cl100k):
    eot, fim = 100257, 100258
    text = "<|endoftext|> hi <|fim_prefix|>"
    with pytest.raises(ValueError):
        cl100k.encode(text)
    assert cl100k.encode(text, allowed_special="all") == [eot, 15960, 220, fim]
    assert cl100k.encode(text, allowed_special=cl100k.special_tokens_set) == [eot, 15960, 220, fim]
    assert cl100k.encode(text, allowed_special=frozenset({"<|endoftext|>", "<|fim_prefix|>"})) == [eot, 15960, 220, fim]
    # Only eot allowed: fim_prefix is still disallowed by default...
    with pytest.raises(ValueError, match="'<\\|fim_prefix\\|>'"):
        cl100k.encode(text, allowed_special={"<|endoftext|>"})
    # ...unless removed from the disallowed set, then it is plain text (the text after a
    # special token is pre-tokenized on its own).
    assert cl100k.encode(text, allowed_special={"<|endoftext|>"}, disallowed_special=()) == [
        eot
    ] + cl100k.encode_ordinary(" hi <|fim_prefix|>")
    assert cl100k.encode(text, disallowed_special=()) == cl100k.encode_ordinary(text)
    assert cl100k.encode(text, disallowed_special=[]) == cl100k.encode_ordinary(text)
    # An explicit disallowed collection is checked even for allowed tokens.
    with pytest.raises(ValueError):
        cl100k.encode(text, allowed_special="all", disallowed_special={"<|endoftext|>"})
    # ...and may contain text that is not a special token at all.
    with pytest.raises(ValueError, match="'hi'"):
        cl100k.encode(text, allowed_special="all", disallowed_special=["hi"])


def test_disallowed_message_is_tiktokens(cl100k):
    with pytest.raises(ValueError) as info:
        cl100k.encode("a <|endoftext|> b")
    assert str(info.value) == EOT_MESSAGE
    with pytest.raises(ValueError) as info:
        tokcount.core.raise_disallowed_special_token("<|endoftext|>")
    assert str(info.value) == EOT_MESSAGE


def test_first_disallowed_token_is_reported(cl100k):
    with pytest.raises(ValueError, match="^Encountered text corresponding to disallowed special token '<\\|fim_middle\\|>'"):
        cl100k.encode("x <|fim_middle|> <|endoftext|>")


def test_allowed_special_must_be_a_set(cl100k):
    with pytest.raises(TypeError, match="unsupported operand type"):
        cl100k.encode("x", allowed_special=["<|endoftext|>"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'list' object is not an instance of 'set'"):
        cl100k.encode("x", allowed_special=["<|endoftext|>"], disallowed_special=())  # type: ignore[arg-type]


def test_text_must_be_str(cl100k):
    with pytest.raises(TypeError):
        cl100k.encode(b"hello")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cl100k.encode_ordinary(None)  # type: ignore[arg-type]


def test_surrogates(cl100k):
    thumbs = [9468, 239, 235]
    assert cl100k.encode("👍") == thumbs
    assert cl100k.encode("\ud83d\udc4d") == thumbs  # a surrogate pair is joined
    assert cl100k.encode("\ud83d") == cl100k.encode("\ufffd")  # a lone one is U+FFFD
    assert cl100k.encode_ordinary("a\udc00b") == cl100k.encode_ordinary("a\ufffdb")
    assert cl100k.count("\ud83d\udc4d") == 3
    assert cl100k.encode_batch(["\ud83d\udc4d", "\ud800"]) == [thumbs, cl100k.encode("\ufffd")]
    # tiktoken repairs surrogates only in encode / encode_ordinary (and their batches).
    with pytest.raises(UnicodeEncodeError, match="surrogates not allowed"):
        cl100k.encode_with_unstable("\ud83d")
    with pytest.raises(UnicodeEncodeError):
        cl100k.encode_single_token("\ud83d")


def test_large_and_repetitive_inputs():
    o200k = tokcount.get_encoding("o200k_base")
    assert len(o200k.encode("x" * 1_000_000)) > 0
    r50k = tokcount.get_encoding("r50k_base")
    for c in ["^", "0", "a", "'s", " ", "\n"]:
        for text in (c * 10_000, " " + c * 10_000, c * 10_000 + "\n"):
            assert r50k.decode(r50k.encode(text)) == text


def test_token_lists_outlive_their_encoding(r50k):
    # Lists hold the encoding's shared (cached) ints by reference: they must stay valid, and
    # plain ints, after the encoding that made them is gone.
    import gc

    text = "hello world, hello again <|endoftext|> " * 50
    want = r50k.encode(text, allowed_special="all")
    enc = tokcount.Encoding(
        "r50k_copy",
        pat_str=r50k._pat_str,
        mergeable_ranks=r50k._mergeable_ranks,
        special_tokens={"<|endoftext|>": 50256},
    )
    lists = [enc.encode(text, allowed_special="all") for _ in range(3)]
    batch = enc.encode_batch([text, text], allowed_special="all")
    del enc
    gc.collect()
    for got in lists + batch:
        assert got == want
        assert all(type(t) is int for t in got)
    lists[0][0] = -1  # each call's list is its own
    assert lists[1][0] == want[0]


def test_simple_repeated():
    gpt2 = tokcount.get_encoding("gpt2")
    assert gpt2.encode("0" * 9) == [10535, 830]
    assert gpt2.encode("0" * 16) == [25645]
    assert gpt2.encode("0" * 17) == [8269, 10535, 830]


def test_encode_single_token(cl100k):
    assert cl100k.encode_single_token("hello") == 15339
    assert cl100k.encode_single_token(b"hello") == 15339
    assert cl100k.encode_single_token("<|endoftext|>") == 100257  # special tokens included
    with pytest.raises(KeyError) as info:
        cl100k.encode_single_token("hello!!")
    assert info.value.args == (b"hello!!",)
    for token in range(0, 100256, 997):
        assert cl100k.encode_single_token(cl100k.decode_single_token_bytes(token)) == token


def test_encode_bytes(cl100k):
    assert cl100k._encode_bytes(b" \xec\x8b\xa4\xed") == [62085]
    for n in range(10):
        data = b"\x80" * n
        assert cl100k.decode_bytes(cl100k._encode_bytes(data)) == data
    assert cl100k._encode_bytes(b"hello world") == [15339, 1917]
    # Special-token text is ordinary text here.
    assert cl100k._encode_bytes(b"<|endoftext|>\xff") == cl100k.encode_ordinary("<|endoftext|>") + [187]


def test_encode_single_piece(cl100k):
    assert cl100k._encode_single_piece("hello") == [15339]
    # No pre-tokenizer split: " world!" is merged as one piece.
    assert cl100k._encode_single_piece(b"hello world") == cl100k._encode_single_piece("hello world")
    assert cl100k.decode(cl100k._encode_single_piece("hello world")) == "hello world"
    assert cl100k._encode_single_piece(b"") == []
    assert cl100k._encode_only_native_bpe("hello world") == [15339, 1917]


def test_encode_to_numpy(cl100k):
    np = pytest.importorskip("numpy")
    arr = cl100k.encode_to_numpy("hello world")
    assert arr.dtype == np.uint32
    assert arr.tolist() == [15339, 1917]
    assert not arr.flags.writeable
    assert cl100k.encode_to_numpy("<|endoftext|>", allowed_special="all").tolist() == [100257]
    assert cl100k.encode_to_numpy("").tolist() == []
    with pytest.raises(ValueError, match="disallowed special token"):
        cl100k.encode_to_numpy("<|endoftext|>")
    with pytest.raises(UnicodeEncodeError):
        cl100k.encode_to_numpy("\ud83d")


def test_batches(enc):
    texts = ["hello world", "goodbye world", "", "ünïcödé 你好", "<|endoftext|> as text"]
    ordinary = [enc.encode_ordinary(t) for t in texts]
    assert enc.encode_ordinary_batch(texts) == ordinary
    assert enc.encode_ordinary_batch(texts, num_threads=1) == ordinary
    assert enc.encode_batch(texts, disallowed_special=()) == ordinary
    assert enc.encode_batch(texts, allowed_special="all") == [enc.encode(t, allowed_special="all") for t in texts]
    assert enc.encode_batch([]) == []
    assert enc.decode_batch(ordinary) == texts
    assert enc.decode_bytes_batch(ordinary) == [t.encode() for t in texts]
    assert enc.count_batch(texts, disallowed_special=()) == [len(t) for t in ordinary]
    with pytest.raises(ValueError, match="disallowed special token"):
        enc.encode_batch(texts)
    with pytest.raises(ValueError, match="^max_workers must be greater than 0$"):
        enc.encode_batch(texts, num_threads=0)
    with pytest.raises(ValueError, match="^max_workers must be greater than 0$"):
        enc.decode_batch(ordinary, num_threads=0)


def test_batch_accepts_any_iterable(cl100k):
    assert cl100k.encode_ordinary_batch(t for t in ["a", "b"]) == [[64], [65]]
    assert cl100k.encode_ordinary_batch(("hello", "world")) == [[15339], [14957]]


def test_batch_reports_first_error(cl100k):
    texts = ["fine"] * 50 + ["<|fim_middle|>"] + ["fine"] * 50 + ["<|endoftext|>"]
    with pytest.raises(ValueError, match="'<\\|fim_middle\\|>'"):
        cl100k.encode_batch(texts, num_threads=4)


# ---- encode_with_unstable ---------------------------------------------------------------------


def test_encode_with_unstable(cl100k):
    stable, completions = cl100k.encode_with_unstable("hello fanta")
    assert stable == [15339]
    assert len(completions) == len({tuple(c) for c in completions}) == 2233
    text = b"hello fanta"
    for seq in completions:
        assert cl100k.decode_bytes(stable + seq).startswith(text)
    assert cl100k.encode("hello fanta")[1:] in completions


def test_encode_with_unstable_special(cl100k):
    # Ending in an allowed special token leaves nothing unstable.
    assert cl100k.encode_with_unstable("hi<|endoftext|>", allowed_special="all") == ([6151, 100257], [])
    with pytest.raises(ValueError, match="disallowed special token"):
        cl100k.encode_with_unstable("hi<|endoftext|>")
    assert cl100k.encode_with_unstable("") == ([], [])


# ---- decoding ---------------------------------------------------------------------------------


def test_decode(cl100k):
    assert cl100k.decode_bytes([15339, 1917]) == b"hello world"
    assert cl100k.decode([15339, 100257]) == "hello<|endoftext|>"
    assert cl100k.decode((15339, 1917)) == "hello world"
    # "👍" is three tokens; the first alone is a truncated UTF-8 sequence.
    assert cl100k.encode("👍") == [9468, 239, 235]
    assert cl100k.decode_tokens_bytes([9468, 239, 235]) == [b"\xf0\x9f", b"\x91", b"\x8d"]
    assert cl100k.decode([9468]) == "\ufffd"
    assert cl100k.decode([9468, 0]) == "\ufffd!"
    assert cl100k.decode([9468, 239, 0]) == "\ufffd!"  # one maximal invalid subpart, one U+FFFD
    assert cl100k.decode([9468], errors="ignore") == ""
    assert cl100k.decode([9468], "backslashreplace") == "\\xf0\\x9f"
    assert cl100k.decode([9468], errors="surrogateescape") == "\udcf0\udc9f"
    with pytest.raises(UnicodeDecodeError):
        cl100k.decode([9468], errors="strict")


def test_decode_errors(cl100k):
    with pytest.raises(KeyError) as info:
        cl100k.decode([15339, 100256])
    assert info.value.args == ("Invalid token for decoding: 100256",)
    with pytest.raises(KeyError) as info:
        cl100k.decode_bytes([10**6])
    assert info.value.args == ("Invalid token for decoding: 1000000",)
    with pytest.raises(KeyError) as info:
        cl100k.decode_single_token_bytes(100256)
    assert info.value.args == ("100256",)
    with pytest.raises(KeyError) as info:
        cl100k.decode_tokens_bytes([1, 100256])
    assert info.value.args == ("100256",)
    with pytest.raises(KeyError) as info:
        cl100k.decode_with_offsets([100256])
    assert info.value.args == ("100256",)
    with pytest.raises(KeyError, match="Invalid token for decoding: 100256"):
        cl100k.decode_batch([[1], [100256]])
    for bad in ([-1], [2**32], [2**70]):
        with pytest.raises(OverflowError, match="out of range integral type conversion attempted"):
            cl100k.decode(bad)
    with pytest.raises(TypeError, match="'str' object cannot be interpreted as an integer"):
        cl100k.decode(["a"])  # type: ignore[list-item]
    with pytest.raises(OverflowError):
        cl100k.decode_single_token_bytes(-5)


def test_decode_accepts_int_likes(cl100k):
    np = pytest.importorskip("numpy")
    assert cl100k.decode(np.array([15339, 1917], dtype=np.int64)) == "hello world"
    assert cl100k.decode([True]) == cl100k.decode([1])


def test_decode_single_and_tokens_bytes(cl100k):
    assert cl100k.decode_single_token_bytes(15339) == b"hello"
    assert cl100k.decode_single_token_bytes(100257) == b"<|endoftext|>"
    assert cl100k.decode_tokens_bytes([15339, 1917]) == [b"hello", b" world"]


def test_decode_with_offsets(cl100k):
    assert cl100k.decode_with_offsets([15339, 1917]) == ("hello world", [0, 5])
    tokens = cl100k.encode("hello world<|endoftext|> green cow", allowed_special="all")
    assert cl100k.decode_with_offsets(tokens) == ("hello world<|endoftext|> green cow", [0, 5, 11, 24, 30])
    text, offsets = cl100k.decode_with_offsets(cl100k.encode("我非常渴望与人工智能一起工作"))
    assert text == "我非常渴望与人工智能一起工作"
    assert offsets == [0, 1, 2, 3, 3, 4, 4, 5, 6, 7, 8, 8, 9, 10, 11, 12, 13]
    # A token starting with a UTF-8 continuation byte gets the character it continues.
    text, offsets = cl100k.decode_with_offsets([9468, 239, 235, 0])
    assert text == "👍!" and offsets == [0, 0, 0, 1]
    text, offsets = cl100k.decode_with_offsets(cl100k.encode(" Ġ除"))
    assert text == " Ġ除" and offsets == [0, 1]
    with pytest.raises(UnicodeDecodeError) as info:
        cl100k.decode_with_offsets([9468])
    assert (info.value.start, info.value.reason) == (0, "unexpected end of data")


def test_token_byte_values(cl100k):
    values = cl100k.token_byte_values()
    assert len(values) == 100256
    assert values == sorted(values)
    assert b"hello" in values and b"<|endoftext|>" not in values


# ---- counting (tokcount's additions) ----------------------------------------------------------


def test_count(enc):
    text = "The quick brown fox jumps over the lazy dog. " * 20
    n = len(enc.encode(text))
    assert enc.count(text) == n
    assert enc.count("") == 0
    assert enc.count(text, limit=n) == n
    assert enc.count(text, limit=n + 100) == n
    assert enc.count(text, limit=5) == 6  # stopped early: limit + 1
    assert enc.count(text, limit=0) == 1
    assert enc.count("", limit=0) == 0
    with pytest.raises(ValueError):
        enc.count(text, limit=-1)


def test_count_special_tokens(cl100k):
    text = "a<|endoftext|>b"
    with pytest.raises(ValueError) as info:
        cl100k.count(text)
    assert str(info.value) == EOT_MESSAGE.replace("'<|endoftext|>'", "'<|endoftext|>'")
    assert cl100k.count(text, allowed_special="all") == 3
    assert cl100k.count(text, disallowed_special=()) == len(cl100k.encode_ordinary(text))
    assert cl100k.count_batch([text, "hello"], allowed_special={"<|endoftext|>"}) == [3, 1]


# ---- custom encodings -------------------------------------------------------------------------


def test_custom_encoding(r50k):
    ranks = r50k._mergeable_ranks
    specials = {"<|endoftext|>": 50256, "<|im_start|>": 50257, "<|im_end|>": 50258}
    enc = tokcount.Encoding("r50k_im", pat_str=r50k._pat_str, mergeable_ranks=ranks, special_tokens=specials)
    assert enc._mergeable_ranks is ranks and enc._special_tokens is specials  # by reference
    assert enc.max_token_value == 50258 and enc.n_vocab == 50259
    assert enc.encode("<|im_start|>hello<|im_end|>", allowed_special="all") == [50257, 31373, 50258]
    assert enc.decode([50257, 31373]) == "<|im_start|>hello"
    assert enc.encode("hello world") == r50k.encode("hello world")


def test_custom_encoding_with_own_pattern():
    ranks = {bytes([b]): b for b in range(256)}
    ranks[b"ab"] = 256
    ranks[b"abc"] = 257
    enc = tokcount.Encoding("tiny", pat_str=r"\p{L}+|\s+|[^\p{L}\s]+", mergeable_ranks=ranks, special_tokens={})
    assert enc.encode("abc ab!") == [257, 32, 256, 33]
    assert enc.decode([257, 32, 256, 33]) == "abc ab!"
    with pytest.raises(KeyError):
        enc.eot_token  # noqa: B018


def test_custom_encoding_checks():
    ranks = {bytes([b]): b for b in range(256)}
    with pytest.raises(AssertionError):
        tokcount.Encoding("x", pat_str=r"\S+|\s+", mergeable_ranks=ranks, special_tokens={}, explicit_n_vocab=300)
    enc = tokcount.Encoding("x", pat_str=r"\S+|\s+", mergeable_ranks=ranks, special_tokens={}, explicit_n_vocab=256)
    assert enc.n_vocab == 256
    with pytest.raises(ValueError):
        tokcount.Encoding("x", pat_str=r"\S+", mergeable_ranks={}, special_tokens={})
    with pytest.raises(ValueError):  # duplicate ranks (tiktoken panics here)
        tokcount.Encoding("x", pat_str=r"\S+", mergeable_ranks={**ranks, b"ab": 5}, special_tokens={})
    with pytest.raises(ValueError):
        tokcount.Encoding("x", pat_str=r"(unclosed", mergeable_ranks=ranks, special_tokens={})


def test_core_bpe_tiktoken_methods(cl100k):
    # Third-party code calls these on enc._core_bpe directly.
    core = cl100k._core_bpe
    assert core.encode_ordinary("hello <|endoftext|>") == cl100k.encode_ordinary("hello <|endoftext|>")
    assert core.encode("hello <|endoftext|>", {"<|endoftext|>"}) == [15339, 220, 100257]
    assert core.encode("hello <|endoftext|>", set()) == cl100k.encode_ordinary("hello <|endoftext|>")
    assert core.decode_bytes([15339]) == b"hello"
    assert core.encode_single_piece(b"hello") == [15339]
    assert core.encode_single_token(b"hello") == 15339
    assert core.decode_single_token_bytes(15339) == b"hello"
    assert bytes(memoryview(core.encode_to_tiktoken_buffer("hello world", set())).cast("B")) == (
        (15339).to_bytes(4, "little") + (1917).to_bytes(4, "little")
    )
    stable, completions = core.encode_with_unstable("hello fanta", set())
    assert stable == [15339] and len(completions) == 2233
    with pytest.raises(UnicodeEncodeError):
        core.encode_ordinary("\ud800")  # no surrogate repair at this level, as in tiktoken
    custom = _tokcount.CoreBPE({b"a": 0, b"b": 1, b"ab": 2}, {"<s>": 3}, r"\p{L}+")
    assert custom.encode("ab<s>ab", {"<s>"}) == [2, 3, 2]


def test_argument_types(cl100k):
    with pytest.raises(TypeError, match="'float' object cannot be interpreted as an integer"):
        cl100k.count("hello", limit=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'errors' must be str"):
        cl100k.decode([1], errors=None)  # type: ignore[arg-type]
    assert cl100k.encode_batch(["a", "b"], num_threads=None) == [[64], [65]]  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes exactly 3 arguments"):
        cl100k._core_bpe._encode("x")
    with pytest.raises(TypeError):
        _tokcount.CoreBPE._encode(object(), "x", set(), "all")  # not a CoreBPE
