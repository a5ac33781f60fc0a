"""The native `tokcount` CLI that `pip install .` puts on PATH beside the Python package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tokcount


def _cli() -> str:
    # The scripts directory of the running interpreter's environment first (where pip puts it).
    candidate = Path(sys.executable).parent / "tokcount"
    if candidate.exists() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which("tokcount")
    if found is None:
        pytest.skip("the tokcount CLI is not installed here (it comes with `pip install .`)")
    return found


def test_cli_version_matches_package():
    out = subprocess.run([_cli(), "--version"], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.split()[:2] == ["tokcount", tokcount.__version__]


def test_cli_agrees_with_python():
    text = "hello world, ünïcödé 你好 🙂"
    enc = tokcount.get_encoding("cl100k_base")
    out = subprocess.run(
        [_cli(), "encode", "-e", "cl100k_base"], input=text.encode(), capture_output=True, check=True, timeout=60
    ).stdout
    assert [int(t) for t in out.split()] == enc.encode(text)
    total = subprocess.run(
        [_cli(), "count", "-q", "-e", "cl100k_base"], input=text.encode(), capture_output=True, check=True, timeout=60
    ).stdout
    assert int(total) == enc.count(text)
