"""Count or encode every row of an Arrow string column in one native call.

    import pyarrow as pa, tokcount.arrow
    counts = tokcount.arrow.count_tokens(pa.array(["hello world", None]), encoding="o200k_base")
    # <pyarrow.lib.Int64Array> [2, null]

Input: any Arrow array or chunked array of `string`, `large_string`, `string_view`, `binary`,
`large_binary` or `binary_view` (or a dictionary of one), from any library that speaks the
Arrow PyCapsule protocol (pyarrow, polars, nanoarrow, ...), or a pandas Series. The rows are
read in place from the Arrow buffers by C++ (no Python `str` per row) and tokenized by the
core's batch call on native threads with the GIL released.

Output: a pyarrow `Int64Array` of counts, or a `ListArray` of `uint32` tokens built from one
flat buffer, with the input's nulls and its chunking (a `ChunkedArray` in gives one back with
the same chunks); a pandas Series in gives a Series with the same index and name, backed by
Arrow (`int64[pyarrow]`, `list<item: uint32>[pyarrow]`). Identical, row for row, to
`Encoding.count` / `Encoding.encode` with the same arguments.

A row that cannot be tokenized (special-token text that is disallowed, as `encode` refuses it by
default; bytes of a binary column that are not UTF-8) raises `ArrowRowError`, a `ValueError`
naming the row. pyarrow is needed for the output (the `arrow` extra: `pip install
tokcount[arrow]`); it is imported on first use, never by `import tokcount`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Collection, Literal, Union

from tokcount import _tokcount
from tokcount.core import Encoding

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    ArrowResult = Union[pa.Array, pa.ChunkedArray, pd.Series]

__all__ = ["ArrowRowError", "count_tokens", "encode_tokens", "resolve_encoding"]

ArrowRowError = _tokcount.ArrowRowError
"""A row could not be tokenized. A `ValueError` with `row` (index in the whole input, across
chunks), `code` (`"DISALLOWED_SPECIAL"`, `"INVALID_UTF8"`, ...), `byte_offset` and `token`."""

_MIN_PYARROW = (14, 0)  # pa.array() of __arrow_c_array__ objects; ChunkedArray.__arrow_c_stream__ (15)


def resolve_encoding(encoding: str | Encoding | None = None, model: str | None = None) -> Encoding:
    """The encoding named by exactly one of `encoding` (a name or an `Encoding`) and `model`."""
    import tokcount

    if (encoding is None) == (model is None):
        raise TypeError("pass exactly one of encoding= (a name or a tokcount.Encoding) or model=")
    if model is not None:
        return tokcount.encoding_for_model(model)
    if isinstance(encoding, Encoding):
        return encoding
    if isinstance(encoding, str):
        return tokcount.get_encoding(encoding)
    raise TypeError(f"encoding must be a name or a tokcount.Encoding, not {type(encoding).__name__}")


def count_tokens(
    values: Any,
    *,
    encoding: str | Encoding | None = None,
    model: str | None = None,
    allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006 (tiktoken's signature)
    disallowed_special: Literal["all"] | Collection[str] = "all",
    num_threads: int | None = 8,
) -> ArrowResult:
    """The token count of every row, as `Encoding.count` gives it; nulls stay null.

    Args:
        values: An Arrow string-like array or chunked array (any `__arrow_c_array__` /
            `__arrow_c_stream__` producer), or a pandas Series of strings.
        encoding: An encoding name or `tokcount.Encoding`; or give `model` instead.
        model: A model name, mapped as `tokcount.encoding_for_model` does.
        allowed_special, disallowed_special: As in `Encoding.encode`.
        num_threads: Native threads (None: every core); fewer when there is little text.

    Returns:
        `pyarrow.Int64Array` (`ChunkedArray` for chunked input; `int64[pyarrow]` Series for a Series).
    """
    enc = resolve_encoding(encoding, model)
    return _run(_tokcount.arrow_count, False, enc, values, allowed_special, disallowed_special, num_threads)


def encode_tokens(
    values: Any,
    *,
    encoding: str | Encoding | None = None,
    model: str | None = None,
    allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
    disallowed_special: Literal["all"] | Collection[str] = "all",
    num_threads: int | None = 8,
) -> ArrowResult:
    """The tokens of every row, as `Encoding.encode` gives them; nulls stay null.

    Same arguments as `count_tokens`. Returns a `list<item: uint32>` array (chunked as the
    input; a `list<item: uint32>[pyarrow]` Series for a Series). Each chunk holds at most
    2**31 - 1 tokens (list offsets are int32); a larger one raises `ValueError`.
    """
    enc = resolve_encoding(encoding, model)
    return _run(_tokcount.arrow_encode, True, enc, values, allowed_special, disallowed_special, num_threads)


def _with_row_text(error: Exception, values: Any, limit: int = 60) -> Exception:
    """`error` (an ArrowRowError) with the start of the failing row's text in its message.

    For the engine integrations, where a row index within one batch is not enough to find the
    row. Only the first `limit` characters are shown, to keep logs readable.
    """
    try:
        text = values[error.row].as_py()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 (the original error matters more)
        return error
    snippet = text[:limit] + ("..." if len(text) > limit else "")
    new = ArrowRowError(f"{error} [row text: {snippet!r}]")
    for attr in ("row", "code", "byte_offset", "token"):
        setattr(new, attr, getattr(error, attr, None))
    return new


class _Exported:
    """One exported (schema, array) capsule pair, for pa.array() to import (once)."""

    __slots__ = ("_capsules",)

    def __init__(self, capsules: tuple[object, object]) -> None:
        self._capsules = capsules

    def __arrow_c_array__(self, requested_schema: object = None) -> tuple[object, object]:
        return self._capsules


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
    except ImportError as e:
        raise ImportError("tokcount.arrow needs pyarrow: pip install 'tokcount[arrow]'") from e
    version = tuple(int(p) for p in pa.__version__.split(".")[:2] if p.isdigit())
    if version < _MIN_PYARROW:
        raise ImportError(f"tokcount.arrow needs pyarrow >= 14, found {pa.__version__}")
    return pa


def _result_type(pa: Any, tokens: bool) -> Any:
    return pa.list_(pa.uint32()) if tokens else pa.int64()


def _run(
    native: Callable[..., list[tuple[object, object]]],
    tokens: bool,
    enc: Encoding,
    values: Any,
    allowed_special: Any,
    disallowed_special: Any,
    num_threads: int | None,
) -> Any:
    pa = _pyarrow()
    series_type = _pandas_series_type()
    if series_type is not None and isinstance(values, series_type):
        return _run_pandas(native, tokens, enc, values, allowed_special, disallowed_special, num_threads)

    core = enc._core_bpe
    if hasattr(values, "__arrow_c_array__"):
        (pair,) = native(core, values.__arrow_c_array__(), allowed_special, disallowed_special, num_threads)
        return pa.array(_Exported(pair))
    if hasattr(values, "__arrow_c_stream__"):
        pairs = native(core, values.__arrow_c_stream__(), allowed_special, disallowed_special, num_threads)
        return pa.chunked_array([pa.array(_Exported(p)) for p in pairs], type=_result_type(pa, tokens))
    raise TypeError(
        f"expected an Arrow array or chunked array of strings, or a pandas Series, not {type(values).__name__}"
        + (" (for a Python list, use Encoding.count_batch / encode_batch)" if isinstance(values, (list, tuple)) else "")
    )


def _pandas_series_type() -> type | None:
    # Only if pandas is already imported: a pandas object cannot exist otherwise.
    pd = sys.modules.get("pandas")
    return getattr(pd, "Series", None) if pd is not None else None


def _run_pandas(
    native: Callable[..., list[tuple[object, object]]],
    tokens: bool,
    enc: Encoding,
    series: pd.Series,
    allowed_special: Any,
    disallowed_special: Any,
    num_threads: int | None,
) -> pd.Series:
    import pandas as pd

    pa = _pyarrow()
    # Arrow-backed Series (pandas' default str dtype with pyarrow, string[pyarrow], ArrowDtype)
    # convert without a copy; object Series are converted by pyarrow's C++ (None / NaN -> null);
    # categoricals become dictionary arrays, read through their dictionary.
    values = pa.array(series, from_pandas=True)
    result = _run(native, tokens, enc, values, allowed_special, disallowed_special, num_threads)
    return pd.Series(pd.arrays.ArrowExtensionArray(result), index=series.index, name=series.name, copy=False)
