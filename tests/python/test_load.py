"""tokcount.load: tiktoken's vocabulary loaders, cache and errors (no network)."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import types

import pytest

import tokcount
import tokcount.load as load

from pkg_support import BPE_DATA

URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(d))
    monkeypatch.delenv("DATA_GYM_CACHE_DIR", raising=False)
    return d


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def refuse(blobpath):
        calls.append(blobpath)
        raise ConnectionError(f"test: no network for {blobpath}")

    monkeypatch.setattr(load, "read_file", refuse)
    return calls


def _write_tiktoken(path, ranks):
    path.write_bytes(b"".join(base64.b64encode(k) + b" " + str(v).encode() + b"\n" for k, v in ranks.items()))


def test_load_repo_vocab_file(cache_dir):
    ranks = load.load_tiktoken_bpe(str(BPE_DATA / "r50k_base.tiktoken"))
    assert ranks == tokcount.get_encoding("r50k_base")._mergeable_ranks
    assert len(ranks) == 50256


def test_custom_encoding_from_loaded_file(tmp_path, cache_dir):
    ranks = {bytes([b]): b for b in range(256)}
    ranks.update({b"ab": 256, b"abc": 257, b" abc": 258})
    path = tmp_path / "tiny.tiktoken"
    _write_tiktoken(path, ranks)
    loaded = load.load_tiktoken_bpe(str(path))
    assert loaded == ranks
    enc = tokcount.Encoding("tiny", pat_str=r" ?\p{L}+|\s+|[^\s\p{L}]+", mergeable_ranks=loaded, special_tokens={"<|end|>": 259})
    assert enc.encode("abc abc<|end|>", allowed_special="all") == [257, 258, 259]


def test_parse_error(tmp_path, cache_dir):
    path = tmp_path / "bad.tiktoken"
    path.write_bytes(b"YQ== 0\n\nYg== 1 extra\n")
    with pytest.raises(ValueError) as info:
        load.load_tiktoken_bpe(str(path))
    assert str(info.value) == f"Error parsing line b'Yg== 1 extra' in {path}"
    assert isinstance(info.value.__cause__, ValueError)  # the underlying unpacking error


def test_blank_lines_and_crlf(tmp_path, cache_dir):
    path = tmp_path / "crlf.tiktoken"
    path.write_bytes(b"YQ== 0\r\n\r\nYg== 1\r\n")
    assert load.load_tiktoken_bpe(str(path)) == {b"a": 0, b"b": 1}


def test_cache_semantics(tmp_path, cache_dir):
    path = tmp_path / "v.tiktoken"
    _write_tiktoken(path, {b"a": 0})
    assert load.load_tiktoken_bpe(str(path)) == {b"a": 0}
    cached = cache_dir / hashlib.sha1(str(path).encode()).hexdigest()
    assert cached.read_bytes() == path.read_bytes()
    # As in tiktoken, a cached copy wins over a changed local file unless a hash is given.
    _write_tiktoken(path, {b"b": 0})
    assert load.load_tiktoken_bpe(str(path)) == {b"a": 0}
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert load.load_tiktoken_bpe(str(path), expected_hash=digest) == {b"b": 0}
    assert cached.read_bytes() == path.read_bytes()  # the stale copy was replaced
    with pytest.raises(ValueError, match="^Hash mismatch for data downloaded from .* \\(expected 00\\)"):
        load.load_tiktoken_bpe(str(path), expected_hash="00")


def test_empty_cache_dir_disables_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    path = tmp_path / "v.tiktoken"
    _write_tiktoken(path, {b"a": 0})
    assert load.load_tiktoken_bpe(str(path)) == {b"a": 0}
    _write_tiktoken(path, {b"b": 0})
    assert load.load_tiktoken_bpe(str(path)) == {b"b": 0}


def test_data_gym_cache_dir_fallback(tmp_path, monkeypatch):
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", str(tmp_path / "dg"))
    path = tmp_path / "v.tiktoken"
    _write_tiktoken(path, {b"a": 0})
    load.load_tiktoken_bpe(str(path))
    assert (tmp_path / "dg" / hashlib.sha1(str(path).encode()).hexdigest()).exists()


def test_builtin_urls_need_no_network(cache_dir, no_network):
    ranks = load.load_tiktoken_bpe(URL, expected_hash=CL100K_SHA256)
    assert ranks == tokcount.get_encoding("cl100k_base")._mergeable_ranks
    again = load.load_tiktoken_bpe(URL)
    assert again == ranks and again is not ranks  # a new dict per call, like a parse
    assert no_network == []
    assert not cache_dir.exists()
    # A different expected hash is not the built-in file: it goes to the network.
    with pytest.raises(ConnectionError):
        load.load_tiktoken_bpe(URL, expected_hash="0" * 64)
    assert no_network == [URL]


def test_gpt2_data_gym_urls_need_no_network(cache_dir, no_network):
    base = "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/"
    ranks = load.data_gym_to_mergeable_bpe_ranks(base + "vocab.bpe", base + "encoder.json")
    assert ranks == tokcount.get_encoding("gpt2")._mergeable_ranks
    assert no_network == []


def _data_gym_files(tmp_path, merges, tamper=False):
    """A tiny data-gym vocabulary in GPT-2's format: printable bytes stand for themselves, the
    others (space, controls, ...) for chr(256 + n)."""
    printable = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    others = [b for b in range(256) if b not in printable]
    to_char = {b: chr(b) for b in printable} | {b: chr(256 + n) for n, b in enumerate(others)}
    show = lambda bs: "".join(to_char[b] for b in bs)  # noqa: E731
    encoder = {show(bytes([b])): i for i, b in enumerate(printable + others)}
    for i, (a, b) in enumerate(merges):
        encoder[show(a + b)] = 256 + i
    encoder["<|endoftext|>"] = 256 + len(merges)
    if tamper:
        encoder[show(merges[0][0] + merges[0][1])] += 1000
    vocab = "#version: 0.2\n" + "".join(f"{show(a)} {show(b)}\n" for a, b in merges)
    (tmp_path / "vocab.bpe").write_text(vocab, encoding="utf-8")
    (tmp_path / "encoder.json").write_text(json.dumps(encoder), encoding="utf-8")
    return str(tmp_path / "vocab.bpe"), str(tmp_path / "encoder.json")


MERGES = [(b"h", b"e"), (b"l", b"l"), (b"he", b"ll"), (b" ", b"w"), (b"hell", b"o")]


def test_data_gym(tmp_path, cache_dir):
    vocab, encoder = _data_gym_files(tmp_path, MERGES)
    ranks = load.data_gym_to_mergeable_bpe_ranks(vocab, encoder)
    assert len(ranks) == 261
    assert ranks[b"!"] == 0 and ranks[b" "] == 220  # printable bytes first, then the rest (GPT-2's " " is 220)
    assert ranks[b"he"] == 256 and ranks[b"hello"] == 260
    enc = tokcount.Encoding("tiny_gym", pat_str=r" ?\p{L}+|\s+", mergeable_ranks=ranks, special_tokens={})
    assert enc.encode("hello") == [260]


def test_data_gym_mismatch(tmp_path, cache_dir):
    vocab, encoder = _data_gym_files(tmp_path, MERGES, tamper=True)
    with pytest.raises(AssertionError):
        load.data_gym_to_mergeable_bpe_ranks(vocab, encoder)


def test_data_gym_against_tiktoken(tmp_path, tiktoken):
    import tiktoken.load as ref_load

    vocab, encoder = _data_gym_files(tmp_path, MERGES)
    for clobber in (False, True):
        assert load.data_gym_to_mergeable_bpe_ranks(vocab, encoder, clobber_one_byte_tokens=clobber) == (
            ref_load.data_gym_to_mergeable_bpe_ranks(vocab, encoder, clobber_one_byte_tokens=clobber)
        )


def test_dump_round_trip(tmp_path, cache_dir, monkeypatch):
    # blobfile is optional: stand in for it with local files.
    fake = types.ModuleType("blobfile")
    fake.BlobFile = lambda path, mode: open(path, mode)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "blobfile", fake)
    ranks = {b"z": 2, b"a": 0, b"\x00\xff": 1}
    path = tmp_path / "dump.tiktoken"
    load.dump_tiktoken_bpe(ranks, str(path))
    assert path.read_bytes().splitlines() == [b"YQ== 0", b"AP8= 1", b"eg== 2"]
    assert load.load_tiktoken_bpe(str(path)) == ranks


def test_blobfile_is_optional(monkeypatch):
    monkeypatch.setitem(sys.modules, "blobfile", None)  # makes `import blobfile` fail
    message = "blobfile is not installed. Please install it by running `pip install blobfile`."
    with pytest.raises(ImportError, match=message.replace(".", "\\.")):
        load.read_file("gs://bucket/file.tiktoken")
    with pytest.raises(ImportError, match="blobfile is not installed"):
        load.dump_tiktoken_bpe({b"a": 0}, "x.tiktoken")


def test_import_is_light():
    code = "import sys, tokcount; assert 'blobfile' not in sys.modules and 'requests' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_check_hash():
    assert load.check_hash(b"abc", hashlib.sha256(b"abc").hexdigest())
    assert not load.check_hash(b"abc", "0" * 64)
