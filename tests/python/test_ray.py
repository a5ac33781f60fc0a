"""tokcount.ray on a local Ray cluster (2 CPUs): map_batches over a generated dataset gives the
counts and tokens single-process counting gives.

Skips when ray (with Ray Data) is missing; tools/test.sh installs it. Starting the local
cluster takes ~10-20 s; the tests a few seconds more.
"""

from __future__ import annotations

import pickle
import random

import pytest

import tokcount

pa = pytest.importorskip("pyarrow", reason="tokcount.ray needs pyarrow")
ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'tokcount[ray]')")
pytest.importorskip("ray.data", reason="Ray Data is not installed (pip install 'ray[data]')")

import tokcount.ray as tkr  # noqa: E402

pytestmark = pytest.mark.ray

ENCODING = "cl100k_base"


def _texts(n: int = 3000, seed: int = 9) -> list[str | None]:
    rng = random.Random(seed)
    alphabet = "abcdefghij KLMNOP 0123 \n\t .,;!? äöü ßç 你好世界 привет 🙂 's "
    return [None if i % 89 == 0 else "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 200)))
            for i in range(n)]


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
             configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def dataset(cluster):
    texts = _texts()
    table = pa.table({"id": list(range(len(texts))), "text": texts})
    return texts, ray.data.from_arrow(table).repartition(6)


def _to_arrow(ds):
    return pa.concat_tables(ray.get(ds.to_arrow_refs()))


def test_count_tokens_map_batches(dataset):
    texts, ds = dataset
    enc = tokcount.get_encoding(ENCODING)
    out = ds.map_batches(tkr.count_tokens("text", encoding=ENCODING), batch_format="pyarrow", batch_size=256)
    table = _to_arrow(out)
    assert table.schema.field("num_tokens").type == pa.int64()
    got = dict(zip(table.column("id").to_pylist(), table.column("num_tokens").to_pylist()))
    assert got == {i: None if t is None else enc.count(t) for i, t in enumerate(texts)}
    assert table.column("text").to_pylist() == [texts[i] for i in table.column("id").to_pylist()]


def test_encode_tokens_map_batches(dataset):
    texts, ds = dataset
    enc = tokcount.get_encoding("o200k_base")
    fn = tkr.encode_tokens("text", output_column="ids", model="gpt-4o")
    table = _to_arrow(ds.map_batches(fn, batch_format="pyarrow"))
    assert table.schema.field("ids").type == pa.list_(pa.uint32())
    got = dict(zip(table.column("id").to_pylist(), table.column("ids").to_pylist()))
    assert got == {i: None if t is None else enc.encode(t) for i, t in enumerate(texts)}


def test_pandas_batches_and_replacing_a_column(dataset):
    texts, ds = dataset
    enc = tokcount.get_encoding(ENCODING)
    fn = tkr.count_tokens("text", output_column="text", encoding=ENCODING, disallowed_special=())
    rows = ds.map_batches(fn, batch_format="pandas").take_all()
    assert {r["id"]: (None if r["text"] is None or r["text"] != r["text"] else int(r["text"])) for r in rows} == {
        i: None if t is None else enc.count(t, disallowed_special=()) for i, t in enumerate(texts)
    }


def test_errors_reach_the_driver(cluster):
    ds = ray.data.from_items([{"text": "ok"}, {"text": "bad <|endoftext|>"}])
    # The row index is within the failing batch, so the message also shows the row's text.
    with pytest.raises(Exception, match=r"row \d+: Encountered text corresponding to disallowed special token "
                                        r"'<\|endoftext\|>' at byte offset 4\..*\[row text: 'bad <\|endoftext\|>'\]"):
        ds.map_batches(tkr.count_tokens(encoding=ENCODING), batch_format="pyarrow").take_all()


def test_function_pickles_small_and_by_name():
    fn = tkr.count_tokens("body", encoding=ENCODING)
    data = pickle.dumps(fn)
    assert len(data) < 1000  # the encoding's name, not its vocabulary
    clone = pickle.loads(data)
    assert clone.encoding.__dict__ is tokcount.get_encoding(ENCODING).__dict__  # the shared encoding
    assert repr(clone) == "tokcount.ray.count_tokens('body' -> 'num_tokens', encoding='cl100k_base')"
    with pytest.raises(TypeError, match="batch_format='pyarrow'"):
        clone({"body": ["a dict batch"]})


def test_workers_get_the_shared_encoding(cluster):
    import os

    fn = tkr.encode_tokens(encoding=ENCODING)

    @ray.remote
    def inspect(f):
        return os.getpid(), f.encoding.__dict__ is tokcount.get_encoding(ENCODING).__dict__

    pid, shared = ray.get(inspect.remote(fn))
    assert pid != os.getpid()  # really another process
    assert shared  # unpickled by name to the worker's registered encoding, not rebuilt
