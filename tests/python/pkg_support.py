"""Constants and helpers shared by the Python package's tests (imported by name: a module
called conftest would clash with tests/differential's when pytest collects both)."""

from __future__ import annotations

import json
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BPE_DATA = REPO / "bpe_data"
BASE_ENCODINGS = ("r50k_base", "p50k_base", "cl100k_base", "o200k_base")
# Encodings tiktoken can build offline from the four vocabulary files.
TIKTOKEN_OFFLINE_ENCODINGS = ("r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base", "o200k_harmony")
ALL_ENCODINGS = ("gpt2",) + TIKTOKEN_OFFLINE_ENCODINGS


def conformance_dir() -> Path:
    """The shared conformance vectors: $TOKCOUNT_CONFORMANCE_DIR, else shared/ beside the repo."""
    env = os.environ.get("TOKCOUNT_CONFORMANCE_DIR")
    return Path(env) if env else REPO.parent / "shared" / "conformance"


def load_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
