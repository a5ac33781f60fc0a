"""Shared fixtures for the Python package's tests.

The differential tests compare with pip's tiktoken 0.14.0, run offline: its cache directory is
filled with the repo's vocabulary files under the names tiktoken looks for (the SHA-1 of each
file's URL), so it never downloads anything. gpt2 is not available that way (tiktoken builds it
from other files); its ranks are r50k_base's, which is tested instead.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

import tokcount

from pkg_support import ALL_ENCODINGS, REPO


def _fill_tiktoken_cache(directory: Path) -> None:
    script = REPO / "tools" / "tiktoken_cache.py"
    spec = importlib.util.spec_from_file_location("_tiktoken_cache", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.fill_cache(directory)


@pytest.fixture(scope="session")
def tiktoken(tmp_path_factory):
    """pip's tiktoken, reading the repo's vocabularies from a pre-filled cache (no network)."""
    tk = pytest.importorskip("tiktoken", reason="pip tiktoken==0.14.0 is needed for differential tests")
    if getattr(tk, "__version__", None) != "0.14.0":
        pytest.skip(f"differential tests need tiktoken 0.14.0, found {getattr(tk, '__version__', '?')}")
    if tk.Encoding is tokcount.Encoding:
        pytest.skip("`tiktoken` is a shim over tokcount here")
    cache = tmp_path_factory.mktemp("tiktoken-cache")
    _fill_tiktoken_cache(cache)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return tk


@pytest.fixture(params=ALL_ENCODINGS)
def enc(request) -> tokcount.Encoding:
    return tokcount.get_encoding(request.param)


@pytest.fixture
def cl100k() -> tokcount.Encoding:
    return tokcount.get_encoding("cl100k_base")


@pytest.fixture
def r50k() -> tokcount.Encoding:
    return tokcount.get_encoding("r50k_base")
