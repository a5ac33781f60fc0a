#!/usr/bin/env bash
# The benchmark build: Release, benchmarks on, tests off, in build/bench-release (apart from the
# RelWithDebInfo build/ that tools/test.sh uses, so neither rebuilds the other). Installs the
# Debian packages the benchmarks need on top of tools/setup.sh's. Used by compare.sh and
# callgrind.sh; prints nothing but errors and progress.
set -euo pipefail
cd "$(dirname "$0")/.."
TOKCOUNT_EXTRA_PACKAGES="hyperfine valgrind libpcre2-dev" TOKCOUNT_BUILD_DIR=build/bench-release \
  TOKCOUNT_BUILD_TYPE=Release tools/setup.sh -DTOKCOUNT_BUILD_BENCH=ON -DTOKCOUNT_BUILD_TESTS=OFF
