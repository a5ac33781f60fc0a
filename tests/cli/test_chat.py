"""tokcount chat: the measured examples, JSON and text output, options, cost, errors."""

import json
import os

from cli_helpers import main, run, tempdir, write  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURED = os.path.join(HERE, "..", "fixtures", "chat", "measured.json")


def chat_json(body, *args, rc=0):
    p = run("chat", *args, input=json.dumps(body) if not isinstance(body, (str, bytes)) else body, rc=rc)
    return json.loads(p.stdout) if rc == 0 else p


def test_every_measured_case():
    with open(MEASURED, encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    assert len(cases) >= 40
    with tempdir() as d:
        for c in cases:
            path = write(os.path.join(d, c["id"] + ".json"), json.dumps(c["request"]))
            out = json.loads(run("chat", path).stdout)
            assert out["prompt_tokens"] == c["prompt_tokens"], (c["id"], out["prompt_tokens"], c["prompt_tokens"])


def test_report_shape():
    out = chat_json({"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 100})
    assert out["prompt_tokens"] == 8 and out["encoding"] == "o200k_base" and out["format"] == "chatml"
    assert out["uncertain"] is False
    m = out["breakdown"]["messages"][0]
    assert (m["text_tokens"], m["format_tokens"], m["total"]) == (1, 4, 5)
    assert out["breakdown"]["reply_priming"]["tokens"] == 3
    cost = out["cost"]
    assert cost["currency"] == "USD" and cost["prompt"] == 8 * 2.5 / 1e6
    assert cost["max_output_tokens"] == 100 and cost["max_output_source"] == "request"
    assert abs(cost["worst_case"] - (8 * 2.5 + 100 * 10.0) / 1e6) < 1e-15
    assert out["context"]["window"] == 128000 and out["context"]["exceeds"] is False
    assert "tokens" not in out


def test_tokens_and_segments():
    out = chat_json({"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}, "--tokens")
    assert out["tokens"] == [200006, 1428, 200008, 24912, 200007, 200006, 173781, 200008]
    kinds = [s["kind"] for s in out["segments"]]
    assert kinds[0] == "format" and "text" in kinds and kinds[-1] == "priming"
    text = [s for s in out["segments"] if s["kind"] == "text"][0]
    assert text["path"] == "$.messages[0].content" and (text["begin"], text["end"]) == (3, 4)


def test_model_override_and_fallback():
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}
    assert chat_json(body, "--model", "gpt-4")["encoding"] == "cl100k_base"
    p = run("chat", "--model", "my-local-llm", input=json.dumps(body), rc=1)
    assert b"fallback encoding" in p.stderr, p.stderr
    out = chat_json(body, "--model", "my-local-llm", "--encoding", "cl100k_base")
    assert out["prompt_tokens"] == 8 and out["uncertain"] is True and out["cost"] is None
    assert any("unknown" in w for w in out["warnings"])


def test_text_format_and_show():
    body = {"model": "gpt-4o", "messages": [{"role": "system", "content": "Be brief."},
                                            {"role": "user", "content": "hello"}],
            "tools": [{"type": "function", "function": {"name": "f"}}]}
    out = run("chat", "--format", "text", input=json.dumps(body)).stdout.decode()
    assert "prompt_tokens" in out and "tools" in out and "priming" in out and "cost (USD" in out, out
    assert "*" in out  # the tool rendering is marked uncertain
    shown = run("chat", "--show", input=json.dumps(body)).stdout.decode()
    assert shown.startswith("<|start|>system<|message|><|overhead:5|>namespace functions {"), shown
    assert shown.rstrip("\n").endswith("<|start|>assistant<|message|>"), shown


def test_issue_price_list():
    body = {"model": "gpt-5.4", "messages": [{"role": "user", "content": "hello"}], "max_completion_tokens": 1000}
    out = chat_json(body, "--provider", "example-cny")
    cost = out["cost"]
    assert cost["currency"] == "CNY" and cost["input_per_million"] == 14.4 and cost["output_per_million"] == 115.2
    assert cost["prompt"] == 0.0001152 and cost["worst_case"] == 0.1153152, cost
    assert out["context"]["window"] == 400000 and out["context"]["model_max_output_tokens"] == 64000
    over = dict(body, max_completion_tokens=100000)
    out = chat_json(over, "--provider", "example-cny")
    assert any("above the model's limit" in w for w in out["warnings"]), out["warnings"]


def test_context_window_warning():
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": "hello " * 4000}], "max_tokens": 8000}
    out = chat_json(body)
    assert out["context"]["exceeds"] is True
    assert any("exceeds the context window" in w for w in out["warnings"]), out["warnings"]


def test_user_price_file():
    with tempdir() as d:
        prices = write(os.path.join(d, "p.json"), json.dumps(
            {"models": [{"provider": "mine", "model": "gpt-4o", "currency": "EUR", "input": 1, "output": 2}]}))
        out = chat_json({"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]},
                        "--prices", prices, "--provider", "mine")
        assert out["cost"]["currency"] == "EUR" and out["cost"]["prompt"] == 8e-6
        run("chat", "--provider", "nobody", input="{}", rc=2)
        bad = write(os.path.join(d, "bad.json"), "{")
        p = run("chat", "--prices", bad, input="{}", rc=1)
        assert b"PARSE" in p.stderr or b"malformed" in p.stderr, p.stderr


def test_images_remote_size_and_worst_case():
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "high"}}]}]}
    p = run("chat", input=json.dumps(body), rc=1)
    assert b"--image-size" in p.stderr, p.stderr
    out = chat_json(body, "--image-size", "https://example.com/cat.png=1024x1024")
    assert out["breakdown"]["images"][0]["tokens"] == 765 and out["prompt_tokens"] == 7 + 765
    out = chat_json(body, "--images-worst-case")
    assert out["breakdown"]["images"][0]["tokens"] == 85 + 8 * 170 and out["uncertain"] is True
    run("chat", "--image-size", "nonsense", input=json.dumps(body), rc=2)


def test_harmony_date():
    body = {"model": "gpt-oss-20b", "messages": [{"role": "user", "content": "What is 2 + 2?"}]}
    assert chat_json(body)["prompt_tokens"] == 64
    dated = chat_json(body, "--harmony-date", "2025-06-28", "--tokens")
    assert dated["prompt_tokens"] > 64 and dated["format"] == "harmony"


def test_errors():
    p = run("chat", input='{"model":"gpt-4o","messages":[', rc=1)
    assert b"malformed JSON at byte" in p.stderr, p.stderr
    p = run("chat", input='{"model":"gpt-4o","messages":[{"role":"user","content":7}]}', rc=1)
    assert b"$.messages[0].content" in p.stderr, p.stderr
    run("chat", "--format", "yaml", input="{}", rc=2)
    run("chat", "/nonexistent/request.json", rc=1)


if __name__ == "__main__":
    main(globals())
