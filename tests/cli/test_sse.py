"""tokcount sse: stitch captured Chat Completions streams (tests/fixtures/stream/) and count them."""

import json
import os

from cli_helpers import main, run

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "stream")


def fixture(name):
    return os.path.join(FIXTURES, name)


def count(text, model):
    return int(run("count", "-m", model, "-q", "-", input=text).stdout)


def sse(*args, rc=0, input=None):
    p = run("sse", *args, rc=rc, input=input)
    return json.loads(p.stdout), p


def test_basic_file_and_stdin_agree():
    out, _ = sse(fixture("basic.sse"))
    content = "Hello! How can I  help you today? \U0001F642"
    assert out["content"] == content, out["content"]
    assert out["completion_tokens"] == count(content, "gpt-4o"), out
    assert out["usage"]["completion_tokens"] == 11
    assert out["encoding"] == "o200k_base"
    with open(fixture("basic.sse"), "rb") as f:
        piped, _ = sse("-", input=f.read())
    assert piped == out


def test_model_option_picks_the_encoding():
    out, _ = sse("--model", "gpt-4", fixture("basic.sse"))
    assert out["encoding"] == "cl100k_base"
    assert out["completion_tokens"] == count(out["content"], "gpt-4")
    out, _ = sse("-e", "r50k_base", "--compact", fixture("basic.sse"))
    assert out["encoding"] == "r50k_base"


def test_tool_calls_and_reasoning_explained():
    out, _ = sse(fixture("tool_calls.sse"))
    calls = out["choices"][0]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_weather", "get_time"]
    assert calls[0]["function"]["arguments"] == '{"location": "Paris, France"}'
    assert out["content"] is None
    assert any("Tool calls are counted" in s for s in out["usage_comparison"]["explanation"])
    out, _ = sse(fixture("reasoning.sse"))
    assert out["usage_comparison"]["reasoning_tokens"] == 192
    assert out["usage_comparison"]["difference"] == 193 - out["completion_tokens"] == 192


def test_malformed_stream_keeps_what_came_before():
    out, p = sse(fixture("malformed.sse"), rc=1)
    assert out["content"] == "Good start", out
    assert out["parse_error"]["code"] == "PARSE_ERROR"
    with open(fixture("malformed.sse"), "rb") as f:
        data = f.read()
    assert out["parse_error"]["offset"] == data.index(b'"x"}}]') + len(b'"x"}}]')
    assert b"malformed stream frame" in p.stderr


def test_usage_errors():
    run("sse", "--model", "no-such-model", fixture("basic.sse"), rc=2)
    run("sse", "/nonexistent/file.sse", rc=1)


if __name__ == "__main__":
    main(globals())
