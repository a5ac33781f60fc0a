#!/usr/bin/env bash
# Quick start, the main job: set up, build, and count the tokens of a file (or directory),
# showing throughput. Usage: tools/run.sh [PATH...] [-- tokcount count options]
# With no path it counts this repository's own C++ sources.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
paths=("$@")
((${#paths[@]})) || paths=(tokenizer)
exec build/tools/cli/tokcount count --encoding o200k_base "${paths[@]}"
