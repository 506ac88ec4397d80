#!/usr/bin/env bash
# Build KenLM's lmplz, build_binary and query from the kenlm 0.3.0 source distribution on
# PyPI (it contains lm/builder), for the reference fixtures and the benchmark.
# Needs cmake and Debian's boost:
#   apt-get install cmake libboost-program-options-dev libboost-system-dev \
#     libboost-thread-dev libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev
#
#   tools/reference/lm/build_lmplz.sh [DIR]     (default /tmp/kenlm-0.3.0-build)
# prints the bin directory (the build's output goes to DIR/build.log).
set -euo pipefail
DIR=${1:-/tmp/kenlm-0.3.0-build}
PIP=${PIP:-pip}
mkdir -p "$DIR"
if [ ! -x "$DIR/kenlm-0.3.0/build/bin/lmplz" ]; then
  echo "building KenLM 0.3.0's lmplz in $DIR (a few minutes) ..." >&2
  (cd "$DIR" && "$PIP" download -q --no-deps --no-binary kenlm kenlm==0.3.0 -d . >"$DIR/build.log" 2>&1)
  tar -xzf "$DIR/kenlm-0.3.0.tar.gz" -C "$DIR"
  mkdir -p "$DIR/kenlm-0.3.0/build"
  (cd "$DIR/kenlm-0.3.0/build" && cmake .. -DCMAKE_BUILD_TYPE=Release >>"$DIR/build.log" 2>&1 \
    && make -j"$(nproc)" lmplz build_binary query >>"$DIR/build.log" 2>&1)
fi
echo "$DIR/kenlm-0.3.0/build/bin"
