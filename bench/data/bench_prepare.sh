#!/usr/bin/env bash
# `trainer data prepare` vs the Python baseline (soundfile + torchaudio + pyarrow) on
# the same input and machine, then loader throughput. Prints the numbers; asserts nothing.
#
#   bench/data/bench_prepare.sh [SHARDS] [REPEAT]
#
# Needs: a Python with numpy, soundfile, torch, torchaudio, pyarrow ($PYTHON, default
# the reference venv), and whatever the trainer build needs (libtorch for burn-tch).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/work/venvs/ref/bin/python}
SHARDS=${1:-4}
REPEAT=${2:-10}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release -p dialekt-trainer --bin trainer >/dev/null
TRAINER=${CARGO_TARGET_DIR:-target}/release/trainer

"$PYTHON" bench/data/make_input.py --out "$WORK/coral" --shards "$SHARDS" --repeat "$REPEAT"
CORES=$(nproc)
INPUT_MB=$(du -sm "$WORK/coral" | cut -f1)

now() { date +%s.%N; }
t0=$(now)
"$TRAINER" data prepare --coral "$WORK/coral" --out "$WORK/rust-out" >/dev/null
t1=$(now)
"$PYTHON" bench/data/python_prepare.py --coral "$WORK/coral" --out "$WORK/py-out" --workers "$CORES" >/dev/null
t2=$(now)

RUST_S=$(echo "$t1 - $t0" | bc -l)
PY_S=$(echo "$t2 - $t1" | bc -l)
AUDIO_S=$("$PYTHON" - "$WORK/rust-out" <<'PY'
import sys, pyarrow.dataset as ds
t = ds.dataset(sys.argv[1] + "/version=0", format="parquet").to_table(columns=["audio_size"])
print(sum(t["audio_size"].to_pylist()) / 16000)
PY
)
printf 'input: %s shards, %s MB of CoRal Parquet, %.0f s of audio, %s cores\n' "$SHARDS" "$INPUT_MB" "$AUDIO_S" "$CORES"
printf 'trainer data prepare: %6.2f s  (%.0f audio-s/s)\n' "$RUST_S" "$(echo "$AUDIO_S / $RUST_S" | bc -l)"
printf 'python baseline:      %6.2f s  (%.0f audio-s/s)\n' "$PY_S" "$(echo "$AUDIO_S / $PY_S" | bc -l)"
printf 'speed-up: %.2fx\n' "$(echo "$PY_S / $RUST_S" | bc -l)"

# Loader throughput: an ignored test that streams the prepared corpus (3 epochs of
# bucketed, shuffled, decoded and normalised batches) and prints audio-seconds per
# second per core; then the same decode + normalise in plain Python on one core.
DIALEKT_BENCH_DATA="$WORK/rust-out" cargo test --release -p dialekt-trainer --test data_throughput \
  -- --ignored --nocapture 2>&1 | grep -E '^loader'
"$PYTHON" bench/data/python_loader.py "$WORK/rust-out" --epochs 3
