#!/usr/bin/env bash
# Quick start, the tests: set up, build, and run every test.
#   1. C++ (GoogleTest under ctest): conformance vectors, API, C API, CLI, install checks.
#   2. Python: `pip install .` into a fresh venv, then pytest over the Python package and
#      the differential tests against pip tiktoken 0.14.0 and openai-harmony 0.0.8, both run
#      offline on our vocab files.
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export TOKCOUNT_BUILD_TYPE=${TOKCOUNT_BUILD_TYPE:-RelWithDebInfo}
tools/setup.sh

echo "== C++ tests (ctest)"
ctest --test-dir build --output-on-failure -j"$(nproc)"

echo "== Python package and differential tests (pytest)"
venv=build/venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip >/dev/null
# openai-harmony reads o200k_base.tiktoken from $TIKTOKEN_ENCODINGS_BASE instead of
# downloading it (tests/differential/test_harmony.py sets it to bpe_data/).
"$venv/bin/pip" install -q "tiktoken==0.14.0" "openai-harmony==0.0.8" pytest hypothesis numpy
"$venv/bin/pip" install -q . 
export TOKCOUNT_BIN="$PWD/build/tools/cli/tokcount"
"$venv/bin/python" -m pytest -q tests/python tests/differential
