"""Ray Data batch functions: add a token-count column or a tokens column with `map_batches`.

    import ray, tokcount.ray
    ds = ray.data.read_parquet("docs/")
    ds = ds.map_batches(tokcount.ray.count_tokens("text", encoding="o200k_base"), batch_format="pyarrow")
    ds = ds.map_batches(tokcount.ray.encode_tokens("text", model="gpt-4o"), batch_format="pyarrow")

`count_tokens(...)` and `encode_tokens(...)` return a small picklable callable: given a
`pyarrow.Table` batch (`batch_format="pyarrow"`, the zero-copy format), it tokenizes the input
column's buffers in one native call (`tokcount.arrow`) and returns the batch with the output
column added (or replaced). A pandas DataFrame batch (`batch_format="pandas"`) works too, at
the cost of Ray's conversion.

The callable holds the `tokcount.Encoding`, which pickles by name: each Ray worker process gets
the shared, compiled-in encoding on first use, with nothing to load. `num_threads` defaults
to 1, as Ray already runs one task per CPU.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, AbstractSet, Any, Collection, Literal

from tokcount import arrow as _arrow
from tokcount.core import Encoding

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["TokenColumn", "count_tokens", "encode_tokens"]


class TokenColumn:
    """A `map_batches` function adding `output_column`: counts or tokens of `column`."""

    def __init__(
        self,
        column: str,
        output_column: str,
        *,
        tokens: bool,
        encoding: Encoding,
        allowed_special: Any = set(),  # noqa: B006
        disallowed_special: Any = "all",
        num_threads: int = 1,
    ) -> None:
        self.column = column
        self.output_column = output_column
        self.tokens = tokens
        self.encoding = encoding
        self.allowed_special = allowed_special
        self.disallowed_special = disallowed_special
        self.num_threads = num_threads

    def __repr__(self) -> str:
        what = "encode_tokens" if self.tokens else "count_tokens"
        return f"tokcount.ray.{what}({self.column!r} -> {self.output_column!r}, encoding={self.encoding.name!r})"

    def __call__(self, batch: pa.Table | pd.DataFrame) -> pa.Table | pd.DataFrame:
        run = _arrow.encode_tokens if self.tokens else _arrow.count_tokens
        options = {
            "encoding": self.encoding,
            "allowed_special": self.allowed_special,
            "disallowed_special": self.disallowed_special,
            "num_threads": self.num_threads,
        }
        pa = _arrow._pyarrow()
        if isinstance(batch, pa.Table):
            values = batch.column(self.column)
            try:
                result = run(values, **options)
            except _arrow.ArrowRowError as e:  # the row index is within this batch: show the text
                raise _arrow._with_row_text(e, values) from None
            index = batch.schema.get_field_index(self.output_column)
            if index >= 0:
                return batch.set_column(index, self.output_column, result)
            return batch.append_column(self.output_column, result)
        pd = sys.modules.get("pandas")
        if pd is not None and isinstance(batch, pd.DataFrame):
            try:
                return batch.assign(**{self.output_column: run(batch[self.column], **options)})
            except _arrow.ArrowRowError as e:
                raise _arrow._with_row_text(e, pa.array(batch[self.column], from_pandas=True)) from None
        raise TypeError(
            f"expected a pyarrow.Table batch (map_batches(..., batch_format='pyarrow')), not {type(batch).__name__}"
        )


def count_tokens(
    column: str = "text",
    *,
    output_column: str = "num_tokens",
    encoding: str | Encoding | None = None,
    model: str | None = None,
    allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006 (tiktoken's signature)
    disallowed_special: Literal["all"] | Collection[str] = "all",
    num_threads: int = 1,
) -> TokenColumn:
    """A `map_batches` function adding `output_column` (int64): the token count of `column`."""
    return TokenColumn(column, output_column, tokens=False, encoding=_arrow.resolve_encoding(encoding, model),
                       allowed_special=allowed_special, disallowed_special=disallowed_special,
                       num_threads=num_threads)


def encode_tokens(
    column: str = "text",
    *,
    output_column: str = "tokens",
    encoding: str | Encoding | None = None,
    model: str | None = None,
    allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
    disallowed_special: Literal["all"] | Collection[str] = "all",
    num_threads: int = 1,
) -> TokenColumn:
    """A `map_batches` function adding `output_column` (list<uint32>): the tokens of `column`."""
    return TokenColumn(column, output_column, tokens=True, encoding=_arrow.resolve_encoding(encoding, model),
                       allowed_special=allowed_special, disallowed_special=disallowed_special,
                       num_threads=num_threads)
