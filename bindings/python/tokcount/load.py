"""Vocabulary files: tiktoken 0.14's `tiktoken.load`, for custom encodings.

tokcount's built-in encodings never read a file. These functions are for vocabularies that are
not built in (e.g. Llama 3's `tokenizer.model`) and behave as tiktoken's do: same formats,
same cache (`TIKTOKEN_CACHE_DIR`, else `DATA_GYM_CACHE_DIR`, else `<tmp>/data-gym-cache`; an
empty value disables it; entries named by the SHA-1 of the path or URL, checked against
`expected_hash` by SHA-256), same errors. One difference: asked for one of OpenAI's published
vocabulary files (by its URL) that tokcount has built in, they return the built-in ranks
without any network access, after checking `expected_hash` against the known hash.
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

__all__ = [
    "check_hash",
    "data_gym_to_mergeable_bpe_ranks",
    "dump_tiktoken_bpe",
    "load_tiktoken_bpe",
    "read_file",
    "read_file_cached",
]

_OPENAI_BLOBS = "https://openaipublic.blob.core.windows.net/"

# Published vocabulary files whose contents tokcount compiles in: URL -> (encoding, SHA-256).
_BUILTIN_TIKTOKEN_FILES: dict[str, tuple[str, str]] = {
    _OPENAI_BLOBS + "encodings/r50k_base.tiktoken": (
        "r50k_base",
        "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    ),
    _OPENAI_BLOBS + "encodings/p50k_base.tiktoken": (
        "p50k_base",
        "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    ),
    _OPENAI_BLOBS + "encodings/cl100k_base.tiktoken": (
        "cl100k_base",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    _OPENAI_BLOBS + "encodings/o200k_base.tiktoken": (
        "o200k_base",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}
# GPT-2's data-gym files: the ranks they define are r50k_base's.
_GPT2_VOCAB_BPE = (_OPENAI_BLOBS + "gpt-2/encodings/main/vocab.bpe",
                   "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5")
_GPT2_ENCODER_JSON = (_OPENAI_BLOBS + "gpt-2/encodings/main/encoder.json",
                      "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783")

_BLOBFILE_MISSING = "blobfile is not installed. Please install it by running `pip install blobfile`."


def _builtin_ranks(encoding_name: str) -> dict[bytes, int]:
    from tokcount import _tokcount

    # A new dict per call, as a parsed file would be (callers may mutate it).
    return _tokcount.CoreBPE.builtin(encoding_name).mergeable_ranks()


def _import_blobfile() -> Any:
    try:
        import blobfile
    except ImportError as e:
        raise ImportError(_BLOBFILE_MISSING) from e
    return blobfile


def read_file(blobpath: str) -> bytes:
    """Contents of a local path, an http(s) URL, or (with blobfile) any other URL."""
    if "://" not in blobpath:
        with open(blobpath, "rb", buffering=0) as f:
            return f.read()
    if blobpath.startswith(("http://", "https://")):
        try:
            import requests
        except ImportError:
            # requests is optional here; the standard library can fetch a public file too.
            import urllib.request

            with urllib.request.urlopen(blobpath) as resp:  # noqa: S310 (http(s) only)
                return bytes(resp.read())
        resp = requests.get(blobpath)
        resp.raise_for_status()
        return bytes(resp.content)
    return bytes(_import_blobfile().read_bytes(blobpath))


def check_hash(data: bytes, expected_hash: str) -> bool:
    """Whether `data`'s SHA-256 hex digest is `expected_hash`."""
    return hashlib.sha256(data).hexdigest() == expected_hash


def _cache_dir() -> tuple[str, bool]:
    """The cache directory and whether the user chose it."""
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if var in os.environ:
            return os.environ[var], True
    import tempfile

    return os.path.join(tempfile.gettempdir(), "data-gym-cache"), False


def read_file_cached(blobpath: str, expected_hash: str | None = None) -> bytes:
    """`read_file` through tiktoken's on-disk cache, verifying `expected_hash` (SHA-256)."""
    cache_dir, user_specified = _cache_dir()
    if cache_dir == "":
        return read_file(blobpath)

    cache_path = os.path.join(cache_dir, hashlib.sha1(blobpath.encode()).hexdigest())
    if os.path.exists(cache_path):
        with open(cache_path, "rb", buffering=0) as f:
            data = f.read()
        if expected_hash is None or check_hash(data, expected_hash):
            return data
        try:  # stale or corrupt: fetch again
            os.remove(cache_path)
        except OSError:
            pass

    contents = read_file(blobpath)
    if expected_hash and not check_hash(contents, expected_hash):
        raise ValueError(
            f"Hash mismatch for data downloaded from {blobpath} (expected {expected_hash}). "
            f"This may indicate a corrupted download. Please try again."
        )

    import uuid

    try:
        os.makedirs(cache_dir, exist_ok=True)
        # Write then rename, so a concurrent reader never sees a partial file.
        tmp_path = f"{cache_path}.{uuid.uuid4()}.tmp"
        with open(tmp_path, "wb") as f:
            f.write(contents)
        os.rename(tmp_path, cache_path)
    except OSError:
        # An unwritable default cache is not the caller's problem; a chosen one is.
        if user_specified:
            raise
    return contents


def load_tiktoken_bpe(tiktoken_bpe_file: str, expected_hash: str | None = None) -> dict[bytes, int]:
    """Mergeable ranks from a `.tiktoken` file (one `base64(token) rank` per line).

    `tiktoken_bpe_file` is a path or URL (read through the cache); with `expected_hash`, the
    contents' SHA-256 must match. A malformed line raises `ValueError`. Each call parses anew
    and returns a new dict.

    >>> ranks = load_tiktoken_bpe("/path/to/tokenizer.model")
    """
    builtin = _BUILTIN_TIKTOKEN_FILES.get(tiktoken_bpe_file)
    if builtin is not None and expected_hash in (None, builtin[1]):
        return _builtin_ranks(builtin[0])

    contents = read_file_cached(tiktoken_bpe_file, expected_hash)
    ranks: dict[bytes, int] = {}
    for line in contents.splitlines():
        if not line:
            continue
        try:
            token_b64, rank = line.split()
            ranks[base64.b64decode(token_b64)] = int(rank)
        except Exception as e:
            raise ValueError(f"Error parsing line {line!r} in {tiktoken_bpe_file}") from e
    return ranks


def dump_tiktoken_bpe(bpe_ranks: dict[bytes, int], tiktoken_bpe_file: str) -> None:
    """Writes ranks in the `.tiktoken` format, in rank order (needs blobfile, as tiktoken)."""
    blobfile = _import_blobfile()
    with blobfile.BlobFile(tiktoken_bpe_file, "wb") as f:
        for token, rank in sorted(bpe_ranks.items(), key=lambda item: item[1]):
            f.write(base64.b64encode(token) + b" " + str(rank).encode() + b"\n")


def _data_gym_byte_map() -> tuple[list[int], dict[str, int]]:
    """GPT-2's reversible byte <-> printable character map.

    Returns the bytes in single-byte rank order (printable ones first, as themselves, then the
    rest, each shown as chr(256 + n)) and the character -> byte map.
    """
    printable = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    others = [b for b in range(256) if b not in set(printable)]
    char_to_byte = {chr(b): b for b in printable}
    char_to_byte.update({chr(256 + n): b for n, b in enumerate(others)})
    return printable + others, char_to_byte


def data_gym_to_mergeable_bpe_ranks(
    vocab_bpe_file: str,
    encoder_json_file: str,
    vocab_bpe_hash: str | None = None,
    encoder_json_hash: str | None = None,
    clobber_one_byte_tokens: bool = False,
) -> dict[bytes, int]:
    """Mergeable ranks from GPT-2's original `vocab.bpe` + `encoder.json` ("data gym") files.

    Single bytes get ranks 0-255, then each merge in `vocab.bpe` the next rank; the result must
    equal `encoder.json` (less `<|endoftext|>` / `<|startoftext|>`), else `AssertionError`.
    With `clobber_one_byte_tokens`, single-byte ranks are taken from `encoder.json`.
    """
    if (
        (vocab_bpe_file, encoder_json_file) == (_GPT2_VOCAB_BPE[0], _GPT2_ENCODER_JSON[0])
        and vocab_bpe_hash in (None, _GPT2_VOCAB_BPE[1])
        and encoder_json_hash in (None, _GPT2_ENCODER_JSON[1])
        and not clobber_one_byte_tokens
    ):
        return _builtin_ranks("gpt2")

    byte_order, char_to_byte = _data_gym_byte_map()

    def to_bytes(text: str) -> bytes:
        return bytes(char_to_byte[c] for c in text)

    ranks: dict[bytes, int] = {bytes([b]): rank for rank, b in enumerate(byte_order)}
    vocab_lines = read_file_cached(vocab_bpe_file, vocab_bpe_hash).decode().split("\n")
    # The first line is a version header and the last one is empty. Merge i gets rank 256 + i
    # (even if it repeats an earlier token, which the check below then rejects).
    for rank, line in enumerate(vocab_lines[1:-1], start=len(ranks)):
        first, second = line.split()
        ranks[to_bytes(first) + to_bytes(second)] = rank

    import json

    expected = {to_bytes(k): v for k, v in json.loads(read_file_cached(encoder_json_file, encoder_json_hash)).items()}
    for special in (b"<|endoftext|>", b"<|startoftext|>"):
        expected.pop(special, None)
    if clobber_one_byte_tokens:
        ranks.update({k: v for k, v in expected.items() if len(k) == 1})
    # tiktoken relies on ranks being merge priority: the two files must agree.
    assert ranks == expected
    return ranks
