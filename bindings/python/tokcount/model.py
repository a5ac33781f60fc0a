"""Model name -> encoding name: tiktoken 0.14's `tiktoken.model`.

The two dicts are public and editable (callers add their own model names), so lookups read
them at call time. They hold the same data as the C++ core's table (tests check they agree).
"""

from __future__ import annotations

from tokcount.core import Encoding
from tokcount.registry import get_encoding

__all__ = ["MODEL_PREFIX_TO_ENCODING", "MODEL_TO_ENCODING", "encoding_for_model", "encoding_name_for_model"]

_O200K, _CL100K, _P50K, _P50K_EDIT, _R50K = "o200k_base", "cl100k_base", "p50k_base", "p50k_edit", "r50k_base"

# Tried in order; the first prefix that matches wins.
MODEL_PREFIX_TO_ENCODING: dict[str, str] = {
    "o1-": _O200K,
    "o3-": _O200K,
    "o4-mini-": _O200K,
    "gpt-5": _O200K,  # no hyphen: gpt-5.1 etc. match too
    "gpt-4.5-": _O200K,
    "gpt-4.1-": _O200K,
    "chatgpt-4o-": _O200K,
    "gpt-4o-": _O200K,
    "gpt-4-": _CL100K,
    "gpt-3.5-turbo-": _CL100K,
    "gpt-35-turbo-": _CL100K,  # Azure deployment names
    "gpt-oss-": "o200k_harmony",
    "ft:gpt-4o": _O200K,  # fine-tuned models
    "ft:gpt-4": _CL100K,
    "ft:gpt-3.5-turbo": _CL100K,
    "ft:davinci-002": _CL100K,
    "ft:babbage-002": _CL100K,
}

MODEL_TO_ENCODING: dict[str, str] = {
    **dict.fromkeys(("o1", "o3", "o4-mini", "gpt-5", "gpt-4.1", "gpt-4o"), _O200K),
    **dict.fromkeys(
        (
            "gpt-4",
            "gpt-3.5-turbo",
            "gpt-3.5",
            "gpt-35-turbo",
            "davinci-002",
            "babbage-002",
            "text-embedding-ada-002",
            "text-embedding-3-small",
            "text-embedding-3-large",
        ),
        _CL100K,
    ),
    # Deprecated models.
    **dict.fromkeys(("text-davinci-003", "text-davinci-002"), _P50K),
    **dict.fromkeys(
        ("text-davinci-001", "text-curie-001", "text-babbage-001", "text-ada-001", "davinci", "curie", "babbage", "ada"),
        _R50K,
    ),
    **dict.fromkeys(
        ("code-davinci-002", "code-davinci-001", "code-cushman-002", "code-cushman-001", "davinci-codex", "cushman-codex"),
        _P50K,
    ),
    **dict.fromkeys(("text-davinci-edit-001", "code-davinci-edit-001"), _P50K_EDIT),
    **dict.fromkeys(
        (
            "text-similarity-davinci-001",
            "text-similarity-curie-001",
            "text-similarity-babbage-001",
            "text-similarity-ada-001",
            "text-search-davinci-doc-001",
            "text-search-curie-doc-001",
            "text-search-babbage-doc-001",
            "text-search-ada-doc-001",
            "code-search-babbage-code-001",
            "code-search-ada-code-001",
        ),
        _R50K,
    ),
    # Open models.
    "gpt2": "gpt2",
    "gpt-2": "gpt2",
}


def encoding_name_for_model(model_name: str) -> str:
    """The name of the encoding a model uses: an exact name, else the first matching prefix.

    Raises `KeyError` if the model is not recognised.

    >>> tokcount.encoding_name_for_model("gpt-4o-mini")
    'o200k_base'
    """
    name = MODEL_TO_ENCODING.get(model_name)
    if name is not None:
        return name
    for prefix, name in MODEL_PREFIX_TO_ENCODING.items():
        if model_name.startswith(prefix):
            return name
    raise KeyError(
        f"Could not automatically map {model_name} to a tokeniser. "
        "Please use `tiktoken.get_encoding` to explicitly get the tokeniser you expect."
    ) from None


def encoding_for_model(model_name: str) -> Encoding:
    """The encoding a model uses (see `encoding_name_for_model`).

    >>> tokcount.encoding_for_model("gpt-4")
    <Encoding 'cl100k_base'>
    """
    return get_encoding(encoding_name_for_model(model_name))
