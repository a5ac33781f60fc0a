"""Shared setup: offline tiktoken, the seed, and the tokcount binary."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tools"))

import tiktoken_cache  # noqa: E402

# tiktoken reads TIKTOKEN_CACHE_DIR when it first loads an encoding, so fill our
# own cache before any test imports an encoding; nothing is downloaded.
_CACHE = tempfile.mkdtemp(prefix="tokcount-tiktoken-cache-")
atexit.register(shutil.rmtree, _CACHE, True)
tiktoken_cache.use_cache(_CACHE)

import tiktoken  # noqa: E402

import harness  # noqa: E402


def _seed() -> int:
    raw = os.environ.get("TOKCOUNT_DIFF_SEED", "20250601")
    if raw == "random":
        return int.from_bytes(os.urandom(4), "little")
    return int(raw)


SEED = _seed()
N_INPUTS = harness.N_INPUTS


def pytest_report_header(config):
    return [f"differential: seed={SEED} (TOKCOUNT_DIFF_SEED to change), inputs/encoding={N_INPUTS}, "
            f"tiktoken {tiktoken.__version__}, TOKCOUNT_BIN={os.environ.get('TOKCOUNT_BIN', '<unset>')}"]


@pytest.fixture(scope="session")
def tokcount_bin() -> str:
    try:
        return harness.tokcount_bin()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def seed() -> int:
    return SEED


@pytest.fixture(scope="session")
def encodings() -> dict[str, tiktoken.Encoding]:
    return {name: tiktoken.get_encoding(name) for name in tiktoken_cache.ENCODINGS}
