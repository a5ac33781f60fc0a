"""tokcount.spark on a local PySpark session (local[2]): token-count and tokens columns over a
generated dataset equal single-process counting, through the Arrow UDF and the pandas UDF.

Skips when pyspark or a Java runtime is missing (tools/test.sh installs pyspark; Spark needs
Java 17+). Starting the session takes ~10-20 s; the tests themselves a few seconds.
"""

from __future__ import annotations

import os
import random
import shutil
import sys

import pytest

import tokcount

pytest.importorskip("pyarrow", reason="tokcount.spark needs pyarrow")
pytest.importorskip("pandas", reason="tokcount.spark needs pandas")
pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'tokcount[spark]')")

import tokcount.spark as tks  # noqa: E402

pytestmark = pytest.mark.spark

ENCODING = "o200k_base"


def _java_available() -> bool:
    return bool(os.environ.get("JAVA_HOME")) or shutil.which("java") is not None


def _dataset(n: int = 3000, seed: int = 5) -> list[tuple[int, str | None]]:
    rng = random.Random(seed)
    alphabet = "abcdefghij KLMNOP 0123 \n\t .,;!? äöü ßç 你好世界 привет 🙂 's "
    rows = []
    for i in range(n):
        text = None if i % 97 == 0 else "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 200)))
        rows.append((i, text))
    return rows


@pytest.fixture(scope="module")
def spark():
    if not _java_available():
        pytest.skip("Spark needs a Java runtime (java on PATH or JAVA_HOME)")
    from pyspark.sql import SparkSession

    # Workers must run this interpreter (the one with tokcount installed), not `python3` on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("tokcount-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "500")  # several batches per task
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def docs(spark):
    rows = _dataset()
    return rows, spark.createDataFrame(rows, "id long, text string").repartition(4)


def _expected(rows, tokens: bool, **options):
    enc = tokcount.get_encoding(ENCODING)
    if tokens:
        return {i: None if t is None else enc.encode(t, **options) for i, t in rows}
    return {i: None if t is None else enc.count(t, **options) for i, t in rows}


@pytest.mark.parametrize("kind", ["auto", "pandas"])
def test_count_column_equals_single_process(docs, kind):
    rows, df = docs
    udf = tks.count_tokens_udf(encoding=ENCODING, kind=kind)
    got = {r.id: r.n for r in df.select("id", udf("text").alias("n")).collect()}
    assert got == _expected(rows, tokens=False)
    assert df.withColumn("n", udf("text")).schema["n"].dataType.simpleString() == "bigint"


@pytest.mark.parametrize("kind", ["auto", "pandas"])
def test_tokens_column_equals_single_process(docs, kind):
    rows, df = docs
    udf = tks.encode_tokens_udf(encoding=ENCODING, kind=kind)
    out = df.withColumn("tokens", udf("text"))
    assert out.schema["tokens"].dataType.simpleString() == "array<int>"
    got = {r.id: r.tokens for r in out.select("id", "tokens").collect()}
    assert got == _expected(rows, tokens=True)


def test_arrow_udf_is_used_when_spark_has_it():
    from pyspark.rdd import PythonEvalType
    from pyspark.sql import functions as F

    assert tks.count_tokens_udf(encoding=ENCODING, kind="pandas").evalType == PythonEvalType.SQL_SCALAR_PANDAS_UDF
    if hasattr(F, "arrow_udf"):  # Spark >= 4.1
        assert tks.count_tokens_udf(encoding=ENCODING).evalType == PythonEvalType.SQL_SCALAR_ARROW_UDF
    else:
        assert tks.count_tokens_udf(encoding=ENCODING).evalType == PythonEvalType.SQL_SCALAR_PANDAS_UDF
        with pytest.raises(ValueError, match="4.1"):
            tks.count_tokens_udf(encoding=ENCODING, kind="arrow")


def test_column_functions_model_and_sql(spark, docs):
    rows, df = docs
    enc = tokcount.encoding_for_model("gpt-4o")
    total = df.select(tks.count_tokens("text", model="gpt-4o").alias("n")).groupBy().sum("n").collect()[0][0]
    assert total == sum(enc.count(t) for _, t in rows if t is not None)

    spark.udf.register("tokcount_count", tks.count_tokens_udf(encoding=ENCODING))
    df.createOrReplaceTempView("docs")
    got = {r.id: r.n for r in spark.sql("SELECT id, tokcount_count(text) AS n FROM docs WHERE id < 300").collect()}
    assert got == {i: n for i, n in _expected(rows, tokens=False).items() if i < 300}


def test_special_tokens_options_and_errors(spark):
    df = spark.createDataFrame([(0, "plain"), (1, "with <|endoftext|> inside")], "id long, text string")
    enc = tokcount.get_encoding(ENCODING)
    got = [r.n for r in df.orderBy("id").select(tks.count_tokens("text", encoding=ENCODING,
                                                                   disallowed_special=()).alias("n")).collect()]
    assert got == [enc.count("plain"), enc.count("with <|endoftext|> inside", disallowed_special=())]
    allowed = df.orderBy("id").select(tks.encode_tokens("text", encoding=ENCODING, allowed_special="all").alias("t"))
    assert allowed.collect()[1].t == enc.encode("with <|endoftext|> inside", allowed_special="all")
    # The default refuses special-token text, as Encoding.encode does; the task fails naming the row.
    with pytest.raises(Exception, match=r"row 1: Encountered text corresponding to disallowed special token "
                                        r"'<\|endoftext\|>'.*\[row text: 'with <\|endoftext\|> inside'\]"):
        df.coalesce(1).orderBy("id").select(tks.count_tokens("text", encoding=ENCODING)).collect()


def test_bad_options_fail_on_the_driver():
    with pytest.raises(TypeError, match="exactly one"):
        tks.count_tokens("text")
    with pytest.raises(ValueError, match="Unknown encoding"):
        tks.count_tokens("text", encoding="nope")
    with pytest.raises(ValueError, match="kind"):
        tks.count_tokens_udf(encoding=ENCODING, kind="rows")


def test_readme_example(spark):
    # The README's Spark example as written, on this module's session (getOrCreate returns it).
    from test_dataset_examples import readme_example

    exec(compile(readme_example("spark"), "README.md (Spark example)", "exec"), {"__name__": "readme_example"})


def test_workers_get_the_shared_encoding(spark):
    enc = tokcount.get_encoding(ENCODING)
    driver = os.getpid()

    def inspect(_):
        import os

        import tokcount

        # `enc` was pickled with this closure: by name, to the worker's registered encoding.
        yield os.getpid(), enc.__dict__ is tokcount.get_encoding(ENCODING).__dict__

    got = spark.sparkContext.parallelize(range(2), 2).mapPartitions(inspect).collect()
    assert all(shared for _, shared in got)
    assert all(pid != driver for pid, _ in got)
