"""Harmony rendering vs PyPI's openai-harmony, on generated conversations.

openai-harmony downloads o200k_base.tiktoken at run time unless TIKTOKEN_ENCODINGS_BASE names
a directory holding it (src/tiktoken_ext/public_encodings.rs: then it reads
$TIKTOKEN_ENCODINGS_BASE/o200k_base.tiktoken and checks its SHA-256). We point it at the
repo's bpe_data/, so nothing is downloaded.

Two checks, each on a few hundred seeded conversations:
  1. tokcount.chat.render_harmony(conversation) == openai-harmony's render, for conversations
     with system content (identity, cutoff, date, effort, channels, built-in tools), developer
     content (instructions, function tools with generated JSON schemas), users (with names),
     assistant messages on analysis / commentary / final, tool calls and tool results; in all
     three render modes (for completion, conversation, analysis kept).
  2. A Chat Completions request for gpt-oss rendered by tokcount.chat.count(tokens=True) ==
     openai-harmony's render of the harmony conversation the README's mapping describes.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
os.environ.setdefault("TIKTOKEN_ENCODINGS_BASE", str(REPO / "bpe_data"))

oh = pytest.importorskip("openai_harmony", reason="openai-harmony (PyPI) is needed for the harmony differential test")
chat = pytest.importorskip("tokcount.chat")

N_CONVERSATIONS = int(os.environ.get("TOKCOUNT_HARMONY_CASES", "300"))


@pytest.fixture(scope="module")
def enc():
    return oh.load_harmony_encoding(oh.HarmonyEncodingName.HARMONY_GPT_OSS)


# ---- generators ------------------------------------------------------------------------------

WORDS = ["the", "weather", "Paris", "is", "sunny", "42", "3.14", "naïve", "café", "数据", "😀", "don't", "I'm",
         "  ", "\n", "\n\n", "\t", "x", "FOO", "e.g.", "<|end|>", "<|start|>", "<|endoftext|>", "//", "{", "}", "\"q\"",
         "\r\n", "ünïcödé", "Ελληνικά", "-->", "a_b", "CamelCase", "...", "?!", "1,000"]


def text(rng: random.Random, max_words: int = 12) -> str:
    n = rng.randint(0, max_words)
    out = []
    for _ in range(n):
        w = rng.choice(WORDS)
        out.append(w)
        if rng.random() < 0.6:
            out.append(" ")
    return "".join(out)


def line_text(rng: random.Random) -> str:
    """Descriptions: sometimes multi-line, sometimes with \r\n or a trailing newline."""
    parts = [text(rng, 6) for _ in range(rng.randint(1, 3))]
    sep = rng.choice(["\n", "\r\n", "\n\n"])
    s = sep.join(parts)
    if rng.random() < 0.2:
        s += "\n"
    return s


def schema(rng: random.Random, depth: int = 0) -> dict:
    kind = rng.choice(["string", "number", "integer", "boolean", "array", "object", "enum", "oneOf", "types",
                       "any"] if depth < 2 else ["string", "number", "boolean", "enum"])
    s: dict = {}
    if kind == "enum":
        s = {"type": "string", "enum": [text(rng, 2) or "v" for _ in range(rng.randint(1, 3))]}
    elif kind == "array":
        s = {"type": "array"}
        if rng.random() < 0.7:
            s["items"] = schema(rng, depth + 1)
    elif kind == "object":
        s = object_schema(rng, depth + 1)
    elif kind == "oneOf":
        s = {"oneOf": [schema(rng, depth + 1) for _ in range(rng.randint(1, 3))]}
        for v in s["oneOf"]:
            if rng.random() < 0.4:
                v["description"] = text(rng, 4)
            if rng.random() < 0.3:
                v["nullable"] = True
    elif kind == "types":
        s = {"type": rng.sample(["string", "integer", "number", "null", "boolean"], rng.randint(1, 3))}
    elif kind == "any":
        s = {}
    else:
        s = {"type": kind}
    if rng.random() < 0.3:
        s["description"] = text(rng, 6)
    if rng.random() < 0.2:
        s["title"] = text(rng, 3)
    if rng.random() < 0.15:
        s["examples"] = [text(rng, 2) for _ in range(rng.randint(0, 2))] + ([1] if rng.random() < 0.3 else [])
    if rng.random() < 0.25:
        s["default"] = rng.choice([text(rng, 2), 0, -1, 10, 0.5, 1.0, 1e20, 1.5e-7, True, False, None,
                                   [1, "a"], {"k": "v\n"}])
    if rng.random() < 0.15:
        s["nullable"] = rng.random() < 0.7
    return s


def object_schema(rng: random.Random, depth: int = 0) -> dict:
    props = {}
    for _ in range(rng.randint(0, 4)):
        name = rng.choice(["location", "unit", "q", "limit", "format", "x y", "naïve", "id", "items", "when"])
        props[name] = schema(rng, depth)
    s: dict = {"type": "object", "properties": props}
    if props and rng.random() < 0.6:
        s["required"] = rng.sample(list(props), rng.randint(0, len(props)))
    if rng.random() < 0.2:
        s["description"] = text(rng, 5)
    return s


def tool(rng: random.Random, i: int) -> "oh.ToolDescription":
    params = object_schema(rng) if rng.random() < 0.8 else None
    return oh.ToolDescription.new(f"tool_{i}_{rng.randint(0, 9)}", line_text(rng), parameters=params)


def system_content(rng: random.Random) -> "oh.SystemContent":
    s = oh.SystemContent.new()
    if rng.random() < 0.3:
        s = s.with_model_identity(text(rng, 8) or "You are a bot.")
    if rng.random() < 0.5:
        s = s.with_reasoning_effort(rng.choice(list(oh.ReasoningEffort)))
    if rng.random() < 0.4:
        s = s.with_conversation_start_date(rng.choice(["2025-06-28", "2026-01-01"]))
    if rng.random() < 0.2:
        s = s.with_knowledge_cutoff(rng.choice(["2024-06", "2023-10"]))
    if rng.random() < 0.15:
        s = s.with_required_channels(rng.sample(["analysis", "commentary", "final"], rng.randint(1, 3)))
    if rng.random() < 0.15:
        s = s.with_browser_tool()
    if rng.random() < 0.1:
        s = s.with_python_tool()
    if rng.random() < 0.1:
        s.model_identity = None
    return s


def developer_content(rng: random.Random) -> "oh.DeveloperContent":
    d = oh.DeveloperContent.new()
    if rng.random() < 0.8:
        d = d.with_instructions(line_text(rng))
    if rng.random() < 0.7:
        d = d.with_function_tools([tool(rng, i) for i in range(rng.randint(1, 4))])
    if rng.random() < 0.1:
        d = d.with_tools(oh.ToolNamespaceConfig(name="extra", description=line_text(rng), tools=[]))
    return d


def conversation(rng: random.Random) -> "oh.Conversation":
    R = oh.Role
    msgs = []
    if rng.random() < 0.9:
        msgs.append(oh.Message.from_role_and_content(R.SYSTEM, system_content(rng)))
    if rng.random() < 0.7:
        msgs.append(oh.Message.from_role_and_content(R.DEVELOPER, developer_content(rng)))
    for _ in range(rng.randint(1, 6)):
        k = rng.random()
        if k < 0.3:
            m = oh.Message.from_role_and_content(R.USER, text(rng))
            if rng.random() < 0.2:
                m = oh.Message.from_author_and_content(oh.Author.new(R.USER, "alice"), text(rng))
            if rng.random() < 0.15:
                m = m.adding_content(text(rng))
        elif k < 0.55:
            m = oh.Message.from_role_and_content(R.ASSISTANT, text(rng)).with_channel(
                rng.choice(["analysis", "commentary", "final", "final"]))
        elif k < 0.75:
            fn = f"functions.tool_{rng.randint(0, 3)}"
            m = oh.Message.from_role_and_content(R.ASSISTANT, json.dumps({"q": text(rng, 3)}))
            m = m.with_channel("commentary").with_recipient(fn)
            m = m.with_content_type(rng.choice(["<|constrain|>json", "json", "<|constrain|>"]))
        elif k < 0.9:
            name = f"functions.tool_{rng.randint(0, 3)}"
            m = oh.Message.from_author_and_content(oh.Author.new(R.TOOL, name), text(rng))
            m = m.with_recipient("assistant").with_channel("commentary")
        else:
            m = oh.Message.from_role_and_content(R.ASSISTANT, text(rng))
            if rng.random() < 0.5:
                m = m.with_recipient("all")
        msgs.append(m)
    return oh.Conversation.from_messages(msgs)


# ---- 1. render_harmony vs openai-harmony -------------------------------------------------------


def test_simple_convo_reference(enc):
    convo = oh.Conversation.from_messages([
        oh.Message.from_role_and_content(oh.Role.SYSTEM, oh.SystemContent.new()),
        oh.Message.from_role_and_content(oh.Role.USER, "What is 2 + 2?"),
    ])
    ours = chat.render_harmony(convo)
    assert len(ours) == 64
    assert ours == enc.render_conversation_for_completion(convo, oh.Role.ASSISTANT)


def test_generated_conversations(enc):
    rng = random.Random(int(os.environ.get("TOKCOUNT_DIFF_SEED", "20250601")))
    mismatches = []
    for i in range(N_CONVERSATIONS):
        convo = conversation(rng)
        modes = [
            ("completion", lambda: enc.render_conversation_for_completion(convo, oh.Role.ASSISTANT),
             lambda: chat.render_harmony(convo)),
            ("conversation", lambda: enc.render_conversation(convo), lambda: chat.render_harmony(convo, next_turn_role=None)),
            ("keep-analysis",
             lambda: enc.render_conversation_for_completion(convo, oh.Role.ASSISTANT,
                                                            oh.RenderConversationConfig(auto_drop_analysis=False)),
             lambda: chat.render_harmony(convo, auto_drop_analysis=False)),
        ]
        for mode, theirs_fn, ours_fn in modes:
            try:
                theirs = theirs_fn()
            except Exception as e:  # openai-harmony refuses it: so must we
                with pytest.raises(Exception):
                    ours_fn()
                continue
            ours = ours_fn()
            if ours != theirs:
                mismatches.append((i, mode, convo.to_json()[:2000]))
    assert not mismatches, f"{len(mismatches)} mismatches; first: {mismatches[0]}"


# ---- 2. the Chat Completions -> harmony mapping ----------------------------------------------------


def chat_request(rng: random.Random):
    """A gpt-oss Chat Completions request and the harmony conversation it maps to."""
    R = oh.Role
    messages, expected = [], []
    effort = rng.choice([None, "low", "medium", "high"])
    date = rng.choice([None, "2025-08-05"])
    sys = oh.SystemContent.new().with_reasoning_effort(
        {"low": oh.ReasoningEffort.LOW, "medium": oh.ReasoningEffort.MEDIUM, "high": oh.ReasoningEffort.HIGH}[effort or "medium"])
    if date:
        sys = sys.with_conversation_start_date(date)
    expected.append(oh.Message.from_role_and_content(R.SYSTEM, sys))
    tools = [{"type": "function", "function": {"name": f"fn_{i}", "description": line_text(rng),
                                                 "parameters": object_schema(rng)}} for i in range(rng.randint(0, 3))]
    instructions = []
    if rng.random() < 0.8:
        t = text(rng)
        messages.append({"role": rng.choice(["system", "developer"]), "content": t})
        instructions.append(t)
    if instructions or tools:
        dev = oh.DeveloperContent.new()
        if instructions:
            dev = dev.with_instructions("\n\n".join(instructions))
        if tools:
            dev = dev.with_function_tools([oh.ToolDescription.new(t["function"]["name"], t["function"]["description"],
                                                                  parameters=t["function"]["parameters"]) for t in tools])
        expected.append(oh.Message.from_role_and_content(R.DEVELOPER, dev))
    call_id = 0
    for _ in range(rng.randint(1, 4)):
        u = text(rng) or "hi"
        messages.append({"role": "user", "content": u})
        expected.append(oh.Message.from_role_and_content(R.USER, u))
        if tools and rng.random() < 0.5:
            name = rng.choice(tools)["function"]["name"]
            args = json.dumps({"q": text(rng, 3)})
            reasoning = text(rng) if rng.random() < 0.5 else None
            call_id += 1
            msg = {"role": "assistant", "content": None,
                   "tool_calls": [{"id": f"c{call_id}", "type": "function", "function": {"name": name, "arguments": args}}]}
            if reasoning is not None:
                msg["reasoning_content"] = reasoning
                expected.append(oh.Message.from_role_and_content(R.ASSISTANT, reasoning).with_channel("analysis"))
            messages.append(msg)
            expected.append(oh.Message.from_role_and_content(R.ASSISTANT, args).with_channel("commentary")
                            .with_recipient(f"functions.{name}").with_content_type("<|constrain|>json"))
            out = text(rng)
            messages.append({"role": "tool", "tool_call_id": f"c{call_id}", "content": out})
            expected.append(oh.Message.from_author_and_content(oh.Author.new(R.TOOL, f"functions.{name}"), out)
                            .with_recipient("assistant").with_channel("commentary"))
        if rng.random() < 0.7:
            a = text(rng) or "ok"
            messages.append({"role": "assistant", "content": a})
            expected.append(oh.Message.from_role_and_content(R.ASSISTANT, a).with_channel("final"))
    body = {"model": rng.choice(["gpt-oss-20b", "gpt-oss-120b"]), "messages": messages}
    if tools:
        body["tools"] = tools
    if effort:
        body["reasoning_effort"] = effort
    return body, date, oh.Conversation.from_messages(expected)


def test_chat_completions_mapping(enc):
    rng = random.Random(int(os.environ.get("TOKCOUNT_DIFF_SEED", "20250601")) + 1)
    for i in range(N_CONVERSATIONS // 2):
        body, date, convo = chat_request(rng)
        ours = chat.count(body, tokens=True, harmony_date=date)
        theirs = enc.render_conversation_for_completion(convo, oh.Role.ASSISTANT)
        assert ours.tokens == theirs, (i, json.dumps(body)[:1500])
        assert ours.prompt_tokens == len(theirs)
