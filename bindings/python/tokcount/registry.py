"""Encoding registry: tiktoken's `tiktoken.registry`, with the built-in encodings compiled in.

`get_encoding(name)` returns one shared `Encoding` per name (cached in `ENCODINGS` forever).
Built-in names are served by the native library with no file access. Other names come from
`ENCODING_CONSTRUCTORS`, filled on first need with the built-ins and with the encodings of any
installed tiktoken plugin (`tiktoken_ext.*` modules defining `ENCODING_CONSTRUCTORS`, except
tiktoken's own `openai_public`, whose encodings are the built-ins). Users may add entries
to `ENCODING_CONSTRUCTORS` (name -> function returning `Encoding(**kwargs)` arguments).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import threading
from typing import Any, Callable, Sequence

from tokcount import _tokcount
from tokcount.core import Encoding

__all__ = ["ENCODINGS", "ENCODING_CONSTRUCTORS", "get_encoding", "list_encoding_names"]

_lock = threading.RLock()
ENCODINGS: dict[str, Encoding] = {}
ENCODING_CONSTRUCTORS: dict[str, Callable[[], dict[str, Any]]] | None = None

_BUILTIN_NAMES: tuple[str, ...] = tuple(_tokcount.list_encoding_names())
_PLUGIN_NAMESPACE = "tiktoken_ext"
_SUPERSEDED_PLUGINS = frozenset({"tiktoken_ext.openai_public"})


class _BuiltinConstructor:
    """Constructor of a built-in encoding.

    Called, it returns `Encoding(**kwargs)` arguments like any tiktoken constructor (building
    the vocabulary dict); `get_encoding` recognises it and takes the native path instead.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self) -> dict[str, Any]:
        core = _tokcount.CoreBPE.builtin(self.name)
        return {
            "name": self.name,
            "pat_str": core.pat_str,
            "mergeable_ranks": core.mergeable_ranks(),
            "special_tokens": core.special_tokens(),
            "explicit_n_vocab": core.n_vocab if self.name in ("gpt2", "r50k_base", "p50k_base") else None,
        }

    def __repr__(self) -> str:
        return f"<tokcount built-in encoding {self.name!r}>"


@functools.lru_cache
def _available_plugin_modules() -> Sequence[str]:
    """Modules of the `tiktoken_ext` namespace package (tiktoken's plugin mechanism)."""
    try:
        namespace = importlib.import_module(_PLUGIN_NAMESPACE)
    except ImportError:
        return []
    return [name for _, name, _ in pkgutil.iter_modules(namespace.__path__, _PLUGIN_NAMESPACE + ".")]


def _find_constructors() -> None:
    global ENCODING_CONSTRUCTORS
    with _lock:
        if ENCODING_CONSTRUCTORS is not None:
            return
        constructors: dict[str, Callable[[], dict[str, Any]]] = {
            name: _BuiltinConstructor(name) for name in _BUILTIN_NAMES
        }
        # Any error leaves ENCODING_CONSTRUCTORS None, so the next call raises it again.
        for mod_name in _available_plugin_modules():
            if mod_name in _SUPERSEDED_PLUGINS:
                continue
            mod = importlib.import_module(mod_name)
            try:
                plugin_constructors = mod.ENCODING_CONSTRUCTORS
            except AttributeError as e:
                raise ValueError(f"tiktoken plugin {mod_name} does not define ENCODING_CONSTRUCTORS") from e
            for enc_name, constructor in plugin_constructors.items():
                if enc_name in constructors:
                    raise ValueError(f"Duplicate encoding name {enc_name} in tiktoken plugin {mod_name}")
                constructors[enc_name] = constructor
        ENCODING_CONSTRUCTORS = constructors


def get_encoding(encoding_name: str) -> Encoding:
    """The encoding named `encoding_name` (one shared object per name).

    Raises `ValueError` for an unknown name.

    >>> tokcount.get_encoding("cl100k_base")
    <Encoding 'cl100k_base'>
    """
    if not isinstance(encoding_name, str):
        raise ValueError(f"Expected a string in get_encoding, got {type(encoding_name)}")
    enc = ENCODINGS.get(encoding_name)
    if enc is not None:
        return enc
    with _lock:
        enc = ENCODINGS.get(encoding_name)
        if enc is not None:
            return enc
        if ENCODING_CONSTRUCTORS is None and encoding_name in _BUILTIN_NAMES:
            # No plugin discovery needed for a built-in name.
            enc = Encoding._builtin(encoding_name)
        else:
            _find_constructors()
            assert ENCODING_CONSTRUCTORS is not None
            constructor = ENCODING_CONSTRUCTORS.get(encoding_name)
            if constructor is None:
                from tokcount import __version__

                raise ValueError(
                    f"Unknown encoding {encoding_name}.\n"
                    f"Plugins found: {_available_plugin_modules()}\n"
                    f"tokcount version: {__version__} (are you on latest?)"
                )
            if isinstance(constructor, _BuiltinConstructor):
                enc = Encoding._builtin(constructor.name)
            else:
                enc = Encoding(**constructor())
        ENCODINGS[encoding_name] = enc
        return enc


def list_encoding_names() -> list[str]:
    """Names `get_encoding` accepts: the built-ins, then those of installed plugins."""
    with _lock:
        _find_constructors()
        assert ENCODING_CONSTRUCTORS is not None
        return list(ENCODING_CONSTRUCTORS)
