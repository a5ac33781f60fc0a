#!/usr/bin/env bash
# Builds the ASan+UBSan tree with Clang (build-asan/: the libFuzzer targets of tests/fuzz and the
# GoogleTest suite, coverage-instrumented) and runs each fuzz target for a bounded time from
# corpora seeded by tests/fixtures (tools/fuzz_seeds.py).
# Usage: tools/fuzz.sh [target...]            (default: every tests/fuzz/fuzz_*.cpp)
#        tools/fuzz.sh --build-only           (tools/test.sh's ASan stage runs the suite from it)
# Environment: TOKCOUNT_FUZZ_SECONDS (per target, default 30), TOKCOUNT_FUZZ_BUILD_DIR
# (default build-asan). A finding stops that target, leaves the reproducer in
# build-asan/artifacts/ and makes the script exit non-zero after the other targets ran.
# Reproduce one: build-asan/tests/fuzz/fuzz_X build-asan/artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

build_only=0
if [ "${1:-}" = --build-only ]; then build_only=1; shift; fi

# Clang and its runtime libraries (libclang_rt.fuzzer, asan, ubsan) are only needed here,
# not by the normal build (tools/setup.sh), so they are installed by this script.
TOKCOUNT_EXTRA_PACKAGES="clang libclang-rt-14-dev ${TOKCOUNT_EXTRA_PACKAGES:-}" \
TOKCOUNT_BUILD_DIR=${TOKCOUNT_FUZZ_BUILD_DIR:-build-asan} TOKCOUNT_BUILD_TYPE=RelWithDebInfo \
CC=clang CXX=clang++ TOKCOUNT_BUILD_TARGET="fuzz_all tokcount_tests tokcount_oom_tests" \
  tools/setup.sh -DTOKCOUNT_FUZZ=ON -DTOKCOUNT_BUILD_TESTS=ON -DTOKCOUNT_BUILD_CLI=OFF \
                 -DTOKCOUNT_BUILD_PROXY=OFF -DTOKCOUNT_BUILD_BENCH=OFF
((build_only)) && exit 0

dir=${TOKCOUNT_FUZZ_BUILD_DIR:-build-asan}
seconds=${TOKCOUNT_FUZZ_SECONDS:-30}
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
python3 tools/fuzz_seeds.py "$dir/corpus" >/dev/null
mkdir -p "$dir/artifacts"
failed=()
for t in "${targets[@]}"; do
  echo "== fuzz $t (${seconds}s)"
  # -timeout: one input taking > 10 s is a hang finding; -rss_limit_mb: memory blow-up is one.
  # The corpus directory keeps what earlier runs found (the build tree persists across runs).
  if ! "$dir/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t-" \
        "$dir/corpus/$t" >"$dir/$t.log" 2>&1; then
    failed+=("$t")
    tail -40 "$dir/$t.log" >&2
  else
    grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$dir/$t.log" | tr '\n' ' '
    echo
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: findings in ${failed[*]} (reproducers in $dir/artifacts/)" >&2
  exit 1
fi
