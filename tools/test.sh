#!/usr/bin/env bash
# Quick start, the tests: set up, build, and run every test.
#   1. C++ (GoogleTest under ctest): conformance vectors, API, C API, CLI, install checks.
#   2. Python: `pip install .` into a fresh venv, then pytest over the Python package (Arrow,
#      Spark and Ray integrations included) and the differential tests against pip tiktoken 0.14.0
#      and openai-harmony 0.0.8, both run offline on our vocab files.
#   3. Hardening, after the normal suite (each stage on by default; set its variable to 0 to
#      skip it):
#      TOKCOUNT_TEST_ASAN  the C++ suite under ASan+UBSan: Clang, build-asan/ (tools/fuzz.sh
#                          builds that tree: the suite and the fuzz targets share it)
#      TOKCOUNT_TEST_TSAN  the C++ suite under TSan: GCC, build-tsan/ (the thread hammer too)
#      TOKCOUNT_TEST_FUZZ  every libFuzzer target (tests/fuzz) for TOKCOUNT_FUZZ_SECONDS
#                          (default 30) each, from corpora seeded by tests/fixtures
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
sanitizer_suite() {  # build dir, filter of tests that cannot run under its sanitizer
  local dir=$1 filter=$2
  # One process per shard (gtest sharding), one per CPU: the sanitizers slow each test 2-10x.
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

stage_start=$SECONDS
if [ "${TOKCOUNT_TEST_ASAN:-1}" != 0 ]; then
  echo "== C++ tests under ASan+UBSan (Clang, build-asan)"
  # The library and the GoogleTest binaries only (no CLI, proxy or benchmarks): the CLI and
  # Python front ends are skins over the same library code.
  tools/fuzz.sh --build-only
  # Excluded: ThreadHammer (runs in the TSan build, the one that checks it; under ASan it only
  # costs time). Limits.* time ratios hold under ASan too but are already checked unsanitized.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    sanitizer_suite build-asan "-ThreadHammer.*:Limits.*"
  echo "   (ASan stage: $((SECONDS - stage_start)) s)"
fi
stage_start=$SECONDS
if [ "${TOKCOUNT_TEST_TSAN:-1}" != 0 ]; then
  echo "== C++ tests under TSan (GCC, build-tsan)"
  TOKCOUNT_BUILD_DIR=build-tsan TOKCOUNT_BUILD_TARGET="tokcount_tests tokcount_oom_tests" \
    tools/setup.sh -DTOKCOUNT_TSAN=ON -DTOKCOUNT_BUILD_CLI=OFF -DTOKCOUNT_BUILD_PROXY=OFF -DTOKCOUNT_BUILD_BENCH=OFF
  # Excluded: Limits.* (timing under TSan's 5-15x slowdown measures the sanitizer, not the
  # tokenizer); the single-threaded exhaustive and megabyte checks (Conformance*, the stream
  # encoder's exhaustive and random-chunking suites, Adversarial.*: 14 of the stage's 15 minutes
  # on the dev machine, they cannot race, and they run unsanitized and under ASan);
  # WorkerPool.BatchesWorkInAForkedChild (TSan kills a child forked from a multi-threaded
  # process by design: die_after_fork).
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    sanitizer_suite build-tsan "-Limits.*:Conformance*.*:StreamEncoderExhaustive.*:StreamEncoder.RandomChunkings*:Adversarial.*:WorkerPool.BatchesWorkInAForkedChild"
  echo "   (TSan stage: $((SECONDS - stage_start)) s)"
fi
stage_start=$SECONDS
if [ "${TOKCOUNT_TEST_FUZZ:-1}" != 0 ]; then
  echo "== fuzz targets (build-asan, ${TOKCOUNT_FUZZ_SECONDS:-30} s each)"
  tools/fuzz.sh
  echo "   (fuzz stage: $((SECONDS - stage_start)) s)"
fi
