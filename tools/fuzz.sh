#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, Clang + ASan + UBSan) into build-fuzz/ and runs
# each for a bounded time from corpora seeded by tests/fixtures (tools/fuzz_seeds.py).
# Usage: tools/fuzz.sh [target...]            (default: every tests/fuzz/fuzz_*.cpp)
# Environment: TOKCOUNT_FUZZ_SECONDS (per target, default 30), TOKCOUNT_FUZZ_BUILD_DIR
# (default build-fuzz). A finding stops that target, leaves the reproducer in
# build-fuzz/artifacts/ and makes the script exit non-zero after the other targets ran.
# Reproduce one: build-fuzz/tests/fuzz/fuzz_X build-fuzz/artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

# Clang and its runtime libraries (libclang_rt.fuzzer, asan, ubsan) are only needed here,
# not by the normal build (tools/setup.sh), so they are installed by this script.
TOKCOUNT_EXTRA_PACKAGES="clang libclang-rt-14-dev ${TOKCOUNT_EXTRA_PACKAGES:-}" \
TOKCOUNT_BUILD_DIR=${TOKCOUNT_FUZZ_BUILD_DIR:-build-fuzz} TOKCOUNT_BUILD_TYPE=RelWithDebInfo \
CC=clang CXX=clang++ TOKCOUNT_BUILD_TARGET=fuzz_all \
  tools/setup.sh -DTOKCOUNT_FUZZ=ON -DTOKCOUNT_BUILD_TESTS=OFF -DTOKCOUNT_BUILD_CLI=OFF \
                 -DTOKCOUNT_BUILD_PROXY=OFF -DTOKCOUNT_BUILD_BENCH=OFF

dir=${TOKCOUNT_FUZZ_BUILD_DIR:-build-fuzz}
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
  # The corpus directory keeps what earlier runs found (build-fuzz/ persists across runs).
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
