#!/usr/bin/env bash
# Benchmark: the manifest builder (the code `trainer data manifest` runs) vs `sha256sum` and `openssl dgst -sha256` over the
# same page-cached synthetic tree, in one run on one machine. Prints throughput and
# ratios; asserts nothing (machines are noisy).
#
#   bench/manifest.sh [SIZE_MIB] [FILES]        default: 2560 MiB in 640 files
#
# Builds `dialekt-core`'s `manifest` example in release mode (no tensor libraries
# needed) and needs openssl.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-2560}
FILES=${2:-640}
TREE=${BENCH_TREE:-/tmp/dialekt-bench-manifest}
REPEATS=${REPEATS:-3}
CORES=$(nproc)

cargo build --release -q -p dialekt-core --example manifest
MANIFEST=${CARGO_TARGET_DIR:-target}/release/examples/manifest

if [ ! -f "$TREE/.complete-$SIZE_MIB-$FILES" ]; then
  echo "making a ${SIZE_MIB} MiB tree of ${FILES} files in $TREE ..."
  rm -rf "$TREE"; mkdir -p "$TREE"
  per_file=$(( SIZE_MIB / FILES ))
  for i in $(seq 0 $(( FILES - 1 ))); do
    d="$TREE/split=$(( i % 3 ))/part=$(( i % 17 ))"; mkdir -p "$d"
    head -c "$(( per_file * 1048576 + i * 4099 ))" /dev/urandom > "$d/f$i.bin"
  done
  touch "$TREE/.complete-$SIZE_MIB-$FILES"
fi
BYTES=$(find "$TREE" -type f -name 'f*.bin' -printf '%s\n' | awk '{s+=$1} END {print s}')
find "$TREE" -type f -name 'f*.bin' -print0 | xargs -0 cat > /dev/null   # page-cache it

best() { # best wall time of REPEATS runs of "$@"
  local best=""
  for _ in $(seq "$REPEATS"); do
    local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null 2>&1; t1=$(date +%s.%N)
    best=$(echo "$t0 $t1 ${best:-inf}" | awk '{d=$2-$1; b=($3=="inf")?d:$3; print (d<b)?d:b}')
  done
  echo "$best"
}
list() { find "$TREE" -type f -name 'f*.bin' -print0; }

t_ours=$(best "$MANIFEST" --no-cache "$TREE")
t_sha=$(best bash -c "$(declare -f list); TREE=$TREE; list | xargs -0 sha256sum")
t_ossl=$(best bash -c "$(declare -f list); TREE=$TREE; list | xargs -0 openssl dgst -sha256")
# Warm cache: a second manifest of the unchanged tree reads no file contents.
export DIALEKT_CACHE_DIR=${DIALEKT_CACHE_DIR:-/tmp/dialekt-bench-cache}
"$MANIFEST" "$TREE" 2> /dev/null
t_cached=$(best "$MANIFEST" "$TREE")

awk -v b="$BYTES" -v o="$t_ours" -v s="$t_sha" -v p="$t_ossl" -v c="$t_cached" -v n="$CORES" 'BEGIN {
  gb = b / 1e9
  printf "tree: %.2f GB, %d cores\n", gb, n
  printf "%-36s %8.3f s  %6.2f GB/s\n", "dialekt manifest (no cache)", o, gb / o
  printf "%-36s %8.3f s  %6.2f GB/s\n", "sha256sum (1 process)", s, gb / s
  printf "%-36s %8.3f s  %6.2f GB/s\n", "openssl dgst -sha256 (1 process)", p, gb / p
  printf "%-36s %8.3f s\n", "dialekt manifest (stat cache hit)", c
  printf "ratio vs sha256sum:                 %.2fx\n", s / o
  printf "ratio vs openssl single core:       %.2fx\n", p / o
  printf "ratio vs openssl x %d cores (goal >= 0.8): %.2f\n", n, (p / o) / n
}'
