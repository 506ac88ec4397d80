#!/usr/bin/env bash
# `trainer data prepare` vs the Python baseline (soundfile + torchaudio + pyarrow) on
# the same input and machine, then loader throughput. Prints the numbers; asserts nothing.
#
#   bench/data/bench_prepare.sh [SHARDS] [REPEAT] [RUNS]
#
# The two pipelines run alternately RUNS times (default 3) on the same input; the
# ratio is of the medians, so one run's cold page cache or a noisy neighbour does not
# decide it.
#
# Needs: a Python with numpy, soundfile, torch, torchaudio, pyarrow ($PYTHON, default
# the reference venv), and whatever the trainer build needs (libtorch for burn-tch).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/work/venvs/ref/bin/python}
SHARDS=${1:-4}
REPEAT=${2:-10}
RUNS=${3:-3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release -p dialekt-trainer --bin trainer >/dev/null
TRAINER=${CARGO_TARGET_DIR:-target}/release/trainer

"$PYTHON" bench/data/make_input.py --out "$WORK/coral" --shards "$SHARDS" --repeat "$REPEAT"
CORES=$(nproc)
INPUT_MB=$(du -sm "$WORK/coral" | cut -f1)

now() { date +%s.%N; }
elapsed() { local t0; t0=$(now); "$@" >/dev/null; echo "$(now) - $t0" | bc -l; }
RUST_TIMES=() PY_TIMES=()
for _ in $(seq "$RUNS"); do
  rm -rf "$WORK/rust-out" "$WORK/py-out"
  RUST_TIMES+=("$(elapsed "$TRAINER" data prepare --coral "$WORK/coral" --out "$WORK/rust-out")")
  PY_TIMES+=("$(elapsed "$PYTHON" bench/data/python_prepare.py --coral "$WORK/coral" --out "$WORK/py-out" --workers "$CORES")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
RUST_S=$(median "${RUST_TIMES[@]}")
PY_S=$(median "${PY_TIMES[@]}")
# Also checks our output the way upstream reads it: pyarrow's `list<int8>` column,
# decoded by soundfile, holds exactly `audio_size` samples per row.
AUDIO_S=$("$PYTHON" - "$WORK/rust-out" <<'PY'
import io, sys
import numpy as np, pyarrow.dataset as ds, soundfile as sf
t = ds.dataset(sys.argv[1] + "/version=0", format="parquet").to_table(columns=["audio_bytes", "audio_size"])
sizes = t["audio_size"].to_pylist()
for row, (audio, size) in enumerate(zip(t["audio_bytes"].to_numpy(zero_copy_only=False), sizes)):
    frames = sf.info(io.BytesIO(np.asarray(audio, dtype=np.int8).tobytes())).frames
    assert frames == size, f"row {row}: soundfile reads {frames} samples, audio_size says {size}"
print(sum(sizes) / 16000)
PY
)
printf 'input: %s shards, %s MB of CoRal Parquet, %.0f s of audio, %s cores\n' "$SHARDS" "$INPUT_MB" "$AUDIO_S" "$CORES"
printf 'trainer data prepare: %6.2f s median of %s  (%.0f audio-s/s)  runs: %s\n' \
  "$RUST_S" "$RUNS" "$(echo "$AUDIO_S / $RUST_S" | bc -l)" "$(printf '%.2f ' "${RUST_TIMES[@]}")"
printf 'python baseline:      %6.2f s median of %s  (%.0f audio-s/s)  runs: %s\n' \
  "$PY_S" "$RUNS" "$(echo "$AUDIO_S / $PY_S" | bc -l)" "$(printf '%.2f ' "${PY_TIMES[@]}")"
printf 'speed-up: %.2fx (medians)\n' "$(echo "$PY_S / $RUST_S" | bc -l)"

# Loader throughput: an ignored test that streams the prepared corpus (3 epochs of
# bucketed, shuffled, decoded and normalised batches) and prints audio-seconds per
# second per core; then the same decode + normalise in plain Python on one core.
DIALEKT_BENCH_DATA="$WORK/rust-out" cargo test --release -p dialekt-data --test it throughput \
  -- --ignored --nocapture 2>&1 | grep -E '^loader'
"$PYTHON" bench/data/python_loader.py "$WORK/rust-out" --epochs 3
