"""tokcount.chat: measured examples, the structured API, errors, prices, and the same numbers
as the CLI for the same request."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tokcount.chat as chat
from pkg_support import REPO

MEASURED = json.loads((REPO / "tests" / "fixtures" / "chat" / "measured.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", MEASURED, ids=[c["id"] for c in MEASURED])
def test_measured(case):
    r = chat.count(case["request"])
    assert r.prompt_tokens == case["prompt_tokens"], case["source"]
    total = sum(m.total for m in r.breakdown.messages) + r.breakdown.tools.total + r.breakdown.tool_choice.tokens \
        + r.breakdown.response_format.tokens + r.breakdown.reply_priming.tokens
    assert total == r.prompt_tokens


def test_json_text_and_dict_agree():
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}
    a = chat.count(body)
    b = chat.count(json.dumps(body))
    c = chat.count(json.dumps(body).encode())
    assert a == b == c
    assert a.prompt_tokens == 8 and a.encoding == "o200k_base" and not a.uncertain
    assert a.breakdown.messages[0] == chat.MessageBreakdown(0, "user", 1, 0, 0, 4, 5, False)


def test_structured_api():
    weather = chat.Tool("get_weather", "Weather in a city", {"type": "object", "properties": {"city": {"type": "string"}},
                                                             "required": ["city"]})
    msgs = [chat.Message("system", "You are terse."), chat.Message("user", "Weather in Paris?", name="bob")]
    r = chat.count_messages(msgs, model="gpt-4o", tools=[weather], tool_choice="none", max_tokens=50)
    body = {"model": "gpt-4o", "messages": [m.to_dict() for m in msgs], "tools": [weather.to_dict()],
            "tool_choice": "none", "max_completion_tokens": 50}
    assert r == chat.count(body)
    assert r.breakdown.tools.total > 9 and r.breakdown.tools.uncertain
    assert r.breakdown.tool_choice.tokens == 1
    assert r.cost is not None and r.cost.max_output_tokens == 50


def test_structured_image_sizes():
    img = chat.ImagePart("https://example.com/x.png", detail="high", width=1024, height=1024)
    r = chat.count_messages([chat.Message("user", ["What is this?", img])], model="gpt-4o")
    assert r.breakdown.images[0].tokens == 765
    assert r.breakdown.images[0].size_source == "caller"
    with pytest.raises(chat.ChatError) as e:
        chat.count_messages([chat.Message("user", [chat.ImagePart("https://example.com/y.png")])], model="gpt-4o")
    assert e.value.code == "INVALID_ARGUMENT"
    worst = chat.count_messages([chat.Message("user", [chat.ImagePart("https://example.com/y.png")])], model="gpt-4o",
                                images_worst_case=True)
    assert worst.breakdown.images[0].tokens == 85 + 8 * 170 and worst.uncertain


def test_tokens_and_segments():
    r = chat.count({"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}, tokens=True)
    assert r.tokens == [200006, 1428, 200008, 24912, 200007, 200006, 173781, 200008]
    assert [s.kind for s in r.segments][0] == "format"
    assert any(s.path == "$.messages[0].content" for s in r.segments)
    assert chat.render_text({"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}) == \
        "<|start|>user<|message|>hello<|end|><|start|>assistant<|message|>"
    assert "tokens" in r.to_dict() and "tokens" not in chat.count({"model": "gpt-4o", "messages": []}).to_dict()


def test_errors_are_typed():
    with pytest.raises(chat.ChatError) as e:
        chat.count('{"model":"gpt-4o","messages":[')
    assert e.value.code == "PARSE_ERROR" and e.value.offset is not None
    assert isinstance(e.value, ValueError)
    with pytest.raises(chat.ChatError) as e:
        chat.count({"model": "gpt-4o", "messages": [{"role": "user", "content": 7}]})
    assert "$.messages[0].content" in str(e.value)
    with pytest.raises(chat.ChatError) as e:
        chat.count({"model": "who-knows", "messages": []})
    assert e.value.code == "UNKNOWN_MODEL"
    r = chat.count({"model": "who-knows", "messages": []}, encoding="o200k_base")
    assert r.uncertain and r.encoding == "o200k_base"
    with pytest.raises(TypeError):
        chat.count(42)  # type: ignore[arg-type]


def test_prices_and_model_info():
    info = chat.model_info("gpt-5.4", provider="example-cny")
    assert info["currency"] == "CNY" and info["input_per_million"] == 14.4 and info["output_per_million"] == 115.2
    assert info["context_window"] == 400000 and info["max_output_tokens"] == 64000
    assert chat.model_info("gpt-4o-2024-08-06")["snapshot_match"] is True
    assert chat.model_info("nothing-like-it") is None
    mine = {"models": [{"provider": "acme", "model": "gpt-4o", "currency": "EUR", "input": 1, "output": 3}]}
    r = chat.count({"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 10},
                   provider="acme", prices=mine)
    assert r.cost.currency == "EUR" and r.cost.prompt == 8e-6 and r.cost.worst_case == (8 + 30) / 1e6


def test_harmony_render_dict_and_json():
    conv = {"messages": [
        {"role": "system", "content": [{"type": "system_content", "model_identity": "You are ChatGPT, a large language model trained by OpenAI.",
                                        "reasoning_effort": "Medium", "knowledge_cutoff": "2024-06",
                                        "channel_config": {"valid_channels": ["analysis", "commentary", "final"],
                                                           "channel_required": True}}]},
        {"role": "user", "content": "What is 2 + 2?"}]}
    assert len(chat.render_harmony(conv)) == 64
    assert chat.render_harmony(json.dumps(conv)) == chat.render_harmony(conv)
    with pytest.raises(chat.ChatError):
        chat.render_harmony({"messages": [{"role": "tool", "content": "x"}]})


def _cli():
    candidate = Path(sys.executable).parent / "tokcount"
    if candidate.exists():
        return str(candidate)
    found = os.environ.get("TOKCOUNT_BIN") or shutil.which("tokcount")
    if not found:
        pytest.skip("the tokcount CLI is not installed here")
    return found


@pytest.mark.parametrize("case", MEASURED[::5], ids=[c["id"] for c in MEASURED[::5]])
def test_cli_reports_the_same(case, tmp_path):
    path = tmp_path / "req.json"
    path.write_text(json.dumps(case["request"]), encoding="utf-8")
    out = subprocess.run([_cli(), "chat", "--tokens", str(path)], capture_output=True, check=True, timeout=60).stdout
    cli = json.loads(out)
    py = chat.count(case["request"], tokens=True).to_dict()
    assert cli["prompt_tokens"] == py["prompt_tokens"] == case["prompt_tokens"]
    assert cli["tokens"] == py["tokens"]
    assert cli["breakdown"]["messages"] == [dict(m) for m in py["breakdown"]["messages"]]
    assert cli["cost"] == py["cost"]
