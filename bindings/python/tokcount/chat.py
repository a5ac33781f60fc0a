"""Chat-format counting: the prompt tokens of an OpenAI Chat Completions request.

``count()`` takes a request body (a dict, or the JSON text exactly as sent) and returns the
``prompt_tokens`` the API bills, a breakdown (text / name / image / format tokens per message,
tools, tool_choice, response_format, reply priming, images), the encoding, cost and
context-window figures, and an ``uncertain`` flag on every figure that rests on a rule OpenAI
does not document::

    import tokcount.chat as chat

    r = chat.count({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello!"}]})
    r.prompt_tokens          # 10
    r.breakdown.messages[0]  # MessageBreakdown(index=0, role='user', text_tokens=2, ...)
    r.cost.prompt            # 2.5e-05 (USD)

``count_messages()`` is the structured form (``Message``, ``Tool``, ``ImagePart`` objects or
plain dicts); ``render_harmony()`` renders an openai-harmony conversation exactly.

Every function is a thin layer over the C++ library (tokcount/chat.hpp): the numbers are the
ones ``tokcount chat`` and the C API report for the same request.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from tokcount import _tokcount

__all__ = [
    "Breakdown",
    "ChatCount",
    "ChatError",
    "Context",
    "Cost",
    "ImageBreakdown",
    "ImagePart",
    "Message",
    "MessageBreakdown",
    "Segment",
    "Tool",
    "count",
    "count_messages",
    "model_info",
    "render_harmony",
    "render_text",
]


class ChatError(ValueError):
    """A request that cannot be counted: malformed JSON (``code == "PARSE_ERROR"``, ``offset``
    is the byte), a field of the wrong shape (``INVALID_ARGUMENT``, the message names its JSON
    path), an unknown model (``UNKNOWN_MODEL``), ..."""

    def __init__(self, message: str, code: str = "INVALID_ARGUMENT", offset: Optional[int] = None):
        super().__init__(message)
        self.code = code
        self.offset = offset


_tokcount._chat_set_error_type(ChatError)


@dataclass(frozen=True)
class MessageBreakdown:
    index: Optional[int]  # None: a message the renderer added (harmony system / developer)
    role: str
    text_tokens: int
    name_tokens: int
    image_tokens: int
    format_tokens: int
    total: int
    uncertain: bool


@dataclass(frozen=True)
class ImageBreakdown:
    message: int
    part: Optional[int]
    path: str
    detail: str
    method: str
    width: Optional[int]
    height: Optional[int]
    size_source: Optional[str]
    tiles_or_patches: int
    tokens: int
    uncertain: bool


@dataclass(frozen=True)
class Figure:
    tokens: int
    uncertain: bool


@dataclass(frozen=True)
class ToolsFigure:
    text_tokens: int
    format_tokens: int
    total: int
    uncertain: bool


@dataclass(frozen=True)
class Breakdown:
    messages: List[MessageBreakdown]
    tools: ToolsFigure
    tool_choice: Figure
    response_format: Figure
    reply_priming: Figure
    images: List[ImageBreakdown]


@dataclass(frozen=True)
class Cost:
    provider: str
    price_model: str
    currency: str
    input_per_million: Optional[float]
    cached_input_per_million: Optional[float]
    output_per_million: Optional[float]
    prompt: Optional[float]
    prompt_all_cached: Optional[float]
    max_output_tokens: Optional[int]
    max_output_source: Optional[str]
    worst_case: Optional[float]
    source: str
    as_of: str


@dataclass(frozen=True)
class Context:
    window: Optional[int]
    model_max_output_tokens: Optional[int]
    requested_max_output_tokens: Optional[int]
    n: int
    exceeds: bool


@dataclass(frozen=True)
class Segment:
    kind: str
    begin: int
    end: int
    message: Optional[int]
    part: Optional[int]
    tool_call: Optional[int]
    path: Optional[str]
    rule: str
    uncertain: bool
    content_hash: Optional[int] = None


@dataclass(frozen=True)
class ChatCount:
    model: str
    encoding: str
    format: str
    prompt_tokens: int
    uncertain: bool
    breakdown: Breakdown
    cost: Optional[Cost]
    context: Optional[Context]
    warnings: List[str]
    tokens: Optional[List[int]] = None
    segments: Optional[List[Segment]] = None

    def to_dict(self) -> Dict[str, Any]:
        """The report as plain data (the JSON `tokcount chat` prints)."""
        d = asdict(self)
        if self.tokens is None:
            d.pop("tokens")
            d.pop("segments")
        return d


def _from_report(d: Mapping[str, Any]) -> ChatCount:
    b = d["breakdown"]
    breakdown = Breakdown(
        messages=[MessageBreakdown(**m) for m in b["messages"]],
        tools=ToolsFigure(**b["tools"]),
        tool_choice=Figure(**b["tool_choice"]),
        response_format=Figure(**b["response_format"]),
        reply_priming=Figure(**b["reply_priming"]),
        images=[ImageBreakdown(**i) for i in b["images"]],
    )
    segments = None
    if "segments" in d:
        segments = [Segment(**s) for s in d["segments"]]
    return ChatCount(
        model=d["model"],
        encoding=d["encoding"],
        format=d["format"],
        prompt_tokens=d["prompt_tokens"],
        uncertain=d["uncertain"],
        breakdown=breakdown,
        cost=Cost(**d["cost"]) if d["cost"] is not None else None,
        context=Context(**d["context"]) if d["context"] is not None else None,
        warnings=list(d["warnings"]),
        tokens=d.get("tokens"),
        segments=segments,
    )


PricesArg = Union[None, str, "os.PathLike[str]", Mapping[str, Any]]


def _prices_json(prices: PricesArg) -> str:
    if prices is None:
        return ""
    if isinstance(prices, Mapping):
        return json.dumps(prices)
    text = os.fspath(prices)
    if text.lstrip().startswith("{"):
        return text
    with open(text, "r", encoding="utf-8") as f:
        return f.read()


def _body_text(request: Union[str, bytes, Mapping[str, Any]]) -> Union[str, bytes]:
    if isinstance(request, (str, bytes)):
        return request
    if isinstance(request, Mapping):
        # Key order is kept: tool schemas render in it.
        return json.dumps(request, ensure_ascii=False)
    raise TypeError("request must be a dict, a JSON str or bytes")


def _call(request, *, model, encoding, provider, prices, image_sizes, images_worst_case, harmony_date,
          tokens, show):
    sizes: Dict[str, Tuple[int, int]] = {}
    for url, wh in (image_sizes or {}).items():
        w, h = wh
        sizes[str(url)] = (int(w), int(h))
    return _tokcount._chat_report(
        _body_text(request), model or "", encoding or "", provider or "", _prices_json(prices), sizes,
        bool(images_worst_case), harmony_date or "", bool(tokens), bool(show))


def count(
    request: Union[str, bytes, Mapping[str, Any]],
    *,
    model: Optional[str] = None,
    encoding: Optional[str] = None,
    provider: Optional[str] = None,
    prices: PricesArg = None,
    image_sizes: Optional[Mapping[str, Tuple[int, int]]] = None,
    images_worst_case: bool = False,
    harmony_date: Optional[str] = None,
    tokens: bool = False,
) -> ChatCount:
    """Counts a Chat Completions request (a dict, or its JSON text exactly as sent).

    model: overrides the body's "model". encoding: fallback encoding for a model tiktoken
    does not know (counted with the default chat rules, marked uncertain). provider / prices:
    which price list (default "openai") and a table over the built-in one (a dict, a JSON
    string, or a path to a models.json-format file). image_sizes: {url: (width, height)} for
    remote images (data URLs are measured). images_worst_case: count an image of unknown size
    as the model's most expensive instead of raising. harmony_date: gpt-oss's "Current date:".
    tokens: also return the rendered token ids and their segments.
    """
    report = _call(request, model=model, encoding=encoding, provider=provider, prices=prices,
                   image_sizes=image_sizes, images_worst_case=images_worst_case,
                   harmony_date=harmony_date, tokens=tokens, show=False)
    return _from_report(json.loads(report))


def render_text(request: Union[str, bytes, Mapping[str, Any]], **kwargs: Any) -> str:
    """The rendered prompt as text (special tokens by name, synthetic runs as <|image:N|> /
    <|overhead:N|>); same keyword arguments as count()."""
    kwargs.pop("tokens", None)
    return _call(request, show=True, tokens=False, **{k: kwargs.get(k) for k in (
        "model", "encoding", "provider", "prices", "image_sizes", "images_worst_case", "harmony_date")})


# ---- structured API ------------------------------------------------------------------------


@dataclass
class ImagePart:
    """An image content part. width / height: the size of a remote image (data URLs are
    measured from their header)."""

    url: str
    detail: Optional[str] = None  # "auto" | "low" | "high"
    width: Optional[int] = None
    height: Optional[int] = None

    def to_dict(self) -> Dict[str, Any]:
        image: Dict[str, Any] = {"url": self.url}
        if self.detail is not None:
            image["detail"] = self.detail
        return {"type": "image_url", "image_url": image}


@dataclass
class Message:
    """A chat message: content is a str or a list of str / ImagePart / part dicts."""

    role: str
    content: Union[None, str, Sequence[Union[str, ImagePart, Mapping[str, Any]]]] = None
    name: Optional[str] = None
    tool_calls: Optional[Sequence[Mapping[str, Any]]] = None
    tool_call_id: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        d: Dict[str, Any] = {"role": self.role}
        if isinstance(self.content, str) or self.content is None:
            d["content"] = self.content
        else:
            parts: List[Any] = []
            for p in self.content:
                if isinstance(p, str):
                    parts.append({"type": "text", "text": p})
                elif isinstance(p, ImagePart):
                    parts.append(p.to_dict())
                else:
                    parts.append(dict(p))
            d["content"] = parts
        if self.name is not None:
            d["name"] = self.name
        if self.tool_calls is not None:
            d["tool_calls"] = [dict(c) for c in self.tool_calls]
        if self.tool_call_id is not None:
            d["tool_call_id"] = self.tool_call_id
        return d


@dataclass
class Tool:
    """A function tool: parameters is a JSON Schema object (key order matters)."""

    name: str
    description: Optional[str] = None
    parameters: Optional[Mapping[str, Any]] = None

    def to_dict(self) -> Dict[str, Any]:
        f: Dict[str, Any] = {"name": self.name}
        if self.description is not None:
            f["description"] = self.description
        if self.parameters is not None:
            f["parameters"] = self.parameters
        return {"type": "function", "function": f}


def count_messages(
    messages: Sequence[Union[Message, Mapping[str, Any]]],
    *,
    model: str,
    tools: Optional[Sequence[Union[Tool, Mapping[str, Any]]]] = None,
    tool_choice: Union[None, str, Mapping[str, Any]] = None,
    response_format: Optional[Mapping[str, Any]] = None,
    max_tokens: Optional[int] = None,
    n: Optional[int] = None,
    reasoning_effort: Optional[str] = None,
    **kwargs: Any,
) -> ChatCount:
    """count() for messages given as objects: builds the request and counts it. Images'
    width / height join image_sizes. Other keyword arguments as count()."""
    body: Dict[str, Any] = {"model": model}
    sizes = dict(kwargs.pop("image_sizes", None) or {})
    out_messages = []
    for m in messages:
        if isinstance(m, Message):
            if not isinstance(m.content, (str, type(None))):
                for p in m.content:
                    if isinstance(p, ImagePart) and p.width and p.height:
                        sizes.setdefault(p.url, (p.width, p.height))
            out_messages.append(m.to_dict())
        else:
            out_messages.append(dict(m))
    body["messages"] = out_messages
    if tools:
        body["tools"] = [t.to_dict() if isinstance(t, Tool) else dict(t) for t in tools]
    if tool_choice is not None:
        body["tool_choice"] = tool_choice
    if response_format is not None:
        body["response_format"] = response_format
    if max_tokens is not None:
        body["max_completion_tokens"] = max_tokens
    if n is not None:
        body["n"] = n
    if reasoning_effort is not None:
        body["reasoning_effort"] = reasoning_effort
    return count(body, image_sizes=sizes, **kwargs)


def render_harmony(
    conversation: Any,
    *,
    auto_drop_analysis: bool = True,
    next_turn_role: Optional[str] = "assistant",
) -> List[int]:
    """Renders a harmony conversation to o200k_harmony token ids, exactly as openai-harmony's
    render_conversation_for_completion (next_turn_role=None: render_conversation).

    conversation: an openai_harmony.Conversation (anything with to_json()), its JSON text, or
    the dict form {"messages": [...]}.
    """
    if hasattr(conversation, "to_json"):
        text = conversation.to_json()
    elif isinstance(conversation, (str, bytes)):
        text = conversation
    else:
        text = json.dumps(conversation, ensure_ascii=False)
    return _tokcount._harmony_render(text, bool(auto_drop_analysis), next_turn_role)


def model_info(model: str, provider: str = "openai", prices: PricesArg = None) -> Optional[Dict[str, Any]]:
    """The price / limit entry used for a model (exact name, else a dated snapshot of an
    entry), or None: provider, currency, input / cached_input / output per million tokens,
    context_window, max_output_tokens, source."""
    return _tokcount._chat_model_info(model, provider, _prices_json(prices))
