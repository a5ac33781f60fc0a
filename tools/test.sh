#!/usr/bin/env bash
# Quick start, the tests: set up, build, and run every test.
#   1. C++ (GoogleTest under ctest): conformance vectors, API, C API, CLI, install checks.
#   2. Python: `pip install .` into a fresh venv, then pytest over the Python package (Arrow,
#      Spark and Ray integrations included) and the differential tests against pip tiktoken 0.14.0
#      and openai-harmony 0.0.8, both run offline on our vocab files.
#   3. Hardening (set the variable to 1 to run a stage, 0 to skip it):
#      TOKCOUNT_TEST_ASAN=1  the C++ suite (tokcount_tests) built with ASan+UBSan in build-asan/
#      TOKCOUNT_TEST_TSAN=1  the C++ suite built with TSan in build-tsan/ (the thread hammer too)
#      TOKCOUNT_TEST_FUZZ=1  every libFuzzer target (tests/fuzz) for TOKCOUNT_FUZZ_SECONDS
#                            (default 30) each, from corpora seeded by tests/fixtures
#      Defaults: all three off until a full run of them has been seen
#      green on a CI-like machine (they were written on a machine too loaded to run them end
#      to end; see the README's Hardening section). CI enables what is on by default.
#      The Python suite is not run under sanitizers (the interpreter is not instrumented).
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

# ---- hardening stages --------------------------------------------------------------------
# Sanitizer builds compile only the library and the GoogleTest binary (no CLI, proxy or
# benchmarks): the CLI and Python front ends are skins over the same library code.
sanitizer_suite() {  # dir, cmake option, filter of tests that cannot run under it
  local dir=$1 option=$2 filter=$3
  TOKCOUNT_BUILD_DIR=$dir TOKCOUNT_BUILD_TARGET="tokcount_tests tokcount_oom_tests" \
    tools/setup.sh "$option" -DTOKCOUNT_BUILD_CLI=OFF -DTOKCOUNT_BUILD_PROXY=OFF -DTOKCOUNT_BUILD_BENCH=OFF
  # One process per shard (gtest sharding), two at a time: the sanitizers slow each test 2-10x.
  local shards=$(( $(nproc) > 1 ? $(nproc) : 1 )) pids=() rc=0 i
  for ((i = 0; i < shards; i++)); do
    GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$i "$dir/tests/tokcount_tests" \
      --gtest_filter="$filter" --gtest_brief=1 >"$dir/shard$i.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then rc=1; tail -60 "$dir/shard$i.log" >&2; fi
  done
  # The allocation-failure test (own binary: it replaces operator new with malloc/free forms).
  "$dir/tests/tokcount_oom_tests" --gtest_brief=1 >"$dir/oom.log" 2>&1 || { rc=1; tail -60 "$dir/oom.log" >&2; }
  return $rc
}

if [ "${TOKCOUNT_TEST_ASAN:-0}" != 0 ]; then
  echo "== C++ tests under ASan+UBSan (build-asan)"
  # Excluded: ThreadHammer (runs in the TSan build, the one that checks it; under ASan it only
  # costs time). Limits.* time ratios hold under ASan too but are already checked unsanitized.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    sanitizer_suite build-asan -DTOKCOUNT_SANITIZE=ON "-ThreadHammer.*:Limits.*"
fi
if [ "${TOKCOUNT_TEST_TSAN:-0}" != 0 ]; then
  echo "== C++ tests under TSan (build-tsan)"
  # Excluded: Limits.* (timing under TSan's 5-15x slowdown measures the sanitizer, not the
  # tokenizer) and Conformance.* (single-threaded vector checks, minutes under TSan, already run
  # unsanitized and under ASan), WorkerPool.BatchesWorkInAForkedChild (TSan kills a child
  # forked from a multi-threaded process by design: die_after_fork).
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    sanitizer_suite build-tsan -DTOKCOUNT_TSAN=ON "-Limits.*:Conformance*.*:WorkerPool.BatchesWorkInAForkedChild"
fi
if [ "${TOKCOUNT_TEST_FUZZ:-0}" != 0 ]; then
  echo "== fuzz targets (build-fuzz, ${TOKCOUNT_FUZZ_SECONDS:-30} s each)"
  tools/fuzz.sh
fi
