#!/usr/bin/env bash
# Deterministic instruction counts (valgrind's callgrind) of a fixed workload, compared with the
# committed baseline bench/callgrind_baseline.tsv: prints instructions per byte per input and
# exits 1 when one needs more than --threshold percent (default 2) more than the baseline.
#
#   bench/callgrind.sh              build if needed, run, compare
#   bench/callgrind.sh --update     ... and write the new baseline (commit it with the change)
#   bench/callgrind.sh --help       options (--bytes, --encodings, --threshold)
#
# Counts depend on the compiler and flags: compare on the machine kind that wrote the baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${BENCH_SKIP_INSTALL:-0}" = 1 ] && [ -x build/bench-release/bench/tokcount_bench_driver ] || bench/build.sh
exec python3 bench/harness/callgrind.py "$@"
