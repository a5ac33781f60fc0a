"""tokcount: tokenizes exactly like OpenAI's tiktoken, far faster, with the vocabularies built in.

A drop-in replacement for tiktoken 0.14's public API::

    import tokcount as tiktoken

    enc = tiktoken.get_encoding("o200k_base")   # no download: compiled in
    enc.encode("hello world")                    # same tokens as tiktoken
    enc.count("hello world")                     # tokcount: count without a token list

Submodules mirror tiktoken's: `tokcount.core` (Encoding), `tokcount.registry`,
`tokcount.model` and `tokcount.load`. `tokcount.lint(text)` finds what breaks prompt caching
(see tokcount/lint.py).
"""

from tokcount._tokcount import __version__ as __version__
from tokcount import load as load  # noqa: F401  (tiktoken.load is reachable as an attribute)
from tokcount.core import Encoding as Encoding
from tokcount.model import encoding_for_model as encoding_for_model
from tokcount.model import encoding_name_for_model as encoding_name_for_model
from tokcount.registry import get_encoding as get_encoding
from tokcount.registry import list_encoding_names as list_encoding_names

# tokcount.lint(text) is the linter; the module's other names: from tokcount.lint import Finding, ...
from tokcount.lint import fix as lint_fix
from tokcount.lint import lint as lint

__all__ = [
    "Encoding",
    "__version__",
    "encoding_for_model",
    "encoding_name_for_model",
    "get_encoding",
    "lint",
    "lint_fix",
    "list_encoding_names",
]
