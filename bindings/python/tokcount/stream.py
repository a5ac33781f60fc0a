"""Streaming: exact incremental encoding, UTF-8-safe decoding, and Chat Completions SSE counting.

    import tokcount
    from tokcount.stream import StreamEncoder, ChatStream

    enc = tokcount.get_encoding("o200k_base")
    s = enc.stream_encoder()              # or StreamEncoder(enc, allowed_special=..., budget=...)
    for chunk in network_reads:           # bytes or str, split anywhere (inside UTF-8 too)
        ready = s.feed(chunk)             # tokens that can no longer change
    rest = s.finish()                     # all tokens == enc.encode(everything)

    chat = ChatStream()                   # encoding from the stream's "model" field
    for chunk in response.iter_raw():
        chat.feed(chunk)
        print(chat.completion_tokens)     # exact, at every point
    chat.finish()
    chat.result()["usage_comparison"]     # visible count vs reported usage, explained

The work is done by the native library (tokcount/stream.hpp, tokcount/sse.hpp).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, AbstractSet, Any, Collection, Iterable, Literal, Optional, Sequence, Union

from tokcount import _tokcount

if TYPE_CHECKING:
    from tokcount.core import Encoding

__all__ = ["ChatStream", "StreamDecoder", "StreamEncoder", "StreamError", "parse_sse"]

#: Raised for invalid UTF-8, disallowed special-token text and malformed stream frames; a
#: ValueError with ``code`` (e.g. "PARSE_ERROR"), ``offset`` (byte offset in the stream, or
#: None) and ``token`` (the special token, for disallowed ones).
StreamError = _tokcount.StreamError

Data = Union[bytes, bytearray, str]


class StreamEncoder:
    """Encodes text that arrives in pieces, emitting each token once no later text can change it.

    The tokens of every `feed` plus `finish` equal ``encoding.encode(all_text, ...)`` with the
    same special-token arguments, however the text is split. Memory is bounded by the longest
    unfinished pre-token piece. With ``errors="replace"`` invalid UTF-8 becomes U+FFFD (as
    ``bytes.decode(errors="replace")`` would), else it raises StreamError.
    """

    def __init__(
        self,
        encoding: "Encoding",
        *,
        allowed_special: Union[Literal["all"], AbstractSet[str]] = set(),  # noqa: B006 (tiktoken's signature)
        disallowed_special: Union[Literal["all"], Collection[str]] = "all",
        errors: Literal["strict", "replace"] = "strict",
        budget: Optional[int] = None,
    ) -> None:
        if errors not in ("strict", "replace"):
            raise ValueError(f"errors must be 'strict' or 'replace', not {errors!r}")
        self._native = _tokcount.StreamEncoder(
            encoding._core_bpe, allowed_special, disallowed_special, errors == "replace"
        )
        if budget is not None:
            self._native.budget = budget

    def feed(self, data: Data) -> list[int]:
        """Adds text (bytes are taken as UTF-8 and may split characters); returns final tokens."""
        return self._native.feed(data)

    def finish(self) -> list[int]:
        """Ends the stream and returns the remaining tokens."""
        return self._native.finish()

    def reset(self) -> None:
        """Starts a new stream with the same encoding, options and budget."""
        self._native.reset()

    @property
    def count(self) -> int:
        """Tokens of everything fed so far if the stream ended now (stable + pending)."""
        return self._native.count

    @property
    def stable_count(self) -> int:
        """Tokens emitted so far (final)."""
        return self._native.stable_count

    @property
    def pending_bytes(self) -> int:
        """Bytes held back because later text could still change their tokens."""
        return self._native.pending_bytes

    @property
    def bytes_fed(self) -> int:
        return self._native.bytes_fed

    @property
    def budget(self) -> Optional[int]:
        """Token limit; `over_budget` is exactly ``count > budget`` after every feed."""
        return self._native.budget

    @budget.setter
    def budget(self, limit: Optional[int]) -> None:
        self._native.budget = limit

    @property
    def over_budget(self) -> bool:
        return self._native.over_budget

    @property
    def budget_crossed_at(self) -> Optional[int]:
        """`bytes_fed` after the first feed that went over the budget, or None."""
        return self._native.budget_crossed_at


class StreamDecoder:
    """Decodes tokens as they arrive into text that is always complete UTF-8.

    A character split across tokens is held back until its last byte arrives; invalid bytes
    become U+FFFD as in ``Encoding.decode``. ``"".join(feeds) + finish()`` equals
    ``encoding.decode(all_tokens)``.
    """

    def __init__(self, encoding: "Encoding") -> None:
        self._native = _tokcount.StreamDecoder(encoding._core_bpe)

    def feed(self, tokens: Sequence[int]) -> str:
        return self._native.feed(list(tokens))

    def finish(self) -> str:
        return self._native.finish()

    @property
    def pending_bytes(self) -> int:
        return self._native.pending_bytes


class ChatStream:
    """Stitches a Chat Completions stream (``"stream": true``) and counts its visible output.

    Feed the raw response body as it arrives (any read sizes). The encoding is the one tiktoken
    picks for ``model``, else for the stream's "model" field (unknown models fall back to
    o200k_base, and the result says so), unless ``encoding`` is given.
    """

    def __init__(
        self, *, model: Optional[str] = None, encoding: Optional["Encoding"] = None, keep_text: bool = True
    ) -> None:
        core = encoding._core_bpe if encoding is not None else None
        self._native = _tokcount.ChatStream(core, model or "", keep_text)

    def feed(self, data: Data) -> None:
        """Parses more of the stream; a malformed frame raises StreamError (code PARSE_ERROR,
        offset in the stream); what was parsed before it stays in `result()`."""
        self._native.feed(data)

    def finish(self) -> None:
        self._native.finish()

    @property
    def completion_tokens(self) -> int:
        """Exact tokens of the visible output so far (content, refusal, tool-call names and arguments)."""
        return self._native.completion_tokens

    def result(self) -> dict[str, Any]:
        """Stitched choices, counts, usage and the explained comparison, as a dict."""
        return json.loads(self._native.result_json(-1))


def parse_sse(data: Union[Data, Iterable[bytes]], *, model: Optional[str] = None) -> dict[str, Any]:
    """`ChatStream` over a whole captured stream (bytes, str, or an iterable of reads)."""
    chat = ChatStream(model=model)
    if isinstance(data, (bytes, bytearray, str)):
        chat.feed(data)
    else:
        for chunk in data:
            chat.feed(chunk)
    chat.finish()
    return chat.result()
