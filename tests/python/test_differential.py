"""tokcount against pip tiktoken 0.14.0 (offline), call by call, on the conformance vectors and
on generated inputs; and against the recorded ids of the conformance vectors themselves."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import tokcount

from pkg_support import ALL_ENCODINGS, REPO, TIKTOKEN_OFFLINE_ENCODINGS, conformance_dir, load_jsonl

FIXTURES = REPO / "tests" / "fixtures"


def _vector_files() -> list[Path]:
    files = sorted(conformance_dir().glob("*.jsonl")) + sorted(FIXTURES.glob("*.jsonl"))
    return files


def _cases() -> list[tuple[str, dict]]:
    return [(f"{path.parent.name}/{path.name}", case) for path in _vector_files() for case in load_jsonl(path)]


CASES = _cases()


def _allowed(case: dict):
    allowed = case.get("allowed_special", set())
    return allowed if allowed == "all" else set(allowed)


def _expected_ids(case: dict) -> dict[str, list[int]]:
    return {k: v for k, v in case.items() if k in ALL_ENCODINGS and isinstance(v, list)}


def test_vectors_present():
    if not CASES:
        pytest.skip(f"no conformance vectors: neither {conformance_dir()} nor {FIXTURES} has *.jsonl")
    assert all("text" in case for _, case in CASES)


@pytest.mark.skipif(not CASES, reason="no conformance vectors (shared/conformance or tests/fixtures)")
@pytest.mark.parametrize("name", ALL_ENCODINGS)
def test_recorded_ids(name):
    # The vectors' ids were produced by tiktoken's own core.
    checked = 0
    for source, case in CASES:
        expected = _expected_ids(case)
        # gpt2 is r50k_base under another name (same ranks, pattern and special token).
        ids = expected.get(name, expected.get("r50k_base") if name == "gpt2" else None)
        if ids is None:
            continue
        enc = tokcount.get_encoding(name)
        allowed = _allowed(case)
        if allowed:
            got = enc.encode(case["text"], allowed_special=allowed)
        else:
            got = enc.encode_ordinary(case["text"])
        assert got == ids, f"{source} {case.get('id')}"
        assert enc.count(case["text"], allowed_special=allowed, disallowed_special=()) == len(ids)
        checked += 1
    if checked == 0:
        pytest.skip(f"no vector records {name} ids")


@pytest.mark.skipif(not CASES, reason="no conformance vectors (shared/conformance or tests/fixtures)")
@pytest.mark.parametrize("name", TIKTOKEN_OFFLINE_ENCODINGS)
def test_vectors_against_tiktoken(tiktoken, name):
    ref = tiktoken.get_encoding(name)
    enc = tokcount.get_encoding(name)
    for source, case in CASES:
        text = case["text"]
        where = f"{source} {case.get('id')}"
        assert enc.encode_ordinary(text) == ref.encode_ordinary(text), where
        assert enc.encode(text, allowed_special="all") == ref.encode(text, allowed_special="all"), where
        tokens = ref.encode(text, disallowed_special=())
        assert enc.encode(text, disallowed_special=()) == tokens, where
        assert enc.decode(tokens) == ref.decode(tokens), where
        raw = text.encode("utf-8", "surrogatepass")
        assert enc._encode_bytes(raw) == ref._encode_bytes(raw), where


def _random_text(rng: random.Random, specials: list[str]) -> str:
    pools = [
        "abcdefghijklmnopqrstuvwxyz",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "0123456789",
        "     \t\n\r\n\x0b\x0c",
        "'\"`.,;:!?()[]{}<>|/\\-_=+*&^%$#@~",
        "äöüßéèçñøåÆŒ",
        "的一是不了在人有我他这个们中来上大为和国",
        "привет мир ЁЖЩ",
        "ابتثجحخ",
        "ক্ষত্রিয়",
        "\u0301\u0308\u200d\u2028\u00a0\u3000",
        "🙂👍🏽🇺🇸😀",
        "'s't're've'm'll'd'S'T",
    ]
    parts = []
    for _ in range(rng.randrange(1, 30)):
        r = rng.random()
        if r < 0.05 and specials:
            parts.append(rng.choice(specials))
        elif r < 0.1:
            parts.append(chr(rng.randrange(0x20, 0x2FFFF)))
        else:
            pool = rng.choice(pools)
            parts.append("".join(rng.choice(pool) for _ in range(rng.randrange(1, 12))))
    return "".join(parts)


@pytest.mark.parametrize("name", TIKTOKEN_OFFLINE_ENCODINGS)
def test_generated_against_tiktoken(tiktoken, name):
    ref = tiktoken.get_encoding(name)
    enc = tokcount.get_encoding(name)
    specials = sorted(ref.special_tokens_set)[:20]
    rng = random.Random(f"tokcount-{name}")
    texts = [_random_text(rng, specials) for _ in range(400)]
    for text in texts:
        for allowed in ("all", set(), set(specials[:1])):
            try:
                expected = ref.encode(text, allowed_special=allowed, disallowed_special=())
            except ValueError:
                continue
            assert enc.encode(text, allowed_special=allowed, disallowed_special=()) == expected, repr(text)
        try:
            expected = ref.encode(text)
        except ValueError as e:
            with pytest.raises(ValueError) as info:
                enc.encode(text)
            assert str(info.value) == str(e), repr(text)
        else:
            assert enc.encode(text) == expected, repr(text)
        tokens = ref.encode(text, allowed_special="all")
        assert enc.decode(tokens) == ref.decode(tokens)
        assert enc.decode_bytes(tokens) == ref.decode_bytes(tokens)
        assert enc.decode_tokens_bytes(tokens) == ref.decode_tokens_bytes(tokens)
        assert enc.decode_with_offsets(tokens) == ref.decode_with_offsets(tokens)
    batch = ref.encode_batch(texts, allowed_special="all")
    assert enc.encode_batch(texts, allowed_special="all") == batch
    assert enc.encode_ordinary_batch(texts) == ref.encode_ordinary_batch(texts)
    assert enc.decode_batch(batch) == ref.decode_batch(batch)
    assert enc.count_batch(texts, allowed_special="all") == [len(b) for b in batch]


@pytest.mark.parametrize("name", ["cl100k_base", "r50k_base", "o200k_base"])
def test_surrogates_against_tiktoken(tiktoken, name):
    ref = tiktoken.get_encoding(name)
    enc = tokcount.get_encoding(name)
    for text in ["\ud83d\udc4d", "\ud83d", "a\udc00b", "\ud800\ud800x", "ok \udfff\ud83d\ude00 ok"]:
        assert enc.encode(text) == ref.encode(text), repr(text)
        assert enc.encode_ordinary(text) == ref.encode_ordinary(text), repr(text)
        assert enc.encode_batch([text]) == ref.encode_batch([text]), repr(text)


@pytest.mark.parametrize("name", ["cl100k_base", "r50k_base", "o200k_base"])
def test_bytes_against_tiktoken(tiktoken, name):
    ref = tiktoken.get_encoding(name)
    enc = tokcount.get_encoding(name)
    rng = random.Random(f"bytes-{name}")
    samples = [b"", b"\x80", b" \xec\x8b\xa4\xed", b"hello \xff\xfe world", "caf\u00e9".encode()[:-1]]
    for _ in range(300):
        text = _random_text(rng, []).encode("utf-8", "surrogatepass")
        cut = rng.randrange(0, len(text) + 1)
        samples.append(text[:cut] + bytes(rng.randrange(256) for _ in range(rng.randrange(0, 4))))
    for data in samples:
        assert enc._encode_bytes(data) == ref._encode_bytes(data), data
        assert enc.decode_bytes(enc._encode_bytes(data)) == data


@pytest.mark.parametrize("name", ["cl100k_base", "r50k_base", "o200k_base"])
def test_encode_with_unstable_against_tiktoken(tiktoken, name):
    ref = tiktoken.get_encoding(name)
    enc = tokcount.get_encoding(name)
    texts = [
        "hello fanta",
        "hello world ",
        "hello world  ",  # trailing spaces: ~10^5 completions, the costly case
        "line\n\n",
        "today\n ",
        "ünïc",
        "12345",
        "a<|endoftext|>b",
        "a<|endoftext|>",
        "I'",
        "",
    ]
    for text in texts:
        for allowed in (set(), "all"):
            try:
                stable, completions = ref.encode_with_unstable(text, allowed_special=allowed)
            except ValueError:
                with pytest.raises(ValueError):
                    enc.encode_with_unstable(text, allowed_special=allowed)
                continue
            got_stable, got_completions = enc.encode_with_unstable(text, allowed_special=allowed)
            assert got_stable == stable, repr(text)
            assert sorted(map(tuple, got_completions)) == sorted(map(tuple, completions)), repr(text)


@pytest.mark.parametrize("name", TIKTOKEN_OFFLINE_ENCODINGS)
def test_metadata_against_tiktoken(tiktoken, name):
    ref = tiktoken.get_encoding(name)
    enc = tokcount.get_encoding(name)
    assert enc.name == ref.name
    assert enc.n_vocab == ref.n_vocab
    assert enc.max_token_value == ref.max_token_value
    assert enc.eot_token == ref.eot_token
    assert enc.special_tokens_set == ref.special_tokens_set
    assert enc._special_tokens == ref._special_tokens
    assert enc._pat_str == ref._pat_str
    assert enc._mergeable_ranks == ref._mergeable_ranks
    assert enc.token_byte_values() == ref.token_byte_values()
    for token in list(range(0, ref.max_token_value + 1, 1013)) + sorted(ref._special_tokens.values()):
        assert enc.is_special_token(token) == ref.is_special_token(token)
        try:
            expected = ref.decode_single_token_bytes(token)
        except KeyError:
            with pytest.raises(KeyError):
                enc.decode_single_token_bytes(token)
            continue
        assert enc.decode_single_token_bytes(token) == expected
        if token not in ref._special_tokens.values() or expected.decode() in ref._special_tokens:
            assert enc.encode_single_token(expected) == ref.encode_single_token(expected)


def test_models_against_tiktoken(tiktoken):
    import tiktoken.model as ref_model

    import tokcount.model

    assert tokcount.model.MODEL_TO_ENCODING == ref_model.MODEL_TO_ENCODING
    assert list(tokcount.model.MODEL_PREFIX_TO_ENCODING.items()) == list(ref_model.MODEL_PREFIX_TO_ENCODING.items())
    for model in ["gpt-4o-2024-05-13", "gpt-5.1-mini", "o3-pro", "ft:gpt-3.5-turbo:x", "gpt-35-turbo-16k"]:
        assert tokcount.encoding_name_for_model(model) == tiktoken.encoding_name_for_model(model)
    with pytest.raises(KeyError) as ours:
        tokcount.encoding_name_for_model("unknown")
    with pytest.raises(KeyError) as theirs:
        tiktoken.encoding_name_for_model("unknown")
    assert ours.value.args == theirs.value.args


def test_error_messages_against_tiktoken(tiktoken):
    ref = tiktoken.get_encoding("cl100k_base")
    enc = tokcount.get_encoding("cl100k_base")
    calls = [
        lambda e: e.encode("x <|fim_suffix|> y"),
        lambda e: e.encode("x <|endoftext|>", allowed_special={"<|fim_prefix|>"}),
        lambda e: e.encode("x", allowed_special=["<|endoftext|>"], disallowed_special=()),
        lambda e: e.decode([100256]),
        lambda e: e.decode_single_token_bytes(100256),
        lambda e: e.decode_with_offsets([100256]),
        lambda e: e.decode_with_offsets([9468]),
        lambda e: e.decode([-1]),
        lambda e: e.decode(["x"]),
        lambda e: e.encode_single_token("not a single token"),
        lambda e: e.encode_batch(["a"], num_threads=0),
        lambda e: e.encode_to_numpy("\ud800"),
        lambda e: e.is_special_token("1"),
    ]
    for i, call in enumerate(calls):
        with pytest.raises(BaseException) as theirs:
            call(ref)
        with pytest.raises(BaseException) as ours:
            call(enc)
        assert type(ours.value) is type(theirs.value), i
        assert ours.value.args == theirs.value.args, i


def test_custom_encoding_against_tiktoken(tiktoken):
    base = tiktoken.get_encoding("cl100k_base")
    kwargs = dict(
        pat_str=base._pat_str,
        mergeable_ranks=base._mergeable_ranks,
        special_tokens={**base._special_tokens, "<|im_start|>": 100264, "<|im_end|>": 100265},
    )
    ref = tiktoken.Encoding("cl100k_im", **kwargs)
    enc = tokcount.Encoding("cl100k_im", **kwargs)
    text = "<|im_start|>user\nhello there<|im_end|>\n<|im_start|>assistant\n"
    assert enc.encode(text, allowed_special="all") == ref.encode(text, allowed_special="all")
    assert enc.n_vocab == ref.n_vocab
    with pytest.raises(ValueError) as ours:
        enc.encode(text)
    with pytest.raises(ValueError) as theirs:
        ref.encode(text)
    assert str(ours.value) == str(theirs.value)
