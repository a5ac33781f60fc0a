"""PySpark column functions: a token-count column or a tokens column, computed on Arrow batches.

    from tokcount.spark import count_tokens, encode_tokens
    df = df.withColumn("n_tokens", count_tokens("text", encoding="o200k_base"))
    df = df.withColumn("tokens", encode_tokens("text", model="gpt-4o"))

    # SQL: register the UDF once
    spark.udf.register("count_tokens", tokcount.spark.count_tokens_udf(encoding="o200k_base"))
    spark.sql("SELECT count_tokens(text) FROM docs")

Each executor's Python worker gets batches of rows as Arrow (Spark's vectorized UDFs) and hands
each batch to `tokcount.arrow` in one native call. On Spark >= 4.1 the UDF is an Arrow UDF
(`pyspark.sql.functions.arrow_udf`): the column stays Arrow end to end, no Python `str` per row.
On older Spark it is a pandas UDF: Spark itself converts the Arrow batch to a pandas Series of
`str` before calling it, which costs about as much as the tokenization.

The UDF's closure holds the `tokcount.Encoding`, which pickles by name (a built-in encoding, or
any registered with `tokcount.get_encoding`), so each worker process gets the shared, compiled-in
encoding on first use: nothing to load or download. Counts are `bigint` (null for a null row);
tokens are `array<int>` (Spark has no unsigned type; every id of the built-in encodings fits).

`num_threads` defaults to 1: Spark already runs one task per core. Special tokens follow
`Encoding.encode`: by default, text that spells a special token fails the task with
`ArrowRowError` naming the row; pass `disallowed_special=()` to count it as plain text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, AbstractSet, Any, Collection, Literal

from tokcount import arrow as _arrow
from tokcount.core import Encoding

if TYPE_CHECKING:
    from pyspark.sql import Column
    from pyspark.sql.udf import UserDefinedFunction

__all__ = ["count_tokens", "count_tokens_udf", "encode_tokens", "encode_tokens_udf"]

_UdfKind = Literal["auto", "arrow", "pandas"]


def count_tokens(
    col: Column | str,
    *,
    encoding: str | Encoding | None = None,
    model: str | None = None,
    allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006 (tiktoken's signature)
    disallowed_special: Literal["all"] | Collection[str] = "all",
    num_threads: int = 1,
) -> Column:
    """A `bigint` column: the token count of each value of `col` (a string or binary column)."""
    return count_tokens_udf(
        encoding=encoding,
        model=model,
        allowed_special=allowed_special,
        disallowed_special=disallowed_special,
        num_threads=num_threads,
    )(col)


def encode_tokens(
    col: Column | str,
    *,
    encoding: str | Encoding | None = None,
    model: str | None = None,
    allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
    disallowed_special: Literal["all"] | Collection[str] = "all",
    num_threads: int = 1,
) -> Column:
    """An `array<int>` column: the tokens of each value of `col`."""
    return encode_tokens_udf(
        encoding=encoding,
        model=model,
        allowed_special=allowed_special,
        disallowed_special=disallowed_special,
        num_threads=num_threads,
    )(col)


def count_tokens_udf(
    *,
    encoding: str | Encoding | None = None,
    model: str | None = None,
    allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
    disallowed_special: Literal["all"] | Collection[str] = "all",
    num_threads: int = 1,
    kind: _UdfKind = "auto",
) -> UserDefinedFunction:
    """The UDF behind `count_tokens`, e.g. for `spark.udf.register`.

    `kind` picks Spark's UDF flavour: `"arrow"` (Spark >= 4.1), `"pandas"`, or `"auto"` (Arrow
    when this Spark has it).
    """
    return _make_udf(False, _arrow.resolve_encoding(encoding, model), allowed_special, disallowed_special,
                     num_threads, kind)


def encode_tokens_udf(
    *,
    encoding: str | Encoding | None = None,
    model: str | None = None,
    allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
    disallowed_special: Literal["all"] | Collection[str] = "all",
    num_threads: int = 1,
    kind: _UdfKind = "auto",
) -> UserDefinedFunction:
    """The UDF behind `encode_tokens` (see `count_tokens_udf`)."""
    return _make_udf(True, _arrow.resolve_encoding(encoding, model), allowed_special, disallowed_special,
                     num_threads, kind)


def _make_udf(
    tokens: bool, enc: Encoding, allowed_special: Any, disallowed_special: Any, num_threads: int, kind: _UdfKind
) -> UserDefinedFunction:
    import pandas as pd
    import pyarrow as pa
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if kind not in ("auto", "arrow", "pandas"):
        raise ValueError(f"kind must be 'auto', 'arrow' or 'pandas', not {kind!r}")
    arrow_udf = getattr(F, "arrow_udf", None)
    if kind == "arrow" and arrow_udf is None:
        raise ValueError("kind='arrow' needs pyspark >= 4.1 (pyspark.sql.functions.arrow_udf)")
    # Fail on the driver, not in every task, for bad options (and the check is cheap).
    _arrow.count_tokens(pa.array([], pa.string()), encoding=enc, allowed_special=allowed_special,
                        disallowed_special=disallowed_special, num_threads=num_threads)

    return_type = T.ArrayType(T.IntegerType()) if tokens else T.LongType()
    run = _arrow.encode_tokens if tokens else _arrow.count_tokens
    as_spark = _spark_tokens if tokens else (lambda a, _enc: a)
    options = {"encoding": enc, "allowed_special": allowed_special, "disallowed_special": disallowed_special,
               "num_threads": num_threads}
    name = "encode_tokens" if tokens else "count_tokens"

    def run_batch(texts: pa.Array) -> pa.Array:
        try:
            return as_spark(run(texts, **options), enc)
        except _arrow.ArrowRowError as e:  # the row index is within this batch: show the text
            raise _arrow._with_row_text(e, texts) from None

    if arrow_udf is not None and kind in ("auto", "arrow"):
        def arrow_kernel(texts: pa.Array) -> pa.Array:
            return run_batch(texts)

        arrow_kernel.__name__ = arrow_kernel.__qualname__ = name
        # Explicit hints: Spark reads them to pick the UDF type (no `from __future__` strings).
        arrow_kernel.__annotations__ = {"texts": pa.Array, "return": pa.Array}
        return arrow_udf(arrow_kernel, return_type)

    def pandas_kernel(texts: pd.Series) -> pd.Series:
        result = run_batch(pa.array(texts, from_pandas=True))
        if tokens:
            # Spark converts array columns element by element and takes None (not pd.NA) for
            # null: an object Series of numpy arrays is what it reads.
            return pd.Series(result.to_numpy(zero_copy_only=False), index=texts.index, copy=False)
        return pd.Series(pd.arrays.ArrowExtensionArray(result), index=texts.index, copy=False)

    pandas_kernel.__name__ = pandas_kernel.__qualname__ = name
    pandas_kernel.__annotations__ = {"texts": pd.Series, "return": pd.Series}
    return F.pandas_udf(pandas_kernel, return_type)


def _spark_tokens(tokens: Any, enc: Encoding) -> Any:
    """list<uint32> -> list<int32>, Spark's array<int>: a zero-copy view when every id fits."""
    import pyarrow as pa

    target = pa.list_(pa.int32())
    if enc.max_token_value > 0x7FFFFFFF:
        return tokens.cast(target)  # checked: an id >= 2**31 raises
    if isinstance(tokens, pa.ChunkedArray):  # (from an Arrow-backed pandas Series)
        return pa.chunked_array([c.view(target) for c in tokens.chunks], target)
    return tokens.view(target)
