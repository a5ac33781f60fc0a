#!/usr/bin/env bash
# Runs tiktoken 0.14.0's own public test suite (tests/ of its sdist, 33 tests) against tokcount.
#
# The suite is downloaded at run time (pip download of the sdist) into a temporary directory and
# run there with a shim package named `tiktoken` that re-exports tokcount; nothing of it is
# kept. Needs network access to PyPI, and tokcount, pytest and hypothesis installed in the
# Python used ($PYTHON, default python3); pip's tiktoken must not be importable by it first
# (the shim is put ahead on sys.path, so an installed tiktoken is shadowed anyway).
#
# Usage: tools/run_tiktoken_suite.sh [pytest args...]
set -euo pipefail

PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$PYTHON" -c 'import tokcount, pytest, hypothesis' || {
  echo "run_tiktoken_suite: needs tokcount, pytest and hypothesis importable by $PYTHON" >&2
  exit 2
}

"$PYTHON" -m pip download --quiet --no-binary :all: --no-deps -d "$work/dl" tiktoken==0.14.0
tar -xzf "$work"/dl/tiktoken-0.14.0.tar.gz -C "$work" tiktoken-0.14.0/tests

# The shim: `import tiktoken` (and tiktoken.core / .registry / .model / .load) is tokcount.
mkdir -p "$work/shim/tiktoken"
cat > "$work/shim/tiktoken/__init__.py" <<'EOF'
import sys

import tokcount
import tokcount.core
import tokcount.load
import tokcount.model
import tokcount.registry
from tokcount import *  # noqa: F401,F403
from tokcount import __version__  # noqa: F401

for _name in ("core", "load", "model", "registry"):
    sys.modules[f"{__name__}.{_name}"] = getattr(tokcount, _name)
    globals()[_name] = getattr(tokcount, _name)
EOF

cd "$work/tiktoken-0.14.0"
# --import-mode=append, as tiktoken's CI runs it: the installed package, not a source tree.
PYTHONPATH="$work/shim${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m pytest tests --import-mode=append -p no:cacheprovider "$@"
