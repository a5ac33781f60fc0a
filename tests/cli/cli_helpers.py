"""Shared helpers for the tokcount CLI tests (stdlib only).

Each test_*.py script is one ctest test: `python3 test_x.py /path/to/tokcount`. It runs every
function named test_* in the script, prints a line per failure and exits 1 if any failed.
"""

import os
import subprocess
import sys
import tempfile
import traceback

if len(sys.argv) < 2:
    sys.exit("usage: %s /path/to/tokcount" % sys.argv[0])
BIN = sys.argv[1]

# Known token ids (tiktoken 0.x, verified against pip tiktoken).
GREAT = "tiktoken is great!"
GREAT_CL100K = [83, 1609, 5963, 374, 2294, 0]
GREAT_O200K = [83, 8251, 2488, 382, 2212, 0]
SPECIAL_TEXT = "hello<|endoftext|>world"
SPECIAL_O200K_ALL = [24912, 199999, 24169]
SPECIAL_CL100K_ALL = [15339, 100257, 14957]


def run(*args, input=None, rc=0, timeout=120):
    """Runs tokcount with `args`; asserts the exit code (None: any) and no death by signal."""
    if isinstance(input, str):
        input = input.encode("utf-8")
    p = subprocess.run([BIN, *args], input=input, capture_output=True, timeout=timeout)
    assert p.returncode >= 0, "tokcount %s was killed by signal %d" % (args, -p.returncode)
    if rc is not None:
        assert p.returncode == rc, "tokcount %s: exit %d, expected %d\nstdout: %r\nstderr: %r" % (
            args, p.returncode, rc, p.stdout[:500], p.stderr[:500])
    return p


def ids(p):
    """Token ids from `tokcount encode` output (space separated)."""
    return [int(x) for x in p.stdout.split()]


def tempdir():
    return tempfile.TemporaryDirectory(prefix="tokcount_cli_")


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def main(namespace):
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    failed = 0
    for name, fn in tests:
        try:
            fn()
            print("ok    %s" % name)
        except Exception:  # report every failure, not just the first
            failed += 1
            print("FAIL  %s\n%s" % (name, traceback.format_exc()))
    print("%d/%d passed" % (len(tests) - failed, len(tests)))
    sys.exit(1 if failed else 0)
