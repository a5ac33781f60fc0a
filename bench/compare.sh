#!/usr/bin/env bash
# One command: tokcount (C++ and Python) against tiktoken 0.14 and the peers that install here,
# on the same inputs in one run, with tables, plots and a README-ready summary in bench/results/.
#
#   bench/compare.sh                 the full run (all corpora and generated inputs, cl100k and
#                                    o200k, 1 and 2 CPUs, start-up, memory, per-call overhead)
#   bench/compare.sh --quick         a short run that checks the harness works
#   bench/compare.sh FILE...         also measure your own UTF-8 files
#   bench/compare.sh --help          every option (encodings, tools, groups, sizes, repetitions)
#
# It installs what it needs: Debian packages and a Release build with the benchmarks in
# build/bench-release (bench/build.sh: hyperfine for start-up timing, valgrind for
# bench/callgrind.sh, libpcre2-dev to build TokenDagger), and a venv in build/bench-venv with tokcount's
# Python package and the peers of bench/requirements-peers.txt. BENCH_SKIP_INSTALL=1 reuses
# what is there. Corpora: $TOKCOUNT_CORPUS_DIR or ../shared/corpus when present (never
# committed); generated inputs otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/bench-release
venv=build/bench-venv
work=build/bench-work
mkdir -p "$work"

if [ "${BENCH_SKIP_INSTALL:-0}" != 1 ] || [ ! -x "$build/bench/tokcount_bench_driver" ]; then
  echo "== build ($build, Release, with benchmarks)" >&2
  bench/build.sh
fi

if [ "${BENCH_SKIP_INSTALL:-0}" != 1 ] || [ ! -x "$venv/bin/python" ]; then
  echo "== venv ($venv): tokcount's Python package and the peers" >&2
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  log=$work/install.log
  : > "$log"
  "$venv/bin/pip" install -q --upgrade pip >>"$log" 2>&1
  "$venv/bin/pip" install -q matplotlib >>"$log" 2>&1
  # build-dir: scikit-build-core reuses it, so a second run only rebuilds what changed.
  "$venv/bin/pip" install -q . -C build-dir=build/bench-pybuild >>"$log" 2>&1 \
    || { echo "error: installing tokcount's Python package failed; see $log" >&2; exit 1; }
  while read -r req; do
    case "$req" in ''|'#'*) continue ;; esac
    if ! "$venv/bin/pip" install -q "$req" >>"$log" 2>&1; then
      echo "note: $req did not install (skipped; see $log)" >&2
    fi
  done < bench/requirements-peers.txt
fi

exec "$venv/bin/python" bench/harness/compare.py "$@"
