#!/usr/bin/env bash
# Installs what building tokcount needs (Debian 12 packages) and builds it into build/.
# Idempotent: installs only missing packages, reuses an existing build directory.
# Usage: tools/setup.sh [extra cmake args...]
# Environment: TOKCOUNT_BUILD_DIR (default build), TOKCOUNT_BUILD_TYPE (default Release),
# TOKCOUNT_EXTRA_PACKAGES (more Debian packages to install, space-separated),
# TOKCOUNT_BUILD_TARGET (build only these targets, space-separated, e.g. tools/fuzz.sh's fuzz_all).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config git
          libabsl-dev libre2-dev libxxhash-dev libgtest-dev libgmock-dev libbenchmark-dev
          libcli11-dev libsimdjson-dev nlohmann-json3-dev pybind11-dev
          libicu-dev libtomlplusplus-dev libdtl-dev
          libcpp-httplib-dev libssl-dev
          python3 python3-venv python3-pip python3-dev)
# Callers needing more (bench/compare.sh: hyperfine, valgrind) name them here.
read -r -a extra <<< "${TOKCOUNT_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

build_dir=${TOKCOUNT_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=${TOKCOUNT_BUILD_TYPE:-Release} "$@" >/dev/null
# shellcheck disable=SC2086  # TOKCOUNT_BUILD_TARGET may name several targets
cmake --build "$build_dir" -j"$(nproc)" ${TOKCOUNT_BUILD_TARGET:+--target $TOKCOUNT_BUILD_TARGET}
