#!/usr/bin/env bash
# Quick start, the tests: set up, build, and run every test.
#   1. C++ (GoogleTest under ctest): conformance vectors, API, C API, CLI, install checks.
#   2. Python: `pip install .` into a fresh venv, then pytest over the Python package (Arrow,
#      Spark and Ray integrations included) and the differential tests against pip tiktoken 0.14.0
#      and openai-harmony 0.0.8, both run offline on our vocab files.
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export TOKCOUNT_BUILD_TYPE=${TOKCOUNT_BUILD_TYPE:-RelWithDebInfo}
# Benchmarks on: they must keep compiling as the engine changes, and tests/python/test_bench.py
# checks the harness's C++ driver.
tools/setup.sh -DTOKCOUNT_BUILD_BENCH=ON

echo "== C++ tests (ctest)"
ctest --test-dir build --output-on-failure -j"$(nproc)"

echo "== Python package and differential tests (pytest)"
venv=build/venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip >/dev/null
# openai-harmony reads o200k_base.tiktoken from $TIKTOKEN_ENCODINGS_BASE instead of
# downloading it (tests/differential/test_harmony.py sets it to bpe_data/).
# jsonschema: validates `tokcount lint --format sarif` against the SARIF 2.1.0 schema.
# cbor2: tests/python/test_cache.py computes vLLM's sha256_cbor reference hashes with it.
"$venv/bin/pip" install -q "tiktoken==0.14.0" pytest hypothesis "openai-harmony==0.0.8" numpy pyarrow pandas "tokenizers==0.23.3" jsonschema "cbor2==6.3.0"
# tests/python/test_spark.py and test_ray.py run local[2] Spark and a local Ray cluster. Measured on
# the 2-core machine, cold pip cache, under heavy load from other builds: pyarrow + pandas ~2 min,
# pyspark ~7 min / 490 MB, ray[data] ~3.5 min / 240 MB; the Spark and Ray tests ~5 min together
# (mostly JVM and worker start-up). Well inside CI's 90 minutes, so they run here rather than
# behind a marker (they still skip cleanly where pyspark / ray / Java are missing). Pinned: these
# are large and change fast. Spark needs a Java runtime (17+).
"$venv/bin/pip" install -q "pyspark==4.3.0" "ray[data]==2.60.0"
if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ]; then
  echo "test: installing a Java runtime for the Spark tests" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
"$venv/bin/pip" install -q . 
export TOKCOUNT_BIN="$PWD/build/tools/cli/tokcount"
export TOKCOUNT_BENCH_DRIVER="$PWD/build/bench/tokcount_bench_driver"
"$venv/bin/python" -m pytest -q tests/python tests/differential
