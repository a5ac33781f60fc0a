"""`tokcount.Encoding`: tiktoken's `Encoding` API over tokcount's native engine.

Every method gives the result tiktoken 0.14 gives, raises the same exception types with the same
messages, and accepts the same arguments. The work happens in `tokcount._tokcount` (C++), with
the GIL released; this module only arranges arguments and keeps tiktoken's Python-visible state
(`name`, `_pat_str`, `_mergeable_ranks`, `_special_tokens`, `_core_bpe`, pickling).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, AbstractSet, Any, Collection, Literal, NoReturn, Sequence

from tokcount import _tokcount

if TYPE_CHECKING:
    import numpy as np

    from tokcount.stream import StreamDecoder, StreamEncoder
    import numpy.typing as npt

__all__ = ["Encoding", "raise_disallowed_special_token"]

# Attributes a built-in encoding computes on first use: its vocabulary lives in the native
# library, and building a 200k-entry dict nobody reads would cost time and memory.
_LAZY_ATTRIBUTES = frozenset({"_mergeable_ranks", "_special_tokens", "_special_token_values"})


class Encoding:
    """A byte-pair encoding: split pattern, mergeable ranks and special tokens.

    Get the built-in ones with `tokcount.get_encoding(name)` or
    `tokcount.encoding_for_model(model)`; they are compiled in, so nothing is downloaded.
    """

    def __init__(
        self,
        name: str,
        *,
        pat_str: str,
        mergeable_ranks: dict[bytes, int],
        special_tokens: dict[str, int],
        explicit_n_vocab: int | None = None,
    ) -> None:
        """Creates an encoding, as `tiktoken.Encoding(...)` does.

        Args:
            name: The encoding's name; encodings with different special tokens should have
                different names.
            pat_str: The pre-tokenizer's split pattern (tiktoken's regex dialect). tiktoken's
                built-in patterns run on hand-written scanners; others must translate exactly
                to RE2, else `ValueError` names the unsupported construct.
            mergeable_ranks: Token bytes to rank; ranks are merge priority. Kept by reference.
            special_tokens: Special-token text to token id. Kept by reference.
            explicit_n_vocab: If given, the number of tokens, checked (`AssertionError`) against
                the tokens given and the largest id.
        """
        self.name = name
        self._pat_str = pat_str
        self._mergeable_ranks = mergeable_ranks
        self._special_tokens = special_tokens
        # max() of an empty mergeable_ranks raises ValueError, as in tiktoken.
        self.max_token_value = max(max(mergeable_ranks.values()), max(special_tokens.values(), default=0))
        if explicit_n_vocab:
            assert len(mergeable_ranks) + len(special_tokens) == explicit_n_vocab
            assert self.max_token_value == explicit_n_vocab - 1
        self._special_token_values = set(special_tokens.values())
        self._core_bpe = _tokcount.CoreBPE(mergeable_ranks, special_tokens, pat_str, name)

    @classmethod
    def _builtin(cls, name: str) -> Encoding:
        """A built-in encoding, straight from the native registry (no dicts built)."""
        core = _tokcount.CoreBPE.builtin(name)
        enc = cls.__new__(cls)
        enc.name = name
        enc._pat_str = core.pat_str
        enc.max_token_value = core.max_token_value
        enc._core_bpe = core
        return enc

    def __getattr__(self, attr: str) -> Any:
        # Only reached when normal lookup fails: the lazy attributes of a built-in encoding.
        core = self.__dict__.get("_core_bpe")
        if attr not in _LAZY_ATTRIBUTES or core is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")
        if attr == "_mergeable_ranks":
            value: Any = core.mergeable_ranks()
        elif attr == "_special_tokens":
            value = core.special_tokens()
        else:
            value = set(self._special_tokens.values())
        # setdefault: two threads racing here agree on one object.
        return self.__dict__.setdefault(attr, value)

    def __repr__(self) -> str:
        return f"<Encoding {self.name!r}>"

    # ====================
    # Encoding
    # ====================

    def stream_encoder(
        self,
        *,
        allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006 (tiktoken's signature)
        disallowed_special: Literal["all"] | Collection[str] = "all",
        errors: Literal["strict", "replace"] = "strict",
        budget: int | None = None,
    ) -> "StreamEncoder":
        """An incremental encoder (tokcount extension): `tokcount.stream.StreamEncoder` on this
        encoding, whose tokens always equal `encode` of the concatenated text."""
        from tokcount.stream import StreamEncoder

        return StreamEncoder(
            self, allowed_special=allowed_special, disallowed_special=disallowed_special, errors=errors, budget=budget
        )

    def stream_decoder(self) -> "StreamDecoder":
        """A decoder that yields only complete UTF-8 (tokcount extension): `tokcount.stream.StreamDecoder`."""
        from tokcount.stream import StreamDecoder

        return StreamDecoder(self)

    def encode_ordinary(self, text: str) -> list[int]:
        """Encodes a string into tokens, treating special-token text as ordinary text.

        Equivalent to `encode(text, disallowed_special=())`, but faster.

        >>> enc.encode_ordinary("hello world")
        [31373, 995]
        """
        return self._core_bpe._encode_ordinary(text)

    def encode(
        self,
        text: str,
        *,
        allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006 (tiktoken's signature)
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> list[int]:
        """Encodes a string into tokens.

        Text matching a special token raises `ValueError` unless the token is allowed: pass it in
        `allowed_special` (or `"all"`) to encode it as the special token, or remove it from
        `disallowed_special` (e.g. `disallowed_special=()`) to encode it as ordinary text.
        Lone surrogates in `text` are encoded as U+FFFD, as in tiktoken.

        >>> enc.encode("hello world")
        [31373, 995]
        >>> enc.encode("<|endoftext|>", allowed_special={"<|endoftext|>"})
        [50256]
        >>> enc.encode("<|endoftext|>", disallowed_special=())
        [27, 91, 437, 1659, 5239, 91, 29]
        """
        return self._core_bpe._encode(text, allowed_special, disallowed_special)

    def encode_to_numpy(
        self,
        text: str,
        *,
        allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> npt.NDArray[np.uint32]:
        """Encodes a string into a read-only `numpy.uint32` array (no Python list is built).

        Same special-token rules as `encode`. Needs numpy.
        """
        import numpy as np  # optional dependency, imported on first use

        buffer = self._core_bpe._encode_buffer(text, allowed_special, disallowed_special)
        return np.frombuffer(memoryview(buffer), dtype=np.uint32)  # read-only, no copy

    def encode_ordinary_batch(self, text: list[str], *, num_threads: int = 8) -> list[list[int]]:
        """Encodes a list of strings, ignoring special tokens, on up to `num_threads` native threads.

        >>> enc.encode_ordinary_batch(["hello world", "goodbye world"])
        [[31373, 995], [11274, 16390, 995]]
        """
        return self._core_bpe._encode_batch(text, None, None, num_threads, True)

    def encode_batch(
        self,
        text: list[str],
        *,
        num_threads: int = 8,
        allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> list[list[int]]:
        """Encodes a list of strings on up to `num_threads` native threads; results in input order.

        Same special-token rules as `encode`; the error of the first failing text is raised.

        >>> enc.encode_batch(["hello world", "goodbye world"])
        [[31373, 995], [11274, 16390, 995]]
        """
        return self._core_bpe._encode_batch(text, allowed_special, disallowed_special, num_threads, False)

    def encode_with_unstable(
        self,
        text: str,
        *,
        allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> tuple[list[int], list[list[int]]]:
        """Encodes a string into stable tokens and the possible completions of the rest.

        The stable tokens cover a prefix of `text`; each completion is a token sequence that
        could follow them if the text continued. Completions are deduplicated (tokcount sorts
        them; tiktoken's order is arbitrary). Like tiktoken, consider this API unstable.

        >>> stable, completions = enc.encode_with_unstable("hello fanta")
        >>> stable
        [31373]
        """
        return self._core_bpe._encode_with_unstable(text, allowed_special, disallowed_special)

    def encode_single_token(self, text_or_bytes: str | bytes) -> int:
        """Encodes text (or bytes) that is exactly one token, special tokens included.

        Raises `KeyError` (with the bytes) if it is not a single token.

        >>> enc.encode_single_token("hello")
        31373
        """
        if isinstance(text_or_bytes, str):
            text_or_bytes = text_or_bytes.encode("utf-8")
        return self._core_bpe.encode_single_token(text_or_bytes)

    # ====================
    # Counting (tokcount's additions)
    # ====================

    def count(
        self,
        text: str,
        *,
        allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
        disallowed_special: Literal["all"] | Collection[str] = "all",
        limit: int | None = None,
    ) -> int:
        """Number of tokens `encode(text, ...)` would return, without building the list.

        With `limit`, stops as soon as the count passes it: returns the exact count when it is at
        most `limit`, else `limit + 1`. So `enc.count(text, limit=n) > n` is a cheap "over budget"
        check on long text.

        >>> enc.count("hello world")
        2
        >>> enc.count("hello world", limit=1)
        2
        """
        return self._core_bpe._count(text, allowed_special, disallowed_special, limit)

    def count_batch(
        self,
        text: list[str],
        *,
        num_threads: int = 8,
        allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> list[int]:
        """`count` for each string, on up to `num_threads` native threads; results in input order.

        >>> enc.count_batch(["hello world", "goodbye world"])
        [2, 3]
        """
        return self._core_bpe._count_batch(text, allowed_special, disallowed_special, num_threads)

    # ====================
    # Decoding
    # ====================

    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        """Decodes tokens into bytes. Unknown ids raise `KeyError`.

        >>> enc.decode_bytes([31373, 995])
        b'hello world'
        """
        return self._core_bpe.decode_bytes(tokens)

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        """Decodes tokens into a string.

        Lossy by default: bytes that are not valid UTF-8 become U+FFFD. `errors` takes any
        Python codec error handler (`"strict"` raises `UnicodeDecodeError`).

        >>> enc.decode([31373, 995])
        'hello world'
        """
        return self._core_bpe._decode(tokens, errors)

    def decode_single_token_bytes(self, token: int) -> bytes:
        """Bytes of one token, special tokens included. Unknown ids raise `KeyError`.

        >>> enc.decode_single_token_bytes(31373)
        b'hello'
        """
        return self._core_bpe.decode_single_token_bytes(token)

    def decode_tokens_bytes(self, tokens: Sequence[int]) -> list[bytes]:
        """Bytes of each token (useful to visualise a tokenization).

        >>> enc.decode_tokens_bytes([31373, 995])
        [b'hello', b' world']
        """
        return self._core_bpe._decode_tokens_bytes(tokens)

    def decode_with_offsets(self, tokens: Sequence[int]) -> tuple[str, list[int]]:
        """Decodes tokens into a string and, per token, the index in it where the token starts.

        A token starting inside a UTF-8 character gets that character's index. Decodes
        strictly: invalid UTF-8 raises `UnicodeDecodeError`.

        >>> enc.decode_with_offsets([31373, 995])
        ('hello world', [0, 5])
        """
        return self._core_bpe._decode_with_offsets(tokens)

    def decode_batch(
        self, batch: Sequence[Sequence[int]], *, errors: str = "replace", num_threads: int = 8
    ) -> list[str]:
        """`decode` for each token list (`num_threads` is accepted for compatibility)."""
        _check_threads(num_threads)
        return self._core_bpe._decode_batch(batch, errors, False)

    def decode_bytes_batch(self, batch: Sequence[Sequence[int]], *, num_threads: int = 8) -> list[bytes]:
        """`decode_bytes` for each token list (`num_threads` is accepted for compatibility)."""
        _check_threads(num_threads)
        return self._core_bpe._decode_batch(batch, "strict", True)

    # ====================
    # Miscellaneous
    # ====================

    def token_byte_values(self) -> list[bytes]:
        """Every mergeable token's bytes, sorted (special tokens excluded)."""
        return self._core_bpe.token_byte_values()

    @property
    def eot_token(self) -> int:
        """The id of `<|endoftext|>` (`KeyError` if the encoding has none)."""
        return self._special_tokens["<|endoftext|>"]

    @functools.cached_property
    def special_tokens_set(self) -> set[str]:
        """The special tokens' texts (the same set object on every access)."""
        return set(self._special_tokens.keys())

    def is_special_token(self, token: int) -> bool:
        """Whether `token` is the id of a special token."""
        assert isinstance(token, int)
        return token in self._special_token_values

    @property
    def n_vocab(self) -> int:
        """For backwards compatibility. Prefer to use `enc.max_token_value + 1`."""
        return self.max_token_value + 1

    # ====================
    # Private (used by tiktoken's tests and by third-party code)
    # ====================

    def _encode_single_piece(self, text_or_bytes: str | bytes) -> list[int]:
        """Encodes text or bytes as one piece: no pre-tokenizer split, no special tokens."""
        if isinstance(text_or_bytes, str):
            text_or_bytes = text_or_bytes.encode("utf-8")
        return self._core_bpe.encode_single_piece(text_or_bytes)

    def _encode_only_native_bpe(self, text: str) -> list[int]:
        """tiktoken splits in Python here (a benchmark aid); tokcount's split is native anyway."""
        return self.encode_ordinary(text)

    def _encode_bytes(self, text: bytes) -> list[int]:
        """Encodes bytes that need not be UTF-8 (best effort at the invalid tail);
        `decode_bytes(_encode_bytes(b)) == b` for any `b`."""
        return self._core_bpe._encode_bytes(text)

    def __getstate__(self) -> object:
        from tokcount import registry

        # A registered encoding pickles as its name (cheap, and unpickles to the shared one);
        # any other as its definition (explicit_n_vocab is not kept, as in tiktoken).
        if self is registry.ENCODINGS.get(self.name):
            return self.name
        return {
            "name": self.name,
            "pat_str": self._pat_str,
            "mergeable_ranks": self._mergeable_ranks,
            "special_tokens": self._special_tokens,
        }

    def __setstate__(self, value: object) -> None:
        from tokcount import registry

        if isinstance(value, str):
            self.__dict__ = registry.get_encoding(value).__dict__
            return
        assert isinstance(value, dict)
        self.__init__(**value)  # type: ignore[misc]


def _check_threads(num_threads: int) -> None:
    # tiktoken's batch calls build a ThreadPoolExecutor(num_threads), which rejects this.
    if num_threads <= 0:
        raise ValueError("max_workers must be greater than 0")


def raise_disallowed_special_token(token: str) -> NoReturn:
    """Raises the `ValueError` tiktoken raises for disallowed special-token text."""
    raise ValueError(_tokcount.disallowed_special_message(token))
