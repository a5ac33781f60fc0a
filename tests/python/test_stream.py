"""tokcount.stream: the Python skin over the streaming encoder, decoder and SSE counter."""

from __future__ import annotations

import random

import pytest

import tokcount
from tokcount.stream import ChatStream, StreamDecoder, StreamEncoder, StreamError, parse_sse

from pkg_support import REPO

FIXTURES = REPO / "tests" / "fixtures" / "stream"


def chunks(data: bytes, rng: random.Random) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        n = rng.choice([1, 1, 2, 3, 5, 8, 40])
        out.append(data[pos:pos + n])
        pos += n
    return out


@pytest.mark.parametrize("name", ["r50k_base", "p50k_base", "cl100k_base", "o200k_base", "o200k_harmony"])
def test_random_chunkings_equal_encode(name):
    enc = tokcount.get_encoding(name)
    rng = random.Random(name)
    text = "Hello  world!\n\n  It's 12345 o'clock;   caf\u00e9 \u4e2d\u6587 \U0001F600\r\n\tend  "
    data = text.encode()
    for _ in range(50):
        s = enc.stream_encoder()
        got = []
        for c in chunks(data, rng):
            got += s.feed(c)
        got += s.finish()
        assert got == enc.encode(text)
        assert s.stable_count == len(got) == s.count


def test_issue_example_and_str_input():
    enc = tokcount.get_encoding("cl100k_base")
    s = enc.stream_encoder()
    assert s.feed(b"  \n  ") == []
    assert s.feed("\n") + s.finish() == enc.encode("  \n  \n")


def test_special_tokens_and_errors():
    enc = tokcount.get_encoding("cl100k_base")
    s = StreamEncoder(enc, allowed_special="all")
    out = s.feed("hi<|endof") + s.feed("text|> there") + s.finish()
    assert out == enc.encode("hi<|endoftext|> there", allowed_special="all")
    s = StreamEncoder(enc)
    with pytest.raises(StreamError) as e:
        s.feed("ab <|endoftext|>")
        s.finish()
    assert isinstance(e.value, ValueError)
    assert e.value.code == "DISALLOWED_SPECIAL" and e.value.offset == 3 and e.value.token == "<|endoftext|>"
    s = StreamEncoder(enc)
    s.feed(b"ok \xe4")
    with pytest.raises(StreamError) as e:
        s.feed(b"x")
    assert e.value.code == "INVALID_UTF8" and e.value.offset == 3
    s = StreamEncoder(enc, errors="replace")
    assert s.feed(b"ok \xe4") + s.feed(b"x") + s.finish() == enc.encode("ok \ufffdx")


def test_budget():
    enc = tokcount.get_encoding("o200k_base")
    s = enc.stream_encoder(budget=2)
    s.feed("one two")
    assert not s.over_budget and s.budget_crossed_at is None
    s.feed(" three")
    assert s.over_budget and s.budget_crossed_at == len("one two three")


def test_decoder_yields_complete_utf8():
    enc = tokcount.get_encoding("cl100k_base")
    ids = [enc.encode_single_token(bytes([b])) for b in "\u4e2d".encode()] + enc.encode(" ok")
    d = StreamDecoder(enc)
    parts = [d.feed([t]) for t in ids]
    assert parts[:2] == ["", ""] and parts[2] == "\u4e2d"
    assert "".join(parts) + d.finish() == enc.decode(ids)


def test_chat_stream_fixture_any_reads():
    data = (FIXTURES / "tool_calls.sse").read_bytes()
    whole = parse_sse(data)
    rng = random.Random(5)
    assert parse_sse(chunks(data, rng)) == whole
    calls = whole["choices"][0]["tool_calls"]
    assert calls[1]["function"]["arguments"] == '{"tz": "Europe/Paris"}'
    enc = tokcount.encoding_for_model("gpt-4o")
    assert whole["completion_tokens"] == sum(
        len(enc.encode(c["function"]["name"])) + len(enc.encode(c["function"]["arguments"])) for c in calls)


def test_chat_stream_running_count_and_malformed_frame():
    chat = ChatStream(model="gpt-4o")
    data = (FIXTURES / "malformed.sse").read_bytes()
    with pytest.raises(StreamError) as e:
        for c in chunks(data, random.Random(1)):
            chat.feed(c)
    assert e.value.code == "PARSE_ERROR"
    assert e.value.offset == data.index(b'"x"}}]') + len(b'"x"}}]')
    assert chat.result()["content"] == "Good start"
    assert chat.completion_tokens == len(tokcount.encoding_for_model("gpt-4o").encode("Good start"))
